"""A class's learners: finding and adding existing ones, making many at once, their sign-in cards.

The PINs of new learners are known only while the batch is made (the hub keeps their argon2
hashes), so the answer to the batch's POST is itself the card sheet, PINs printed, sent with
Cache-Control: no-store. Nothing keeps a PIN in clear: no token, no table, no cookie. A tutor who
loses that page resets a PIN in the admin area; the cards of a class (GET) say "ask your tutor".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.datastructures import UploadFile

from hub.access import TUTOR
from hub.address import qr_svg
from hub.coaching import bulk, roster
from hub.coaching.bulk import BatchRefused, NewLearner
from hub.coaching.classes import ClassRecord, CoachingError
from hub.coaching.roster import Member
from hub.deps import Db, HubDep
from hub.pages import render
from hub.plugins.coach.classes import change_class, class_page, to_class
from hub.plugins.coach.taught import TaughtClass
from hub.plugins.join.routes import address_for

router = APIRouter(tags=["coaching pages"], include_in_schema=False)


@router.get("/tutor/classes/{class_id}/learners", response_class=HTMLResponse, dependencies=[TUTOR])
def find_learners(request: Request, db: Db, record: TaughtClass, q: str = "", page: int = 0) -> HTMLResponse:
    found, more = roster.find_learners(db, record.id, q, page) if q.strip() else ([], False)
    return render(
        request, "class_learners.html", record=record, q=q, page=max(page, 0), found=found, more=more
    )


@router.post("/tutor/classes/{class_id}/learners", dependencies=[TUTOR])
def add_learner(
    request: Request, hub: HubDep, record: TaughtClass, learner_id: Annotated[str, Form()] = ""
) -> Response:
    return change_class(
        request, hub, record, lambda: roster.add_learner(hub.db, record.id, learner_id), "learners"
    )


@router.post("/tutor/classes/{class_id}/learners/{learner_id}/remove", dependencies=[TUTOR])
def remove_learner(record: TaughtClass, db: Db, learner_id: str) -> Response:
    roster.remove_learner(db, record.id, learner_id)
    return to_class(record.id, "learners")


async def _entries(request: Request) -> tuple[list[bulk.Entry], str]:
    """The names a batch form sent (an uploaded CSV, else the pasted text), and the text to show again."""
    form = await request.form()
    upload = form.get("file")
    text = str(form.get("names") or "")
    if isinstance(upload, UploadFile) and upload.filename:
        return bulk.entries_from_csv(await upload.read(bulk.MAX_FILE_BYTES + 1)), text
    return bulk.entries_from_text(text), text


def cards_page(
    request: Request, record: ClassRecord, people: list[Member] | list[NewLearner]
) -> HTMLResponse:
    url = address_for(request)
    qr = Markup(qr_svg(url, scalable=True))
    response = render(request, "cards.html", record=record, people=people, url=url, qr=qr)
    response.headers["cache-control"] = "no-store"  # a sheet of new PINs stays out of every cache
    return response


@router.post("/tutor/classes/{class_id}/learners/new", response_class=HTMLResponse, dependencies=[TUTOR])
async def make_learners(request: Request, hub: HubDep, record: TaughtClass) -> HTMLResponse:
    """Make a learner (with a new PIN) for every name, all or none, and answer with their cards."""
    text = ""
    try:
        entries, text = await _entries(request)
        made = bulk.create_batch(hub.db, record.id, entries)
    except BatchRefused as refused:
        return class_page(
            request, hub, record, 400, error=refused.translated(), problems=refused.problems, names=text
        )
    except CoachingError as error:
        return class_page(request, hub, record, 400, error=error.translated(), names=text)
    return cards_page(request, record, made)


@router.get("/tutor/classes/{class_id}/cards", response_class=HTMLResponse, dependencies=[TUTOR])
def cards(request: Request, db: Db, record: TaughtClass) -> HTMLResponse:
    return cards_page(request, record, roster.members(db, record.id))
