"""The Kiwix file: a course, a pathway or the whole library as one ZIM, written with libzim.

The Kiwix apps open it offline: a front page, a page per course and per lesson, the pictures,
the video and audio files that fit under the size limit, each video's text version, and quizzes
checked in the page by a small script inside the ZIM (nothing is sent anywhere; without script,
the answers are under "Answers"). Paths: `index`, `<course>/index`, `<course>/<lesson>`,
`media/<sha256>`, `assets/…`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hub.keep.booklet import Picture
from hub.keep.documents import TEMPLATES, Contents, environment, in_language, lesson_pictures

Step = Callable[[int, int, str], None]
# ZIM metadata names languages with ISO 639-3 codes.
ISO_639_3 = {"en": "eng", "fr": "fra", "es": "spa", "ar": "ara", "pt": "por", "de": "deu",
             "sw": "swa", "uk": "ukr", "ru": "rus", "fa": "fas", "tr": "tur", "so": "som"}  # fmt: skip


@dataclass(frozen=True)
class MediaLink:
    src: str
    name: str
    size: int


def _language_codes(contents: Contents) -> str:
    codes = dict.fromkeys(ISO_639_3.get(d.course.language.split("-")[0], "eng") for d in contents.courses)
    return ",".join(codes) or "eng"


def _illustration() -> bytes:
    """The 48×48 PNG the Kiwix apps show in their library."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (48, 48), "#1d5c8f")
    ImageDraw.Draw(picture).rectangle((10, 12, 38, 36), outline="#ffffff", width=3)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def write_zim(contents: Contents, title: str, name: str, out: Path, step: Step) -> None:
    """Write the ZIM at `out`: `title` on its front page, `name` its Kiwix book name."""
    from libzim.writer import Creator, FileProvider, Hint, Item, StringProvider  # type: ignore[import-untyped]

    class Entry(Item):  # type: ignore[misc]
        def __init__(self, path: str, title: str, mimetype: str, text: str = "", file: Path | None = None,
                     front: bool = False) -> None:  # fmt: skip
            super().__init__()
            self.path, self.title, self.mimetype = path, title, mimetype
            self.text, self.file, self.front = text, file, front

        def get_path(self) -> str:
            return self.path

        def get_title(self) -> str:
            return self.title

        def get_mimetype(self) -> str:
            return self.mimetype

        def get_contentprovider(self) -> object:
            return FileProvider(str(self.file)) if self.file else StringProvider(self.text)

        def get_hints(self) -> dict[object, int]:
            return {
                Hint.FRONT_ARTICLE: self.front,
                Hint.COMPRESS: not self.mimetype.startswith(("video", "audio")),
            }

    env = environment()
    added: set[str] = set()
    total = sum(len(d.lessons) + 1 for d in contents.courses) + 1
    creator_config = Creator(str(out)).config_verbose(False)
    with creator_config.config_indexing(True, _language_codes(contents).split(",")[0]) as creator:
        creator.set_mainpath("index")

        def add_media(ref: object) -> str:
            sha256, media_type = ref.sha256, ref.media_type  # type: ignore[attr-defined]
            path = f"media/{sha256}"
            if path not in added:
                creator.add_item(Entry(path, "", media_type.split(";")[0], file=contents.path(ref)))  # type: ignore[arg-type]
                added.add(path)
            return f"../{path}"

        done = 0
        for detail in contents.courses:
            course = detail.course
            with in_language(course.language):
                for index, lesson in enumerate(detail.lessons):
                    media = [
                        MediaLink(add_media(ref), ref.name, ref.size)
                        for ref in lesson.media[:1]
                        if lesson.kind != "zim" and contents.usable(ref)
                    ]
                    pictures = [
                        Picture(add_media(ref), alt, caption)
                        for ref, alt, caption in lesson_pictures(lesson)
                        if contents.usable(ref)
                    ]
                    page = env.get_template("zim_lesson.html").render(
                        language=course.language, title=lesson.title, root="../", lesson=lesson,
                        up={"href": "index", "title": course.title}, media=media, pictures=pictures,
                        previous=detail.lessons[index - 1] if index else None,
                        following=detail.lessons[index + 1] if index + 1 < len(detail.lessons) else None,
                    )  # fmt: skip
                    creator.add_item(
                        Entry(f"{course.id}/{lesson.id}", lesson.title, "text/html", page, front=True)
                    )
                    done += 1
                    step(done, total, lesson.title)
                cover = course.cover and contents.usable(course.cover)
                page = env.get_template("zim_course.html").render(
                    language=course.language, title=course.title, root="../", course=course,
                    lessons=detail.lessons, cover=add_media(course.cover) if cover and course.cover else "",
                    up={"href": "../index", "title": title},
                )  # fmt: skip
                creator.add_item(Entry(f"{course.id}/index", course.title, "text/html", page, front=True))
                done += 1
                step(done, total, course.title)
        language = contents.courses[0].course.language if len(contents.courses) == 1 else "en"
        with in_language(language):
            front = env.get_template("zim_front.html").render(
                language=language, title=title, root="", courses=contents.courses, left_out=contents.left_out
            )
        creator.add_item(Entry("index", title, "text/html", front, front=True))
        creator.add_item(Entry("assets/keep.css", "", "text/css", (TEMPLATES / "zim.css").read_text()))
        creator.add_item(
            Entry("assets/quiz.js", "", "application/javascript", (TEMPLATES / "zim_quiz.js").read_text())
        )
        metadata = {
            "Name": name, "Title": title[:30], "Description": title[:80],
            "Language": _language_codes(contents), "Creator": "Commons Hub", "Publisher": "Commons Hub",
            "Date": _today(),
        }  # fmt: skip
        for key, value in metadata.items():
            creator.add_metadata(key, value)
        creator.add_illustration(48, _illustration())
        step(total, total, "Writing the ZIM file")


def _today() -> str:
    from datetime import date

    return date.today().isoformat()
