"""observe: a lesson's recording, observed — who speaks when, the teacher's questions and the waits
after them (issue 31, the coaching cycle's Observe stage). Floor 2: imports only scoring/, errors
and typed_text; the store, the jobs and the pages (floors 3-6) use it.

The modules, one stage each, in the order the analysis runs them (in brackets: whose stage it is):

    lesson_audio.py  a long recording decoded in chunks to a file on disk, read from there in bounded
                     memory; where the speech is, a window at a time (stage 1: audio and speech) [audio]
    voices.py        who is speaking: each stretch of speech the teacher's or another voice, against the
                     teacher's voice from their reps or the lesson's dominant near voice (stage 2) [voices]
    privacy.py       the copy of the recording that is kept: every other voice set to silence (last
                     stage) [audio]
"""
