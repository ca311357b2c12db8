"""Publishing a draft: build a package with the next version, import it in one transaction.

Residents keep seeing the previous version until the import commits; lesson ids come from the
draft's file names, which a draft started from a published course keeps, so learners' progress
carries over to the new version.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import replace

from content.errors import ContentError
from content.package import build_package
from hub.home import Hub
from hub.i18n import N_
from hub.library import ImportResult, import_package
from hub.plugins.studio import transcode
from hub.plugins.studio.drafts import (
    EDITABLE_ORIGINS,
    Draft,
    DraftProblem,
    StudioError,
    discard,
    drafts_home,
    lesson_problem,
    save_course,
)
from hub.trust import own_key

PUBLISH_ORIGIN = "local"  # content made on this hub


MAX_WHAT_CHANGED = 1000  # content/model.py: Course.what_changed


def publish(hub: Hub, draft: Draft, what_changed: str = "") -> ImportResult:
    """Publish a draft as the course's next version, then remove the draft.

    When the admin has made the hub's own signing key (Admin → Signing keys), the package is
    signed with it, so residents here see the hub vouch for it and another hub that trusts this
    hub's key does too; without one, the course is marked "made locally, not verified".
    `what_changed` says, in the tutor's words, what is new since the version residents see now
    (a first version has none: the text of an older one is never carried over).
    """
    if not draft.lessons:
        raise StudioError(N_("Add at least one lesson before publishing."))
    if any(lesson_problem(draft, lesson) for lesson in draft.lessons):
        raise StudioError(N_("Some lessons are not complete yet: see the notes next to them."))
    if transcode.unfinished_jobs(hub.db, draft.course_id):
        raise StudioError(N_("A video is still being prepared for phones. Publish when it is ready."))
    current = hub.db.execute("SELECT version, origin FROM courses WHERE id = ?", [draft.course_id]).fetchone()
    if current and current[1] not in EDITABLE_ORIGINS:  # a draft named like a course from elsewhere
        raise StudioError(N_("Only courses made on this hub can be edited here."))
    # Take the draft out of the editors' reach first: a save or upload by another tutor while a
    # long import runs finds no draft (and says so) instead of being silently thrown away, and a
    # second click on Publish finds nothing to publish twice.
    token = secrets.token_hex(4)
    publishing = replace(draft, root=drafts_home(hub) / f".publishing-{draft.course_id}-{token}")
    try:
        draft.root.rename(publishing.root)
    except FileNotFoundError:
        raise StudioError(N_("This draft has just been published or deleted.")) from None
    package = drafts_home(hub) / f".publish-{draft.course_id}-{token}"
    try:
        save_course(publishing, {"version": (current[0] if current else 0) + 1,
                                 "what_changed": what_changed if current else ""})  # fmt: skip
        build_package(publishing.root, package, own_key(hub.home))
        result = import_package(hub.db, hub.blobs, package, origin=PUBLISH_ORIGIN, allow_unverified=True)
    except BaseException as error:
        publishing.root.rename(draft.root)  # the draft comes back as it was, for the tutor to fix
        if isinstance(error, ContentError):
            raise DraftProblem(str(error)) from None
        raise
    finally:
        shutil.rmtree(package, ignore_errors=True)
    discard(publishing)
    return result
