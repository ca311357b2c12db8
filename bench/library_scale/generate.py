"""Generated libraries for bench/library_scale: the 17 starter courses plus N - 17 generated ones.

Generated courses are written straight into hub.db with the same rows an import writes
(hub/library.py `_store_course`: the courses row with its manifest and package manifest, the
lessons rows, the library generation bumped), in one transaction, because importing 10,000
packages through `import_package` one by one takes far longer than the measurement. The pages
are real: every course has a cover-less card, a summary, topics, and three Markdown articles of
about 150 words in its language (en, fr, es, ar in turn), so pages, search and progress work
on them exactly as on imported courses. The search index is then built from hub.db as
`hub search rebuild` does.

The voice and OCR plugins are switched off on these hubs: the hub would make speech for every
generated course in the background, for hours at 10,000 courses, and every figure taken meanwhile
would measure that job as much as the pages (bench/voice measures what making speech costs).
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from content.model import FORMAT_NAME, FORMAT_VERSION, Course, Lesson, Manifest
from content.package import manifest_bytes
from hub.db import transaction
from hub.home import Hub
from hub.library import LIBRARY_GENERATION, now
from hub.plugins import switch_plugin

LANGUAGES = ("en", "fr", "es", "ar")
WORDS = {
    "en": "water health hands clean vaccine phone safety money work family food heat sleep stress "
    "doctor medicine child school garden energy recycle bus market rent budget letter",
    "fr": "eau santé mains propre vaccin téléphone sécurité argent travail famille nourriture chaleur "
    "sommeil stress médecin médicament enfant école jardin énergie recyclage bus marché loyer budget",
    "es": "agua salud manos limpio vacuna teléfono seguridad dinero trabajo familia comida calor sueño "
    "estrés médico medicina niño escuela jardín energía reciclaje autobús mercado alquiler presupuesto",
    "ar": "ماء صحة أيدي نظيف لقاح هاتف أمان مال عمل عائلة طعام حرارة نوم توتر طبيب دواء طفل مدرسة "
    "حديقة طاقة تدوير حافلة سوق إيجار ميزانية",
}
TOPICS = ("health", "hygiene", "first-aid", "money", "work", "digital", "climate", "family", "food")
# What readers search for, per language (words that occur in the generated text).
QUERIES = {
    "en": ("water", "vaccine", "family budget", "phone safety", "docter"),
    "fr": ("eau", "vaccin", "budget famille", "sécurité téléphone", "medecin"),
    "es": ("agua", "vacuna", "presupuesto familia", "seguridad teléfono", "medico"),
    "ar": ("ماء", "لقاح", "ميزانية عائلة", "أمان هاتف", "طبيب"),
}


def _text(rng: random.Random, words: list[str], count: int) -> str:
    return " ".join(rng.choice(words) for _ in range(count))


def course_manifest(number: int) -> Manifest:
    """The manifest of generated course `number` (deterministic)."""
    rng = random.Random(number)
    language = LANGUAGES[number % len(LANGUAGES)]
    words = WORDS[language].split()
    title = f"{_text(rng, words, 3).capitalize()} {number}"
    course = Course(
        id=f"gen-{number:05d}-{language}",
        version=1,
        title=title,
        summary=_text(rng, words, 18).capitalize() + ".",
        language=language,
        topics=sorted({rng.choice(TOPICS) for _ in range(2)}),
        publisher="Bench publisher",
        license="CC-BY-4.0",
    )
    lessons = [
        Lesson(
            id=f"lesson-{n}",
            title=_text(rng, words, 4).capitalize(),
            kind="article",
            minutes=5,
            text="\n\n".join(
                [f"## {_text(rng, words, 3).capitalize()}"]
                + [_text(rng, words, 40).capitalize() + "." for _ in range(3)]
                + ["- " + _text(rng, words, 5) for _ in range(3)]
            ),
        )
        for n in range(1, 4)
    ]
    return Manifest(format=FORMAT_NAME, format_version=FORMAT_VERSION, course=course, lessons=lessons)


def generate(home: Path, total: int) -> Hub:
    """A hub at `home` holding the starter courses and generated ones up to `total` courses."""
    hub = Hub(home)
    for plugin in ("voice", "ocr"):
        switch_plugin(hub, plugin, False)
    hub.import_starter()
    db = hub.db
    have = db.execute("SELECT count(*) FROM courses").fetchone()[0]
    rows, lessons = [], []
    for number in range(max(total - have, 0)):
        manifest = course_manifest(number)
        raw, course = manifest_bytes(manifest), manifest.course
        rows.append(
            (course.id, 1, course.title, course.summary, course.language, json.dumps(course.topics),
             course.publisher, None, len(manifest.lessons), course.model_dump_json(),
             hashlib.sha256(raw).hexdigest(), "local", now(), raw)
        )  # fmt: skip
        lessons += [
            (course.id, lesson.id, position, lesson.title, lesson.kind, lesson.model_dump_json())
            for position, lesson in enumerate(manifest.lessons)
        ]
    with transaction(db):
        db.conn.executemany(
            "INSERT INTO courses (id, version, title, summary, language, topics, publisher, cover_sha256,"
            " lesson_count, manifest, manifest_sha256, origin, imported_at, package_manifest)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.conn.executemany(
            "INSERT INTO lessons (course_id, id, position, title, kind, data) VALUES (?,?,?,?,?,?)", lessons
        )
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT(key)"
            " DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            [LIBRARY_GENERATION],
        )
    return hub


def a_generated_course(total: int) -> str:
    """The id of a generated course in a library of `total` courses (or a starter one at 17)."""
    return course_manifest(0).course.id if total > 17 else "hand-hygiene-en"
