"""Built-in plugin: the words on scanned PDF pages become searchable and readable (OCR).

The background job "ocr" (reading.py) reads each PDF's pages that have no text layer with
tesseract, where the machine has it; the PDF lesson page links to it (templates/scanned_text.html,
included by the resident plugin's PDF lesson) and pages.py shows it, a screenful of pages at a time.
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
    from hub.plugins.ocr import reading

    reading.watch(hub)


@hookimpl
def hub_job_kinds() -> dict[str, JobFunction]:
    from hub.plugins.ocr import reading

    return {reading.KIND: reading.read_scanned_pdf}


@hookimpl
def hub_routers(hub: Hub) -> list[OnDemand]:
    return [OnDemand(("courses",), _routers)]


def _routers() -> list[APIRouter]:
    from hub.plugins.ocr import pages

    return [pages.router]


@hookimpl
def hub_template_globals() -> dict[str, Callable[..., Any]]:
    from hub.plugins.ocr import pages

    return {"scanned_pages_read": pages.scanned_pages_read}
