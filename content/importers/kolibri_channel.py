"""Reading a Kolibri channel database (`content/databases/<channel id>.sqlite3`) with plain sqlite3.

A channel database is what Kolibri Studio publishes and Kolibri copies onto a drive; its
files sit beside it in `content/storage/<c0>/<c1>/<md5>.<extension>`, named by their MD5.
The schema is Kolibri's export schema (versions 1 to 5; Kolibri 0.19 writes 5). A database
that names another schema version, lacks a table or column read here, is not SQLite, or is
cut short is refused whole, in words; nothing is read from it past that check.

The database is opened read-only and `immutable` (a USB drive may be read-only, and no -wal or
-shm file is ever left beside it). Every file name the database gives is checked to be a plain
MD5 and a short extension before it becomes a path, so a forged row cannot point outside storage.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from content.errors import ContentError

SCHEMA_VERSIONS = ("1", "2", "3", "4", "5")  # Kolibri's exported content schemas this hub reads
MAX_NODES = 50_000
SQLITE_HEADER = b"SQLite format 3\x00"
_CHECKSUM = re.compile(r"^[0-9a-f]{32}$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")
_COLUMNS = {
    "content_channelmetadata": ("id", "name", "description", "author", "version", "min_schema_version",
                                "root_id"),
    "content_contentnode": ("id", "parent_id", "title", "kind", "description", "sort_order", "lft",
                            "license_name", "license_owner", "author", "lang_id", "coach_content"),
    "content_file": ("contentnode_id", "local_file_id", "preset", "supplementary", "lang_id", "priority"),
    "content_localfile": ("id", "extension", "file_size"),
    "content_language": ("id", "lang_code", "lang_subcode", "lang_name"),
    "content_assessmentmetadata": ("contentnode_id", "assessment_item_ids", "mastery_model"),
}  # fmt: skip


@dataclass(frozen=True)
class ChannelFile:
    checksum: str
    extension: str
    preset: str
    language: str | None  # the content_language id
    size: int

    def path(self, storage: Path) -> Path:
        """Where Kolibri keeps it: storage/<c0>/<c1>/<md5>.<ext> (both parts checked when read)."""
        return storage / self.checksum[0] / self.checksum[1] / f"{self.checksum}.{self.extension}"


@dataclass
class Node:
    id: str
    title: str
    kind: str
    description: str
    license: str
    license_owner: str
    author: str
    language: str | None
    coach_only: bool
    files: list[ChannelFile] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    seconds: int = 0  # how long a video or sound lasts (schema 5's duration; 0 when not known)
    mastery: str = ""  # an exercise's mastery model (JSON), from content_assessmentmetadata
    item_ids: str = ""  # ... and its questions' ids (JSON list), in order


@dataclass
class Language:
    code: str  # BCP-47, from lang_code and lang_subcode
    name: str


@dataclass
class Channel:
    id: str
    name: str
    description: str
    author: str
    version: int
    schema: str
    root: Node
    languages: dict[str, Language]
    database: Path
    storage: Path
    nodes: int = 0


def _refuse(database: Path, why: str) -> ContentError:
    return ContentError(f"{database.name} is not a Kolibri channel database this hub can read: {why}")


def _connect(database: Path) -> sqlite3.Connection:
    with database.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise _refuse(database, "it is not an SQLite database (damaged, or another kind of file)")
        header = SQLITE_HEADER + handle.read(100 - len(SQLITE_HEADER))
    # The header's own page count, valid when its "version valid for" matches the change counter.
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if header[92:96] == header[24:28] and database.stat().st_size < page_size * pages:
        raise _refuse(database, "the file is cut short (was its copy interrupted? copy it again)")
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        problem = connection.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise _refuse(database, f"the database is damaged ({problem[:200]}); copy it again")
    except sqlite3.DatabaseError as error:
        connection.close()
        raise _refuse(database, f"the database is damaged ({error}); copy it again") from None
    except ContentError:
        connection.close()
        raise
    return connection


def _check_schema(connection: sqlite3.Connection, database: Path) -> None:
    for table, wanted in _COLUMNS.items():
        have = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if not have:
            raise _refuse(database, f"it has no {table} table (is it from another program?)")
        if missing := [name for name in wanted if name not in have]:
            raise _refuse(database, f"its {table} table has no {', '.join(missing)} column")


def _text(value: object, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _languages(connection: sqlite3.Connection) -> dict[str, Language]:
    found = {}
    for lang_id, code, subcode, name in connection.execute(
        "SELECT id, lang_code, lang_subcode, lang_name FROM content_language"
    ):
        bcp47 = f"{code}-{subcode}" if subcode else str(code or "")
        found[str(lang_id)] = Language(bcp47, _text(name, 80) or bcp47)
    return found


def _files(connection: sqlite3.Connection, database: Path) -> dict[str, list[ChannelFile]]:
    by_node: dict[str, list[ChannelFile]] = {}
    rows = connection.execute(
        "SELECT f.contentnode_id, l.id, l.extension, f.preset, f.lang_id, coalesce(l.file_size, 0)"
        " FROM content_file f JOIN content_localfile l ON l.id = f.local_file_id"
        " ORDER BY f.contentnode_id, coalesce(f.priority, 0), f.preset"
    )
    for node_id, checksum, extension, preset, lang, size in rows:
        if not (isinstance(checksum, str) and _CHECKSUM.match(checksum)) or not (
            isinstance(extension, str) and _EXTENSION.match(extension)
        ):
            raise _refuse(
                database,
                f"it names a file {str(checksum)[:40]!r}.{str(extension)[:40]!r} that is not a Kolibri "
                "storage name (an MD5 and a short extension); the database may have been tampered with",
            )
        by_node.setdefault(str(node_id), []).append(
            ChannelFile(checksum, extension, str(preset or ""), lang, int(size or 0))
        )
    return by_node


def read_channel(database: Path, storage: Path) -> Channel:
    """The channel in `database`, its tree of nodes in Kolibri's order; ContentError when unreadable."""
    connection = _connect(database)
    try:
        return _read(connection, database, storage)
    except sqlite3.DatabaseError as error:
        raise _refuse(database, f"the database is damaged ({error}); copy it again") from None
    except (ValueError, TypeError) as error:  # a number column holding words: a forged or broken row
        raise _refuse(database, f"a value in it is not what Kolibri writes ({error})") from None
    finally:
        connection.close()


def _read(connection: sqlite3.Connection, database: Path, storage: Path) -> Channel:
    _check_schema(connection, database)
    rows = connection.execute(
        "SELECT id, name, description, author, version, min_schema_version, root_id"
        " FROM content_channelmetadata"
    ).fetchall()
    if len(rows) != 1:
        raise _refuse(database, f"it should describe one channel and describes {len(rows)}")
    channel_id, name, description, author, version, schema, root_id = rows[0]
    if str(schema) not in SCHEMA_VERSIONS:
        raise _refuse(
            database,
            f"it was made for Kolibri content schema {str(schema)[:20]!r}, and this hub reads schema "
            f"versions {SCHEMA_VERSIONS[0]} to {SCHEMA_VERSIONS[-1]} (a newer Kolibri may have made it)",
        )
    if not (isinstance(channel_id, str) and _CHECKSUM.match(channel_id)):
        raise _refuse(database, "its channel id is not a Kolibri channel id")
    count = connection.execute("SELECT count(*) FROM content_contentnode").fetchone()[0]
    if count > MAX_NODES:
        raise _refuse(database, f"it holds {count} items; one import takes at most {MAX_NODES}")
    files = _files(connection, database)
    assessments = {
        str(node_id): (str(items or ""), str(mastery or ""))
        for node_id, items, mastery in connection.execute(
            "SELECT contentnode_id, assessment_item_ids, mastery_model FROM content_assessmentmetadata"
        )
    }
    nodes: dict[str, Node] = {}
    parents: dict[str, str | None] = {}
    order: dict[str, tuple[float, int]] = {}
    node_columns = {row[1] for row in connection.execute("PRAGMA table_info(content_contentnode)")}
    duration = "duration" if "duration" in node_columns else "0"  # not in schemas before 5
    for row in connection.execute(
        "SELECT id, parent_id, title, kind, description, sort_order, lft, license_name, license_owner,"
        f" author, lang_id, coach_content, {duration} FROM content_contentnode"
    ):
        node_id = str(row[0])
        items, mastery = assessments.get(node_id, ("", ""))
        nodes[node_id] = Node(
            id=node_id, title=_text(row[2], 200) or "Untitled", kind=str(row[3] or ""),
            description=str(row[4] or "")[:2000], license=_text(row[7], 100),
            license_owner=_text(row[8], 200), author=_text(row[9], 200), language=row[10],
            coach_only=bool(row[11]), seconds=max(int(row[12] or 0), 0),
            files=files.get(node_id, []), mastery=mastery, item_ids=items,
        )  # fmt: skip
        parents[node_id] = None if row[1] is None else str(row[1])
        order[node_id] = (float(row[5] or 0), int(row[6] or 0))
    root = nodes.get(str(root_id))
    if root is None:
        raise _refuse(database, "its channel's top item is missing")
    for node_id in sorted(nodes, key=lambda n: order[n]):
        parent = parents[node_id]
        if parent is not None and parent in nodes and node_id != root.id:
            nodes[parent].children.append(nodes[node_id])
    # Only what hangs below the root counts, each node once (a forged parent loop is never reached).
    reached, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node.id in reached:
            raise _refuse(database, "its items do not form a tree")
        reached.add(node.id)
        stack.extend(node.children)
    return Channel(
        id=channel_id, name=_text(name, 200) or channel_id, description=str(description or "")[:2000],
        author=_text(author, 200), version=max(int(version or 1), 1), schema=str(schema), root=root,
        languages=_languages(connection), database=database, storage=storage, nodes=len(reached),
    )  # fmt: skip
