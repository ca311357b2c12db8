"""Progress pages: the change records of sync/store.py, sent over HTTP in bounded pages.

A page carries, per writer device, the counter range it covers (`first`..`last`) and the
signed change lines inside it (a range may have holes: changes about a forgotten learner
are gone everywhere). The receiver checks every line against its writer's key before
anything is stored, then applies the page in one transaction (the caller's), so a page cut
on the wire is simply sent again and a repeat changes nothing.

A page introduces a device the receiver does not know only with the sender's vouch: the
sender's signature over the device's id and key (`vouches`). So a hub that holds a stick's
progress of a hub the centre never enrolled can pass it on, and nobody can slip in a key of
their own making. A line about a learner its device may not write about (sync/ownership.py) is
refused alone: the rest of the page is taken in. Pages are bounded in lines and devices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sized
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from sync import storage, store
from sync.device import Device, public_key_matches, verify
from sync.merge import is_change
from sync.protocol import PAGE_CHANGES, change_line

VOUCH_CONTEXT = b"commons-hub vouch v1\n"
Line = tuple[str, int, dict[str, Any], str]  # a checked change line: writer, counter, change, signature


class PageError(Exception):
    """A page that cannot be taken in; the message says why in plain words."""


def vouch_bytes(device: str, public_key: str) -> bytes:
    """What a sender signs to vouch for a device key it passes on."""
    return VOUCH_CONTEXT + f"{device}\n{public_key}".encode()


def build_page(
    db: Database, own: Device, vector: dict[str, int], limit: int, without_names: bool = False
) -> dict[str, Any]:
    """The changes this hub holds above `vector`, at most `limit`; `more` says whether others wait.

    This device's changes must be signed first. Every other device the page names (a writer,
    or the giver of a hand-over) comes with its key and this device's vouch for it, and its
    range ends on a change the page carries (check_page). `without_names` leaves learners'
    names out (a page crossing plain HTTP): holes in the ranges.
    """
    held = store.knowledge(db)
    lines: list[dict[str, Any]] = []
    ranges: dict[str, list[int]] = {}
    more = False
    for writer in sorted(held):
        if held[writer] <= vector.get(writer, 0):
            continue
        if len(lines) >= limit:
            more = True
            break
        taken, cut_at = _lines_above(db, writer, vector, limit - len(lines), without_names)
        if writer == own.id:
            last = held[writer] if cut_at is None else cut_at - 1
        elif taken:
            last = taken[-1]["counter"]
        else:
            continue  # only holes are left of this device: nothing to send
        lines.extend(taken)
        ranges[writer] = [vector.get(writer, 0) + 1, last]
        if cut_at is not None:
            more = True
            break
    named = set(ranges) | {line["change"]["from"] for line in lines if line["change"]["kind"] == "handover"}
    devices, vouches = vouched_keys(db, own, named)
    return {"ranges": ranges, "changes": lines, "devices": devices, "vouches": vouches, "more": more}


def vouched_keys(db: Database, own: Device, named: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The keys of the devices a page names, and this device's vouch for each other one."""
    keys = known_keys(db, (own.id, own.public_key), named)
    devices = {d: keys[d] for d in sorted(named) if d in keys}
    return devices, {d: own.sign(vouch_bytes(d, key)) for d, key in devices.items() if d != own.id}


def _lines_above(
    db: Database, writer: str, vector: dict[str, int], room: int, without_names: bool
) -> tuple[list[dict[str, Any]], int | None]:
    """A device's change lines above `vector`, at most `room`, and the counter they stop before if cut."""
    taken: list[dict[str, Any]] = []
    for logged in store.changes_above(db, vector, writer):
        if logged.signature is None:
            raise PageError(f"change {logged.counter} of device {writer} is not signed yet")
        if len(taken) >= room:
            return taken, logged.counter
        if without_names and logged.change["kind"] == "name":
            continue
        taken.append(change_line(writer, logged.counter, logged.change, logged.signature))
    return taken, None


@dataclass(frozen=True)
class CheckedPage:
    ranges: dict[str, tuple[int, int]]
    lines: list[Line]
    new_keys: dict[str, str]

    def __len__(self) -> int:
        return len(self.lines)


def _read(page: Any) -> tuple[dict[str, tuple[int, int]], dict[str, str], dict[str, str], list[Any]]:
    """The page's ranges, offered keys, vouches and lines, bounded; PageError if it is not a page."""
    try:
        ranges = {str(w): (r[0], r[1]) for w, r in page["ranges"].items()}
        offered, vouches = offers(page)
        raw_lines = list(page["changes"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise PageError("the page is not laid out as this hub expects") from None
    check_bounds(raw_lines, ranges, offered, vouches)
    if not all(is_count(c) for r in ranges.values() for c in r):
        raise PageError("the page gives a range of changes that is not a pair of whole numbers")
    return ranges, offered, vouches, raw_lines


def offers(page: Any) -> tuple[dict[str, str], dict[str, str]]:
    """A page's offered device keys and the sender's vouches for them (KeyError, TypeError,
    AttributeError or ValueError when the page is not laid out so: the caller says it in words)."""
    offered = {str(w): str(k) for w, k in page["devices"].items()}
    vouches = {str(w): str(s) for w, s in page.get("vouches", {}).items()}
    return offered, vouches


def check_bounds(*parts: Sized) -> None:
    """A page's lines and device lists are each at most a page long; PageError otherwise."""
    if max(len(part) for part in parts) > PAGE_CHANGES:
        raise PageError(f"the page holds more than {PAGE_CHANGES} changes or devices, more than any page")


def is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def accepted_keys(
    known: dict[str, str], sender: str, offered: dict[str, str], vouches: dict[str, str]
) -> dict[str, str]:
    """The offered keys of devices the receiver does not know yet that the sender vouched for."""
    new_keys = {}
    for device, key in offered.items():
        if device in known:
            continue
        vouch = vouches.get(device, "")
        if not public_key_matches(device, key) or not verify(known[sender], vouch_bytes(device, key), vouch):
            raise PageError(
                f"the page introduces device {device} without a valid vouch of the hub that sent it"
            )
        new_keys[device] = key
    return new_keys


def known_keys(db: Database, own: tuple[str, str], wanted: Iterable[object]) -> dict[str, str]:
    """The public keys this hub knows of the `wanted` devices (a page's: at most a page of them, so
    the devices table is not read whole for every page however many hubs there are)."""
    ids = sorted({w for w in wanted if isinstance(w, str)} - {own[0]})
    rows = db.execute(f"SELECT id, public_key FROM devices WHERE id IN ({storage.marks(ids)})", ids)
    return dict(rows.fetchall()) | {own[0]: own[1]}


def page_keys(
    db: Database,
    own: tuple[str, str],
    sender: str,
    offered: dict[str, str],
    vouches: dict[str, str],
    named: Iterable[object],
) -> tuple[dict[str, str], dict[str, str]]:
    """The keys a page's lines are checked with (of the sender, the `named` devices and those it
    offers), and among them the new ones the sender vouched for; PageError for an unvouched key."""
    known = known_keys(db, own, [sender, *offered, *named])
    new_keys = accepted_keys(known, sender, offered, vouches)
    return known | new_keys, new_keys


def checked_line(
    db: Database, keys: dict[str, str], number: int, line: Any, after: int = 0, last: int = 2**53
) -> Line:
    """Change line `number` of a page, if well formed, signed by its writer (whose key is in `keys`;
    a change held already is not verified again: _held_alike) and numbered within (`after`, `last`];
    PageError otherwise."""
    try:
        writer, counter, change, signature = line["device"], line["counter"], line["change"], line["sig"]
        numbered = is_count(counter) and after < counter <= last
        ok = numbered and is_change(change) and isinstance(signature, str)
    except (KeyError, TypeError):
        ok = False
    key = keys.get(writer, "") if ok else ""
    if not ok or not (
        _held_alike(db, writer, counter, signature)
        or verify(key, store.signed_bytes(writer, counter, change), signature)
    ):
        raise PageError(f"change {number} of the page was altered or not signed by its device")
    return writer, counter, change, signature


def check_page(db: Database, own: tuple[str, str], sender: str, page: Any) -> CheckedPage:
    """Read a page `sender` sent and check every line's signature; raise PageError (nothing stored)
    if anything is wrong. `sender` must be a device this hub knows."""
    ranges, offered, vouches, raw_lines = _read(page)
    keys, new_keys = page_keys(db, own, sender, offered, vouches, ranges)
    for writer in ranges:
        if writer not in keys:
            raise PageError(f"the page gives no valid key for device {writer}")
    lines = []
    previous: dict[str, int] = {}
    for number, line in enumerate(raw_lines, 1):
        writer = line.get("device") if isinstance(line, dict) else None
        first, last = ranges.get(writer, (1, 0)) if isinstance(writer, str) else (1, 0)
        checked = checked_line(db, keys, number, line, max(first - 1, previous.get(writer, 0)), last)
        previous[checked[0]] = checked[1]
        lines.append(checked)
    _check_range_ends(ranges, sender, {(line[0], line[1]) for line in lines})
    return CheckedPage(ranges, lines, new_keys)


def _held_alike(db: Database, writer: str, counter: int, signature: str) -> bool:
    """Whether this hub holds this very change, with this signature: it was verified when first
    taken in, and Ed25519 signatures are deterministic, so it needs no second check (a repeated
    page costs a lookup per line, not a verification). Another signature under a held number is
    another change (store.holds): PageError."""
    try:
        return (
            store.holds(db, writer, counter, signature)
            and store.signature_of(db, writer, counter) == signature
        )
    except store.DeviceConflict as error:
        raise PageError(str(error)) from None


def _check_range_ends(ranges: dict[str, tuple[int, int]], sender: str, carried: set[tuple[str, int]]) -> None:
    """A range of another device than the sender must end on a change the page carries, signed by that
    device: otherwise one hub could say it passes on another's changes up to any number, and the
    receiver would never ask for that hub's real changes again."""
    for writer, (first, last) in ranges.items():
        if last < first or (writer != sender and (writer, last) not in carried):
            raise PageError(
                f"the page says it holds changes {first}–{last} of device {writer} but does not carry "
                f"change {last}"
            )


@dataclass(frozen=True)
class Applied:
    new: int  # changes new here
    refused: int  # changes about learners their device may not write about (sync/ownership.py)


def apply_page(db: Database, page: CheckedPage, sender: str, stamp: str) -> Applied:
    """Store a checked page; call in one transaction.

    A range that starts above what this hub holds of its writer would leave a hole: the
    whole page is refused (PageError), so the sender starts again from this hub's vector.
    """
    held = store.knowledge(db, page.ranges)
    for writer, (first, _) in page.ranges.items():
        if first > held.get(writer, 0) + 1:
            raise PageError(
                f"changes of device {writer} from {first} on wait for changes "
                f"{held.get(writer, 0) + 1}–{first - 1}: start again from this side's knowledge"
            )
    introduce(db, page.new_keys, sender, stamp)
    applied = receive_lines(db, page.lines)
    storage.executemany(
        db,
        "INSERT INTO knowledge (device_id, counter) VALUES (?, ?)"
        " ON CONFLICT(device_id) DO UPDATE SET counter = greatest(knowledge.counter, excluded.counter)",
        [(writer, last) for writer, (_, last) in page.ranges.items()],
    )
    return applied


def receive_lines(db: Database, lines: list[Line], scattered: bool = False) -> Applied:
    """Merge checked lines (store.receive); PageError when a device used one number twice."""
    try:
        outcomes = [store.receive(db, *line, scattered=scattered) for line in lines]
    except store.DeviceConflict as error:
        raise PageError(str(error)) from None
    return Applied(outcomes.count(store.Received.NEW), outcomes.count(store.Received.REFUSED))


def introduce(db: Database, new_keys: dict[str, str], sender: str, stamp: str) -> None:
    """Know the devices a checked page introduced, as introduced by its sender."""
    storage.executemany(
        db,
        "INSERT INTO devices (id, public_key, introduced_by, added_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(id) DO NOTHING",
        [(device, key, sender, stamp) for device, key in new_keys.items()],
    )


def carries_names(page: Any) -> bool:
    """Whether a page (checked or not) holds learners' names."""
    lines = page.get("changes") if isinstance(page, dict) else None
    lines = lines if isinstance(lines, list) else []
    changes = [line.get("change") for line in lines if isinstance(line, dict)]
    return any(isinstance(change, dict) and change.get("kind") == "name" for change in changes)


def note_peer_knowledge(db: Database, peer: str, vector: dict[str, int]) -> None:
    """Remember what a peer acknowledged holding (so USB exports can leave it out)."""
    storage.executemany(
        db,
        "INSERT INTO peer_knowledge (peer_id, device_id, counter) VALUES (?, ?, ?)"
        " ON CONFLICT(peer_id, device_id)"
        " DO UPDATE SET counter = greatest(peer_knowledge.counter, excluded.counter)",
        [(peer, device, counter) for device, counter in vector.items()],
    )
