"""observe: a lesson's recording, observed — who speaks when, the teacher's questions and the waits
after them (issue 31, the coaching cycle's Observe stage). Floor 2: imports only scoring/, errors
and typed_text; the store, the jobs and the pages (floors 3-6) use it.

The modules, one stage each, in the order the analysis runs them (in brackets: whose stage it is):

    lesson_audio.py  a long recording decoded in chunks to a file on disk, read from there in bounded
                     memory; where the speech is, a window at a time (stage 1: audio and speech) [audio]
    voices.py        who is speaking: each stretch of speech the teacher's or another voice, against the
                     teacher's voice from their reps or the lesson's dominant near voice (stage 2) [voices]
    pauses.py        a second look in the pauses: another voice the whole-lesson VAD missed (stage 2b) [analysis]
    lesson.py        analyse_lesson: the stages run in order, the teacher's speech transcribed a window at
                     a time (stage 3), and LessonAnalysis, the JSON every layer shares [analysis]
    questions.py     the questions posed to the class, by structure first and words second; their waits,
                     the pupil named (the reps' naming engine), call-outs (stage 4) [analysis]
    measures.py      the lesson measured against the step's own criteria; counts, talk shares, a summary
                     (from the JSON: no model) [analysis]
    privacy.py       the copy of the recording that is kept: every other voice set to silence (last
                     stage) [audio]
"""
