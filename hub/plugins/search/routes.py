"""The search page and the search API."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from hub.access import ANYONE
from hub.catalogue import page_number
from hub.deps import CurrentLearner, HubDep
from hub.home import Hub
from hub.pages import render
from hub.search import FACETS, MAX_QUERY_CHARS, SearchResults, index_for
from hub.topics import kind_label, topic_label

router = APIRouter(tags=["search"], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["search"])


MAX_PAGE = 1000  # deeper pages are not worth scoring for


def run_search(
    request: Request, hub: Hub, q: str, lang: str, topic: str, kind: str, page: str
) -> SearchResults:
    return index_for(hub).search(
        q,
        language=lang or None,
        topic=topic or None,
        kind=kind or None,
        prefer=request.scope.get("state", {}).get("language"),
        page=min(page_number(page), MAX_PAGE),
    )


def _cut(q: str, lang: str, topic: str, kind: str) -> tuple[str, str, str, str]:
    """The parameters as the page and the API use and show them: searches only read the first words."""
    return q[:MAX_QUERY_CHARS].strip(), lang[:20].strip(), topic[:80].strip(), kind[:20].strip()


def search_url(**params: str | int) -> str:
    """/search with these parameters (empty ones left out)."""
    kept = {name: value for name, value in params.items() if value not in ("", None, 1)}
    return "/search" + (f"?{urlencode(kept)}" if kept else "")


@router.get("/search", response_class=HTMLResponse, dependencies=[ANYONE])
def search_page(
    request: Request,
    hub: HubDep,
    learner: CurrentLearner,
    q: str = "",
    lang: str = "",
    topic: str = "",
    kind: str = "",
    page: str = "1",
) -> HTMLResponse:
    q, lang, topic, kind = _cut(q, lang, topic, kind)
    results = run_search(request, hub, q, lang, topic, kind, page)
    chosen = {"q": q, "lang": lang, "topic": topic, "kind": kind}

    def link(**changes: str | int) -> str:
        """This search with some parameters changed (changing a facet goes back to page 1)."""
        return search_url(**{**chosen, **changes})

    return render(
        request,
        "search.html",
        q=q,
        results=results,
        chosen=chosen,
        facet_names=FACETS,
        link=link,
        topic_label=topic_label,
        kind_label=kind_label,
    )


class SearchHitOut(BaseModel):
    course_id: str
    lesson_id: str | None
    title: str
    course_title: str
    title_html: str
    snippet_html: str
    kind: str
    language: str
    topics: list[str]
    url: str
    score: float


class FacetValueOut(BaseModel):
    value: str
    count: int
    selected: bool


class SearchOut(BaseModel):
    query: str
    total: int
    page: int
    pages: int
    suggestion: str | None
    preparing: bool
    hits: list[SearchHitOut]
    facets: dict[str, list[FacetValueOut]]


@api_router.get("/search", dependencies=[ANYONE])
def api_search(
    request: Request,
    hub: HubDep,
    q: str = "",
    lang: str = "",
    topic: str = "",
    kind: str = "",
    page: str = "1",
) -> SearchOut:
    """Search courses and lessons. `title_html` and `snippet_html` are escaped HTML in which the
    matching words are in `<b class="match">`; `suggestion` is a corrected query ("did you
    mean"); `preparing` is true while the index is being built."""
    q, lang, topic, kind = _cut(q, lang, topic, kind)
    results = run_search(request, hub, q, lang, topic, kind, page)
    return SearchOut(
        query=results.query,
        total=results.total,
        page=results.page,
        pages=results.pages,
        suggestion=results.suggestion,
        preparing=results.preparing,
        hits=[
            SearchHitOut(
                course_id=h.course_id,
                lesson_id=h.lesson_id,
                title=h.title,
                course_title=h.course_title,
                title_html=str(h.title_html),
                snippet_html=str(h.snippet_html),
                kind=h.kind,
                language=h.language,
                topics=h.topics,
                url=h.url,
                score=round(h.score, 4),
            )
            for h in results.hits
        ],
        facets={
            name: [FacetValueOut(value=f.value, count=f.count, selected=f.selected) for f in values]
            for name, values in results.facets.items()
        },
    )
