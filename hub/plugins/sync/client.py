"""The hub's side of syncing with its central server: enrolment, then push, pull and content.

One sync pushes this hub's changes above the centre's knowledge vector in pages, pulls the
centre's changes above ours (each page checked, then applied in one transaction), then reads
the centre's signed catalog and brings in every course this hub lacks or holds older:
manifest, missing blobs (resumable `.part` files, sha256-checked) and the import itself
through hub.library (one transaction, signature checked against the centre's trusted key);
then the pathways the catalog lists become the hub's copies of them (publications.py).
Every step can be cut and run again: nothing is applied twice, nothing half-applied.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from content.errors import ContentError
from content.package import MANIFEST, SIGNATURE, decode_manifest
from content.signing import parse_public_key
from hub import (
    follow,
    imports,
    interface_languages,
    library,
    library_choice,
    library_keep,
    progress,
    retractions,
    trust,
    updates,
)
from hub.db import transaction
from hub.home import Hub
from hub.i18n import N_
from hub.learners import LearnerError
from hub.plugins.sync import publications
from hub.plugins.sync.catalog import checked_catalog
from hub.plugins.sync.catalog import generation as catalog_generation
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from sync import feed, http, ownership, pages, share, store
from sync.device import public_key_matches
from sync.protocol import PAGE_CHANGES

CENTRAL_SETTING = "sync_central"
STATUS_SETTING = "sync_status"
CATALOG_SETTING = (
    "sync_catalog_walked"  # the ETag of the catalog last walked, and this library's generation then
)
PARTS_FOLDER = "sync-parts"  # resumable downloads; not under blobs/, whose stale parts are swept
BLOB_TRIES = 2

Report = Callable[[int, int, str], None]


class SyncFailed(LearnerError):
    """A sync or an enrolment that did not happen; the message (translatable) says why."""


NOT_ENROLLED = N_("This hub is not enrolled with a central server yet.")


def central(hub: Hub) -> dict[str, Any] | None:
    """The central server this hub is enrolled with: url, device, public_key, name, content_key."""
    value = hub.setting(CENTRAL_SETTING)
    return value if isinstance(value, dict) else None


def centre_device(hub: Hub) -> str | None:
    """The device id of the central server this hub reaches: its own if it is one; None if none."""
    if hub.setting(ROLE_SETTING) == CENTRAL_ROLE:
        return hub.device.id
    enrolled = central(hub)
    return str(enrolled["device"]) if enrolled else None


def enroll(hub: Hub, url: str, token: str, hub_name: str, transport: Any = None) -> dict[str, Any]:
    """Enrol this hub with a central server using a one-time token; trust the centre's content key."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise SyncFailed(N_("Give the central server's address, starting with http:// or https://."))
    if not token.strip():
        raise SyncFailed(N_("Give the joining code the central server's admin made for this hub."))
    try:
        answer = http.enroll(url, token, hub.device, hub_name, transport)
        centre = answer["central"]
        device, device_key, name = str(centre["device"]), str(centre["public_key"]), str(centre["name"])
        content_key = parse_public_key(str(answer["content_key"]))
    except http.SyncError as error:
        raise SyncFailed(N_("Enrolment failed: %(reason)s"), reason=str(error)) from None
    except (KeyError, TypeError, ContentError):
        raise SyncFailed(
            N_("The central server's answer could not be read; is this the right address?")
        ) from None
    if not public_key_matches(device, device_key):
        raise SyncFailed(N_("The central server's device id does not match its key; nothing was changed."))
    with transaction(hub.db):
        hub.db.execute(
            "INSERT INTO devices (id, public_key, introduced_by, added_at) VALUES (?, ?, NULL, ?)"
            " ON CONFLICT(id) DO UPDATE SET introduced_by = NULL",
            [device, device_key, library.now()],
        )
        settings = {"url": url.rstrip("/"), "device": device, "public_key": device_key, "name": name,
                    "content_key": content_key.text(), "enrolled_at": library.now()}  # fmt: skip
        hub.set_setting(CENTRAL_SETTING, settings)
        hub.set_setting(ownership.AUTHORITY_SETTING, device)
    trust.trust_key(hub.db, content_key, name)
    return settings


@dataclass
class SyncResult:
    pushed: int = 0
    pulled: int = 0
    courses: list[str] = field(default_factory=list)  # "id vN" of each course brought in
    blob_bytes: int = 0
    skipped: list[str] = field(default_factory=list)  # courses not taken, in plain words
    refused: int = 0  # changes about learners their device may not write about (sync/ownership.py)
    profiles: int = 0  # profiles of learners brought here with their cards (hub/follow.py)
    waiting: list[str] = field(default_factory=list)  # "id vN" of each update waiting for approval
    retracted: int = 0  # retractions taken in (hub/retractions.py)
    retractions_refused: list[str] = field(default_factory=list)  # why, in plain words
    languages: int = 0  # interface languages taken in or updated (hub/interface_languages.py)
    languages_refused: list[str] = field(default_factory=list)  # why, in plain words


def _check_one_hub_per_key(hub: Hub, theirs: int, mine: int, tip: str | None) -> None:
    """Stop before anything moves when the centre holds changes of this device this hub did not make."""
    if theirs > mine:
        raise http.SyncError(
            f"the central server holds changes of this hub's device up to number {theirs}, but this hub "
            f"has made {mine}: another hub uses the same device key (was an SD card copied?), or this "
            "hub's data was restored from an older backup. See docs/sync.md, 'Hubs copied from one SD card'"
        )
    try:
        if tip is not None:
            store.holds(hub.db, hub.device.id, theirs, tip)
    except store.DeviceConflict as error:
        raise http.SyncError(str(error)) from None


def _push(hub: Hub, client: http.CentralClient, centre: str, result: SyncResult, report: Report) -> None:
    with transaction(hub.db):
        store.sign_pending(hub.db, hub.device)
    vector, tip = client.knowledge()
    mine = store.knowledge(hub.db)
    _check_one_hub_per_key(hub, vector.get(hub.device.id, 0), mine.get(hub.device.id, 0), tip)
    with transaction(hub.db):  # a page whose answer was cut last time is acknowledged here
        pages.note_peer_knowledge(hub.db, centre, {d: c for d, c in vector.items() if d in mine})
    total = sum(max(0, c - vector.get(d, 0)) for d, c in mine.items())
    while True:
        page = pages.build_page(hub.db, hub.device, vector, PAGE_CHANGES)
        if not page["ranges"]:
            break
        answered, refused = client.push(page)
        if all(answered.get(w, 0) < last for w, (_, last) in page["ranges"].items()):
            raise http.SyncError("the central server did not take in the progress page")
        result.pushed += len(page["changes"]) - refused
        result.refused += refused
        vector |= answered
        with transaction(hub.db):
            pages.note_peer_knowledge(hub.db, centre, answered)
        report(result.pushed, total, "pushing progress")
        if not page["more"]:
            break


def _pull(hub: Hub, client: http.CentralClient, centre: str, result: SyncResult, report: Report) -> None:
    """Read this hub's feed at the centre: only changes that concern its learners (sync/feed.py)."""
    own = (hub.device.id, hub.device.public_key)
    while True:
        after = feed.position(hub.db, centre)
        page = client.pull(store.knowledge(hub.db), after)
        try:
            checked = feed.check(hub.db, own, centre, page, after)
            with transaction(hub.db):
                applied = feed.apply(hub.db, checked, centre, library.now())
                feed.move_position(hub.db, centre, checked.next)
            result.pulled += applied.new
            result.refused += applied.refused
        except pages.PageError as error:
            raise http.SyncError(f"a progress page from the central server was refused: {error}") from None
        report(result.pulled, 0, "pulling progress")
        if not page.get("more") or checked.next == after:
            break


def _checked_catalog(answer: dict[str, Any], content_key: str) -> dict[str, Any]:
    """The centre's signed catalog, once its signature is checked: its courses (each a dict) and,
    from a centre that publishes them, its pathways."""
    try:
        return checked_catalog(answer, [parse_public_key(content_key)])
    except (ValueError, ContentError):
        raise http.SyncError("the central server's catalog is not signed by its content key") from None


def _fetch_blob(hub: Hub, client: http.CentralClient, sha256: str, size: int, report: Report) -> int:
    part = hub.home / PARTS_FOLDER / f"{sha256}.part"
    for attempt in range(1, BLOB_TRIES + 1):
        try:
            received = client.fetch_blob(
                sha256, size, part, lambda done: report(done, size, "fetching files")
            )
            break
        except http.DamagedBlob:
            if attempt == BLOB_TRIES:
                raise
    with part.open("rb") as handle, hub.blobs.batch() as batch:
        batch.add_file(handle, sha256, size)
        batch.publish()
    part.unlink()
    return received


def _bring_course(hub: Hub, client: http.CentralClient, entry: dict[str, Any], result: SyncResult,
                  report: Report) -> None:  # fmt: skip
    raw, signature = client.manifest(entry["id"])
    if hashlib.sha256(raw).hexdigest() != entry["manifest_sha256"]:
        raise http.SyncError(f"the manifest of {entry['id']} does not match the signed catalog")
    try:
        manifest = decode_manifest(raw)
    except ContentError as error:
        raise http.SyncError(f"the manifest of {entry['id']} cannot be read: {error}") from None
    needed = library_keep.missing_bytes(hub.blobs, manifest.files())
    if refusal := library_keep.room_refusal(f"{entry['id']}", needed, imports.free_bytes(hub.home)):
        result.skipped.append(refusal)  # refused before any of it is fetched; tried again next sync
        return
    for sha256, ref in manifest.files().items():
        if not hub.blobs.has(sha256):
            result.blob_bytes += _fetch_blob(hub, client, sha256, ref.size, report)
    folder = hub.home / PARTS_FOLDER / f"package-{entry['id']}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / MANIFEST).write_bytes(raw)
    (folder / SIGNATURE).write_bytes(signature)
    try:
        imported = updates.bring_in(hub, folder, "central")
    except ContentError as error:
        result.skipped.append(f"{entry['id']}: {error}")
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if imported is None:
        result.waiting.append(f"{entry['id']} v{entry['version']}")
    else:
        result.courses.append(f"{imported.course_id} v{imported.version}")


def wanted_courses(
    hub: Hub, listed: list[dict[str, Any]], pathways: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The catalog entries this hub holds in an older version (updated whatever the choice), and those
    it lacks that its admin's choice wants (hub/library_choice.py: everything, unless she chose)."""
    held = dict(hub.db.execute("SELECT id, version FROM courses").fetchall())
    choice = library_choice.load_choice(hub)
    return [
        c
        for c in listed
        if held.get(c["id"], 0) < int(c["version"])
        and (c["id"] in held or choice.wants(c, pathways or []))
        and not updates.not_wanted(hub.db, c["id"], int(c["version"]))
    ]


def _walk_key(hub: Hub) -> str:
    """What a walk of an unchanged catalog depends on: this library, and the admin's choice."""
    return f"{catalog_generation(hub.db)}/{library_choice.load_choice(hub).digest()}"


def _content(
    hub: Hub, client: http.CentralClient, content_key: str, result: SyncResult, report: Report
) -> None:
    """Bring in what the catalog lists and this hub lacks, and the pathways it publishes; nothing to
    walk when the catalog did not change since a walk that left nothing behind, and this hub's
    library did not change either."""
    walked = hub.setting(CATALOG_SETTING)
    current = isinstance(walked, dict) and walked.get("generation") == _walk_key(hub)
    answer, etag = client.catalog(walked["etag"] if current else None)  # type: ignore[index]
    if answer is None:
        return
    catalog = _checked_catalog(answer, content_key)
    if isinstance(catalog.get("retractions"), list):  # first, so a retracted course is not fetched
        documents = [d.encode() for d in catalog["retractions"] if isinstance(d, str)]
        result.retracted, result.retractions_refused = retractions.take_all(hub, documents)
    if isinstance(catalog.get("languages"), list):  # signed by the hubs that made them
        documents = [d.encode() for d in catalog["languages"] if isinstance(d, str)]
        result.languages, result.languages_refused = interface_languages.take_all(hub, documents)
    pathways = catalog.get("pathways") if isinstance(catalog.get("pathways"), list) else []
    library_choice.remember_catalog(hub, catalog["courses"], pathways, library.now())
    for entry in wanted_courses(hub, catalog["courses"], pathways):
        report(0, 0, f"bringing in {entry['id']}")
        _bring_course(hub, client, entry, result, report)
    if "pathways" in catalog:  # a centre from before pathways travelled lists none: leave them be
        try:
            with transaction(hub.db):
                publications.take_pathways(hub.db, catalog["pathways"])
                hub.set_setting(publications.TAKEN_SETTING, str(catalog.get("issued_at", "")))
        except publications.UnreadablePathways as error:
            raise http.SyncError(f"the central server's pathways cannot be read: {error}") from None
    if etag and not result.skipped:
        hub.set_setting(CATALOG_SETTING, {"etag": etag, "generation": _walk_key(hub)})


def sync_now(
    hub: Hub, report: Report, transport: Any = None, patience: http.Patience | None = None
) -> SyncResult:
    """One full sync with the central server; http.SyncError says what went wrong. `patience`: how
    long to wait out a busy centre (http.Patience's defaults when None)."""
    centre = central(hub)
    if centre is None:
        raise SyncFailed(NOT_ENROLLED)
    if _names_in_clear(hub, centre["url"]):
        raise SyncFailed(N_(
            "This hub shares named profiles, and the central server's address starts with http://: "
            "learners' names would cross the network unprotected. Enrol with its https:// address, "
            "or allow names over plain HTTP on a private network you trust (What this hub shares)."
        ))  # fmt: skip
    result = SyncResult()
    with http.CentralClient(centre["url"], hub.device, centre["public_key"], transport, patience) as client:
        _bring_learners(hub, client, centre["device"], result)
        _push(hub, client, centre["device"], result, report)
        _pull(hub, client, centre["device"], result, report)
        result.profiles = follow.make_profiles(hub.db)
        _content(hub, client, centre["content_key"], result, report)
        client.done()
    return result


def _bring_learners(hub: Hub, client: http.CentralClient, centre: str, result: SyncResult) -> None:
    """Ask the centre for the profiles learners signed in for with their cards (hub/follow.py); each
    one found is handed to this hub by the centre, and the hand-over goes out with the push."""
    for code, pin_hash in follow.pending(hub.db):
        try:
            found = client.follow(code, pin_hash)
        except http.Unreachable:
            raise
        except http.SyncError:
            continue  # refused for now (too many tries with this card): asked again at the next sync
        if found is not None:
            with transaction(hub.db):
                ownership.add_writers(hub.db, found.learner, found.writers)
            progress.take_over(hub.db, found.learner, centre, found.proof)
        follow.answered(hub.db, code, found.learner if found else None)


def _names_in_clear(hub: Hub, url: str) -> bool:
    return (
        url.startswith("http://")
        and share.policy(hub.db) == share.NAMED_PROFILES
        and not share.names_in_clear_allowed(hub.db)
    )


def pending_changes(hub: Hub) -> int:
    """Changes this hub holds that the centre has not acknowledged yet."""
    centre = central(hub)
    if centre is None:
        return 0
    acked = dict(hub.db.execute(
        "SELECT device_id, counter FROM peer_knowledge WHERE peer_id = ?", [centre["device"]]
    ).fetchall())  # fmt: skip
    return sum(max(0, c - acked.get(d, 0)) for d, c in store.knowledge(hub.db).items())


def status(hub: Hub) -> dict[str, Any]:
    value = hub.setting(STATUS_SETTING)
    return value if isinstance(value, dict) else {}


def sync_and_record(hub: Hub, report: Report, transport: Any = None) -> SyncResult:
    """Sync, and keep what happened (or the error, in plain words) for the admin page."""
    previous = status(hub)
    attempt = {"last_attempt_at": library.now()}
    try:
        result = sync_now(hub, report, transport)
    except (http.SyncError, SyncFailed) as error:
        message = error.translated() if isinstance(error, SyncFailed) else str(error)
        hub.set_setting(STATUS_SETTING, previous | attempt | {
            "last_error": message, "failures": int(previous.get("failures", 0)) + 1})  # fmt: skip
        raise SyncFailed(N_("The sync did not finish: %(reason)s"), reason=message) from None
    hub.set_setting(STATUS_SETTING, previous | attempt | {
        "last_success_at": attempt["last_attempt_at"], "last_error": None, "failures": 0,
        "moved": asdict(result)})  # fmt: skip
    return result
