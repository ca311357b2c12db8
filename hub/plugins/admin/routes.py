"""The admin area (/admin), first-run setup, and the tutor overview (/tutor)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub import __version__, first_run, learners
from hub.access import ADMIN, ANYONE, FROM_THIS_HUB, TUTOR
from hub.app import apply_settings
from hub.coaching.csv_export import csv_response
from hub.coaching.report_help import needs_help
from hub.coaching.reports import visible_classes
from hub.deps import CurrentLearner, Db, HubDep, remember_session
from hub.home import Hub
from hub.i18n import N_, available_languages, gettext
from hub.learners import STAFF_SESSION, LearnerError, Role
from hub.pages import render
from hub.settings import load_settings, save_settings

router = APIRouter(tags=["admin pages"], include_in_schema=False)


def hub_state(hub: Hub) -> dict[str, object]:
    """What an admin sees at a glance."""
    db = hub.db
    content_bytes = db.execute("SELECT coalesce(sum(size), 0) FROM files").fetchone()[0]
    return {
        "courses": db.execute("SELECT count(*) FROM courses").fetchone()[0],
        "lessons": db.execute("SELECT count(*) FROM lessons").fetchone()[0],
        "content_bytes": content_bytes,
        "free_bytes": shutil.disk_usage(hub.home).free,
        "learners": db.execute("SELECT count(*) FROM learners WHERE role = 'learner'").fetchone()[0],
        "guests": db.execute("SELECT count(*) FROM learners WHERE name IS NULL").fetchone()[0],
        "version": __version__,
        "home": str(hub.home),
    }


SETUP_CODE_WRONG = N_(
    "That setup code is not right. Use the code printed where the hub was started "
    "(or run `hub admin setup-code` on the hub's computer)."
)


@router.get("/admin/setup", response_class=HTMLResponse, dependencies=[ANYONE])
def setup_page(request: Request, db: Db, code: str = "") -> Response:
    if learners.count_admins(db):
        return RedirectResponse("/admin", status_code=303)
    form = {"code": first_run.normalise(code)}
    return render(request, "setup.html", error=None, form=form, all_languages=available_languages())


@router.post("/admin/setup", response_class=HTMLResponse, dependencies=[ANYONE, FROM_THIS_HUB])
def run_setup(
    request: Request,
    hub: HubDep,
    code: Annotated[str, Form()] = "",
    hub_name: Annotated[str, Form()] = "",
    default_language: Annotated[str, Form()] = "en",
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """First run: the person holding the setup code names the hub and becomes its admin."""
    if learners.count_admins(hub.db):
        return RedirectResponse("/admin", status_code=303)
    form = {"code": first_run.normalise(code), "hub_name": hub_name, "default_language": default_language,
            "name": name}  # fmt: skip
    status = 400
    try:
        if not hub_name.strip() or len(hub_name) > 60:
            raise LearnerError(N_("Please give the hub a name of 1 to 60 characters."))
        if default_language not in available_languages():
            raise LearnerError(N_("Please choose one of the languages offered."))
        learners.check_secret(Role.ADMIN, password)
        if not first_run.claim(hub.db, code):
            status = 403
            raise LearnerError(SETUP_CODE_WRONG)
        admin = _first_admin(hub, code, name, password)
    except LearnerError as error:
        return render(
            request, "setup.html", status_code=status, error=error.translated(), form=form,
            all_languages=available_languages(),
        )  # fmt: skip
    settings = replace(load_settings(hub), hub_name=hub_name.strip(), default_language=default_language)
    save_settings(hub, settings)
    apply_settings(request.app, settings)
    remember_session(request, learners.start_session(hub.db, admin.id, STAFF_SESSION))
    return RedirectResponse("/admin", status_code=303)


def _first_admin(hub: Hub, code: str, name: str, password: str) -> learners.Learner:
    """The admin the claimed code was for; the code stays usable if she cannot be made."""
    try:
        return learners.create_account(hub.db, name, Role.ADMIN, password)
    except BaseException:
        first_run.give_back(hub.db, code)
        raise


@router.get("/admin", response_class=HTMLResponse, dependencies=[ADMIN])
def dashboard(request: Request, hub: HubDep) -> HTMLResponse:
    pages = request.app.state.plugins.hook.hub_admin_pages(hub=hub)
    return render(
        request, "admin.html", state=hub_state(hub),
        pages=sorted((page for found in pages for page in found), key=lambda page: page.order),
    )  # fmt: skip


def users_page(request: Request, db: Db, status_code: int = 200, **extra: object) -> HTMLResponse:
    context = {"error": None, "message": None, "form": {}, **extra}
    return render(
        request, "users.html", status_code=status_code, accounts=learners.list_accounts(db),
        roles=[r for r in Role if r != Role.GUEST], **context,
    )  # fmt: skip


@router.get("/admin/users", response_class=HTMLResponse, dependencies=[ADMIN])
def users(request: Request, db: Db) -> HTMLResponse:
    return users_page(request, db)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise LearnerError(N_("Choose a role: learner, tutor or admin.")) from None


@router.post("/admin/users", response_class=HTMLResponse, dependencies=[ADMIN])
def add_user(
    request: Request,
    db: Db,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "learner",
    secret: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        account = learners.create_account(db, name, _role(role), secret.strip())
    except LearnerError as error:
        form = {"name": name, "role": role}
        return users_page(request, db, 400, error=error.translated(), form=form)
    return users_page(request, db, message=account.name)


def _change(request: Request, db: Db, action: str, learner_id: str, **form: str) -> HTMLResponse:
    """Run one account change and show the list with its outcome."""
    try:
        if action == "update":
            learners.update_account(db, learner_id, _role(form["role"]), form["disabled"] == "on")
        elif action == "reset":
            role = _role(form["role"]) if form.get("role") else None
            learners.reset_secret(db, learner_id, form["secret"].strip(), role)
        else:
            learners.delete_account(db, learner_id)
    except LearnerError as error:
        return users_page(request, db, 400, error=error.translated())
    return users_page(request, db, changed=True)


@router.post("/admin/users/{learner_id}", response_class=HTMLResponse, dependencies=[ADMIN])
def update_user(
    request: Request,
    db: Db,
    learner_id: str,
    role: Annotated[str, Form()] = "learner",
    disabled: Annotated[str, Form()] = "",
) -> HTMLResponse:
    return _change(request, db, "update", learner_id, role=role, disabled=disabled)


@router.post("/admin/users/{learner_id}/reset", response_class=HTMLResponse, dependencies=[ADMIN])
def reset_user(
    request: Request,
    db: Db,
    learner_id: str,
    secret: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> HTMLResponse:
    return _change(request, db, "reset", learner_id, secret=secret, role=role)


@router.post("/admin/users/{learner_id}/delete", response_class=HTMLResponse, dependencies=[ADMIN])
def delete_user(request: Request, db: Db, learner_id: str) -> HTMLResponse:
    return _change(request, db, "delete", learner_id)


@router.get("/admin/settings", response_class=HTMLResponse, dependencies=[ADMIN])
def settings_page(request: Request) -> HTMLResponse:
    return render(request, "settings.html", all_languages=available_languages(), error=None, saved=False)


@router.post("/admin/settings", response_class=HTMLResponse, dependencies=[ADMIN])
async def save_settings_page(request: Request, hub: HubDep) -> HTMLResponse:
    form = await request.form()
    languages = tuple(code for code in form.getlist("languages") if code in available_languages())
    try:
        retention = int(str(form.get("guest_retention_days") or 0))
        hub_name = str(form.get("hub_name") or "").strip()
        default_language = str(form.get("default_language") or "en")
        if not hub_name or len(hub_name) > 60:
            raise LearnerError(N_("Please give the hub a name of 1 to 60 characters."))
        if not 0 <= retention <= 3650:
            raise ValueError
        if default_language not in (languages or available_languages()):
            raise LearnerError(N_("The default language must be one of the languages offered."))
        import_folders = tuple(
            line.strip() for line in str(form.get("import_folders") or "").splitlines() if line.strip()
        )
        if not all(folder.startswith("/") for folder in import_folders):
            raise LearnerError(N_("Write each import folder as a full path starting with /."))
    except ValueError:
        error = LearnerError(N_("Keep guest progress for a whole number of days from 0 to 3650."))
    except LearnerError as problem:
        error = problem
    else:
        settings = replace(
            load_settings(hub),
            hub_name=hub_name,
            default_language=default_language,
            languages=languages,
            guests_may_learn=form.get("guests_may_learn") == "on",
            learners_may_create_profile=form.get("learners_may_create_profile") == "on",
            profiles_without_pin=form.get("profiles_without_pin") == "on",
            guest_retention_days=retention,
            import_folders=import_folders,
        )
        save_settings(hub, settings)
        apply_settings(request.app, settings)
        return render(request, "settings.html", all_languages=available_languages(), error=None, saved=True)
    return render(
        request, "settings.html", status_code=400, all_languages=available_languages(),
        error=error.translated(), saved=False,
    )  # fmt: skip


# Per course: this hub's own learners (profiles with the learner role) who started it and who finished
# it, its guests who started it (a count, never who), and quiz passes by this hub's learners and guests.
# Progress synced from other hubs' learners has no row in `learners` and is left out. One pass over
# progress, grouped in its primary key's order, instead of re-running subqueries for every course.
COURSE_OVERVIEW = """
WITH per_learner AS (
    SELECT learner_id, course_id, sum(completed_at IS NOT NULL) AS done
    FROM progress GROUP BY learner_id, course_id
), own AS (
    SELECT pl.course_id, pl.done, l.name IS NULL AS guest, l.role = 'learner' AS learner
    FROM per_learner pl JOIN learners l ON l.id = pl.learner_id
), passes AS (
    SELECT q.course_id, count(*) AS passed FROM quiz_attempts q JOIN learners l ON l.id = q.learner_id
    WHERE q.passed GROUP BY q.course_id
)
SELECT c.id, c.title, c.language, c.lesson_count,
    count(*) FILTER (WHERE own.learner AND NOT own.guest),
    count(*) FILTER (WHERE own.learner AND NOT own.guest AND own.done >= c.lesson_count),
    count(*) FILTER (WHERE own.guest),
    coalesce(max(passes.passed), 0)
FROM courses c LEFT JOIN own ON own.course_id = c.id LEFT JOIN passes ON passes.course_id = c.id
GROUP BY c.id ORDER BY c.title COLLATE NOCASE
"""


HELP_ON_OVERVIEW = 10  # the first reasons shown; /tutor/needs-help has them all


@router.get("/tutor", response_class=HTMLResponse, dependencies=[TUTOR])
def tutor_overview(request: Request, hub: HubDep, who: CurrentLearner, format: str = "") -> Response:
    """How this hub's learners are doing, per course; the tutor's classes and who needs help in them."""
    assert who is not None
    rows = hub.db.execute(COURSE_OVERVIEW).fetchall()
    if format == "csv":
        header = [gettext(h) for h in (N_("Course"), N_("Started"), N_("Finished"), N_("Guests who started"),
                                       N_("Quizzes passed"))]  # fmt: skip
        return csv_response("courses-progress", header, [[row[1], *row[4:]] for row in rows])
    classes = visible_classes(hub.db, who, taught_only=True)
    help_needed = [row for each in classes for row in needs_help(hub.db, each)]
    return render(
        request, "tutor.html", rows=rows, classes=classes, help_needed=help_needed[:HELP_ON_OVERVIEW],
        more_help=len(help_needed) > HELP_ON_OVERVIEW,
    )  # fmt: skip
