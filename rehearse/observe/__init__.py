"""observe: a lesson's recording, observed — who speaks when, the teacher's questions and the waits
after them (issue 31, the coaching cycle's Observe stage). Floor 2: imports only scoring/, errors
and typed_text; the store, the jobs and the pages (floors 3-6) use it.

The modules, one stage each, in the order the analysis runs them:

    lesson_audio.py  a long recording decoded in chunks to a file on disk, read from there in bounded
                     memory; where the speech is, a window at a time (stage 1: audio and speech)
    privacy.py       the copy of the recording that is kept: every other voice set to silence (last stage)
"""
