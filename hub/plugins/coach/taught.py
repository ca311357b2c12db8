"""The class a tutor's request is about, once she is known to teach it (admins teach every class)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from hub.access import AccessDenied
from hub.coaching.classes import NO_SUCH_CLASS, NOT_YOURS, ClassRecord, get_class, may_teach
from hub.deps import CurrentLearner, Db


def taught_class(class_id: int, db: Db, learner: CurrentLearner) -> ClassRecord:
    """The class in the path, or 404 when there is none and 403 when the tutor does not teach it."""
    record = get_class(db, class_id)
    if record is None:
        raise AccessDenied(404, NO_SUCH_CLASS)
    if learner is None or not may_teach(db, class_id, learner):
        raise AccessDenied(403, NOT_YOURS)
    return record


TaughtClass = Annotated[ClassRecord, Depends(taught_class)]
