"""With JavaScript on, Chromium really loads the lesson video and its captions."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import starter, wait_until_true

pytestmark = pytest.mark.e2e

COURSE = "hand-hygiene-en"

# Load each <source> on its own, so a codec Chromium lacks cannot hide behind the other one.
LOAD_EACH_SOURCE = """
async (sources) => {
  const results = {};
  for (const source of sources) {
    const probe = document.createElement("video");
    probe.preload = "metadata";
    probe.muted = true;
    results[source.type] = await new Promise((resolve) => {
      probe.onloadedmetadata = () => resolve({ok: true, width: probe.videoWidth, duration: probe.duration});
      probe.onerror = () => resolve({ok: false, error: probe.error && probe.error.message});
      setTimeout(() => resolve({ok: false, error: "no metadata after 8 s"}), 8000);
      probe.src = source.src;
    });
    probe.removeAttribute("src");
    probe.load();
  }
  return results;
}
"""


def test_video_loads_with_captions_in_chromium(phones, screenshot):
    lesson = next(ls for ls in starter(COURSE).lessons if ls.kind == "video")
    page = phones.open(javascript=True)
    page.goto(f"/courses/{COURSE}/{lesson.id}")

    wait_until_true(page, "document.querySelector('article video').readyState >= 1", 15_000)
    wait_until_true(page, "document.querySelector('article video').textTracks.length >= 1")
    state = page.evaluate(
        """() => {
        const video = document.querySelector("article video");
        const track = video.textTracks[0];
        return {src: video.currentSrc, width: video.videoWidth, duration: video.duration,
                kind: track.kind, language: track.language, mode: track.mode};
        }"""
    )
    first = lesson.media[0]
    assert state["src"].endswith(f"/{first.name}"), f"Chromium chose {state['src']}, not {first.name}"
    assert state["width"] > 0
    assert state["duration"] > 1
    assert (state["kind"], state["language"]) == ("captions", lesson.captions[0].language)
    assert state["mode"] == "showing", "the first captions track is marked default"
    # The default track's cues arrive too.
    wait_until_true(page, "(document.querySelector('article video').textTracks[0].cues || []).length > 0")

    sources = [
        {"type": s.get_attribute("type"), "src": s.evaluate("s => s.src")}
        for s in page.locator("article video source").all()
    ]
    results = page.evaluate(LOAD_EACH_SOURCE, sources)
    unplayable = {kind: r["error"] for kind, r in results.items() if not r["ok"]}
    assert not unplayable, f"Debian's Chromium cannot load these video sources: {unplayable}"

    # The media route answers a Range request (phones seek and resume with these).
    part = page.request.get(sources[0]["src"], headers={"Range": "bytes=0-99"})
    assert part.status == 206
    assert len(part.body()) == 100
    assert part.headers["content-type"] == first.media_type

    expect(page.locator("details.alternative")).to_be_visible()
    screenshot(page, "video-with-javascript")
    assert phones.broken == []
