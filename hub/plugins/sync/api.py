"""The central server's side of `/api/v1/sync/`: enrolment, progress pages, the signed catalog,
manifests and blobs (with `Range` + `If-Range`). Every route but enrolment answers only a
request signed by an enrolled, unrevoked hub (central.authenticate); refusals are JSON with
a `detail` a person can read, and change nothing."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from content.package import canonical_json
from content.signing import sign
from hub import library, sign_in_limits, trust
from hub.access import ANYONE
from hub.db import transaction
from hub.home import Hub
from hub.i18n import N_
from hub.plugins.sync.central import Refused, authenticate, check_caller, enroll
from hub.plugins.sync.publications import published_pathways
from hub.settings import CENTRAL_ROLE, ROLE_SETTING
from sync import feed, ownership, pages, protocol, share, store

router = APIRouter(prefix=protocol.API, tags=["sync"])
CATALOG_FORMAT = "commons-hub-catalog"
BLOB_CHUNK = 256 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _json(request: Request, data: Any) -> Response:
    """JSON, gzip-compressed when the caller accepts it, and signed by the centre's device key for
    the signed request it answers (sync/protocol.answer_bytes)."""
    headers = {}
    nonce = request.headers.get(protocol.HEADER_NONCE)
    if nonce is not None:
        hub: Hub = request.app.state.hub
        headers[protocol.HEADER_ANSWER] = hub.device.sign(protocol.answer_bytes(nonce, data))
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers |= {"content-encoding": "gzip", "vary": "accept-encoding"}
        return Response(protocol.pack_json(data), media_type="application/json", headers=headers)
    return Response(canonical_json(data), media_type="application/json", headers=headers)


def _refusal(error: Refused) -> JSONResponse:
    return JSONResponse({"detail": error.translated()}, status_code=error.status)


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


Handler = Callable[[Request, Hub, str, bytes], Awaitable[Response]]


def _signed(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Run `handler` only for a request signed by an enrolled hub; answer refusals as JSON.
    Who asks is checked before the body is read (hub/limits.py bounds it while it is read)."""

    async def endpoint(request: Request) -> Response:
        try:
            hub = _hub(request)
            headers = dict(request.headers)
            await run_in_threadpool(check_caller, hub.db, headers)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            body = await request.body()
            device = await run_in_threadpool(authenticate, hub.db, request.method, target, body, headers)
            return await handler(request, hub, device, body)
        except Refused as error:
            return _refusal(error)

    endpoint.__doc__ = handler.__doc__
    endpoint.__name__ = handler.__name__
    return endpoint


@router.post("/enroll", dependencies=[ANYONE])
async def enroll_hub(request: Request) -> Response:
    """Enrol a hub with a one-time token: record its device key, answer with the centre's keys."""
    try:
        hub = _hub(request)
        data = _unpacked(request, await request.body())
        try:
            token, device, key, proof = (str(data[k]) for k in ("token", "device", "public_key", "proof"))
        except (KeyError, TypeError):
            raise Refused(400, N_("The enrolment request is missing the token or the hub's key.")) from None
        enrolled = await run_in_threadpool(enroll, hub.db, token, device, key, proof)
    except Refused as error:
        return _refusal(error)
    content_key = trust.ensure_own_key(hub.home, hub.db, request.app.state.hub_name)
    return _json(request, {
        "hub_name": enrolled.name,
        "central": {"device": hub.device.id, "public_key": hub.device.public_key,
                    "name": request.app.state.hub_name},
        "content_key": content_key.public.text(),
    })  # fmt: skip


def _own(hub: Hub) -> tuple[str, str]:
    return hub.device.id, hub.device.public_key


async def knowledge(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """What the centre holds: per device, the highest change counter; and the signature of the
    asking hub's highest change here, so a hub that shares its device key with another can tell."""
    vector = store.knowledge(hub.db)
    return _json(
        request, {"knowledge": vector, "tip": store.signature_of(hub.db, device, vector.get(device, 0))}
    )


def _in_clear(request: Request, hub: Hub) -> bool:
    """Whether learners' names would cross the network in clear: plain HTTP, and this centre's
    admin has not allowed names over it (a private network)."""
    return request.url.scheme != "https" and not share.names_in_clear_allowed(hub.db)


async def push(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """Take in one page of a hub's changes (checked first, applied in one transaction)."""
    data = _unpacked(request, body)
    if pages.carries_names(data) and _in_clear(request, hub):
        raise Refused(403, N_(
            "This central server takes learners' names only over HTTPS. Use its https:// address, "
            "or let its admin allow names over plain HTTP on a private network."))  # fmt: skip

    def take() -> dict[str, Any]:
        try:
            page = pages.check_page(hub.db, _own(hub), device, data)
            with transaction(hub.db):
                applied = pages.apply_page(hub.db, page, device, library.now())
                held = store.knowledge(hub.db)
                pages.note_peer_knowledge(hub.db, device, {device: held.get(device, 0)})
        except pages.PageError as error:
            raise Refused(409, N_("The progress page was refused: %(reason)s."), reason=str(error)) from None
        answered = {writer: held[writer] for writer in [*page.ranges, device] if writer in held}
        return {"knowledge": answered, "refused": applied.refused}

    return _json(request, await run_in_threadpool(take))


async def pull(request: Request, hub: Hub, device: str, body: bytes) -> Response:
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

    def page() -> dict[str, Any]:
        with transaction(hub.db):
            store.sign_pending(hub.db, hub.device)  # the centre's own changes travel signed
            pages.note_peer_knowledge(hub.db, device, vector)
        if "feed" not in data:
            return {"ranges": {}, "changes": [], "devices": {}, "vouches": {}, "more": False}
        found = feed.build(hub.db, hub.device, device, after)
        if _in_clear(request, hub):
            found["changes"] = [line for line in found["changes"] if line["change"]["kind"] != "name"]
        return found

    return _json(request, await run_in_threadpool(page))


async def follow(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """Bring a learner to the asking hub, if the PIN hash it gives (salted from her card's code,
    sync/codes.py) is the one her own hub shared: her changes go on its feed, and the answer
    carries the centre's signed hand-over, so the hub may write about her too, and the devices that
    write about her already, whose changes the hub then takes (hub/follow.py)."""
    if _in_clear(request, hub):
        raise Refused(403, N_(
            "This central server takes learners' names only over HTTPS. Use its https:// address, "
            "or let its admin allow names over plain HTTP on a private network."))  # fmt: skip
    data = _unpacked(request, body)
    code, pin_hash = (data.get(k) if isinstance(data, dict) else None for k in ("code", "pin_hash"))
    if not (isinstance(code, str) and isinstance(pin_hash, str) and len(code) < 64 and len(pin_hash) < 256):
        raise Refused(400, N_("The request must give a card's code and a PIN hash."))

    def bring() -> dict[str, Any]:
        attempt = sign_in_limits.Attempt(f"card {code}", device)
        if sign_in_limits.reserve(hub.db, attempt):
            raise Refused(429, N_("Too many wrong tries for this card. Please wait and try again."))
        matching = "SELECT learner_id FROM learner_pins WHERE code = ? AND pin_hash = ?"
        found = [row[0] for row in hub.db.execute(matching, [code, pin_hash])]
        if len(found) != 1:
            raise Refused(404, N_("No learner with this card's code and PIN has shared a profile."))
        sign_in_limits.succeeded(hub.db, attempt)
        with transaction(hub.db):
            hub.set_setting(ownership.AUTHORITY_SETTING, hub.device.id)  # the hand-overs it signs stand here
            feed.bring(hub.db, found[0], device, library.now())
        return {
            "learner": found[0],
            "writers": sorted(ownership.writers_of(hub.db, found[0])),
            "proof": ownership.handover_proof(hub.device, found[0], device),
        }

    return _json(request, await run_in_threadpool(bring))


def _published(hub: Hub) -> list[tuple[str, int, str, str, str]]:
    """The signed courses the centre hands out: id, version, manifest sha256, title, language."""
    return hub.db.execute(
        "SELECT id, version, manifest_sha256, title, language FROM courses"
        " WHERE package_manifest IS NOT NULL AND signature IS NOT NULL AND signer_key IS NOT NULL ORDER BY id"
    ).fetchall()


async def catalog(request: Request, hub: Hub, device: str, body: bytes) -> Response:
    """The centre's courses, signed with its content key so a hub can trust the list itself."""
    key = trust.ensure_own_key(hub.home, hub.db, request.app.state.hub_name)
    signed = {
        "format": CATALOG_FORMAT,
        "version": 1,
        "central": hub.device.id,
        "issued_at": library.now(),
        "courses": [
            {"id": c[0], "version": c[1], "manifest_sha256": c[2], "title": c[3], "language": c[4]}
            for c in _published(hub)
        ],
        "pathways": published_pathways(hub.db),
    }
    return _json(request, {"catalog": signed, "signature": sign(canonical_json(signed), key,
                                                                 protocol.CATALOG_COMMENT)})  # fmt: skip


async def manifest(request: Request, hub: Hub, device: str, body: bytes) -> Response:
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


async def blob(request: Request, hub: Hub, device: str, body: bytes) -> Response:
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
    ("/catalog", "GET", catalog),
    ("/courses/{course_id}/manifest", "GET", manifest),
    ("/blobs/{sha256}", "GET", blob),
):
    router.add_api_route(_path, _signed(_handler), methods=[_method], dependencies=[ANYONE])
