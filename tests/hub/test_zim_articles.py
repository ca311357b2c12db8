"""Issue 16, ZIM: articles keep their language and direction, on the lesson page and when reached
by a link; videos (with captions) and MathML formulas inside Kiwix articles are kept, scripts not.
The ZIMs are packed by Debian's zimwriterfs, as Kiwix's own are."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub import imports
from hub.home import Hub
from hub.learners import Role
from tests.conftest import signed_in
from tests.importing import needs_zimwriterfs, zimwriterfs

FORMULA = "<math display='block'><mrow><mi>x</mi><mo>=</mo><mfrac><mn>1</mn><mn>2</mn></mfrac></mrow></math>"
PAGES = {
    "index.html": ("الصحة", "<h1>الصحة</h1><p>اقرأ عن <a href='ملاريا.html'>الملاريا</a>.</p>"),
    "ملاريا.html": (
        "الملاريا",
        "<p>نم تحت ناموسية.</p><video controls src='media/net.webm' onplay='steal()'>"
        "<track kind='captions' src='media/net.vtt' srclang='ar'></video>"
        f"<p>{FORMULA}</p>"
        "<math><annotation-xml encoding='text/html'><script>x()</script></annotation-xml></math>"
        "<script>alert(1)</script>",
    ),
}


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(tmp_path / "home")


def _import(hub: Hub, tmp_path: Path, lang: str = "ar") -> tuple[str, str]:
    zim = tmp_path / "health.zim"
    folder = zim.parent / f"{zim.stem}-html" / "media"
    folder.mkdir(parents=True)
    (folder / "net.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nناموسية\n", encoding="utf-8")
    (folder / "net.webm").write_bytes(b"\x1a\x45\xdf\xa3" + b"\0" * 60)
    zimwriterfs(zim, PAGES, title="الصحة", name="health_ar", lang=lang)
    [result] = imports.run_import(hub, zim, allow_unverified=True)
    sha = hub.course(result.course_id).lessons[0].media[0].sha256
    return result.course_id, sha


@needs_zimwriterfs
def test_an_article_reached_by_a_link_keeps_its_language_and_direction(hub: Hub, tmp_path: Path):
    course_id, sha = _import(hub, tmp_path)
    reader = signed_in(hub, Role.LEARNER)
    home = reader.get(f"/courses/{course_id}/index-html").text
    assert '<div lang="ar" dir="rtl">' in home
    link = f"/zim/{sha}/%D9%85%D9%84%D8%A7%D8%B1%D9%8A%D8%A7.html"  # ملاريا.html
    assert f'href="{link}"' in home
    page = reader.get(link).text
    assert '<div lang="ar" dir="rtl">' in page and "نم تحت ناموسية" in page


@needs_zimwriterfs
def test_without_lang_on_the_article_the_zims_own_language_counts(hub: Hub, tmp_path: Path):
    _, sha = _import(hub, tmp_path, lang="")
    page = signed_in(hub, Role.LEARNER).get(f"/zim/{sha}/%D9%85%D9%84%D8%A7%D8%B1%D9%8A%D8%A7.html").text
    assert '<div lang="ar" dir="rtl">' in page


@needs_zimwriterfs
def test_videos_with_captions_and_formulas_are_kept_and_scripts_are_not(hub: Hub, tmp_path: Path):
    _, sha = _import(hub, tmp_path)
    reader = signed_in(hub, Role.LEARNER)
    page = reader.get(f"/zim/{sha}/%D9%85%D9%84%D8%A7%D8%B1%D9%8A%D8%A7.html").text
    article = page.split('class="prose"')[1]
    assert f'<video controls="" src="/zim/{sha}/media/net.webm">' in article
    assert f'<track kind="captions" src="/zim/{sha}/media/net.vtt" srclang="ar">' in article
    assert "<mfrac><mn>1</mn><mn>2</mn></mfrac>" in article
    assert "script" not in article and "steal" not in article and "annotation" not in article
    video = reader.get(f"/zim/{sha}/media/net.webm")
    assert video.status_code == 200 and video.headers["content-type"] == "video/webm"
    captions = reader.get(f"/zim/{sha}/media/net.vtt")
    assert captions.status_code == 200 and "ناموسية" in captions.text
