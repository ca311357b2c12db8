"""The course / lesson model: what a package manifest holds.

Pydantic models at the edge of the content library: a manifest read from disk is
validated here, and every error names the field that is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from content.errors import ContentError

FORMAT_NAME = "commons-hub-package"
FORMAT_VERSION = 1

ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"


def slug(text: str, fallback: str, max_length: int = 60) -> str:
    """An id-shaped version of a title or file name: lower-case ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:max_length].strip("-") or fallback


SHA256_PATTERN = r"^[0-9a-f]{64}$"
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"

LessonKind = Literal["article", "video", "audio", "pdf", "images", "quiz", "zim", "html5", "h5p"]
LESSON_KINDS: tuple[str, ...] = LessonKind.__args__  # type: ignore[attr-defined]
MEDIA_KINDS = frozenset({"video", "audio", "pdf", "zim", "html5", "h5p"})
TEXT_ALTERNATIVE_KINDS = frozenset({"video", "audio", "pdf", "zim", "html5", "h5p"})
# How a tutor's message names a lesson of each kind, and the file a media lesson needs.
_A_LESSON = {
    "article": "an article",
    "video": "a video lesson",
    "audio": "a listening lesson",
    "pdf": "a PDF lesson",
    "zim": "a Kiwix lesson",
    "images": "a pictures lesson",
    "quiz": "a quiz",
    "html5": "an HTML5 app lesson",
    "h5p": "an H5P activity",
}
_ITS_FILE = {
    "video": "a video file",
    "audio": "a sound file",
    "pdf": "a PDF file",
    "zim": "a ZIM file",
    "html5": "the app's .zip file",
    "h5p": "the activity's .h5p file",
}


MAX_NUMBER = 1e12  # a quiz's numbers: answers and tolerances, far below where a float loses its way


class _Strict(BaseModel):
    # NaN and infinity are never a course's numbers: JSON has no way to store them (a NaN answer
    # was kept as null, and the course then failed to load on every page).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class FileRef(_Strict):
    """A file a lesson uses, named by its content hash."""

    sha256: Annotated[str, Field(pattern=SHA256_PATTERN)]
    size: Annotated[int, Field(ge=0)]
    media_type: Annotated[str, Field(min_length=3, max_length=100)]
    name: Annotated[str, Field(min_length=1, max_length=200)]


class Caption(_Strict):
    file: FileRef
    language: Annotated[str, Field(pattern=LANGUAGE_PATTERN)]
    label: Annotated[str, Field(min_length=1, max_length=80)]


class Image(_Strict):
    file: FileRef
    alt: Annotated[str, Field(min_length=1, max_length=1000)]
    caption: str = ""


class Question(_Strict):
    type: Literal["single", "multiple", "truefalse", "numeric"]
    prompt: Annotated[str, Field(min_length=1, max_length=2000)]
    explanation: Annotated[str, Field(min_length=1, max_length=4000)]
    choices: list[Annotated[str, Field(min_length=1, max_length=500)]] = []
    answer: bool | int | float | list[int]
    tolerance: Annotated[float, Field(ge=0, le=MAX_NUMBER)] = 0
    unit: str = ""

    @model_validator(mode="after")
    def _answer_fits_type(self) -> Question:
        kind, answer, n = self.type, self.answer, len(self.choices)
        if kind in ("single", "multiple") and n < 2:
            raise ValueError(f"a {kind}-choice question needs at least 2 choices")
        if kind in ("truefalse", "numeric") and n:
            raise ValueError(f"a {kind} question has no choices")
        if kind == "single" and not (type(answer) is int and 0 <= answer < n):
            raise ValueError(f"answer must be the index of one choice (0 to {n - 1})")
        if kind == "multiple" and not (
            isinstance(answer, list) and answer and all(0 <= i < n for i in answer)
        ):
            raise ValueError(f"answer must be a list of choice indexes (0 to {n - 1})")
        if kind == "truefalse" and type(answer) is not bool:
            raise ValueError("answer must be true or false")
        if kind == "numeric" and not (type(answer) in (int, float) and abs(answer) <= MAX_NUMBER):
            raise ValueError(f"answer must be a number between -{MAX_NUMBER:g} and {MAX_NUMBER:g}")
        return self


class Lesson(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    kind: LessonKind
    minutes: Annotated[int, Field(ge=0, le=600)] = 0
    text: str = ""
    media: list[FileRef] = []
    poster: FileRef | None = None
    captions: list[Caption] = []
    images: list[Image] = []
    questions: list[Question] = []
    pass_mark: Annotated[float, Field(ge=0, le=1)] = 0.6
    entry: Annotated[str, Field(max_length=1000)] = ""  # a zim lesson's article path inside its ZIM file

    @model_validator(mode="after")
    def _has_what_its_kind_needs(self) -> Lesson:
        kind = self.kind
        if kind in MEDIA_KINDS and not self.media:
            raise ValueError(f"{_A_LESSON[kind]} needs its file: add {_ITS_FILE[kind]}")
        if kind not in MEDIA_KINDS and self.media:
            raise ValueError(f"{_A_LESSON[kind]} has no media files")
        if kind in TEXT_ALTERNATIVE_KINDS and not self.text.strip():
            raise ValueError(
                f"{_A_LESSON[kind]} needs a text version, for people who cannot use the file: write it "
                "as the lesson's text (its Markdown body)"
            )
        if kind == "images" and not self.images:
            raise ValueError("a pictures lesson needs at least one picture: add one")
        if kind == "quiz" and not self.questions:
            raise ValueError("a quiz needs at least one question: add one")
        if kind != "quiz" and self.questions:
            raise ValueError(f"a {kind} lesson has no questions")
        if kind == "zim" and (len(self.media) != 1 or not self.entry.strip() or "\x00" in self.entry):
            raise ValueError("a zim lesson needs one ZIM file and the path of its article (entry)")
        if kind == "html5" and len(self.media) != 1:
            raise ValueError("an HTML5 app lesson has one file: the app's .zip (with its index.html)")
        if kind == "h5p" and len(self.media) != 1:
            raise ValueError("an H5P activity has one file: its .h5p file")
        if kind != "zim" and self.entry:
            raise ValueError(f"a {kind} lesson has no entry")
        return self

    @model_serializer(mode="wrap")
    def _omit_empty_entry(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        """Only zim lessons carry `entry`, so every other manifest keeps its exact bytes."""
        data = handler(self)
        if not self.entry:
            data.pop("entry", None)
        return data

    def files(self) -> list[FileRef]:
        """Every file this lesson needs, in a stable order."""
        refs = [*self.media, *(c.file for c in self.captions), *(i.file for i in self.images)]
        if self.poster:
            refs.append(self.poster)
        return refs


class Course(_Strict):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    version: Annotated[int, Field(ge=1)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    summary: Annotated[str, Field(max_length=2000)] = ""
    language: Annotated[str, Field(pattern=LANGUAGE_PATTERN)]
    topics: list[Annotated[str, Field(pattern=ID_PATTERN)]] = []
    audience: str = ""
    level: Literal["beginner", "intermediate", "advanced"] = "beginner"
    license: str = ""
    publisher: Annotated[str, Field(min_length=1, max_length=200)]
    sources: list[str] = []
    translations: list[Annotated[str, Field(pattern=ID_PATTERN)]] = []
    cover: FileRef | None = None
    what_changed: Annotated[str, Field(max_length=1000)] = ""  # since the previous version, in plain words
    last_reviewed: date | None = None  # health guidance: when a person last checked it was still true
    review_by: date | None = None  # ... and when it must be checked again

    @model_validator(mode="after")
    def _review_after_last(self) -> Course:
        if self.last_reviewed and self.review_by and self.review_by < self.last_reviewed:
            raise ValueError("review_by must not be before last_reviewed")
        return self

    @model_serializer(mode="wrap")
    def _omit_unset_lifecycle(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        """The lifecycle fields appear only when set, so manifests made before them keep their exact bytes
        (and their signatures)."""
        data = handler(self)
        for name in _LIFECYCLE_FIELDS:
            if not data.get(name):
                data.pop(name, None)
        return data


_LIFECYCLE_FIELDS = ("what_changed", "last_reviewed", "review_by")


class Manifest(_Strict):
    format: Literal["commons-hub-package"]
    format_version: Literal[1]
    course: Course
    lessons: Annotated[list[Lesson], Field(min_length=1)]

    @field_validator("lessons")
    @classmethod
    def _lesson_ids_unique(cls, lessons: list[Lesson]) -> list[Lesson]:
        seen: set[str] = set()
        for lesson in lessons:
            if lesson.id in seen:
                raise ValueError(f"lesson id {lesson.id!r} appears twice")
            seen.add(lesson.id)
        return lessons

    def files(self) -> dict[str, FileRef]:
        """Every file the package must hold, by hash."""
        refs = [f for lesson in self.lessons for f in lesson.files()]
        if self.course.cover:
            refs.append(self.course.cover)
        return {ref.sha256: ref for ref in refs}


def describe_validation_error(error: ValidationError) -> str:
    """Turn Pydantic's report into one line per problem, each naming where it is."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = re.sub(r"^Value error, ", "", problem["msg"])
        lines.append(f"{where}: {message}" if where else message)  # a rule about the whole thing
    return "; ".join(lines)


def parse_manifest(data: object) -> Manifest:
    """Validate a decoded manifest, raising ContentError that names each problem."""
    if isinstance(data, dict):
        if data.get("format") != FORMAT_NAME:
            raise ContentError("this is not a Commons Hub package (manifest 'format' is wrong)")
        if data.get("format_version") != FORMAT_VERSION:
            raise ContentError(
                f"package format version {data.get('format_version')!r} is not supported "
                f"(this hub reads version {FORMAT_VERSION})"
            )
    try:
        return Manifest.model_validate(data)
    except ValidationError as error:
        raise ContentError(f"the manifest is not valid: {describe_validation_error(error)}") from None
