"""Progress pages: the change records of sync/store.py, sent over HTTP in bounded pages.

A page carries, per writer device, the counter range it covers (`first`..`last`) and the
signed change lines inside it (a range may have holes: changes about a forgotten learner
are gone everywhere). The receiver checks every line against its writer's key before
anything is stored, then applies the page in one transaction (the caller's), so a page cut
on the wire is simply sent again and a repeat changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from sync import store
from sync.device import public_key_matches, verify
from sync.merge import is_change
from sync.protocol import change_line


class PageError(Exception):
    """A page that cannot be taken in; the message says why in plain words."""


def build_page(db: Database, own: tuple[str, str], vector: dict[str, int], limit: int) -> dict[str, Any]:
    """The changes this hub holds above `vector`, at most `limit`; `more` says whether others wait.

    `own` is this hub's (device id, public key). This device's changes must be signed first.
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
        first, last = vector.get(writer, 0) + 1, held[writer]
        for logged in store.changes_above(db, vector, writer):
            if logged.signature is None:
                raise PageError(f"change {logged.counter} of device {writer} is not signed yet")
            if len(lines) >= limit:
                last, more = logged.counter - 1, True
                break
            lines.append(change_line(writer, logged.counter, logged.change, logged.signature))
        ranges[writer] = [first, last]
    keys = dict(db.execute("SELECT id, public_key FROM devices").fetchall()) | {own[0]: own[1]}
    return {"ranges": ranges, "changes": lines, "devices": {w: keys[w] for w in ranges}, "more": more}


@dataclass(frozen=True)
class CheckedPage:
    ranges: dict[str, tuple[int, int]]
    lines: list[tuple[str, int, dict[str, Any], str]]
    new_keys: dict[str, str]

    def __len__(self) -> int:
        return len(self.lines)


def check_page(db: Database, own: tuple[str, str], page: Any) -> CheckedPage:
    """Read a page and check every line's signature; raise PageError (nothing stored) if any is wrong."""
    known = dict(db.execute("SELECT id, public_key FROM devices").fetchall()) | {own[0]: own[1]}
    try:
        ranges = {str(w): (int(r[0]), int(r[1])) for w, r in page["ranges"].items()}
        offered = {str(w): str(k) for w, k in page["devices"].items()}
        raw_lines = list(page["changes"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise PageError("the page is not laid out as this hub expects") from None
    new_keys = {}
    for writer in ranges:
        key = known.get(writer) or offered.get(writer, "")
        if not public_key_matches(writer, key):
            raise PageError(f"the page gives no valid key for device {writer}")
        if writer not in known:
            new_keys[writer] = key
    lines = []
    previous: dict[str, int] = {}
    for number, line in enumerate(raw_lines, 1):
        try:
            writer, counter, change, signature = line["device"], line["counter"], line["change"], line["sig"]
            first, last = ranges[writer]
            ok = (
                isinstance(counter, int)
                and max(first - 1, previous.get(writer, 0)) < counter <= last
                and is_change(change)
                and isinstance(signature, str)
            )
        except (KeyError, TypeError):
            ok = False
        key = known.get(writer) or new_keys.get(writer, "") if ok else ""
        if not ok or not verify(key, store.signed_bytes(writer, counter, change), signature):
            raise PageError(f"change {number} of the page was altered or not signed by its device")
        previous[writer] = counter
        lines.append((writer, counter, change, signature))
    return CheckedPage(ranges, lines, new_keys)


def apply_page(db: Database, page: CheckedPage, sender: str, stamp: str) -> int:
    """Store a checked page; call in one transaction. Return how many changes were new here.

    A range that starts above what this hub holds of its writer would leave a hole: the
    whole page is refused (PageError), so the sender starts again from this hub's vector.
    """
    held = store.knowledge(db)
    for writer, (first, _) in page.ranges.items():
        if first > held.get(writer, 0) + 1:
            raise PageError(
                f"changes of device {writer} from {first} on wait for changes "
                f"{held.get(writer, 0) + 1}–{first - 1}: start again from this side's knowledge"
            )
    for writer, key in page.new_keys.items():
        db.execute(
            "INSERT INTO devices (id, public_key, introduced_by, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(id) DO NOTHING",
            [writer, key, sender, stamp],
        )
    try:
        new = sum(store.receive(db, *line) for line in page.lines)
    except store.DeviceConflict as error:
        raise PageError(str(error)) from None
    db.conn.executemany(
        "INSERT INTO knowledge (device_id, counter) VALUES (?, ?)"
        " ON CONFLICT(device_id) DO UPDATE SET counter = max(counter, excluded.counter)",
        [(writer, last) for writer, (_, last) in page.ranges.items()],
    )
    return new


def note_peer_knowledge(db: Database, peer: str, vector: dict[str, int]) -> None:
    """Remember what a peer acknowledged holding (so USB exports can leave it out)."""
    db.conn.executemany(
        "INSERT INTO peer_knowledge (peer_id, device_id, counter) VALUES (?, ?, ?)"
        " ON CONFLICT(peer_id, device_id) DO UPDATE SET counter = max(counter, excluded.counter)",
        [(peer, device, counter) for device, counter in vector.items()],
    )
