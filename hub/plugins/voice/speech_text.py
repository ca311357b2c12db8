"""What the hub's voice reads of a lesson: plain sentences, without markup, links, emoji or code.

A lesson is read in parts: its title and text (an article, or the text version of a video or a PDF;
an audio lesson's transcript is what its own recording says), and for a quiz each question with
its choices (``q1``…) and each explanation (``e1``…), so the quiz page offers them where shown.
A part longer than MAX_WORDS is cut at the end of the sentence that reaches it; the page says so
(the whole text is still there to read).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

from content.markdown import render_markdown
from content.model import Lesson

MAX_WORDS = 10_000  # about 70 minutes of speech: a long lesson is cut here, and the page says so
TEXT_PART = "text"

_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+\b", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,500}>")
_MARKUP = re.compile(r"[*_`#|~<>\[\]{}^=\\]+")  # what is left of markup a renderer passed through
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+")
_SPACES = re.compile(r"\s+")
_SKIPPED_TAGS = {"pre", "code", "script", "style", "svg", "math", "img"}
_BLOCK_TAGS = {
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "td",
    "th",
    "dt",
    "dd",
    "blockquote",
    "br",
    "tr",
}


@dataclass(frozen=True)
class SpeechPart:
    """One listenable part of a lesson: its sentences, and whether it was cut at MAX_WORDS."""

    part: str
    sentences: tuple[str, ...]
    words: int  # words read aloud
    cut: bool

    @property
    def text(self) -> str:
        return "\n".join(self.sentences)

    def key(self, voice: str) -> str:
        """Names this speech whatever lesson holds it: same voice and text, same sound."""
        return hashlib.sha256(f"{voice}\n{self.text}".encode()).hexdigest()


class _Blocks(HTMLParser):
    """The text of each block of rendered HTML, skipping code and images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS and tag != "img":
            self._skipping += 1
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and tag != "img":
            self._skipping = max(0, self._skipping - 1)
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._current.append(data)

    def _flush(self) -> None:
        if self._current:
            self.blocks.append("".join(self._current))
            self._current = []

    def close(self) -> None:
        super().close()
        self._flush()


def _is_noise(char: str) -> bool:
    """Emoji, pictographs, joiners and variation selectors: a voice spells them out by name."""
    category = unicodedata.category(char)
    return category in ("So", "Sk", "Cs", "Co", "Cn") or char in "\u200d\ufe0e\ufe0f\u20e3"


def clean(text: str) -> str:
    """A line of text as it should be read: no addresses, emoji or markup characters."""
    text = _URL.sub(" ", _TAG.sub(" ", text))
    text = "".join(" " if _is_noise(c) else c for c in text)
    text = _MARKUP.sub(" ", text)
    return _SPACES.sub(" ", text).strip(" -–—:;,")


def sentences_of(text: str) -> list[str]:
    """Sentences of plain text, in order; a block with no end mark is one sentence."""
    found = []
    for line in text.splitlines():
        for sentence in _SENTENCE_END.split(clean(line)):
            if any(c.isalnum() for c in sentence):
                found.append(sentence.strip())
    return found


def markdown_sentences(markdown: str) -> list[str]:
    parser = _Blocks()
    parser.feed(render_markdown(markdown))
    parser.close()
    return sentences_of("\n".join(parser.blocks))


def bounded(part: str, sentences: list[str], max_words: int = MAX_WORDS) -> SpeechPart:
    """The sentences up to the one that reaches max_words."""
    kept, words = [], 0
    for sentence in sentences:
        if words >= max_words:
            return SpeechPart(part, tuple(kept), words, cut=True)
        kept.append(sentence)
        words += len(sentence.split())
    return SpeechPart(part, tuple(kept), words, cut=False)


def lesson_parts(lesson: Lesson, max_words: int = MAX_WORDS) -> list[SpeechPart]:
    """Every part of a lesson the hub reads aloud (none for a lesson with nothing to read)."""
    parts = []
    if lesson.kind != "audio":  # an audio lesson's text is the transcript of its own recording
        parts.append(
            bounded(TEXT_PART, [*sentences_of(lesson.title), *markdown_sentences(lesson.text)], max_words)
        )
    for number, question in enumerate(lesson.questions, start=1):
        choices = [f"{i}. {clean(choice)}" for i, choice in enumerate(question.choices, start=1)]
        parts.append(bounded(f"q{number}", [*sentences_of(question.prompt), *choices], max_words))
        parts.append(bounded(f"e{number}", sentences_of(question.explanation), max_words))
    return [p for p in parts if p.sentences]
