"""Kolibri channels on a drive: `KOLIBRI_DATA/`, its `content/` folder, or one channel's `.sqlite3`.

Mapping (see kolibri_channel.py for the database, kolibri_perseus.py for the questions):
- each top topic of a channel becomes a course, its resources (at any depth below it, in
  Kolibri's order) its lessons; resources directly at the channel's top form one more course
  named after the channel. The channel becomes a pathway of its courses, in order.
- video (the low-resolution file when there is one, for phones; WebVTT subtitles as captions;
  its thumbnail as poster), audio, PDF documents, HTML5 apps (the html5 kind, played sandboxed),
  H5P activities (the h5p kind) and exercises (Perseus questions the hub's quiz kinds can hold)
  become lessons. Anything else is skipped and counted with its reason, shown before the
  import: slideshows, EPUB documents, coach-only items, files missing from the drive, damaged
  PDFs, unsafe app zips, H5P files without their libraries, unsupported questions.
- licence, author and copyright holder go into each lesson's text and the course's licence;
  the channel's author is the publisher. Nothing is signed: the hub marks it "imported from a
  Kolibri channel, not verified" and a tutor must choose to take it.

Ids come from Kolibri's own node ids, which a channel keeps from version to version, so a
re-import updates the same courses and lessons. A drive with several channels imports them
all (one import, all or nothing); to take only one, import its `.sqlite3` file.

Files are checked against the MD5 that names them (media while they are copied, exercises and
subtitles when they are read); a damaged one refuses the whole import (copy the channel again),
while a missing one is only skipped.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content.apptext import app_text
from content.appzip import check_app_zip
from content.captions import to_webvtt
from content.errors import ContentError
from content.h5p import check_h5p, h5p_text
from content.importers.base import CoursePreview, ImportOptions, PathwayPlan, Preview, Progress
from content.importers.identity import key_hash
from content.importers.kolibri_channel import Channel, ChannelFile, Node, read_channel
from content.importers.kolibri_perseus import Exercise, read_exercise
from content.importers.pdf import text_alternative
from content.importers.writer import PackageWriter
from content.model import LANGUAGE_PATTERN, slug
from content.pdfcheck import pdf_action
from content.pdfread import check_pdf, pdf_pages

ORIGIN = "kolibri"
MAX_CAPTION_BYTES = 1024**2
PDF_TEXT_CHARS = 200_000
_VIDEO = {"mp4": "video/mp4", "webm": "video/webm"}
_AUDIO = {
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "opus": "audio/ogg",
}
_PICTURE = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
_APP = {"zip": "application/zip"}
_H5P = {"h5p": "application/zip"}
_KIND_REASONS = {
    "slideshow": "slideshows have no lesson kind on this hub",
    "zim": "Kiwix pages inside a channel: import the ZIM file itself",
}
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_PLANS: dict[tuple[object, ...], list[ChannelPlan]] = {}  # the last few plans made, by source
_PLANS_LOCK = threading.Lock()


@dataclass
class PlannedLesson:
    node: Node
    kind: str  # video, audio, pdf, quiz, html5 or h5p
    media: ChannelFile | None = None
    captions: list[ChannelFile] = field(default_factory=list)
    poster: ChannelFile | None = None
    exercise: Exercise | None = None


@dataclass
class PlannedCourse:
    id: str
    node: Node
    title: str
    language: str
    lessons: list[PlannedLesson] = field(default_factory=list)


@dataclass
class ChannelPlan:
    channel: Channel
    courses: list[PlannedCourse] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> items skipped
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> a few titles
    questions_skipped: Counter[str] = field(default_factory=Counter)

    def skip(self, node: Node, reason: str) -> None:
        self.skipped[reason] += 1
        self.examples.setdefault(reason, [])
        if len(self.examples[reason]) < 3:
            self.examples[reason].append(node.title)

    def files(self) -> list[ChannelFile]:
        found = {}
        for course in self.courses:
            for lesson in course.lessons:
                for file in (lesson.media, lesson.poster, *lesson.captions):
                    if file is not None:
                        found[file.checksum] = file
        return list(found.values())


def ident(node_id: str) -> str:
    """An id-shaped name for a Kolibri node: its own 32 hex digits, else a hash of whatever it is."""
    return node_id if _HEX32.match(node_id) else key_hash(node_id, 32)


def file_name(title: str, extension: str) -> str:
    """A name a person can read for a downloaded file ("boiling-water.mp4"), not Kolibri's MD5."""
    return f"{slug(title, 'file', max_length=40)}.{extension}"


def course_id(node: Node) -> str:
    return f"kolibri-{ident(node.id)}"


# Where the channels are.


def _content_folder(path: Path) -> Path | None:
    for folder in (path / "content", path):
        databases = folder / "databases"
        if databases.is_dir() and not databases.is_symlink():
            return folder
    return None


def locate(path: Path) -> tuple[list[Path], Path]:
    """The channel databases `path` names and the storage folder beside them."""
    if path.is_file():
        if path.parent.name != "databases":
            raise ContentError(
                f"{path.name} is a Kolibri channel database, but its files are not beside it: choose it "
                "inside KOLIBRI_DATA/content/databases/ (with content/storage/ next to that folder)"
            )
        databases, folder = [path], path.parent.parent
    else:
        found = _content_folder(path)
        if found is None:
            raise ContentError(f"{path.name} holds no Kolibri content/databases folder")
        folder = found
        databases = sorted(
            p for p in (folder / "databases").glob("*.sqlite3") if p.is_file() and not p.is_symlink()
        )
        if not databases:
            raise ContentError(
                f"{path.name} holds no Kolibri channel (no .sqlite3 file in content/databases)"
            )
    storage = folder / "storage"
    if not storage.is_dir() or storage.is_symlink():
        raise ContentError(
            f"there is no content/storage folder beside {databases[0].name}, so the channel's files are "
            "missing: copy the whole KOLIBRI_DATA/content folder"
        )
    return databases, storage


def _present(file: ChannelFile, storage: Path) -> Path | None:
    """The file's path when it is a plain file on the drive (never a link), else None."""
    path = file.path(storage)
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return path if stat.S_ISREG(info.st_mode) else None


# Planning: what each node becomes (read in preview and again in convert, so both say the same).


def _language(channel: Channel, lang_id: str | None, default: str) -> str:
    language = channel.languages.get(str(lang_id)) if lang_id else None
    return language.code if language and re.match(LANGUAGE_PATTERN, language.code) else default


def _first(node: Node, presets: tuple[str, ...], types: dict[str, str]) -> ChannelFile | None:
    for preset in presets:
        for file in node.files:
            if file.preset == preset and file.extension in types:
                return file
    return None


def _plan_lesson(node: Node, plan: ChannelPlan) -> PlannedLesson | None:
    storage = plan.channel.storage
    if node.coach_only:
        plan.skip(node, "coach-only resources (Kolibri shows them to coaches only)")
        return None
    if node.kind in _KIND_REASONS:
        plan.skip(node, _KIND_REASONS[node.kind])
        return None
    if node.kind == "video":
        lesson = PlannedLesson(node, "video", _first(node, ("low_res_video", "high_res_video"), _VIDEO))
        lesson.poster = _first(node, ("video_thumbnail", "thumbnail"), _PICTURE)
        if lesson.poster and not _present(lesson.poster, storage):
            lesson.poster = None
        for file in node.files:
            if (
                file.preset == "video_subtitle"
                and file.extension == "vtt"
                and _usable_caption(file, plan, node)
            ):
                lesson.captions.append(file)
    elif node.kind == "audio":
        lesson = PlannedLesson(node, "audio", _first(node, ("audio",), _AUDIO))
    elif node.kind == "document":
        lesson = PlannedLesson(node, "pdf", _first(node, ("document",), {"pdf": "application/pdf"}))
        if lesson.media is None and any(f.extension == "epub" for f in node.files):
            plan.skip(node, "EPUB books: import the .epub file itself")
            return None
    elif node.kind == "exercise":
        lesson = PlannedLesson(node, "quiz", _first(node, ("exercise",), {"perseus": ""}))
    elif node.kind == "html5":
        lesson = PlannedLesson(node, "html5", _first(node, ("html5_zip",), _APP))
    elif node.kind == "h5p":
        lesson = PlannedLesson(node, "h5p", _first(node, ("h5p",), _H5P))
    else:
        plan.skip(node, f"Kolibri {node.kind[:30] or 'untyped'} resources have no lesson kind on this hub")
        return None
    if lesson.media is None:
        plan.skip(node, "no file of a type the hub can show")
        return None
    path = _present(lesson.media, storage)
    if path is None:
        plan.skip(node, "its file is not on the drive (the channel was exported without it)")
        return None
    if lesson.kind == "pdf" and (why := _pdf_problem(path)):
        plan.skip(node, why)
        return None
    if lesson.kind in _ZIPPED and (why := _zip_problem(lesson.kind, path)):
        plan.skip(node, why)
        return None
    if lesson.kind == "quiz":
        _check_intact(path, lesson.media, node)
        try:
            lesson.exercise = read_exercise(path, node.item_ids, node.mastery)
        except ContentError as error:
            plan.skip(node, f"an exercise whose file is damaged ({error})"[:200])
            return None
        plan.questions_skipped.update(lesson.exercise.skipped)
        if not lesson.exercise.questions:
            plan.skip(node, "exercises with no question the hub's quizzes can hold")
            return None
    return lesson


_ZIPPED: dict[str, tuple[Callable[[Path], object], str]] = {
    "html5": (check_app_zip, "HTML5 apps whose zip is unsafe or has no index.html"),
    "h5p": (check_h5p, "H5P activities whose file is unsafe or lacks the libraries it needs"),
}


def _zip_problem(kind: str, path: Path) -> str | None:
    """Why an HTML5 app or an H5P activity of the channel cannot be a lesson (content/appzip.py's
    and content/h5p.py's checks), or None."""
    check, reason = _ZIPPED[kind]
    try:
        check(path)
    except ContentError:
        return reason
    return None


def _usable_caption(file: ChannelFile, plan: ChannelPlan, node: Node) -> bool:
    path = _present(file, plan.channel.storage)
    if path is None or path.stat().st_size > MAX_CAPTION_BYTES:
        plan.skip(node, "subtitles missing from the drive (the video comes without them)")
        return False
    _check_intact(path, file, node)
    try:
        to_webvtt(path.read_bytes())
    except ContentError:
        plan.skip(node, "subtitles that are not WebVTT (the video comes without them)")
        return False
    return True


def damaged(title: str, path: Path) -> ContentError:
    return ContentError(
        f"“{title}”: its file {path.name} is damaged (its contents do not match its name). "
        "Nothing was imported; copy the channel from Kolibri again"
    )


def _check_intact(path: Path, file: ChannelFile, node: Node) -> None:
    """Refuse a small file (an exercise, subtitles) whose bytes do not match the MD5 naming it."""
    if hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() != file.checksum:
        raise damaged(node.title, path)


def _pdf_problem(path: Path) -> str | None:
    try:
        check_pdf(path)
        if pdf_action(path):
            return "PDFs that run scripts in the reader's viewer"
    except ContentError:
        return "PDFs that are damaged"
    return None


def _resources(node: Node) -> list[Node]:
    """The resources below a topic, depth first in Kolibri's order."""
    found = []
    for child in node.children:
        found.extend(_resources(child) if child.kind == "topic" else [child])
    return found


def plan_channel(channel: Channel, options: ImportOptions) -> ChannelPlan:
    plan = ChannelPlan(channel)
    default = _language(channel, channel.root.language, options.language)
    loose = PlannedCourse(course_id(channel.root), channel.root, channel.name, default)
    for child in channel.root.children:
        if child.kind != "topic":
            if lesson := _plan_lesson(child, plan):
                loose.lessons.append(lesson)
            continue
        course = PlannedCourse(
            course_id(child), child, child.title, _language(channel, child.language, default)
        )
        course.lessons = [lesson for node in _resources(child) if (lesson := _plan_lesson(node, plan))]
        if course.lessons:
            plan.courses.append(course)
    if loose.lessons:
        plan.courses.insert(0, loose)
    return plan


def _notes(plan: ChannelPlan) -> list[str]:
    channel = plan.channel
    notes = [
        f"Kolibri channel “{channel.name}”, version {channel.version}: its {len(plan.courses)} top topics "
        "become courses and the channel a learning pathway of them. Imported from a Kolibri channel, "
        "not verified."
    ]
    for reason, count in sorted(plan.skipped.items(), key=lambda item: -item[1]):
        titles = ", ".join(f"“{t}”" for t in plan.examples.get(reason, []))
        notes.append(f"Skipped {count} item{'s' if count != 1 else ''}: {reason} ({titles}).")
    for reason, count in sorted(plan.questions_skipped.items(), key=lambda item: -item[1]):
        notes.append(f"Skipped {count} question{'s' if count != 1 else ''}: {reason}.")
    if not plan.courses:
        notes.append("Nothing in this channel is something the hub can show.")
    return notes


# Writing packages.


def _credit(node: Node) -> str:
    parts = [f"{label}: {value}" for label, value in
             (("Licence", node.license), ("Author", node.author), ("Copyright holder", node.license_owner))
             if value]  # fmt: skip
    return " · ".join(parts)


def _transcript(vtt: bytes) -> str:
    lines = []
    for line in vtt.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith(("WEBVTT", "NOTE")) or "-->" in line or line.isdigit():
            continue
        lines.append(re.sub(r"<[^>]+>", "", line))
    return " ".join(lines)


class _Copier:
    """Copies a channel's files into packages, checking each against the MD5 that names it."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.done, self.progress = total, 0, progress
        self.storage = Path()

    def add(
        self, writer: PackageWriter, file: ChannelFile, title: str, media_type: str | None
    ) -> dict[str, Any]:
        path = file.path(self.storage)
        if _present(file, self.storage) is None:
            raise ContentError(f"“{title}”: its file {path.name} went missing during the import")
        md5, start = hashlib.md5(usedforsecurity=False), self.done

        def moved(done: int) -> None:
            if self.progress:
                self.progress(start + done, self.total)

        ref = writer.add_file(path, file_name(title, file.extension), media_type, moved, also=md5)
        if md5.hexdigest() != file.checksum:
            raise damaged(title, path)
        self.done += ref["size"]
        return ref


def _lesson(lesson: PlannedLesson, course: PlannedCourse, writer: PackageWriter, copier: _Copier,
            channel: Channel) -> dict[str, Any]:  # fmt: skip
    node = lesson.node
    data: dict[str, Any] = {"id": ident(node.id), "title": node.title, "kind": lesson.kind}
    if node.seconds:
        data["minutes"] = min(math.ceil(node.seconds / 60), 600)
    words = [node.description.strip()]
    if lesson.kind == "quiz" and lesson.exercise:
        data["questions"] = lesson.exercise.questions
        data["pass_mark"] = lesson.exercise.pass_mark
    else:
        media_type = {**_VIDEO, **_AUDIO, **_APP, **_H5P, "pdf": "application/pdf"}[lesson.media.extension]  # type: ignore[union-attr]
        data["media"] = [copier.add(writer, lesson.media, node.title, media_type)]  # type: ignore[arg-type]
    if lesson.kind == "pdf":
        path = lesson.media.path(channel.storage)  # type: ignore[union-attr]
        words.append(text_alternative(path, pdf_pages(path, PDF_TEXT_CHARS)))
    if lesson.kind == "html5":  # what the app shows, for those who cannot use it
        words.append(app_text(lesson.media.path(channel.storage), PDF_TEXT_CHARS))  # type: ignore[union-attr]
    if lesson.kind == "h5p":  # its questions, answers and feedback, for those who cannot play it
        words.append(h5p_text(lesson.media.path(channel.storage), PDF_TEXT_CHARS))  # type: ignore[union-attr]
    if lesson.poster:
        data["poster"] = copier.add(writer, lesson.poster, node.title, _PICTURE[lesson.poster.extension])
    captions = []
    for file in lesson.captions:
        path = file.path(channel.storage)
        _check_intact(path, file, node)  # again: the drive may have changed since the preview
        vtt = to_webvtt(path.read_bytes())
        language = _language(channel, file.language, course.language)
        label = channel.languages[file.language].name if file.language in channel.languages else language
        captions.append({"file": writer.add_bytes(vtt, file_name(node.title, f"{language}.vtt"), "text/vtt"),
                         "language": language, "label": label[:80]})  # fmt: skip
        if len(captions) == 1:
            words.append(_transcript(vtt))
    if captions:
        data["captions"] = captions
    if credit := _credit(node):
        words.append(credit)
    text = "\n\n".join(w for w in words if w)
    data["text"] = text or f"{node.title}. No text version came with it in the Kolibri channel."
    return data


def _course(course: PlannedCourse, channel: Channel, options: ImportOptions) -> dict[str, Any]:
    licences = sorted({lesson.node.license for lesson in course.lessons if lesson.node.license})
    return {
        "id": course.id,
        "version": channel.version,
        "title": course.title,
        "summary": (course.node.description or channel.description).strip()[:2000],
        "language": course.language,
        "license": ", ".join(licences),
        "publisher": (channel.author or channel.name or options.publisher)[:200],
        "sources": [f"Kolibri channel “{channel.name}” ({channel.id}), version {channel.version}"],
    }


class KolibriImporter:
    format = "Kolibri channel"

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".sqlite3"
        folder = _content_folder(path) if path.is_dir() else None
        return folder is not None and any((folder / "databases").glob("*.sqlite3"))

    def _plans(self, path: Path, options: ImportOptions) -> list[ChannelPlan]:
        databases, storage = locate(path)
        # The preview's plan serves the import that follows it (reading 1,000 nodes' PDFs and
        # exercises twice took seconds): the same databases, unchanged, give the same plan. A file
        # changed in storage since is still caught by its MD5 while it is copied.
        key = (str(path.resolve()), options, tuple((str(d), d.stat().st_mtime_ns, d.stat().st_size)
                                                   for d in databases))  # fmt: skip
        with _PLANS_LOCK:
            if key in _PLANS:
                return _PLANS[key]
        plans = [plan_channel(read_channel(database, storage), options) for database in databases]
        ids = [course.id for plan in plans for course in plan.courses]
        if len(ids) != len(set(ids)):
            raise ContentError(
                "two of these channels hold the same topic; import each channel's .sqlite3 alone"
            )
        if not ids:
            raise ContentError(
                f"{path.name}: nothing in it is something this hub can show. "
                + " ".join(note for plan in plans for note in _notes(plan)[1:])
            )
        with _PLANS_LOCK:
            _PLANS[key] = plans
            while len(_PLANS) > 4:
                del _PLANS[next(iter(_PLANS))]
        return plans

    def preview(self, path: Path, options: ImportOptions) -> Preview:
        plans = self._plans(path, options)
        courses, notes, pathways, total = [], [], [], 0
        for plan in plans:
            notes.extend(_notes(plan))
            for course in plan.courses:
                size = sum(_size(file, plan.channel.storage) for lesson in course.lessons
                           for file in (lesson.media, lesson.poster, *lesson.captions) if file)  # fmt: skip
                total += size
                version = plan.channel.version
                courses.append(CoursePreview(course.id, course.title, course.language, len(course.lessons),
                                             size, version))  # fmt: skip
            pathways.append(PathwayPlan(f"kolibri:{plan.channel.id}", plan.channel.name,
                                        tuple(course.id for course in plan.courses)))  # fmt: skip
        if len(plans) > 1:
            notes.insert(0, f"This drive holds {len(plans)} Kolibri channels; all of them are imported. "
                            "To take one only, import its .sqlite3 file from content/databases.")  # fmt: skip
        return Preview(self.format, path, courses, total, work_bytes=total, notes=notes, renamable=True,
                       origin=ORIGIN, pathways=pathways)  # fmt: skip

    def convert(
        self, path: Path, work: Path, options: ImportOptions, progress: Progress | None
    ) -> list[Path]:
        plans = self._plans(path, options)
        total = sum(_size(file, plan.channel.storage) for plan in plans for file in plan.files())
        packages, copier = [], _Copier(total, progress)
        for plan in plans:
            copier.storage = plan.channel.storage
            for course in plan.courses:
                writer = PackageWriter(work / course.id)
                lessons = [_lesson(lesson, course, writer, copier, plan.channel) for lesson in course.lessons]
                writer.finish(_course(course, plan.channel, options), lessons)
                packages.append(writer.root)
        return packages


def _size(file: ChannelFile, storage: Path) -> int:
    path = _present(file, storage)
    return path.stat().st_size if path else 0
