"""What is done with a lesson observed (floor 4, beside reps/): its analysis run as a job on a
queue (jobs.py, Huey), the job itself with its progress, Cancel and privacy copy (analysis.py), and
the teacher's voice taken from their reps (teacher_voice.py). The engine is rehearse.observe; the
rows are store/lessons.py's."""
