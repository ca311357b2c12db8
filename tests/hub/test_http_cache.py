"""What a phone on a slow Wi-Fi does not fetch twice: compression, ETags, HEAD, hashed static names."""

import re

from fastapi.testclient import TestClient

from hub.http_cache import YEAR

GZIP = {"accept-encoding": "gzip"}
CLIP = re.compile(r'src="(/media/[0-9a-f]{64}/clip\.mp4)"')
PAGES = ("/", "/courses", "/search?q=sample", "/courses/sample-course", "/courses/sample-course/read-me")


def test_pages_answer_head_like_get_without_a_body(client: TestClient):
    head = client.head("/courses/sample-course")
    get = client.get("/courses/sample-course")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["etag"] == get.headers["etag"]
    media = CLIP.search(client.get("/courses/sample-course/watch").text)
    assert media and client.head(media.group(1)).status_code == 200


def test_a_page_unchanged_since_last_time_is_not_sent_again(client: TestClient):
    first = client.get("/courses/sample-course")
    assert first.headers["cache-control"] == "private, no-cache"  # asked again each time: progress changes
    again = client.get("/courses/sample-course", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    client.post("/courses/sample-course/read-me/done")  # the page changes: it comes again, whole
    changed = client.get("/courses/sample-course", headers={"if-none-match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]


def test_pages_and_styles_are_compressed_but_media_and_ranges_are_not(client: TestClient):
    page = client.get("/", headers=GZIP)
    assert page.headers["content-encoding"] == "gzip" and "Sample course" in page.text
    style = re.search(r'href="(/static/hub/style\.[0-9a-f]{10}\.css)"', page.text)
    assert style, "the stylesheet is linked under its content hash"
    assert client.get(style.group(1), headers=GZIP).headers["content-encoding"] == "gzip"
    video = CLIP.search(client.get("/courses/sample-course/watch").text)
    assert video
    assert "content-encoding" not in client.get(video.group(1), headers=GZIP).headers
    part = client.get(video.group(1), headers={**GZIP, "range": "bytes=4-7"})
    assert part.status_code == 206 and part.content == b"ftyp"


def test_static_files_are_cached_for_a_year_under_their_hash_only(client: TestClient):
    linked = re.search(r'href="(/static/hub/style\.[0-9a-f]{10}\.css)"', client.get("/").text)
    assert linked
    hashed = client.get(linked.group(1))
    assert hashed.status_code == 200 and hashed.headers["cache-control"] == YEAR
    plain = client.get("/static/hub/style.css")
    assert plain.content == hashed.content and plain.headers["cache-control"] == "no-cache"
    stale = client.get("/static/hub/style.0123456789.css")  # an old page's link: today's file, not kept
    assert stale.content == hashed.content and stale.headers["cache-control"] == "no-cache"
    assert client.get("/static/hub/../app.py").status_code == 404


def test_every_page_has_a_description_and_its_stylesheet_in_the_head(client: TestClient):
    for path in PAGES:
        page = client.get(path).text
        head, _, body = page.partition("</head>")
        assert re.search(r'<meta name="description" content="[^"]{20,}">', head), path
        assert 'rel="stylesheet"' not in body, path
