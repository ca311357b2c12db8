"""Importing real-world sources (issue 16): a 600-page PDF's text and a 1,000-article ZIM, this
checkout against the code it branched from, in the same run.

    PYTHONPATH=. /work/venv/bin/python bench/import/sources.py              # 3 rounds, about 5 minutes
    PYTHONPATH=. /work/venv/bin/python bench/import/sources.py --rounds 1 --pages 100 --articles 200

The sources are made once per run: a 600-page PDF written directly (Helvetica text, about 2,400
characters a page, one rare word on page 500) and a ZIM of 1,000 articles written with libzim.
The "before" code is `git archive` of the merge base with main (today's hub), unpacked in a
temporary folder. Each round, for each checkout, alternately, in a child process with a fresh
HUB_HOME:

  import   `hub.imports.run_import` (check, text extraction, package, blobs, one transaction)
  index    `SearchIndex.rebuild` of that hub (the PDF's text into Whoosh)

Reported: medians of the seconds of each step, the child's peak RSS (VmHWM), how many characters
of text the lesson kept and whether search finds the word on page 500. Writes JSON to
results/sources-<time>.json. No assertion: the figures are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import CHILD_PRELUDE, ROOT

sys.path.insert(0, str(ROOT))
from tests.pdf_bytes import pdf_from_objects

CHILD = (
    CHILD_PRELUDE
    + """
from hub.search import SearchIndex, index_path

start = time.perf_counter()
[result] = imports.run_import(hub, Path(sys.argv[1]), allow_unverified=True)
imported = time.perf_counter() - start
index = SearchIndex(index_path(hub))
start = time.perf_counter()
index.rebuild(hub)
indexed = time.perf_counter() - start
lessons = hub.course(result.course_id).lessons
found = [hit.url for hit in index.search(sys.argv[3]).hits] if sys.argv[3] else []
print(json.dumps({"import_s": imported, "index_s": indexed, "rss_before_mb": before,
                  "peak_rss_mb": rss_mb("VmHWM"), "lessons": len(lessons),
                  "text_chars": sum(len(lesson.text) for lesson in lessons), "found": bool(found)}))
"""
)

PHRASE = (
    "clean water keeps families healthy boil it for one minute store it covered wash hands with soap "
    "before eating and after the toilet oral rehydration salts save children with diarrhoea"
)
WORDS = PHRASE.split(" ")
RARE = "zincsupplementation"


def make_pdf(path: Path, pages: int) -> None:
    """A PDF of `pages` pages of text, written directly (no library), RARE on page 500 or the last."""
    objects: list[bytes] = [b"", b""]  # catalog and pages, filled in below
    kids = []
    rare_page = min(500, pages)
    for number in range(1, pages + 1):
        lines = []
        for line in range(40):
            words = [WORDS[(number * 7 + line * 3 + i) % len(WORDS)] for i in range(10)]
            if number == rare_page and line == 20:
                words[3] = RARE
            lines.append(f"({' '.join(words)} {number}) Tj 0 -16 Td")
        stream = ("BT /F1 10 Tf 40 760 Td " + " ".join(lines) + " ET").encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
            b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (content, pages * 2 + 3)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    path.write_bytes(pdf_from_objects(objects))


def make_zim(path: Path, articles: int) -> None:
    from tests.importing import make_zim as write_zim

    pages = {
        f"Article_{n}": (f"Article {n}", f"<h1>Article {n}</h1>" + f"<p>{PHRASE}</p>" * 8)
        for n in range(articles)
    }
    pages["Home"] = ("Home", "<h1>Home</h1>")
    write_zim(path, pages, title="Bench WikiMed")


def checkout_before(folder: Path) -> Path:
    git = ["git", "-C", str(ROOT)]
    base = subprocess.run([*git, "merge-base", "HEAD", "main"], capture_output=True, text=True, check=True)
    folder.mkdir()
    archive = subprocess.run([*git, "archive", base.stdout.strip()], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_child(code: Path, source: Path, word: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PYTHONPATH": str(code), "HUB_HOME": home}
        command = [sys.executable, "-c", CHILD, str(source), home, word]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(code))
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}  # type: ignore[dict-item]
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        pdf, zim = work / "textbook.pdf", work / "wikimed.zim"
        make_pdf(pdf, args.pages)
        make_zim(zim, args.articles)
        before = checkout_before(work / "before")
        sources = {"pdf": (pdf, RARE), "zim": (zim, "")}
        runs: dict[str, dict[str, list[dict[str, float]]]] = {s: {"before": [], "after": []} for s in sources}
        for round_number in range(args.rounds):
            for name, (source, word) in sources.items():
                for label, code in (("before", before), ("after", ROOT)):
                    result = run_child(code, source, word)
                    runs[name][label].append(result)
                    print(f"round {round_number + 1} {name} {label}: {result}", flush=True)
    summary: dict[str, dict[str, dict[str, float | bool | str]]] = {}
    for name, labels in runs.items():
        summary[name] = {}
        for label, results in labels.items():
            good = [r for r in results if "error" not in r]
            if not good:
                summary[name][label] = {"error": str(results[0].get("error"))}
                continue
            summary[name][label] = {
                key: statistics.median(float(r[key]) for r in good)
                for key in ("import_s", "index_s", "peak_rss_mb", "rss_before_mb", "text_chars", "lessons")
            } | {"found": all(bool(r["found"]) for r in good)}
    print(json.dumps(summary, indent=2))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (results / f"sources-{stamp}.json").write_text(
        json.dumps(
            {"machine": platform.platform(), "args": vars(args), "runs": runs, "summary": summary}, indent=2
        )
    )


if __name__ == "__main__":
    main()
