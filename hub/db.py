"""SQLite, the hub's source of truth: connections in WAL mode and numbered migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from hub import names
from sync.codes import learner_code
from sync.storage import PgDatabase, SyncDatabase


def _counted(table: str, setting: str) -> str:
    """Triggers that move the counter `setting` at every insert, update and delete of `table`."""
    return "".join(
        f"""
    CREATE TRIGGER {table}_{event.lower()}_counted AFTER {event} ON {table} BEGIN
        INSERT INTO settings (key, value) VALUES ('{setting}', '1')
        ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
    END;"""
        for event in ("INSERT", "UPDATE", "DELETE")
    )


# Each entry is one migration; its number is its position + 1 (kept in PRAGMA user_version).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE courses (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        language TEXT NOT NULL,
        topics TEXT NOT NULL,
        publisher TEXT NOT NULL,
        cover_sha256 TEXT,
        lesson_count INTEGER NOT NULL,
        manifest TEXT NOT NULL,
        manifest_sha256 TEXT NOT NULL,
        origin TEXT NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE lessons (
        course_id TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        position INTEGER NOT NULL,
        title TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (course_id, id)
    );
    CREATE TABLE files (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        name TEXT NOT NULL
    );
    CREATE TABLE learners (
        id TEXT PRIMARY KEY,
        name TEXT,
        name_key TEXT UNIQUE,
        pin_hash TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE progress (
        learner_id TEXT NOT NULL,
        course_id TEXT NOT NULL,
        lesson_id TEXT NOT NULL,
        progress REAL NOT NULL,
        completed_at TEXT,
        last_opened_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, course_id, lesson_id)
    );
    CREATE INDEX progress_recent ON progress (learner_id, last_opened_at);
    CREATE TABLE quiz_attempts (
        id TEXT PRIMARY KEY,
        learner_id TEXT NOT NULL,
        course_id TEXT NOT NULL,
        lesson_id TEXT NOT NULL,
        score INTEGER NOT NULL,
        total INTEGER NOT NULL,
        passed INTEGER NOT NULL,
        answers TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX quiz_attempts_learner ON quiz_attempts (learner_id, course_id, lesson_id);
    """,
    # 2: roles (learner, tutor, admin), disabled accounts, session expiry, sign-in lockout.
    """
    ALTER TABLE learners ADD COLUMN role TEXT NOT NULL DEFAULT 'learner';
    ALTER TABLE learners ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE learners ADD COLUMN last_active_at TEXT;
    ALTER TABLE sessions ADD COLUMN expires_at TEXT;
    CREATE TABLE sign_in_failures (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        locked_until TEXT
    );
    """,
    # 3: background jobs (see hub/jobs.py).
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        params TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        result TEXT,
        owner TEXT,
        created_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX jobs_state ON jobs (state, id);
    """,
    # 4: learning pathways: ordered series of published courses (see hub/pathways.py).
    """
    CREATE TABLE pathways (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE pathway_courses (
        pathway_id INTEGER NOT NULL REFERENCES pathways(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        course_id TEXT NOT NULL,
        PRIMARY KEY (pathway_id, course_id)
    );
    """,
    # 5: progress that merges everywhere (sync/merge.py): time spent per device, forgotten learners
    # (tombstones), this hub's change log with the knowledge vector, peers' devices and acks.
    """
    CREATE TABLE progress_time (
        learner_id TEXT NOT NULL,
        course_id TEXT NOT NULL,
        lesson_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        seconds INTEGER NOT NULL,
        PRIMARY KEY (learner_id, course_id, lesson_id, device_id)
    );
    CREATE TABLE forgotten_learners (learner_id TEXT PRIMARY KEY);
    CREATE TABLE changes (
        device_id TEXT NOT NULL,
        counter INTEGER NOT NULL,
        learner_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        signature TEXT,
        PRIMARY KEY (device_id, counter)
    );
    CREATE INDEX changes_learner ON changes (learner_id);
    CREATE TABLE knowledge (device_id TEXT PRIMARY KEY, counter INTEGER NOT NULL);
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        introduced_by TEXT,
        added_at TEXT NOT NULL
    );
    CREATE TABLE peer_knowledge (
        peer_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        counter INTEGER NOT NULL,
        PRIMARY KEY (peer_id, device_id)
    );
    """,
    # 6: verified sources (see hub/trust.py): the keys this hub trusts, and for each course the exact
    # manifest bytes and signature it came with (so an export keeps them) and who signed it.
    # signer_key is the public key the signature was checked against (NULL: not checked, the key
    # was unknown). Any change to the trusted keys changes the library generation, so cached
    # course lists and their "verified" marks follow at once.
    """
    CREATE TABLE trusted_keys (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    ALTER TABLE courses ADD COLUMN package_manifest BLOB;
    ALTER TABLE courses ADD COLUMN signature TEXT;
    ALTER TABLE courses ADD COLUMN signer_key_id TEXT;
    ALTER TABLE courses ADD COLUMN signer_key TEXT;
    CREATE TRIGGER trusted_keys_added AFTER INSERT ON trusted_keys BEGIN
        INSERT INTO settings (key, value) VALUES ('library_generation', '1')
        ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
    END;
    CREATE TRIGGER trusted_keys_changed AFTER UPDATE ON trusted_keys BEGIN
        INSERT INTO settings (key, value) VALUES ('library_generation', '1')
        ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
    END;
    CREATE TRIGGER trusted_keys_removed AFTER DELETE ON trusted_keys BEGIN
        INSERT INTO settings (key, value) VALUES ('library_generation', '1')
        ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
    END;
    """,
    # 7: courses carried on USB sticks (sync/bundle.py): per peer hub, the version of each course it
    # acknowledged holding, so an export carries only what the stick's destinations may lack.
    """
    CREATE TABLE peer_catalog (
        peer_id TEXT NOT NULL,
        course_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (peer_id, course_id)
    );
    """,
    # 8: HTTP sync (hub/plugins/sync): on a central server, one-time enrolment tokens (hashed), the hubs
    # enrolled (device id = key fingerprint, revocable) and the request nonces seen lately (replays).
    """
    CREATE TABLE sync_tokens (
        token_hash TEXT PRIMARY KEY,
        hub_name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        used_by TEXT
    );
    CREATE TABLE sync_hubs (
        device_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        name TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        revoked_at TEXT,
        last_seen_at TEXT
    );
    CREATE TABLE sync_nonces (
        device_id TEXT NOT NULL,
        nonce TEXT NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (device_id, nonce)
    );
    """,
    # 9: learners' names as hubs that share named profiles sent them (sync/share.py): the latest naming
    # per learner id, merged like the rest of progress and deleted with a forgotten learner.
    """
    CREATE TABLE learner_names (
        learner_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        named_at TEXT NOT NULL
    );
    """,
    # 10: who may write about a learner (sync/ownership.py): the device first heard of her from, and the
    # devices it handed her to. A hub upgraded with changes already held takes their first writers.
    """
    CREATE TABLE learner_writers (
        learner_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        PRIMARY KEY (learner_id, device_id)
    );
    INSERT OR IGNORE INTO learner_writers (learner_id, device_id)
        SELECT learner_id, device_id FROM changes c
        WHERE c.rowid = (SELECT min(rowid) FROM changes f WHERE f.learner_id = c.learner_id);
    CREATE INDEX changes_handovers ON changes (kind) WHERE kind = 'handover';
    """,
    # 11: names stored in NFC with NFKC-casefolded keys (hub/names.py). A name whose new key another
    # name already has (NFC/NFD twins made before) keeps its old key rather than stop the upgrade.
    """
    UPDATE OR IGNORE learners SET name = hub_clean_name(name), name_key = hub_name_key(name)
        WHERE name IS NOT NULL;
    """,
    # 12: sign-in limits per account from an address, per account, per address and per known device
    # (hub/sign_in_limits.py), instead of per name and per address; the devices each account signed
    # in on. Locks held before the upgrade are dropped.
    """
    DROP TABLE sign_in_failures;
    CREATE TABLE sign_in_limits (
        scope TEXT NOT NULL CHECK (scope IN ('pair', 'account', 'address', 'device')),
        account TEXT NOT NULL,
        source TEXT NOT NULL,
        failures INTEGER NOT NULL,
        locked_until TEXT,
        last_failure_at TEXT NOT NULL,
        PRIMARY KEY (scope, account, source)
    );
    CREATE INDEX sign_in_limits_account ON sign_in_limits (account);
    CREATE INDEX sign_in_limits_quiet ON sign_in_limits (last_failure_at);
    CREATE TABLE known_devices (
        token_hash TEXT NOT NULL,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (token_hash, learner_id)
    );
    CREATE INDEX known_devices_learner ON known_devices (learner_id);
    """,
    # 13: coaching (hub/coaching): classes of this hub's learners under their tutors, assignments of a
    # course, a pathway or a class quiz to a class (or to chosen learners of it), and class quizzes:
    # questions copied from the library's quiz lessons, opened and closed by the tutor, one attempt each.
    """
    CREATE TABLE classes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        language TEXT NOT NULL,
        schedule TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        archived_at TEXT
    );
    CREATE TABLE class_tutors (
        class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
        tutor_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        PRIMARY KEY (class_id, tutor_id)
    );
    CREATE INDEX class_tutors_tutor ON class_tutors (tutor_id);
    CREATE TABLE class_learners (
        class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        PRIMARY KEY (class_id, learner_id)
    );
    CREATE INDEX class_learners_learner ON class_learners (learner_id);
    CREATE TABLE class_quizzes (
        id INTEGER PRIMARY KEY,
        class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        questions TEXT NOT NULL,
        shuffle INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        opened_at TEXT,
        closed_at TEXT
    );
    CREATE TABLE class_quiz_answers (
        quiz_id INTEGER NOT NULL REFERENCES class_quizzes(id) ON DELETE CASCADE,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        answers TEXT NOT NULL,
        score INTEGER NOT NULL,
        total INTEGER NOT NULL,
        submitted_at TEXT NOT NULL,
        PRIMARY KEY (quiz_id, learner_id)
    );
    CREATE TABLE assignments (
        id INTEGER PRIMARY KEY,
        class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('course', 'pathway', 'quiz')),
        course_id TEXT,
        pathway_id INTEGER REFERENCES pathways(id) ON DELETE CASCADE,
        quiz_id INTEGER REFERENCES class_quizzes(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        starts_on TEXT,
        due_on TEXT,
        created_at TEXT NOT NULL,
        CHECK ((kind = 'course') = (course_id IS NOT NULL)),
        CHECK ((kind = 'pathway') = (pathway_id IS NOT NULL)),
        CHECK ((kind = 'quiz') = (quiz_id IS NOT NULL)),
        CHECK (starts_on IS NULL OR due_on IS NULL OR starts_on <= due_on)
    );
    CREATE INDEX assignments_class ON assignments (class_id, position);
    CREATE TABLE assignment_learners (
        assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        PRIMARY KEY (assignment_id, learner_id)
    );
    CREATE INDEX assignment_learners_learner ON assignment_learners (learner_id);
    """,
    # 14: scoped pulls (sync/feed.py): the hubs a learner was brought to, and per hub the feed of other
    # devices' changes that concern it. A centre upgraded with changes held fills the feeds it owes.
    # peer_centres: the peers whose sticks said they reach a central server (sync/bundle.py).
    # A learner follows her card between hubs (hub/follow.py): each profile's card code (sync/codes.py),
    # the PIN hashes shared with named profiles, and the cards signed in with on a hub that lacks them.
    """
    CREATE TABLE learner_followers (
        learner_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        brought_at TEXT NOT NULL,
        PRIMARY KEY (learner_id, device_id)
    );
    CREATE TABLE feed (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        writer TEXT NOT NULL,
        counter INTEGER NOT NULL
    );
    CREATE INDEX feed_device ON feed (device_id, seq);
    CREATE TABLE peer_centres (peer_id TEXT PRIMARY KEY, centre_id TEXT NOT NULL);
    ALTER TABLE learners ADD COLUMN code TEXT;
    UPDATE learners SET code = hub_learner_code(id);
    CREATE INDEX learners_code ON learners (code);
    CREATE TABLE learner_pins (
        learner_id TEXT PRIMARY KEY,
        code TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        set_at TEXT NOT NULL
    );
    CREATE INDEX learner_pins_code ON learner_pins (code);
    CREATE TABLE follow_requests (
        code TEXT PRIMARY KEY,
        pin_hash TEXT NOT NULL,
        asked_at TEXT NOT NULL,
        last_answer TEXT
    );
    INSERT INTO feed (device_id, writer, counter)
        SELECT w.device_id, c.device_id, c.counter FROM changes c
        JOIN learner_writers w ON w.learner_id = c.learner_id AND w.device_id != c.device_id
        ORDER BY c.rowid;
    """,
    # 15: report aggregates kept at ingest (sync/tallies.py), so /tutor/hubs reads counters instead of
    # scanning every change: per learner her hub and how far she got, per hub and course how many
    # learners completed how many lessons, and best quiz scores. Filled here from what is held, so a
    # centre upgraded with progress in it reports it at once (tests/sync/test_tallies.py runs it again
    # to check the fill equals what ingest counts).
    """
    CREATE TABLE tally_learners (
        learner_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0,
        lessons_started INTEGER NOT NULL DEFAULT 0,
        lessons_completed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX tally_learners_device ON tally_learners (device_id, active);
    CREATE TABLE tally_learner_courses (
        learner_id TEXT NOT NULL,
        course_id TEXT NOT NULL,
        lessons_started INTEGER NOT NULL,
        lessons_completed INTEGER NOT NULL,
        PRIMARY KEY (learner_id, course_id)
    );
    CREATE TABLE tally_best_scores (
        learner_id TEXT NOT NULL,
        course_id TEXT NOT NULL,
        lesson_id TEXT NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (learner_id, course_id, lesson_id)
    );
    CREATE TABLE tally_hubs (
        device_id TEXT PRIMARY KEY,
        learners INTEGER NOT NULL DEFAULT 0,
        named INTEGER NOT NULL DEFAULT 0,
        lessons_completed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE tally_hub_courses (
        device_id TEXT NOT NULL,
        course_id TEXT NOT NULL,
        lessons_completed INTEGER NOT NULL,
        learners INTEGER NOT NULL,
        PRIMARY KEY (device_id, course_id, lessons_completed)
    );
    CREATE INDEX tally_hub_courses_course ON tally_hub_courses (course_id);
    CREATE TABLE tally_hub_scores (
        device_id TEXT NOT NULL,
        course_id TEXT NOT NULL,
        quizzes INTEGER NOT NULL,
        score_sum REAL NOT NULL,
        PRIMARY KEY (device_id, course_id)
    );
    INSERT INTO tally_learners (learner_id, device_id, active)
        SELECT c.learner_id, coalesce(
            (SELECT json_extract(h.body, '$.to') FROM changes h
             WHERE h.learner_id = c.learner_id AND h.kind = 'handover' ORDER BY h.rowid DESC LIMIT 1),
            min(c.device_id)), 1
        FROM changes c WHERE c.kind IN ('lesson', 'attempt') GROUP BY c.learner_id;
    INSERT INTO tally_learner_courses (learner_id, course_id, lessons_started, lessons_completed)
        SELECT p.learner_id, p.course_id, count(*), count(p.completed_at)
        FROM progress p JOIN tally_learners t ON t.learner_id = p.learner_id
        GROUP BY p.learner_id, p.course_id;
    UPDATE tally_learners SET
        lessons_started = (SELECT coalesce(sum(lessons_started), 0) FROM tally_learner_courses c
                           WHERE c.learner_id = tally_learners.learner_id),
        lessons_completed = (SELECT coalesce(sum(lessons_completed), 0) FROM tally_learner_courses c
                             WHERE c.learner_id = tally_learners.learner_id);
    INSERT INTO tally_best_scores (learner_id, course_id, lesson_id, score)
        SELECT q.learner_id, q.course_id, q.lesson_id, max(q.score * 1.0 / q.total)
        FROM quiz_attempts q JOIN tally_learners t ON t.learner_id = q.learner_id
        WHERE q.total > 0 GROUP BY q.learner_id, q.course_id, q.lesson_id;
    INSERT INTO tally_hubs (device_id, learners, named, lessons_completed)
        SELECT device_id, sum(active),
               sum(active AND EXISTS (SELECT 1 FROM learner_names n WHERE n.learner_id = t.learner_id)),
               sum(lessons_completed)
        FROM tally_learners t GROUP BY device_id;
    INSERT INTO tally_hub_courses (device_id, course_id, lessons_completed, learners)
        SELECT t.device_id, c.course_id, c.lessons_completed, count(*)
        FROM tally_learner_courses c JOIN tally_learners t ON t.learner_id = c.learner_id
        GROUP BY t.device_id, c.course_id, c.lessons_completed;
    INSERT INTO tally_hub_scores (device_id, course_id, quizzes, score_sum)
        SELECT t.device_id, b.course_id, count(*), sum(b.score)
        FROM tally_best_scores b JOIN tally_learners t ON t.learner_id = b.learner_id
        GROUP BY t.device_id, b.course_id;
    """,
    # 16: pathways the central server published are marked with its id for them
    # (hub/plugins/sync/publications.py); the hubs' own have none. The centre's long lists are read a
    # page at a time in name order (hub/plugins/sync/paging.py): enrolled hubs and named learners.
    # Any change of a pathway moves pathways_generation, so the signed catalog that lists them follows.
    """
    ALTER TABLE pathways ADD COLUMN central_id TEXT;
    CREATE UNIQUE INDEX pathways_central ON pathways (central_id) WHERE central_id IS NOT NULL;
    CREATE INDEX sync_hubs_order ON sync_hubs (name COLLATE NOCASE, device_id);
    CREATE INDEX learner_names_order ON learner_names (name COLLATE NOCASE, learner_id);
    """
    + _counted("pathways", "pathways_generation")
    + _counted("pathway_courses", "pathways_generation"),
    # 17: the centre forgets expired request nonces in small batches found by this index, instead of a
    # full scan of sync_nonces at every request (hub/plugins/sync/central.py, Upkeep).
    """
    CREATE INDEX sync_nonces_seen ON sync_nonces (seen_at);
    """,
    # 18: the centre's lists sort names by lower(name), which PostgreSQL shares (sync/storage.py),
    # instead of SQLite's COLLATE NOCASE; the indexes follow.
    """
    DROP INDEX sync_hubs_order;
    CREATE INDEX sync_hubs_order ON sync_hubs (lower(name), device_id);
    DROP INDEX learner_names_order;
    CREATE INDEX learner_names_order ON learner_names (lower(name), learner_id);
    """,
    # 19: keeping the library (hub/blob_refs.py, hub/library_keep.py): which course uses which blob, so a
    # removal frees only blobs no other course uses (files.users counts them, kept by triggers); each
    # course's size and the part of it other courses share, kept at import and removal (NULL: not counted
    # yet, counted from its manifest the first time it is needed), indexed in the storage view's order
    # so a page of it reads 50 index entries, not every course row past its manifest; blobs released and
    # not yet deleted from the disk (a power cut between the commit and the unlink leaves them listed
    # here); courses removed, so learners' records name them.
    """
    CREATE TABLE course_files (
        course_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (course_id, sha256)
    );
    CREATE INDEX course_files_blob ON course_files (sha256);
    ALTER TABLE files ADD COLUMN users INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE courses ADD COLUMN size_bytes INTEGER;
    ALTER TABLE courses ADD COLUMN shared_bytes INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX courses_size ON courses (size_bytes DESC, title COLLATE NOCASE, id);
    CREATE TABLE freed_blobs (sha256 TEXT PRIMARY KEY);
    CREATE TABLE removed_courses (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        language TEXT NOT NULL,
        removed_at TEXT NOT NULL
    );
    CREATE TRIGGER course_files_added AFTER INSERT ON course_files BEGIN
        UPDATE files SET users = users + 1 WHERE sha256 = NEW.sha256;
    END;
    CREATE TRIGGER course_files_dropped AFTER DELETE ON course_files BEGIN
        UPDATE files SET users = users - 1 WHERE sha256 = OLD.sha256;
    END;
    """,
    # 20: the course lifecycle (hub/retractions.py, hub/updates.py). A retraction is a signed statement
    # of a course's publisher or the centre (content/retraction.py), kept whole so it travels on;
    # version 0 retracts every version. A retracted course stays in `courses` (residents' records and the
    # notice keep its title) and is hidden wherever `retracted_courses` lists it. Updates that wait for a
    # person's approval keep their signed manifest in `pending_versions` (their blobs are in the store);
    # `course_updates` remembers when a version replaced another, for "updated since you finished it".
    """
    CREATE TABLE retractions (
        course_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        reason TEXT NOT NULL,
        signer_key_id TEXT NOT NULL,
        signed_as TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        document BLOB NOT NULL,
        PRIMARY KEY (course_id, version)
    );
    CREATE VIEW retracted_courses AS
        SELECT c.id AS course_id, c.title AS title, r.version AS version, r.reason AS reason,
               r.issued_at AS issued_at
        FROM courses c JOIN retractions r ON r.course_id = c.id AND r.version IN (0, c.version);
    CREATE TABLE pending_versions (
        course_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        title TEXT NOT NULL,
        what_changed TEXT NOT NULL,
        origin TEXT NOT NULL,
        manifest BLOB NOT NULL,
        signature BLOB,
        received_at TEXT NOT NULL,
        declined_at TEXT,
        PRIMARY KEY (course_id, version)
    );
    CREATE TABLE course_updates (
        course_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        replaced_version INTEGER NOT NULL,
        applied_at TEXT NOT NULL,
        PRIMARY KEY (course_id, version)
    );
    """
    + _counted("retractions", "library_generation"),
    # 21: what "Keep this course" made (hub/keep/): a booklet or ZIM file per course, pathway or the
    # whole library, kept as a blob while what it was made from (its fingerprint) is unchanged.
    # `left_out` lists, in plain words, the media too big or missing to go in.
    """
    CREATE TABLE keepsakes (
        scope TEXT NOT NULL,
        format TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        left_out TEXT NOT NULL DEFAULT '[]',
        made_at TEXT NOT NULL,
        PRIMARY KEY (scope, format)
    );
    """,
    # 22: interface languages an admin added (hub/interface_languages.py): the .po as the hub keeps it,
    # and the signed document that carries it to other hubs. The counter tells a running hub to
    # reload them.
    """
    CREATE TABLE interface_languages (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        fallback TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        po BLOB NOT NULL,
        translated INTEGER NOT NULL,
        total INTEGER NOT NULL,
        issued_at TEXT NOT NULL,
        signer_key_id TEXT NOT NULL,
        document BLOB NOT NULL
    );
    """
    + _counted("interface_languages", "interface_languages_generation"),
    # 23: speech per lesson version (hub/plugins/voice): the hub's own, made offline for each part of a
    # lesson (its text, each quiz question, each explanation), or a tutor's recording of the text.
    # A speech row is a user of its blob, as course_files rows are (files.users); its last user gone,
    # the blob is released for hub/library_keep.py to delete. A course's speech goes with the course.
    # simple_mode: the residents with a profile who switched simple mode on (guests keep a cookie).
    """
    CREATE TABLE lesson_speech (
        course_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        lesson_id TEXT NOT NULL,
        part TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('made', 'person')),
        sha256 TEXT NOT NULL,
        words INTEGER NOT NULL,
        cut INTEGER NOT NULL DEFAULT 0,
        seconds REAL NOT NULL,
        speech_key TEXT,
        made_at TEXT NOT NULL,
        PRIMARY KEY (course_id, version, lesson_id, part, source)
    );
    CREATE INDEX lesson_speech_key ON lesson_speech (speech_key);
    CREATE INDEX lesson_speech_blob ON lesson_speech (sha256);
    CREATE TABLE speech_courses (
        course_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        made_at TEXT NOT NULL,
        PRIMARY KEY (course_id, version)
    );
    CREATE TRIGGER lesson_speech_added AFTER INSERT ON lesson_speech BEGIN
        UPDATE files SET users = users + 1 WHERE sha256 = NEW.sha256;
    END;
    CREATE TRIGGER lesson_speech_dropped AFTER DELETE ON lesson_speech BEGIN
        UPDATE files SET users = users - 1 WHERE sha256 = OLD.sha256;
        INSERT OR IGNORE INTO freed_blobs (sha256)
            SELECT sha256 FROM files WHERE sha256 = OLD.sha256 AND users <= 0;
        DELETE FROM files WHERE sha256 = OLD.sha256 AND users <= 0;
    END;
    CREATE TRIGGER course_speech_dropped AFTER DELETE ON courses BEGIN
        DELETE FROM lesson_speech WHERE course_id = OLD.id;
        DELETE FROM speech_courses WHERE course_id = OLD.id;
    END;
    CREATE TABLE simple_mode (
        learner_id TEXT PRIMARY KEY REFERENCES learners(id) ON DELETE CASCADE
    );
    """,
    # 24: background jobs (speech for the whole library) wait behind the jobs a person is waiting for
    # (a stick export, an import, a booklet): hub/jobs.py claims by (background, id).
    """
    ALTER TABLE jobs ADD COLUMN background INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX jobs_queue ON jobs (state, background, id);
    """,
    # 25: text read by OCR from the scanned pages of each PDF blob (hub/plugins/ocr): one row per PDF
    # once it was looked at (pages: JSON [[page number, text], ...], empty when every page had text).
    # A row with text changes the library generation, so search indexes the words.
    """
    CREATE TABLE pdf_ocr (
        sha256 TEXT PRIMARY KEY,
        pages TEXT NOT NULL,
        read_pages INTEGER NOT NULL,
        language TEXT NOT NULL,
        made_at TEXT NOT NULL
    );
    CREATE TRIGGER pdf_ocr_added AFTER INSERT ON pdf_ocr WHEN NEW.read_pages > 0 BEGIN
        INSERT INTO settings (key, value) VALUES ('library_generation', '1')
        ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
    END;
    CREATE TRIGGER pdf_ocr_freed AFTER DELETE ON files BEGIN
        DELETE FROM pdf_ocr WHERE sha256 = OLD.sha256;
    END;
    """,
    # 26: a pathway an import brought (a Kolibri channel: hub/pathways.py put_imported_pathway) keeps
    # the source's own key for it, so importing the channel again updates it instead of adding one.
    """
    ALTER TABLE pathways ADD COLUMN import_key TEXT;
    CREATE UNIQUE INDEX pathways_import_key ON pathways (import_key) WHERE import_key IS NOT NULL;
    """,
)


PAGE_CACHE_KIB = 1024


def connect(path: Path) -> Database:
    """Open the hub database: WAL, foreign keys on, patient with a busy writer.

    synchronous=FULL flushes the WAL at every commit, so a write the hub has acknowledged
    survives a power cut, not only a crash of the process (NORMAL may lose the last commits
    when the power goes). It costs one fsync per commit: about 0.15 ms on an SSD, a few ms on
    an SD card, which progress saves and imports do not notice.

    Every thread has its own connection and so its own page cache: PAGE_CACHE_KIB each instead of
    SQLite's 2 MB keeps a busy server's memory down; the operating system caches the file anyway.
    """
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.create_function("hub_clean_name", 1, names.clean, deterministic=True)
    conn.create_function("hub_name_key", 1, names.key, deterministic=True)
    conn.create_function("hub_learner_code", 1, learner_code, deterministic=True)
    conn.create_function("greatest", 2, _greatest, deterministic=True)  # PostgreSQL's, for sync/storage.py
    conn.create_function("least", 2, _least, deterministic=True)
    return Database(conn)


def _greatest(a: object, b: object) -> object:
    """The larger of two values, a NULL ignored (as PostgreSQL's greatest)."""
    return b if a is None else a if b is None else max(a, b)  # type: ignore[type-var]


def _least(a: object, b: object) -> object:
    return b if a is None else a if b is None else min(a, b)  # type: ignore[type-var]


def migrate(db: Database) -> int:
    """Apply the migrations not yet applied, each in its own transaction; return the version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        db.conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    return len(MIGRATIONS)


# One writer at a time in this process. Threads wait here, woken the moment the writer before
# them commits, rather than in SQLite's busy handler, which sleeps in steps of up to 100 ms:
# with 20 phones saving progress, that sleeping took the lesson page's p95 from about 80 ms to
# 650 ms. Other processes (a `hub content import` in a terminal) still meet the busy handler.
_WRITER = threading.RLock()


def writer_lock() -> threading.RLock:
    """The writer lock, for a writer that runs its own transactions (hub/group_commit.py)."""
    return _WRITER


@contextmanager
def transaction(db: SyncDatabase) -> Iterator[SyncDatabase]:
    """One write transaction: everything inside becomes visible at once, or not at all."""
    if isinstance(db, PgDatabase):  # a central server's sync tables on PostgreSQL
        with db.transaction():
            yield db
        return
    with _WRITER:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
