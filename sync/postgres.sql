-- The sync tables of a central server on PostgreSQL (sync/storage.py): the same tables and columns
-- as hub/db.py's migrations give them in SQLite (tests/sync/test_storage.py compares the two), and
-- `courses`, a copy of the library's course list (storage.copy_courses) for the reports and sticks.
-- Applied at every start; each statement leaves what is there as it is. Text compares byte by byte
-- (COLLATE "C"), as in SQLite, whatever the cluster's locale: the merge rules pick the larger name
-- or PIN hash, and every hub must pick the same one.
CREATE TABLE IF NOT EXISTS settings (key TEXT COLLATE "C" PRIMARY KEY, value TEXT COLLATE "C" NOT NULL);
CREATE TABLE IF NOT EXISTS courses (
    id TEXT COLLATE "C" PRIMARY KEY,
    version INTEGER NOT NULL,
    title TEXT COLLATE "C" NOT NULL,
    language TEXT COLLATE "C" NOT NULL,
    lesson_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT COLLATE "C" PRIMARY KEY,
    public_key TEXT COLLATE "C" NOT NULL,
    introduced_by TEXT COLLATE "C",
    added_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    device_id TEXT COLLATE "C" NOT NULL,
    counter BIGINT NOT NULL,
    learner_id TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    body TEXT COLLATE "C" NOT NULL,
    signature TEXT COLLATE "C",
    PRIMARY KEY (device_id, counter)
);
CREATE INDEX IF NOT EXISTS changes_learner ON changes (learner_id);
CREATE INDEX IF NOT EXISTS changes_handovers ON changes (kind) WHERE kind = 'handover';
CREATE TABLE IF NOT EXISTS knowledge (device_id TEXT COLLATE "C" PRIMARY KEY, counter BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS peer_knowledge (
    peer_id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    counter BIGINT NOT NULL,
    PRIMARY KEY (peer_id, device_id)
);
CREATE TABLE IF NOT EXISTS peer_catalog (
    peer_id TEXT COLLATE "C" NOT NULL,
    course_id TEXT COLLATE "C" NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (peer_id, course_id)
);
CREATE TABLE IF NOT EXISTS peer_centres (peer_id TEXT COLLATE "C" PRIMARY KEY, centre_id TEXT COLLATE "C" NOT NULL);
CREATE TABLE IF NOT EXISTS feed (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id TEXT COLLATE "C" NOT NULL,
    writer TEXT COLLATE "C" NOT NULL,
    counter BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS feed_device ON feed (device_id, seq);
CREATE TABLE IF NOT EXISTS forgotten_learners (learner_id TEXT COLLATE "C" PRIMARY KEY);
CREATE TABLE IF NOT EXISTS learner_writers (
    learner_id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (learner_id, device_id)
);
CREATE TABLE IF NOT EXISTS learner_followers (
    learner_id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    brought_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (learner_id, device_id)
);
CREATE TABLE IF NOT EXISTS learner_names (
    learner_id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    named_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS learner_names_order ON learner_names (lower(name), learner_id);
CREATE TABLE IF NOT EXISTS learner_pins (
    learner_id TEXT COLLATE "C" PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL,
    pin_hash TEXT COLLATE "C" NOT NULL,
    set_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS learner_pins_code ON learner_pins (code);
CREATE TABLE IF NOT EXISTS progress (
    learner_id TEXT COLLATE "C" NOT NULL,
    course_id TEXT COLLATE "C" NOT NULL,
    lesson_id TEXT COLLATE "C" NOT NULL,
    progress DOUBLE PRECISION NOT NULL,
    completed_at TEXT COLLATE "C",
    last_opened_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (learner_id, course_id, lesson_id)
);
CREATE TABLE IF NOT EXISTS progress_time (
    learner_id TEXT COLLATE "C" NOT NULL,
    course_id TEXT COLLATE "C" NOT NULL,
    lesson_id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    seconds BIGINT NOT NULL,
    PRIMARY KEY (learner_id, course_id, lesson_id, device_id)
);
CREATE TABLE IF NOT EXISTS quiz_attempts (
    id TEXT COLLATE "C" PRIMARY KEY,
    learner_id TEXT COLLATE "C" NOT NULL,
    course_id TEXT COLLATE "C" NOT NULL,
    lesson_id TEXT COLLATE "C" NOT NULL,
    score INTEGER NOT NULL,
    total INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    answers TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS quiz_attempts_learner ON quiz_attempts (learner_id, course_id, lesson_id);
CREATE TABLE IF NOT EXISTS sync_tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    hub_name TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    used_at TEXT COLLATE "C",
    used_by TEXT COLLATE "C"
);
CREATE TABLE IF NOT EXISTS sync_hubs (
    device_id TEXT COLLATE "C" PRIMARY KEY,
    public_key TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    enrolled_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C",
    last_seen_at TEXT COLLATE "C"
);
CREATE INDEX IF NOT EXISTS sync_hubs_order ON sync_hubs (lower(name), device_id);
CREATE TABLE IF NOT EXISTS sync_nonces (
    device_id TEXT COLLATE "C" NOT NULL,
    nonce TEXT COLLATE "C" NOT NULL,
    seen_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE INDEX IF NOT EXISTS sync_nonces_seen ON sync_nonces (seen_at);
-- Who holds a sync session now (hub/plugins/sync/pacing.py): shared by the worker processes.
CREATE TABLE IF NOT EXISTS sync_sessions (
    device_id TEXT COLLATE "C" PRIMARY KEY,
    in_flight INTEGER NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS tally_hubs (
    device_id TEXT COLLATE "C" PRIMARY KEY,
    learners INTEGER NOT NULL DEFAULT 0,
    named INTEGER NOT NULL DEFAULT 0,
    lessons_completed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tally_learners (
    learner_id TEXT COLLATE "C" PRIMARY KEY,
    device_id TEXT COLLATE "C" NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    lessons_started INTEGER NOT NULL DEFAULT 0,
    lessons_completed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tally_learners_device ON tally_learners (device_id, active);
CREATE TABLE IF NOT EXISTS tally_learner_courses (
    learner_id TEXT COLLATE "C" NOT NULL,
    course_id TEXT COLLATE "C" NOT NULL,
    lessons_started INTEGER NOT NULL,
    lessons_completed INTEGER NOT NULL,
    PRIMARY KEY (learner_id, course_id)
);
CREATE TABLE IF NOT EXISTS tally_hub_courses (
    device_id TEXT COLLATE "C" NOT NULL,
    course_id TEXT COLLATE "C" NOT NULL,
    lessons_completed INTEGER NOT NULL,
    learners INTEGER NOT NULL,
    PRIMARY KEY (device_id, course_id, lessons_completed)
);
CREATE INDEX IF NOT EXISTS tally_hub_courses_course ON tally_hub_courses (course_id);
CREATE TABLE IF NOT EXISTS tally_hub_scores (
    device_id TEXT COLLATE "C" NOT NULL,
    course_id TEXT COLLATE "C" NOT NULL,
    quizzes INTEGER NOT NULL,
    score_sum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device_id, course_id)
);
CREATE TABLE IF NOT EXISTS tally_best_scores (
    learner_id TEXT COLLATE "C" NOT NULL,
    course_id TEXT COLLATE "C" NOT NULL,
    lesson_id TEXT COLLATE "C" NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (learner_id, course_id, lesson_id)
);
