"""Coaching: classes of this hub's learners under their tutors, assignments and class quizzes (see
docs and DESIGN §10), and the reports read from them (report_*.py)."""
