"""Scoped pulls: what the centre sends a hub is only what concerns it, read from the hub's feed.

A hub does not need other hubs' progress (under the default sharing it is pseudonymous and can
never be about its own learners), and receiving it cost every hub the whole network's log. So
the centre keeps, per hub, a feed: the changes, written by *other* devices, about a learner the
hub writes about (sync/ownership.py: her own hub, and hubs she was handed to) or was brought to
(`bring`: she signed in there with her card). A row is added when such a change is taken in,
and when a learner is brought to a hub, once for every change about her the centre holds. A hub
asks for its feed above the position it reached, so a pull costs what concerns it, whatever the
size of the network.

Lines from a feed are merged like any change (signature checked, ownership checked), but they do
not move the receiver's knowledge vector: that vector says which devices' streams a hub holds
from their start, and a feed gives only scattered lines of them. So nothing the hub passes on
by stick claims to carry more of another device's stream than it does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from sync import pages
from sync.device import Device
from sync.protocol import PAGE_CHANGES, change_line


def bring(db: Database, learner: str, device: str, stamp: str) -> int:
    """Bring a learner to a hub (she signed in there): every change about her the hub does not hold
    from its own writing goes on its feed, and later ones follow. Return how many were put on it.
    Call in a transaction."""
    added = db.execute(
        "INSERT INTO learner_followers (learner_id, device_id, brought_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [learner, device, stamp],
    )
    if added.rowcount == 0:
        return 0
    return db.execute(
        "INSERT INTO feed (device_id, writer, counter) SELECT ?, device_id, counter FROM changes"
        " WHERE learner_id = ? AND device_id != ? ORDER BY device_id, counter",
        [device, learner, device],
    ).rowcount


def build(db: Database, own: Device, hub: str, after: int, limit: int = PAGE_CHANGES) -> dict[str, Any]:
    """One page of `hub`'s feed above position `after`: signed change lines, the keys of their
    writers with this device's vouch, the position reached (`next`) and whether more wait."""
    rows = db.execute(
        "SELECT f.seq, c.device_id, c.counter, c.body, c.signature FROM feed f"
        " LEFT JOIN changes c ON c.device_id = f.writer AND c.counter = f.counter"
        " WHERE f.device_id = ? AND f.seq > ? ORDER BY f.seq LIMIT ?",
        [hub, after, limit + 1],
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    lines = [  # a change deleted since (a forgotten learner's) leaves its row empty: skipped
        change_line(writer, counter, json.loads(body), signature)
        for _, writer, counter, body, signature in rows
        if writer is not None and signature is not None
    ]
    devices, vouches = pages.vouched_keys(db, own, {line["device"] for line in lines} - {hub})
    return {
        "changes": lines,
        "devices": devices,
        "vouches": vouches,
        "next": rows[-1][0] if rows else after,
        "more": more,
    }


@dataclass(frozen=True)
class CheckedFeed:
    lines: list[pages.Line]
    new_keys: dict[str, str]
    next: int


def check(db: Database, own: tuple[str, str], sender: str, page: Any, after: int) -> CheckedFeed:
    """Read a feed page `sender` sent and check every line's signature; PageError if anything is wrong."""
    try:
        position, raw_lines = page["next"], list(page["changes"])
        offered, vouches = pages.offers(page)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise pages.PageError("the feed page is not laid out as this hub expects") from None
    if not pages.is_count(position) or position < after:
        raise pages.PageError("the feed page goes back to a position before the one asked for")
    pages.check_bounds(raw_lines, offered, vouches)
    writers = [line.get("device") for line in raw_lines if isinstance(line, dict)]
    keys, new_keys = pages.page_keys(db, own, sender, offered, vouches, writers)
    lines = [pages.checked_line(db, keys, number, line) for number, line in enumerate(raw_lines, 1)]
    return CheckedFeed(lines, new_keys, position)


def apply(db: Database, page: CheckedFeed, sender: str, stamp: str) -> pages.Applied:
    """Merge a checked feed page (knowledge vector unmoved); call in one transaction."""
    pages.introduce(db, page.new_keys, sender, stamp)
    return pages.receive_lines(db, page.lines, scattered=True)


POSITION_SETTING = "sync_feed_position"


def position(db: Database, centre: str) -> int:
    """How far this hub read its feed at `centre`."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [POSITION_SETTING]).fetchone()
    held = json.loads(row[0]) if row else {}
    return int(held.get(centre, 0)) if isinstance(held, dict) else 0


def move_position(db: Database, centre: str, reached: int) -> None:
    """Remember how far this hub read its feed at `centre`; call in the transaction that applied it."""
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, json_object(?, ?))"
        " ON CONFLICT(key) DO UPDATE SET value = json_set(value, '$.' || json_quote(?), ?)",
        [POSITION_SETTING, centre, reached, centre, reached],
    )
