"""A Kolibri exercise's questions (Perseus items in its .perseus zip) as the hub's quiz questions.

A .perseus file is a zip of `exercise.json` and one `<assessment item id>.json` per question,
each a Perseus item: Markdown with `[[☃ widget 1]]` where its one answer widget sits. Mapped:
`radio` → single choice (multiple choice when it takes several answers), `numeric-input` and
the older `input-number` → numeric (Perseus' maxError becomes the tolerance). A question with
any other widget, with several widgets, or with pictures (a hub quiz has none) is skipped and
counted, with the reason, for the import summary. Hints become the explanation.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content.errors import ContentError
from content.model import MAX_NUMBER
from content.package import ZIP_READ_ERRORS, check_zip_members

MAX_ITEM_BYTES = 512 * 1024
MAX_QUESTIONS = 200
_WIDGET = re.compile(r"\[\[\u2603 ([a-z0-9-]+ \d+)\]\]")
_PICTURE = re.compile(r"!\[[^\]]*\]\(|web\+graphie:|\$\{\u2623 (?:LOCALPATH|CONTENTSTORAGE)\}")


@dataclass
class Exercise:
    questions: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> questions skipped for it
    pass_mark: float = 0.6


def _clean(markdown: str) -> str:
    return "\n".join(line.rstrip() for line in _WIDGET.sub("", markdown).strip().splitlines()).strip()


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= MAX_NUMBER and number == number else None


def _radio(options: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    choices = options.get("choices") or []
    texts = [str(choice.get("content") or "").strip() for choice in choices if isinstance(choice, dict)]
    if len(texts) != len(choices) or len(texts) < 2 or not all(texts):
        return None, "a choice question whose choices are empty"
    if any(_PICTURE.search(text) for text in texts):
        return None, "a question whose choices are pictures"
    if any(len(text) > 500 for text in texts):
        return None, "a choice longer than 500 characters"
    correct = [i for i, choice in enumerate(choices) if choice.get("correct") is True]
    if not correct:
        return None, "a choice question with no right answer"
    if options.get("multipleSelect") or len(correct) > 1:
        return {"type": "multiple", "choices": texts, "answer": correct}, ""
    return {"type": "single", "choices": texts, "answer": correct[0]}, ""


def _numeric(kind: str, options: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    if kind == "input-number":
        value, tolerance = _number(options.get("value")), _number(options.get("maxError") or 0)
    else:
        right = [
            a for a in options.get("answers") or [] if isinstance(a, dict) and a.get("status") == "correct"
        ]
        if not right:
            return None, "a number question with no right answer"
        value, tolerance = _number(right[0].get("value")), _number(right[0].get("maxError") or 0)
    if value is None or tolerance is None or tolerance < 0:
        return None, "a number question whose answer is not a number"
    return {"type": "numeric", "answer": value, "tolerance": tolerance}, ""


def _question(item: object) -> tuple[dict[str, Any] | None, str]:
    """The hub's question for one Perseus item, or None and why it is skipped."""
    question = item.get("question") if isinstance(item, dict) else None
    if not isinstance(question, dict) or not isinstance(question.get("content"), str):
        return None, "a question that is not a Perseus question"
    content, widgets = question["content"], question.get("widgets") or {}
    used = _WIDGET.findall(content)
    if len(used) != 1 or not isinstance(widgets.get(used[0]), dict):
        return None, "a question with several answer places (Perseus widgets)"
    if _PICTURE.search(content) or question.get("images"):
        return None, "a question with pictures (the hub's quizzes show text only)"
    widget = widgets[used[0]]
    kind, options = str(widget.get("type") or ""), widget.get("options") or {}
    if kind == "radio":
        mapped, why = _radio(options)
    elif kind in ("numeric-input", "input-number"):
        mapped, why = _numeric(kind, options)
    else:
        return None, f"Perseus widget {kind[:40]!r}, which the hub's quizzes have no kind for"
    if mapped is None:
        return None, why
    if mapped["type"] == "numeric":  # "[[☃ numeric-input 1]] litres": the words after the box are its unit
        after = re.search(r"\[\[\u2603 " + re.escape(used[0]) + r"\]\][ \t]*([^\n\[]{1,30})$", content, re.M)
        if after and after.group(1).strip():
            mapped["unit"] = after.group(1).strip()
            content = content[: after.start(1)] + content[after.end(1) :]
    prompt = _clean(content)[:2000]
    if not prompt:
        return None, "a question without words"
    hints = [_clean(str(h.get("content") or "")) for h in item.get("hints") or [] if isinstance(h, dict)]  # type: ignore[union-attr]
    explanation = "\n\n".join(h for h in hints if h and not _PICTURE.search(h))[:4000]
    return {"prompt": prompt, "explanation": explanation or _answer_words(mapped), **mapped}, ""


def _answer_words(question: dict[str, Any]) -> str:
    if question["type"] == "numeric":
        return f"The answer is {question['answer']:g}."
    answer = question["answer"]
    picked = answer if isinstance(answer, list) else [answer]
    return "The answer: " + "; ".join(question["choices"][i] for i in picked) + "."


def _pass_mark(mastery: str) -> float:
    """Kolibri's "m of n" mastery as the quiz's pass mark; other models keep the hub's 60 %."""
    try:
        model = json.loads(mastery) if mastery else {}
    except ValueError:
        return 0.6
    if isinstance(model, dict) and model.get("type") == "m_of_n":
        m, n = _number(model.get("m")), _number(model.get("n"))
        if m and n and 0 < m <= n:
            return round(m / n, 3)
    return 0.6


def _item_ids(raw: str, exercise: dict[str, Any]) -> list[str]:
    try:
        ids = json.loads(raw) if raw else []
    except ValueError:
        ids = []
    if not ids:
        ids = exercise.get("all_assessment_items") or []
    return [str(i) for i in ids if isinstance(i, str) and re.match(r"^[0-9a-zA-Z_-]{1,64}$", i)]


def read_exercise(path: Path, item_ids: str, mastery: str) -> Exercise:
    """The questions of the .perseus file at `path`; ContentError when the file is not one."""
    result = Exercise(pass_mark=_pass_mark(mastery))
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip_members(archive)
            names = {info.filename: info for info in archive.infolist()}

            def read(name: str) -> Any:
                info = names.get(name)
                if info is None or info.file_size > MAX_ITEM_BYTES:
                    raise ContentError(f"{name} is missing or too large")
                return json.loads(archive.read(info).decode("utf-8"))

            exercise = read("exercise.json") if "exercise.json" in names else {}
            wanted = _item_ids(item_ids, exercise if isinstance(exercise, dict) else {})
            for item_id in wanted[:MAX_QUESTIONS]:
                if f"{item_id}.json" not in names:
                    result.skipped["a question whose file is not in the exercise"] += 1
                    continue
                question, why = _question(read(f"{item_id}.json"))
                if question is None:
                    result.skipped[why] += 1
                else:
                    result.questions.append(question)
    except (*ZIP_READ_ERRORS, ValueError, UnicodeDecodeError) as error:
        raise ContentError(f"its exercise file is damaged ({error})") from None
    return result
