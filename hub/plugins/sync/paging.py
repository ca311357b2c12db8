"""Long lists on the central server's pages, a page at a time: /tutor/hubs and /admin/sync.

A country's centre lists a thousand hubs, their courses and their named learners; each list
shows `PAGE_SIZE` rows with a total and previous/next links (plain links: no JavaScript). The
page number comes from the query string; anything that is not a page number shows the first
page, and a number past the end shows the last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from hub.catalogue import page_number

Row = TypeVar("Row")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def one_page(
    asked: str | None, total: int, fetch: Callable[[int, int], list[Row]], size: int = PAGE_SIZE
) -> Page[Row]:
    """The page asked for (kept within the pages there are), its rows read by `fetch(limit, offset)`."""
    number = min(page_number(asked), Page[Row]([], 1, total, size).pages)
    return Page(fetch(size, (number - 1) * size), number, total, size)
