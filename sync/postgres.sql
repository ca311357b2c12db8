-- The sync tables of a central server on PostgreSQL (sync/storage.py): the same tables and columns
-- as hub/db.py's migrations give them in SQLite (tests/sync/test_storage.py compares the two), and
-- `courses`, a copy of the library's course list (storage.copy_courses) for the reports and sticks.
-- Applied at every start; each statement leaves what is there as it is.
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS courses (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    lesson_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    introduced_by TEXT,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    device_id TEXT NOT NULL,
    counter BIGINT NOT NULL,
    learner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    signature TEXT,
    PRIMARY KEY (device_id, counter)
);
CREATE INDEX IF NOT EXISTS changes_learner ON changes (learner_id);
CREATE INDEX IF NOT EXISTS changes_handovers ON changes (kind) WHERE kind = 'handover';
CREATE TABLE IF NOT EXISTS knowledge (device_id TEXT PRIMARY KEY, counter BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS peer_knowledge (
    peer_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    counter BIGINT NOT NULL,
    PRIMARY KEY (peer_id, device_id)
);
CREATE TABLE IF NOT EXISTS peer_catalog (
    peer_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (peer_id, course_id)
);
CREATE TABLE IF NOT EXISTS peer_centres (peer_id TEXT PRIMARY KEY, centre_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feed (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id TEXT NOT NULL,
    writer TEXT NOT NULL,
    counter BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS feed_device ON feed (device_id, seq);
CREATE TABLE IF NOT EXISTS forgotten_learners (learner_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS learner_writers (
    learner_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    PRIMARY KEY (learner_id, device_id)
);
CREATE TABLE IF NOT EXISTS learner_followers (
    learner_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    brought_at TEXT NOT NULL,
    PRIMARY KEY (learner_id, device_id)
);
CREATE TABLE IF NOT EXISTS learner_names (
    learner_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    named_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS learner_names_order ON learner_names (lower(name), learner_id);
CREATE TABLE IF NOT EXISTS learner_pins (
    learner_id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS learner_pins_code ON learner_pins (code);
CREATE TABLE IF NOT EXISTS progress (
    learner_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    progress DOUBLE PRECISION NOT NULL,
    completed_at TEXT,
    last_opened_at TEXT NOT NULL,
    PRIMARY KEY (learner_id, course_id, lesson_id)
);
CREATE TABLE IF NOT EXISTS progress_time (
    learner_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    seconds BIGINT NOT NULL,
    PRIMARY KEY (learner_id, course_id, lesson_id, device_id)
);
CREATE TABLE IF NOT EXISTS quiz_attempts (
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
CREATE INDEX IF NOT EXISTS quiz_attempts_learner ON quiz_attempts (learner_id, course_id, lesson_id);
CREATE TABLE IF NOT EXISTS sync_tokens (
    token_hash TEXT PRIMARY KEY,
    hub_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS sync_hubs (
    device_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    name TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    last_seen_at TEXT
);
CREATE INDEX IF NOT EXISTS sync_hubs_order ON sync_hubs (lower(name), device_id);
CREATE TABLE IF NOT EXISTS sync_nonces (
    device_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE INDEX IF NOT EXISTS sync_nonces_seen ON sync_nonces (seen_at);
-- Who holds a sync session now (hub/plugins/sync/pacing.py): shared by the worker processes.
CREATE TABLE IF NOT EXISTS sync_sessions (
    device_id TEXT PRIMARY KEY,
    in_flight INTEGER NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS tally_hubs (
    device_id TEXT PRIMARY KEY,
    learners INTEGER NOT NULL DEFAULT 0,
    named INTEGER NOT NULL DEFAULT 0,
    lessons_completed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tally_learners (
    learner_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    lessons_started INTEGER NOT NULL DEFAULT 0,
    lessons_completed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tally_learners_device ON tally_learners (device_id, active);
CREATE TABLE IF NOT EXISTS tally_learner_courses (
    learner_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    lessons_started INTEGER NOT NULL,
    lessons_completed INTEGER NOT NULL,
    PRIMARY KEY (learner_id, course_id)
);
CREATE TABLE IF NOT EXISTS tally_hub_courses (
    device_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    lessons_completed INTEGER NOT NULL,
    learners INTEGER NOT NULL,
    PRIMARY KEY (device_id, course_id, lessons_completed)
);
CREATE INDEX IF NOT EXISTS tally_hub_courses_course ON tally_hub_courses (course_id);
CREATE TABLE IF NOT EXISTS tally_hub_scores (
    device_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    quizzes INTEGER NOT NULL,
    score_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device_id, course_id)
);
CREATE TABLE IF NOT EXISTS tally_best_scores (
    learner_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (learner_id, course_id, lesson_id)
);
