"""Observe a lesson (issue 31): the action step measured in a recording of the teacher's real lesson."""
