"""Listening: the speech the hub makes for every lesson, how it is bounded, and how pages offer it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from content import starter
from content.model import Lesson
from hub import jobs
from hub.app import create_app, manager_for
from hub.db import transaction
from hub.home import Hub
from hub.library import import_package
from hub.plugins.voice import making, store, synth
from hub.plugins.voice.speech_text import MAX_WORDS, bounded, lesson_parts, sentences_of

pytestmark = pytest.mark.skipif(not synth.available(), reason="espeak-ng and ffmpeg make speech")
HARAKAT = re.compile("[\u064b-\u0652]")


@pytest.fixture(scope="module")
def spoken_hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    """A hub with every starter course, read aloud once for this module (HUB_SPEECH_CACHE keeps
    what was made for the rest of the session)."""
    hub = Hub(tmp_path_factory.mktemp("spoken") / "home")
    hub.import_starter()
    assert making.queue_missing(hub) == len(starter.course_folders())
    jobs.run_queued(hub, {making.KIND: making.make_course_speech})
    return hub


def duration_and_volume(path: Path) -> tuple[float, float]:
    """Seconds of audio and mean volume in dB, as ffmpeg decodes the file."""
    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-i", str(path), "-af", "volumedetect", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    h, m, sec = re.search(r"Duration: (\d+):(\d+):([\d.]+)", out).groups()  # type: ignore[union-attr]
    volume = float(re.search(r"mean_volume: (-?[\d.]+) dB", out).group(1))  # type: ignore[union-attr]
    return int(h) * 3600 + int(m) * 60 + float(sec), volume


def test_every_starter_lesson_has_speech_of_a_plausible_length(spoken_hub: Hub) -> None:
    failed = spoken_hub.db.execute("SELECT params, message FROM jobs WHERE state != 'done'").fetchall()
    assert failed == []
    for card in spoken_hub.courses():
        detail = spoken_hub.course(card.id)
        assert detail is not None
        for lesson in detail.lessons:
            speech = store.lesson_speech(spoken_hub.db, card.id, card.version, lesson.id)
            parts = lesson_parts(lesson)
            assert set(speech) == {p.part for p in parts}, (card.id, lesson.id)
            for part in parts:
                said = speech[part.part]
                assert said.words == part.words
                # 150 words a minute is 0.4 s a word; pauses, numbers and Arabic's long words vary it
                assert 0.15 * part.words <= said.seconds <= 1.2 * part.words + 3, (
                    card.id,
                    lesson.id,
                    part.part,
                )
            if parts:  # the lesson's main part, decoded: as long as recorded, and not silence
                seconds, volume = duration_and_volume(spoken_hub.blobs.path(speech[parts[0].part].sha256))
                assert seconds == pytest.approx(speech[parts[0].part].seconds, abs=0.2)
                assert volume > -35, (card.id, lesson.id)


def test_arabic_without_vowel_marks_is_read_with_them() -> None:
    """espeak-ng reads an unvowelled Arabic word it does not know as a cluster of consonants; with
    Mishkal's marks nearly every word gets its vowels. Checked on the phonemes espeak-ng says."""
    lesson = next(ls for ls in starter_lessons("hand-hygiene-ar") if ls.kind == "article")
    part = lesson_parts(lesson)[0]
    plain = synth.spoken_text(part)
    (marked,) = synth.diacritized([plain], lambda: None)
    assert len(HARAKAT.findall(plain)) < part.words / 10 < part.words < len(HARAKAT.findall(marked))

    def without_vowels(text: str) -> float:
        """The share of words said with four or more consonants in a row: unpronounceable."""
        ipa = subprocess.run(
            ["espeak-ng", "-v", "ar", "-q", "--ipa", text], capture_output=True, text=True
        ).stdout
        words = [
            w.replace("ˈ", "").replace("ˌ", "") for w in re.split(r"[\s_]+", re.sub(r"\(\w+\)", " ", ipa))
        ]
        words = [w for w in words if w]
        return sum(bool(re.search(r"[^aeiouɑæɛɪʊəː.\d]{4,}", w)) for w in words) / len(words)

    assert without_vowels(plain) > 0.15  # why the marks are needed (0.27 seen)
    assert without_vowels(marked) < 0.08  # 0.05 seen, mostly doubled sun letters after "al-"


def starter_lessons(course_id: str) -> list[Lesson]:
    from content.author import read_author_folder

    folder = next(f for f in starter.course_folders() if f.name == course_id)
    return read_author_folder(folder).manifest.lessons


def test_addresses_emoji_and_markup_are_not_read() -> None:
    lesson = Lesson(
        id="noisy",
        title="Wash 🧼🙌🏽 hands",
        kind="article",
        text="See https://example.org/a?b=1 and www.x.org now. **Bold** 👍 [a link](http://e.com).\n\n"
        "```\nrm -rf /\n```\n\n- one <b>two</b>\n\n| a | b |\n|---|---|\n| c | d |\n\n![alt](x.png)\n",
    )
    (part,) = lesson_parts(lesson)
    said = " ".join(part.sentences)
    assert said == "Wash hands See and now. Bold a link. one two a b c d"
    for noise in ("http", "www", "example", "rm", "🧼", "*", "<", "|", "#"):
        assert noise not in said


def test_a_lesson_of_200000_words_is_cut_at_the_limit() -> None:
    text = "Wash your hands with soap and water often. " * 25_000  # 200,000 words
    lesson = Lesson(id="long", title="Long", kind="article", text=text)
    (part,) = lesson_parts(lesson)
    assert part.cut and MAX_WORDS <= part.words < MAX_WORDS + 10
    short = bounded("text", sentences_of("One two. Three four."), max_words=10)
    assert not short.cut and short.words == 4


def client_for(hub: Hub) -> TestClient:
    return TestClient(create_app(hub, manager_for(hub, load_entry_points=False)), base_url="http://hub.test")


def test_the_lesson_page_plays_the_hub_speech_with_range(spoken_hub: Hub) -> None:
    client = client_for(spoken_hub)
    page = client.get("/courses/hand-hygiene-en/why-hands").text
    audio = re.search(r'<audio controls preload="none" src="(/media/[0-9a-f]{64}/text\.ogg)"', page)
    assert audio and ("Read by the hub's voice." in page or "Read by the hub&#39;s voice." in page)
    whole = client.get(audio.group(1))
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/ogg"
    part = client.get(audio.group(1), headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100 and part.content[:4] == b"OggS"
    quiz = client.get("/courses/hand-hygiene-en/quiz").text
    assert re.search(r'data-listen="question-1".*?src="/media/[0-9a-f]{64}/q1\.ogg"', quiz, re.S)


def test_a_page_says_when_speech_is_cut_or_not_made_yet(tmp_path: Path, course_folder: Path) -> None:
    hub = Hub(tmp_path / "home")
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    client = client_for(hub)
    assert "Recording not ready yet" in client.get("/courses/sample-course/read-me").text
    blob = hub.blobs.put_stream([b"OggS fake"], __import__("hashlib").sha256(b"OggS fake").hexdigest(), 9)
    sha = blob.name
    with transaction(hub.db):
        store.keep_file(hub.db, sha, 9, "audio/ogg", "text.ogg")
        store.save(
            hub.db,
            "sample-course",
            1,
            "read-me",
            store.Speech("text", "made", sha, MAX_WORDS, True, 4000.0),
            None,
        )
    page = client.get("/courses/sample-course/read-me").text
    assert f"The recording stops after {MAX_WORDS} words; read on below." in page


def test_speech_follows_the_course_version_and_goes_with_it(tmp_path: Path, course_folder: Path) -> None:
    hub = Hub(tmp_path / "home")
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    assert making.queue_missing(hub) == 1 and making.queue_missing(hub) == 0  # not queued twice
    jobs.run_queued(hub, {making.KIND: making.make_course_speech})
    assert making.queue_missing(hub) == 0  # made: nothing to queue
    rows = hub.db.execute("SELECT DISTINCT sha256 FROM lesson_speech").fetchall()
    assert rows and all(
        hub.db.execute("SELECT users FROM files WHERE sha256 = ?", r).fetchone()[0] >= 1 for r in rows
    )
    from hub.library_keep import remove_course

    remove_course(hub.db, hub.blobs, "sample-course")
    assert hub.db.execute("SELECT count(*) FROM lesson_speech").fetchone()[0] == 0
    assert all(not hub.blobs.has(r[0]) for r in rows)


def test_a_course_whose_speech_failed_is_not_queued_again(tmp_path: Path, course_folder: Path) -> None:
    hub = Hub(tmp_path / "home")
    import_package(hub.db, hub.blobs, course_folder, allow_unverified=True)
    assert making.queue_missing(hub) == 1
    hub.db.execute("UPDATE jobs SET state = 'failed' WHERE kind = ?", [making.KIND])
    assert making.queue_missing(hub) == 0  # a failure is shown, not retried at every library change
