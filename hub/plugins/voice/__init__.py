"""Built-in plugin: listen to any lesson.

Every article, text version of a video, audio or PDF, and every quiz question (with its choices)
and explanation gets a listen control. Where the phone has a voice for the page's language, the
page reads the text with it (Web Speech API, in static/listen.js), highlighting the sentence being
read; otherwise, and without JavaScript, an ``<audio>`` player plays speech the hub made offline
(espeak-ng, and Mishkal's vowel marks for Arabic; see synth.py) and keeps as blobs per lesson
version, made by the background job "speech" (making.py) without delaying the hub's start.
A tutor may replace it with her own recording (/tutor/recordings, routes.py and recordings.py).
Simple mode (simple.py) is for residents who read little: bigger, fewer things, listening first.
The studio shows each lesson's reading ease, long sentences and rare words (readability.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.hookspecs import OnDemand, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter

    from hub.home import Hub
    from hub.jobs import JobFunction


@hookimpl
def hub_startup(hub: Hub) -> None:
    from hub.plugins.voice import making

    making.watch(hub)  # queues speech for courses without it; the runner makes it in the background


@hookimpl
def hub_job_kinds() -> dict[str, JobFunction]:
    from hub.plugins.voice import making

    return {making.KIND: making.make_course_speech}


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("simple-mode", "tutor"), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.voice import routes, simple

    return [routes.router, simple.router]


@hookimpl
def hub_template_globals() -> dict[str, Callable[..., Any]]:
    from hub.plugins.voice import icons, pages, readability, simple

    return {
        "speech_for": pages.speech_for,
        "simple_mode": simple.simple_mode,
        "kind_icon": icons.kind_icon,
        "reading_ease": readability.reading_ease,
    }
