"""The central server's side of `/api/v1/sync/`: enrolment, progress pages, the signed catalog,
manifests and blobs (with `Range` + `If-Range`). Every route but enrolment answers only a
request signed by an enrolled, unrevoked hub (central.authenticate); refusals are JSON with
a `detail` a person can read, and change nothing."""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from hub import library, sign_in_limits, trust
from hub.access import ANYONE
from hub.db import transaction
from hub.home import Hub
from hub.i18n import N_
from hub.plugins.sync.catalog import CatalogCache
from hub.plugins.sync.central import Refused, Upkeep, authenticate, check_caller, enroll
from hub.plugins.sync.pacing import DEFAULT_SESSIONS, SESSIONS_SETTING, Busy, Sessions, SharedSessions
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from sync import feed, ownership, pages, protocol, share, store
from sync.storage import PgDatabase

router = APIRouter(prefix=protocol.API, tags=["sync"])
BLOB_CHUNK = 256 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_STATE_LOCK = threading.Lock()


@dataclass
class CentreState:
    """What one central server keeps in memory between requests (never the source of truth)."""

    sessions: Sessions | SharedSessions
    upkeep: Upkeep = field(default_factory=Upkeep)
    catalog: CatalogCache = field(default_factory=CatalogCache)


def centre_state(request: Request) -> CentreState:
    """This app's CentreState, made by its first sync request (the session limit is read then)."""
    with _STATE_LOCK:
        state: CentreState | None = getattr(request.app.state, "sync_centre", None)
        if state is None:
            hub: Hub = request.app.state.hub
            limit = int(hub.setting(SESSIONS_SETTING) or DEFAULT_SESSIONS)  # type: ignore[call-overload]
            sync_db = hub.sync_db
            sessions: Sessions | SharedSessions = (
                SharedSessions(lambda: hub.sync_db, max(1, limit))  # type: ignore[arg-type, return-value]
                if isinstance(sync_db, PgDatabase)
                else Sessions(max(1, limit))
            )
            state = request.app.state.sync_centre = CentreState(sessions)
        return state


def _json(request: Request, data: Any) -> Response:
    """JSON, gzip-compressed when the caller accepts it, and signed by the centre's device key for
    the signed request it answers (sync/protocol.answer_bytes). Call it in a worker thread: it
    serialises, compresses and signs."""
    return _packed(request, protocol.PackedJson.of(data))


def _packed(request: Request, packed: protocol.PackedJson) -> Response:
    headers = _answer_signature(request, packed.digest)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers |= {"content-encoding": "gzip", "vary": "accept-encoding"}
        return Response(packed.gzipped, headers=headers, media_type="application/json")
    return Response(packed.canonical, headers=headers, media_type="application/json")


def _answer_signature(request: Request, digest: str) -> dict[str, str]:
    """The header signing the answer (canonical JSON of this sha256) to the signed request it answers."""
    nonce = request.headers.get(protocol.HEADER_NONCE)
    if nonce is None:
        return {}
    hub: Hub = request.app.state.hub
    return {protocol.HEADER_ANSWER: hub.device.sign(protocol.answer_bytes_of_digest(nonce, digest))}


def _refusal(error: Refused) -> JSONResponse:
    headers = {protocol.HEADER_RETRY_AFTER: str(error.retry_after)} if isinstance(error, Busy) else None
    return JSONResponse({"detail": error.translated()}, status_code=error.status, headers=headers)


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    if hub.setting(ROLE_SETTING) != CENTRAL_ROLE:
        raise Refused(404, N_("This hub is not a central server (start it with `hub serve --role central`)."))
    return hub


def _unpacked(request: Request, body: bytes) -> Any:
    try:
        return protocol.unpack_json(body, request.headers.get("content-encoding", ""))
    except protocol.BodyError as error:
        raise Refused(400, N_("The request body cannot be read: %(reason)s."), reason=str(error)) from None


# A route's work, run in a worker thread: every use of the databases (through `hub.db` and
# `hub.sync_db`, the calling thread's own connections), JSON, gzip and Ed25519 stays off the event loop.
Handler = Callable[[Request, Hub, str, bytes], Response]


def _admit(request: Request, headers: dict[str, str]) -> tuple[Sessions | SharedSessions, bool]:
    """Who asks (before the body is read) and whether a sync session is free for them: the
    sessions, and whether this request opened one. Runs in a worker thread."""
    hub = _hub(request)
    check_caller(hub.sync_db, headers)
    sessions = centre_state(request).sessions
    return sessions, sessions.enter(headers.get(protocol.HEADER_DEVICE, ""))


def _answer(
    handler: Handler, request: Request, target: str, body: bytes, headers: dict[str, str]
) -> Response:
    hub: Hub = request.app.state.hub
    device = authenticate(hub.sync_db, request.method, target, body, headers)
    centre_state(request).upkeep.after_request(hub.sync_db, device)
    return handler(request, hub, device, body)


async def _then(chunks: AsyncIterator[Any], done: Callable[[], None]) -> AsyncIterator[Any]:
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        await run_in_threadpool(done)  # shared sessions are kept in PostgreSQL: not on the event loop


def _signed(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Run `handler` only for a request signed by an enrolled hub that holds (or gets) a sync
    session; answer refusals as JSON. Who asks is checked before the body is read (hub/limits.py
    bounds it while it is read); a busy centre answers 503 + Retry-After before reading it too."""

    async def endpoint(request: Request) -> Response:
        headers = dict(request.headers)
        device = headers.get(protocol.HEADER_DEVICE, "")
        try:
            sessions, opened = await run_in_threadpool(_admit, request, headers)
        except Refused as error:
            return _refusal(error)
        authentic = False
        try:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            body = await request.body()
            response = await run_in_threadpool(_answer, handler, request, target, body, headers)
            authentic = True
        except Refused as error:
            authentic = error.status != 401
            response = _refusal(error)
        except BaseException:  # the body was too large, or the client went away
            sessions.leave(device, close=opened)
            raise
        if isinstance(response, StreamingResponse):  # the session lasts until the file is sent
            response.body_iterator = _then(response.body_iterator, lambda: sessions.leave(device))
        else:  # a forged request holds no session; a hub's sync gives its place back when done
            close = (opened and not authentic) or (authentic and handler is done)
            await run_in_threadpool(lambda: sessions.leave(device, close=close))
        return response

    endpoint.__doc__ = handler.__doc__
    endpoint.__name__ = handler.__name__
    return endpoint


@router.post("/enroll", dependencies=[ANYONE])
async def enroll_hub(request: Request) -> Response:
    """Enrol a hub with a one-time token: record its device key, answer with the centre's keys."""
    body = await request.body()
    try:
        return await run_in_threadpool(_enroll, request, body)
    except Refused as error:
        return _refusal(error)


def _enroll(request: Request, body: bytes) -> Response:
    hub = _hub(request)
    data = _unpacked(request, body)
    try:
        token, device, key, proof = (str(data[k]) for k in ("token", "device", "public_key", "proof"))
    except (KeyError, TypeError):
        raise Refused(400, N_("The enrolment request is missing the token or the hub's key.")) from None
    enrolled = enroll(hub.sync_db, token, device, key, proof)
    content_key = trust.ensure_own_key(hub.home, hub.db, request.app.state.hub_name)
    return _json(request, {
        "hub_name": enrolled.name,
        "central": {"device": hub.device.id, "public_key": hub.device.public_key,
                    "name": request.app.state.hub_name},
        "content_key": content_key.public.text(),
    })  # fmt: skip


def _own(hub: Hub) -> tuple[str, str]:
    return hub.device.id, hub.device.public_key


def done(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """The hub's sync is over: its session's place goes to the next hub at once (hub/plugins/sync/
    pacing.py), rather than after IDLE_SECONDS of quiet."""
    return _json(request, {"done": True})


def knowledge(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """What the centre holds of the devices the asking hub holds (its own, and those its last pull
    said it holds: not the whole network's vector, an entry per hub); and the signature of the
    asking hub's highest change here, so a hub that shares its device key with another can tell."""
    db = hub.sync_db
    theirs = [
        row[0] for row in db.execute("SELECT device_id FROM peer_knowledge WHERE peer_id = ?", [device])
    ]
    vector = store.knowledge(db, [device, *theirs])
    return _json(request, {"knowledge": vector, "tip": store.signature_of(db, device, vector.get(device, 0))})


def _in_clear(request: Request, hub: Hub) -> bool:
    """Whether learners' names would cross the network in clear: plain HTTP, and this centre's
    admin has not allowed names over it (a private network)."""
    return request.url.scheme != "https" and not share.names_in_clear_allowed(hub.sync_db)


def _refuse_names_in_clear(request: Request, hub: Hub) -> None:
    """Learners' names (and PIN hashes) come in only over HTTPS, unless the admin allowed plain HTTP."""
    if _in_clear(request, hub):
        raise Refused(403, N_(
            "This central server takes learners' names only over HTTPS. Use its https:// address, "
            "or let its admin allow names over plain HTTP on a private network."))  # fmt: skip


def push(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """Take in one page of a hub's changes (checked first, applied in one transaction)."""
    data = _unpacked(request, body)
    if pages.carries_names(data):
        _refuse_names_in_clear(request, hub)

    db = hub.sync_db
    try:
        page = pages.check_page(db, _own(hub), device, data)
        with transaction(db):
            applied = pages.apply_page(db, page, device, library.now())
            held = store.knowledge(db, [*page.ranges, device])
            pages.note_peer_knowledge(db, device, {device: held.get(device, 0)})
    except pages.PageError as error:
        raise Refused(409, N_("The progress page was refused: %(reason)s."), reason=str(error)) from None
    return _json(request, {"knowledge": held, "refused": applied.refused})


def pull(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """One page of the hub's feed: the changes of other devices that concern it (sync/feed.py),
    above the position it gives. The vector it sends says what it holds (its acknowledgement).
    A hub from before scoped pulls asks without a position and gets an empty page."""
    data = _unpacked(request, body)
    try:
        vector = {str(d): c for d, c in data["knowledge"].items()}
        after = data.get("feed", 0)
    except (KeyError, TypeError, AttributeError):
        vector, after = None, None
    if vector is None or not all(pages.is_count(c) for c in [after, *vector.values()]):
        raise Refused(400, N_("The request must give the hub's knowledge vector (whole numbers)."))

    db = hub.sync_db
    with transaction(db):
        store.sign_pending(db, hub.device)  # the centre's own changes travel signed
        pages.note_peer_knowledge(db, device, vector)
    if "feed" not in data:
        return _json(request, {"ranges": {}, "changes": [], "devices": {}, "vouches": {}, "more": False})
    found = feed.build(db, hub.device, device, after)
    if _in_clear(request, hub):
        found["changes"] = [line for line in found["changes"] if line["change"]["kind"] != "name"]
    return _json(request, found)


def follow(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """Bring a learner to the asking hub, if the PIN hash it gives (salted from her card's code,
    sync/codes.py) is the one her own hub shared: her changes go on its feed, and the answer
    carries the centre's signed hand-over, so the hub may write about her too, and the devices that
    write about her already, whose changes the hub then takes (hub/follow.py)."""
    _refuse_names_in_clear(request, hub)
    data = _unpacked(request, body)
    code, pin_hash = (data.get(k) if isinstance(data, dict) else None for k in ("code", "pin_hash"))
    if not (isinstance(code, str) and isinstance(pin_hash, str) and len(code) < 64 and len(pin_hash) < 256):
        raise Refused(400, N_("The request must give a card's code and a PIN hash."))
    attempt = sign_in_limits.Attempt(f"card {code}", device)
    if sign_in_limits.reserve(hub.db, attempt):
        raise Refused(429, N_("Too many wrong tries for this card. Please wait and try again."))
    matching = "SELECT learner_id FROM learner_pins WHERE code = ? AND pin_hash = ?"
    db = hub.sync_db
    found = [row[0] for row in db.execute(matching, [code, pin_hash])]
    if len(found) != 1:
        raise Refused(404, N_("No learner with this card's code and PIN has shared a profile."))
    sign_in_limits.succeeded(hub.db, attempt)
    with transaction(db):
        hub.set_setting(ownership.AUTHORITY_SETTING, hub.device.id)  # the hand-overs it signs stand here
        feed.bring(db, found[0], device, library.now())
    return _json(request, {
        "learner": found[0],
        "writers": sorted(ownership.writers_of(db, found[0])),
        "proof": ownership.handover_proof(hub.device, found[0], device),
    })  # fmt: skip


def catalog(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """The centre's courses, signed with its content key so a hub can trust the list itself; 304
    when the hub's `If-None-Match` names the current one (the answer signature still covers it)."""
    signed = centre_state(request).catalog.current(hub, request.app.state.hub_name)
    if request.headers.get("if-none-match") == signed.etag:
        digest = protocol.PackedJson.of(protocol.not_modified(signed.etag)).digest
        return Response(status_code=304, headers={"etag": signed.etag} | _answer_signature(request, digest))
    response = _packed(request, signed.answer)
    response.headers["etag"] = signed.etag
    return response


def manifest(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """A course's manifest bytes and signature, exactly as published."""
    course_id = request.path_params["course_id"]
    row = hub.db.execute(
        "SELECT package_manifest, signature FROM courses WHERE id = ? AND signature IS NOT NULL"
        " AND signer_key IS NOT NULL",
        [course_id],
    ).fetchone()
    if row is None:
        raise Refused(404, N_("The central server has no signed course %(course)s."), course=course_id)
    return _json(request, {"manifest": bytes(row[0]).decode(), "signature": row[1]})


def _byte_range(request: Request, etag: str) -> int:
    """Where to start sending: the `Range` start when `If-Range` (if any) still names this file."""
    asked = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", "").strip())
    if_range = request.headers.get("if-range")
    if asked is None or (if_range is not None and if_range != etag):
        return 0
    return int(asked[1])


def blob(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """A content file by sha256, resumable with `Range: bytes=N-` (+ `If-Range: "<sha256>"`)."""
    sha256 = request.path_params["sha256"]
    path = hub.blobs.path(sha256)
    if not _SHA256.fullmatch(sha256) or library.file_info(hub.db, sha256) is None or not path.is_file():
        raise Refused(404, N_("The central server has no file %(sha256)s."), sha256=sha256[:64])
    size, etag = path.stat().st_size, f'"{sha256}"'
    start = _byte_range(request, etag)
    if start >= size > 0:
        return Response(status_code=416, headers={"content-range": f"bytes */{size}"})

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            handle.seek(start)
            while chunk := handle.read(BLOB_CHUNK):
                yield chunk

    headers = {"etag": etag, "accept-ranges": "bytes", "content-length": str(size - start)}
    if start:
        headers["content-range"] = f"bytes {start}-{size - 1}/{size}"
    return StreamingResponse(chunks(), status_code=206 if start else 200, headers=headers,
                             media_type="application/octet-stream")  # fmt: skip


for _path, _method, _handler in (
    ("/progress/knowledge", "GET", knowledge),
    ("/progress/push", "POST", push),
    ("/progress/pull", "POST", pull),
    ("/progress/follow", "POST", follow),
    ("/done", "POST", done),
    ("/catalog", "GET", catalog),
    ("/courses/{course_id}/manifest", "GET", manifest),
    ("/blobs/{sha256}", "GET", blob),
):
    router.add_api_route(_path, _signed(_handler), methods=[_method], dependencies=[ANYONE])
