"""Search benchmark: the hub's Whoosh index beside SQLite FTS5, on the same synthetic library.

    /work/venv/bin/python bench/search/run.py             # 20,000 lessons, 3 rounds (a few minutes)
    /work/venv/bin/python bench/search/run.py --quick     # 2,000 lessons, 1 round (a smoke run)

The library is generated deterministically (seeded) from word lists: the real words of the
starter courses in en, fr, es and ar, plus made-up words (seeded syllables) for every language,
drawn with a Zipf-like frequency. It is split into courses of 10 lessons, each lesson a title of
3-7 words and a body of about 200 words; 30% en, 20% fr, 20% es, 15% ar, 10% pt, 5% de.

Measured, each round, for both engines:
  build   index every lesson from scratch (lessons/s; Whoosh also indexes one document per course)
  update  replace 100 lessons (10 courses) with new text, made searchable (seconds)
  query   200 queries (100 one-word, 100 two-word) taken from the same word distribution, each
          returning a page of 10 with highlighted title and snippet and facet counts (language,
          topic, kind) over the whole match set (ms, p50 and p95); the hub's query also does the
          spelling check and "did you mean"
Medians over the rounds are reported. Prints a table, writes bench/search/results/<time>.json.
See bench/search/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parents[1]
sys.path.insert(0, str(ROOT))

from hub.search import CourseText, LessonText, SearchIndex, clear_caches, fold  # noqa: E402

RESULTS = BENCH / "results"
SEED = 20261124
MIX = (("en", 30), ("fr", 20), ("es", 20), ("ar", 15), ("pt", 10), ("de", 5))
KINDS = ("article", "article", "article", "video", "audio", "quiz", "pdf", "images")
TOPICS = ("health", "hygiene", "first-aid", "mental-health", "vaccination", "work", "climate", "skills")
SYLLABLES = {
    "en": "ba be bi bo bu ca ce co da de di do fa fe fi ga ge go ha he hi la le li lo ma me mi mo na ne "
    "ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve wa we ing er ly ed st th",
    "fr": "ba bé bi bo ca cé ci co da dé di do fa fé fi ga gé la lé li lo ma mé mi mo na né ni no pa pé "
    "pi po ra ré ri ro sa sé si so ta té ti to va vé eau eux ion ent ais oir",
    "es": "ba be bi bo ca ce ci co da de di do fa fe fi ga ge la le li lo ma me mi mo na ne ni no ña pa "
    "pe pi po ra re ri ro sa se si so ta te ti to va ción dad mente ado ido",
    "ar": "با بي بو تا تي تو دا دي دو را ري رو سا سي سو ما مي مو نا ني نو لا لي لو كا كي كو فا في "
    "فو ها هي هو عا عي عو",
    "pt": "ba be bi bo ca ce ci co da de di do fa fe fi ga ge la le li lo ma me mi mo na ne ni no pa pe "
    "pi po ra re ri ro sa se si so ta te ti to va ção ões ade mente nho",
    "de": "ba be bi bo da de di do fa fe fi ga ge gi ha he hi ka ke ki la le li ma me mi na ne ni pa pe "
    "ra re ri sa se si ta te ti wa we wi ung keit heit sch ei au äu ö ü",
}
STOP = {"en": "the of and to a in is it you that", "fr": "le la les de des et un une à est",
        "es": "el la los las de y un una en que", "ar": "في من على إلى عن أن هذا",
        "pt": "o a os as de e um uma em que", "de": "der die das und zu ein eine in ist mit"}  # fmt: skip
WORD = re.compile(r"\w+")


def word_lists(rng: random.Random) -> dict[str, list[str]]:
    """Per language: real starter-course words first (most frequent first), then made-up words."""
    real: dict[str, Counter[str]] = {lang: Counter() for lang, _ in MIX}
    for folder in sorted((ROOT / "content" / "starter").iterdir()):
        language = folder.name.rsplit("-", 1)[-1]
        if language in real:
            for path in sorted(folder.glob("*.md")):
                real[language].update(w.lower() for w in WORD.findall(path.read_text("utf-8")) if len(w) > 2)
    lists = {}
    for language, _ in MIX:
        words = [w for w, _ in real[language].most_common() if not w.isdigit()]
        syllables = SYLLABLES[language].split()
        seen = set(words)
        while len(words) < 12_000:
            word = "".join(rng.choice(syllables) for _ in range(rng.choice((2, 3, 3, 4))))
            if word not in seen:
                seen.add(word)
                words.append(word)
        lists[language] = words
    return lists


class Zipf:
    """Draws words with probability ~ 1 / rank (stop words mixed in at their usual rate)."""

    def __init__(self, words: list[str], stop: list[str], rng: random.Random) -> None:
        self.words, self.stop, self.rng = words, stop, rng
        weights = [1.0 / (rank + 10) for rank in range(len(words))]
        total, acc = sum(weights), 0.0
        self.cumulative = []
        for w in weights:
            acc += w / total
            self.cumulative.append(acc)

    def draw(self, n: int) -> list[str]:
        rng, words, stop = self.rng, self.words, self.stop
        picks = []
        for _ in range(n):
            if rng.random() < 0.3:
                picks.append(rng.choice(stop))
            else:
                i = min(_bisect(self.cumulative, rng.random()), len(words) - 1)
                picks.append(words[i])
        return picks


def _bisect(values: list[float], x: float) -> int:
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def library(lessons: int, seed: int = SEED) -> tuple[list[CourseText], dict[str, Zipf]]:
    rng = random.Random(seed)
    lists = word_lists(rng)
    samplers = {lang: Zipf(lists[lang], STOP[lang].split(), rng) for lang, _ in MIX}
    languages = [lang for lang, share in MIX for _ in range(share)]
    courses = []
    for c in range(lessons // 10):
        language = rng.choice(languages)
        draw = samplers[language].draw
        topics = rng.sample(TOPICS, rng.choice((1, 2)))
        course_lessons = [
            LessonText(
                id=f"lesson-{i}",
                title=" ".join(draw(rng.randint(3, 7))).capitalize(),
                kind=rng.choice(KINDS),
                parts=[(language, _sentences(draw(rng.randint(190, 210)), rng))],
            )
            for i in range(10)
        ]
        courses.append(
            CourseText(
                id=f"course-{c:05d}",
                sha256=f"{c:064x}",
                title=" ".join(draw(rng.randint(2, 5))).capitalize(),
                summary=_sentences(draw(rng.randint(15, 30)), rng),
                language=language,
                topics=topics,
                lessons=course_lessons,
            )
        )
    return courses, samplers


def _sentences(words: list[str], rng: random.Random) -> str:
    out, i = [], 0
    while i < len(words):
        n = rng.randint(6, 14)
        out.append(" ".join(words[i : i + n]).capitalize() + ".")
        i += n
    return " ".join(out)


def queries(samplers: dict[str, Zipf], n: int = 200, seed: int = SEED + 1) -> list[str]:
    """Half one-word, half two-word queries; words as often as they occur in lessons, no stop words."""
    rng = random.Random(seed)
    languages = [lang for lang, share in MIX for _ in range(share)]
    out = []
    for i in range(n):
        sampler = samplers[rng.choice(languages)]
        words: list[str] = []
        while len(words) < (1 if i % 2 == 0 else 2):
            i_word = min(_bisect(sampler.cumulative, rng.random()), len(sampler.words) - 1)
            words.append(sampler.words[i_word])
        out.append(" ".join(words))
    return out


def typos(samplers: dict[str, Zipf], n: int = 50, seed: int = SEED + 2) -> list[str]:
    """Queries of one or two words, one of them with a slip: two letters swapped or one dropped."""
    rng = random.Random(seed)
    languages = [lang for lang, share in MIX for _ in range(share)]
    out = []
    for i in range(n):
        sampler = samplers[rng.choice(languages)]
        words = []
        while len(words) < 1 + i % 2:
            word = sampler.words[min(_bisect(sampler.cumulative, rng.random()), len(sampler.words) - 1)]
            if len(word) >= 5:
                words.append(word)
        word, k = words[0], rng.randrange(1, len(words[0]) - 2)
        words[0] = word[:k] + word[k + 1] + word[k] + word[k + 2 :] if i % 4 < 2 else word[:k] + word[k + 1 :]
        out.append(" ".join(words))
    return out


def changed(courses: list[CourseText], round_: int) -> list[CourseText]:
    """Ten courses (100 lessons) with new text, as a tutor's re-import would bring."""
    out = []
    for course in courses[round_ * 10 : round_ * 10 + 10]:
        lessons = [
            LessonText(
                ls.id, ls.title, ls.kind, [(lang, text + f" revised{round_}") for lang, text in ls.parts]
            )
            for ls in course.lessons
        ]
        sha = f"{round_ + 1:08x}" + course.sha256[8:]
        out.append(
            CourseText(course.id, sha, course.title, course.summary, course.language, course.topics, lessons)
        )
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --- Whoosh (the hub's index) ------------------------------------------------------------------


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def whoosh_round(
    courses: list[CourseText], qs: list[str], typos_of_round: list[str], folder: Path, round_: int
) -> dict:
    lessons = sum(len(c.lessons) for c in courses)
    clear_caches()  # every round builds from cold, as a first start would
    index = SearchIndex(folder / f"whoosh-{round_}")
    start, cpu = time.perf_counter(), time.process_time()
    index.rebuild(courses)
    build, build_cpu = time.perf_counter() - start, time.process_time() - cpu
    index._warm()  # what the hub's writer thread does after each commit (spelling words, facets)
    for q in qs[:20]:  # warm up: the first searches open the searcher and read the length columns
        index.search(q)
    times, hits = [], 0
    for q in qs:
        t = time.perf_counter()
        results = index.search(q)
        times.append(time.perf_counter() - t)
        hits += results.total
    typo_times, suggested = [], 0
    for q in typos_of_round:
        t = time.perf_counter()
        results = index.search(q)
        typo_times.append(time.perf_counter() - t)
        suggested += results.suggestion is not None
    updates = []
    for i in range(3):
        batch = changed(courses, i)
        t = time.perf_counter()
        index.update_courses(batch)
        index._searcher()  # made searchable: the next search opens the new segment
        updates.append(time.perf_counter() - t)
        assert index.search(f"revised{i}").total == 100, "update not visible"
    return {
        "build_s": build,
        "build_cpu_s": build_cpu,
        "lessons_per_s": lessons / build,
        "update_100_s": statistics.median(updates),
        "query_p50_ms": percentile(times, 0.5) * 1000,
        "query_p95_ms": percentile(times, 0.95) * 1000,
        "mean_matches": hits / len(qs),
        "typo_query_p50_ms": percentile(typo_times, 0.5) * 1000,
        "typo_query_p95_ms": percentile(typo_times, 0.95) * 1000,
        "typo_suggested_share": suggested / len(typos_of_round),
        "size_mb": folder_size(folder / f"whoosh-{round_}") / 1e6,
    }


# --- SQLite FTS5 (the baseline) ----------------------------------------------------------------


FTS_SCHEMA = """
CREATE VIRTUAL TABLE docs USING fts5(
    key UNINDEXED, lang UNINDEXED, kind UNINDEXED, topics UNINDEXED, title, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
"""


def fts_rows(courses: list[CourseText]) -> list[tuple[int | str, ...]]:
    rows = []
    for course in courses:
        topics = " ".join(course.topics)
        number = int(course.id.split("-")[1]) * 100
        for i, lesson in enumerate(course.lessons):
            body = "\n".join(text for _, text in lesson.parts)
            key = f"{course.id}/{lesson.id}"
            rows.append((number + i, key, course.language, lesson.kind, topics, lesson.title, body))
    return rows


def fts_query(words: str) -> str:
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in fold(words).split())


def fts_search(db: sqlite3.Connection, q: str) -> int:
    """The same page as the hub's: top 10 by BM25 (title weighted 3), highlighted title and
    snippet, and counts per language, kind and topic over every match."""
    match = fts_query(q)
    db.execute(
        "SELECT key, highlight(docs, 4, '<b>', '</b>'), snippet(docs, 5, '<b>', '</b>', ' … ', 24)"
        " FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, 0, 0, 0, 3.0, 1.0) LIMIT 10",
        [match],
    ).fetchall()
    counts: Counter[tuple[str, str]] = Counter()
    total = 0
    for lang, kind, topics in db.execute("SELECT lang, kind, topics FROM docs WHERE docs MATCH ?", [match]):
        counts[("lang", lang)] += 1
        counts[("kind", kind)] += 1
        for t in topics.split():
            counts[("topic", t)] += 1
        total += 1
    return total


def fts_round(courses: list[CourseText], qs: list[str], folder: Path, round_: int) -> dict:
    path = folder / f"fts-{round_}.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(FTS_SCHEMA)
    rows = fts_rows(courses)
    start, cpu = time.perf_counter(), time.process_time()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO docs (rowid, key, lang, kind, topics, title, body) VALUES (?,?,?,?,?,?,?)", rows
    )
    db.execute("COMMIT")
    build, build_cpu = time.perf_counter() - start, time.process_time() - cpu
    for q in qs[:20]:
        fts_search(db, q)
    times, hits = [], 0
    for q in qs:
        t = time.perf_counter()
        hits += fts_search(db, q)
        times.append(time.perf_counter() - t)
    updates = []
    for i in range(3):
        batch = fts_rows(changed(courses, i))
        t = time.perf_counter()
        db.execute("BEGIN")
        db.executemany("DELETE FROM docs WHERE rowid = ?", [(r[0],) for r in batch])
        db.executemany(
            "INSERT INTO docs (rowid, key, lang, kind, topics, title, body) VALUES (?,?,?,?,?,?,?)", batch
        )
        db.execute("COMMIT")
        updates.append(time.perf_counter() - t)
    db.close()
    return {
        "build_s": build,
        "build_cpu_s": build_cpu,
        "lessons_per_s": len(rows) / build,
        "update_100_s": statistics.median(updates),
        "query_p50_ms": percentile(times, 0.5) * 1000,
        "query_p95_ms": percentile(times, 0.95) * 1000,
        "mean_matches": hits / len(qs),
        "size_mb": path.stat().st_size / 1e6,
    }


# --- Report ------------------------------------------------------------------------------------

TARGETS = {"lessons_per_s": (">=", 1000), "update_100_s": ("<=", 0.5), "query_p95_ms": ("<=", 25)}


def medians(rounds: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def table(whoosh: dict, fts: dict) -> str:
    rows = [
        ("full build (lessons/s)", "lessons_per_s", "{:,.0f}"),
        ("full build (s)", "build_s", "{:.2f}"),
        ("full build, CPU time (s)", "build_cpu_s", "{:.2f}"),
        ("update 100 lessons (s)", "update_100_s", "{:.3f}"),
        ("query p50 (ms)", "query_p50_ms", "{:.1f}"),
        ("query p95 (ms)", "query_p95_ms", "{:.1f}"),
        ("mean matches per query", "mean_matches", "{:,.0f}"),
        ("query with a typo p50 (ms)", "typo_query_p50_ms", "{:.1f}"),
        ("query with a typo p95 (ms)", "typo_query_p95_ms", "{:.1f}"),
        ("typo queries given a suggestion", "typo_suggested_share", "{:.0%}"),
        ("index size (MB)", "size_mb", "{:.0f}"),
    ]
    lines = ["| measure | Whoosh (hub) | FTS5 (baseline) | target | met |", "|---|---|---|---|---|"]
    for label, key, fmt in rows:
        target = TARGETS.get(key)
        met = ""
        if target:
            op, value = target
            met = "yes" if (whoosh[key] >= value if op == ">=" else whoosh[key] <= value) else "NO"
        baseline = fmt.format(fts[key]) if key in fts else "—"
        lines.append(
            f"| {label} | {fmt.format(whoosh[key])} | {baseline} | "
            f"{f'{target[0]} {target[1]}' if target else ''} | {met} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 lessons, one round")
    parser.add_argument("--lessons", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    lessons, rounds = (2_000, 1) if args.quick else (args.lessons, args.rounds)
    t = time.perf_counter()
    courses, samplers = library(lessons)
    qs, typo_qs = queries(samplers), typos(samplers)
    print(f"generated {lessons:,} lessons in {len(courses):,} courses ({time.perf_counter() - t:.1f} s)")
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} (this machine has {os.cpu_count()} CPUs)")
    w_rounds, f_rounds = [], []
    with tempfile.TemporaryDirectory(prefix="hub-search-bench-") as tmp:
        for r in range(rounds):
            w_rounds.append(whoosh_round(courses, qs, typo_qs, Path(tmp), r))
            f_rounds.append(fts_round(courses, qs, Path(tmp), r))
            print(f"round {r + 1}: whoosh {w_rounds[-1]}\n         fts5   {f_rounds[-1]}")
    whoosh, fts = medians(w_rounds), medians(f_rounds)
    report = table(whoosh, fts)
    print(report)
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({
        "lessons": lessons, "rounds": rounds, "python": sys.version.split()[0], "cpus": os.cpu_count(),
        "load_average_before": load_before[0], "load_average_after": load_after[0],
        "sqlite": sqlite3.sqlite_version, "machine": platform.platform(), "whoosh": whoosh, "fts5": fts,
        "whoosh_rounds": w_rounds, "fts5_rounds": f_rounds,
    }, indent=2))  # fmt: skip
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
