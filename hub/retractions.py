"""Retracted courses on this hub: taking signed retractions in, and what they hide.

A retraction (content/retraction.py) is taken only when signed by a key allowed to retract that
course here: the key the course's package was signed with, while this hub still trusts it (its
publisher), or the central server's content key (this hub's own key on the centre; the key of
the centre it is enrolled with elsewhere, while trusted). Anything else is refused whole, with
a message, and nothing changes.

A retracted course is hidden, not deleted: it leaves every list, search and the catalog and
sticks, its pages show a notice with the reason instead of the lessons, and residents who had
opened it see that notice on their home page and "My learning". Keeping the rows lets the
notice name the course, keeps learners' records readable, and lets a corrected version (for a
retraction of one version) show again; an admin who wants the space back removes the course.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from content import retraction as statement
from content.retraction import Retraction, RetractionError
from content.signing import PublicKey, SecretKey, parse_public_key
from hub.db import transaction
from hub.home import Hub
from hub.library import now
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from hub.trust import own_key

PUBLISHER = "publisher"
CENTRE = "centre"
ENROLMENT_SETTING = "sync_central"  # written by hub/plugins/sync/client.py at enrolment

# Every course hidden by a retraction; use as `c.id NOT IN (SELECT course_id FROM retracted_courses)`.
HIDDEN = "SELECT course_id FROM retracted_courses"


@dataclass(frozen=True)
class Notice:
    """What a resident is told about a retracted course."""

    course_id: str
    title: str
    reason: str
    issued_at: str


def _trusted(db: Database, key: PublicKey) -> bool:
    row = db.execute(
        "SELECT 1 FROM trusted_keys WHERE key_id = ? AND public_key = ?", [key.id, key.fingerprint]
    ).fetchone()
    return row is not None


def centre_key(hub: Hub) -> PublicKey | None:
    """The key whose retractions every course here obeys: the central server's content key."""
    if hub.setting(ROLE_SETTING) == CENTRAL_ROLE:
        own = own_key(hub.home)
        return own.public if own else None
    enrolled = hub.setting(ENROLMENT_SETTING)
    if isinstance(enrolled, dict) and enrolled.get("content_key"):
        key = parse_public_key(str(enrolled["content_key"]))
        return key if _trusted(hub.db, key) else None
    return None


def allowed_keys(hub: Hub, course_id: str) -> dict[str, tuple[PublicKey, str]]:
    """Key id → (key, as whom) of each key that may retract `course_id` on this hub."""
    allowed: dict[str, tuple[PublicKey, str]] = {}
    row = hub.db.execute(
        "SELECT t.public_key FROM courses c JOIN trusted_keys t"
        " ON t.key_id = c.signer_key_id AND t.public_key = c.signer_key WHERE c.id = ?",
        [course_id],
    ).fetchone()
    if row:
        key = parse_public_key(row[0])
        allowed[key.id] = (key, PUBLISHER)
    centre = centre_key(hub)
    if centre is not None:
        allowed[centre.id] = (centre, CENTRE)
    return allowed


def take(hub: Hub, document: bytes) -> tuple[Retraction, bool]:
    """Check a retraction file and keep it; (the retraction, True when it is new here).

    Raises RetractionError (nothing changed) when it is garbled or cut short, or not signed by a
    key that may retract the course here (a course this hub does not hold has no publisher key
    here: only the centre's retraction of it is kept).
    """
    retraction = statement.read(document)
    allowed = allowed_keys(hub, retraction.course_id)
    if not allowed:
        raise RetractionError(
            f"this hub does not hold {retraction.course_id} from a publisher it trusts, and knows no "
            "central server, so it cannot check who may retract it: nothing was changed"
        )
    key = statement.check(retraction, [k for k, _ in allowed.values()])
    with transaction(hub.db):
        cursor = hub.db.execute(
            "INSERT INTO retractions (course_id, version, reason, signer_key_id, signed_as, issued_at,"
            " received_at, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [retraction.course_id, retraction.version_key, retraction.reason, key.id, allowed[key.id][1],
             retraction.issued_at, now(), retraction.document],
        )  # fmt: skip
    return retraction, cursor.rowcount > 0


def retract(
    hub: Hub, course_id: str, version: int | None, reason: str, key: SecretKey
) -> tuple[Retraction, bool]:
    """Sign a retraction with `key` and take it here (refused unless `key` may retract the course)."""
    return take(hub, statement.make(course_id, version, reason, key, now()).document)


def take_all(hub: Hub, documents: list[bytes]) -> tuple[int, list[str]]:
    """Take each retraction a catalog or a stick carries: (how many were new, why others were refused).

    One that is refused does not stop the others. A publisher's retraction of a course this hub does
    not hold is skipped quietly: there is nothing here to hide.
    """
    new, refused = 0, []
    for document in documents:
        try:
            _, fresh = take(hub, document)
            new += fresh
        except RetractionError as error:
            if hub.db.execute("SELECT 1 FROM courses WHERE id = ?", [_course_of(document)]).fetchone():
                refused.append(str(error))
    return new, refused


def _course_of(document: bytes) -> str:
    try:
        return statement.read(document).course_id
    except RetractionError:
        return ""


def documents(db: Database) -> list[bytes]:
    """Every retraction this hub holds, as they travel (in the catalog and on sticks)."""
    return [
        bytes(row[0]) for row in db.execute("SELECT document FROM retractions ORDER BY course_id, version")
    ]


def is_retracted(db: Database, course_id: str, version: int) -> bool:
    """Whether `version` of `course_id` is retracted (that version, or every version)."""
    row = db.execute(
        "SELECT 1 FROM retractions WHERE course_id = ? AND version IN (0, ?)", [course_id, version]
    ).fetchone()
    return row is not None


def notice(db: Database, course_id: str) -> Notice | None:
    """The retraction that hides `course_id` now, or None when it is shown."""
    row = db.execute(
        "SELECT course_id, title, reason, issued_at FROM retracted_courses WHERE course_id = ?"
        " ORDER BY version LIMIT 1",
        [course_id],
    ).fetchone()
    return Notice(*row) if row else None


def notices_for(db: Database, learner_id: str) -> list[Notice]:
    """The retracted courses a learner had opened, most recently opened first."""
    rows = db.execute(
        "SELECT r.course_id, r.title, r.reason, r.issued_at FROM retracted_courses r"
        " JOIN (SELECT course_id, max(last_opened_at) AS opened FROM progress WHERE learner_id = ?"
        " GROUP BY course_id) p ON p.course_id = r.course_id"
        " GROUP BY r.course_id ORDER BY p.opened DESC",
        [learner_id],
    ).fetchall()
    return [Notice(*row) for row in rows]
