"""Whom an assignment is for, as SQL: shared by "For you", class quizzes and a learner's data export."""

from __future__ import annotations


def given_to(learner: str) -> str:
    """SQL that is true when assignment `a` is for `learner` (an SQL expression), a learner of its
    class: no learners chosen (the whole class), or she is one of them."""
    return (
        "(NOT EXISTS (SELECT 1 FROM assignment_learners x WHERE x.assignment_id = a.id)"
        " OR EXISTS (SELECT 1 FROM assignment_learners x"
        f" WHERE x.assignment_id = a.id AND x.learner_id = {learner}))"
    )
