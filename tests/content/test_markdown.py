from html.parser import HTMLParser

from content.markdown import plain_text, render_markdown


def test_markdown_renders_headings_lists_and_emphasis():
    html = render_markdown("## Steps\n\n1. **Wet** hands\n2. Soap")
    assert "<h2>Steps</h2>" in html
    assert "<ol>" in html
    assert "<strong>Wet</strong>" in html


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = TagCollector()
    collector.feed(html)
    return collector.tags


def test_no_script_survives():
    html = render_markdown(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n<img src=x onerror=alert(1)>"
        '\n\n<a href="#" onclick="alert(1)">y</a>\n\n[ok](https://who.int "t")'
    )
    tags = tags_of(html)
    assert {tag for tag, _ in tags} <= {"p", "a"}
    for _, attrs in tags:
        assert not any(name.startswith("on") for name in attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript")
    assert ("a", {"href": "https://who.int", "title": "t", "rel": "noopener noreferrer"}) in tags


def test_links_get_safe_rel():
    assert 'rel="noopener noreferrer"' in render_markdown("[who](https://www.who.int)")


def test_plain_text_drops_markup():
    assert plain_text("# Title\n\nSome *words*") == "Title\nSome words"
