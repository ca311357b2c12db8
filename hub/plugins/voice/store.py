"""Speech rows: which blob speaks which part of which lesson version (migration 21 in hub/db.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from hub.library import now

MADE, PERSON = "made", "person"


@dataclass(frozen=True)
class Speech:
    part: str
    source: str
    sha256: str
    words: int
    cut: bool
    seconds: float

    @property
    def url(self) -> str:
        return (
            f"/media/{self.sha256}/{self.part}.ogg"
            if self.source == MADE
            else f"/media/{self.sha256}/recording"
        )

    @property
    def by_person(self) -> bool:
        return self.source == PERSON


def lesson_speech(db: Database, course_id: str, version: int, lesson_id: str) -> dict[str, Speech]:
    """A lesson version's speech by part; a tutor's recording wins over the hub's voice."""
    rows = db.execute(
        "SELECT part, source, sha256, words, cut, seconds FROM lesson_speech"
        " WHERE course_id = ? AND version = ? AND lesson_id = ? ORDER BY source = 'person'",
        [course_id, version, lesson_id],
    ).fetchall()
    return {row[0]: Speech(row[0], row[1], row[2], row[3], bool(row[4]), row[5]) for row in rows}


def known_blob(db: Database, speech_key: str) -> tuple[str, float] | None:
    """Speech already made for the same voice and text (another lesson, an earlier version)."""
    row = db.execute(
        "SELECT s.sha256, s.seconds FROM lesson_speech s JOIN files f ON f.sha256 = s.sha256"
        " WHERE s.speech_key = ? LIMIT 1",
        [speech_key],
    ).fetchone()
    return (row[0], row[1]) if row else None


def keep_file(db: Database, sha256: str, size: int, media_type: str, name: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO files (sha256, size, media_type, name) VALUES (?, ?, ?, ?)",
        [sha256, size, media_type, name],
    )


def save(
    db: Database,
    course_id: str,
    version: int,
    lesson_id: str,
    speech: Speech,
    speech_key: str | None,
) -> None:
    """Record one part's speech, replacing what that part had from the same source (in a transaction)."""
    db.execute(
        "DELETE FROM lesson_speech WHERE course_id = ? AND version = ? AND lesson_id = ? AND part = ?"
        " AND source = ?",
        [course_id, version, lesson_id, speech.part, speech.source],
    )
    db.execute(
        "INSERT INTO lesson_speech (course_id, version, lesson_id, part, source, sha256, words, cut, seconds,"
        " speech_key, made_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            course_id,
            version,
            lesson_id,
            speech.part,
            speech.source,
            speech.sha256,
            speech.words,
            int(speech.cut),
            speech.seconds,
            speech_key,
            now(),
        ],
    )


def finish_course(db: Database, course_id: str, version: int) -> None:
    """The course version is read aloud: earlier versions' speech goes (in a transaction)."""
    db.execute("DELETE FROM lesson_speech WHERE course_id = ? AND version != ?", [course_id, version])
    db.execute("DELETE FROM speech_courses WHERE course_id = ?", [course_id])
    db.execute(
        "INSERT INTO speech_courses (course_id, version, made_at) VALUES (?, ?, ?)",
        [course_id, version, now()],
    )


def courses_without_speech(db: Database) -> list[tuple[str, int]]:
    """Courses (id, current version) whose speech is not made yet and not being made (nor failed).
    Set differences, not a lookup in the jobs per course: the library and its jobs are read once."""
    rows = db.execute(
        """
        SELECT id, version FROM courses
        EXCEPT SELECT course_id, version FROM speech_courses
        EXCEPT SELECT json_extract(params, '$.course_id'), json_extract(params, '$.version') FROM jobs
               WHERE kind = 'speech' AND state != 'done'
        ORDER BY 1
        """
    ).fetchall()
    return [(row[0], row[1]) for row in rows]
