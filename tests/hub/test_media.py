import re

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def video_url(client: TestClient) -> str:
    page = client.get("/courses/sample-course/watch").text
    match = re.search(r'<source src="(/media/[0-9a-f]{64}/clip.mp4)"', page)
    assert match
    return match.group(1)


def test_whole_file_with_etag_and_long_cache(client: TestClient, video_url: str):
    response = client.get(video_url)
    assert response.status_code == 200
    assert response.content.startswith(b"\x00\x00\x00\x18ftyp")
    sha = video_url.split("/")[2]
    assert response.headers["etag"] == f'"{sha}"'
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "video/mp4"


def test_range_request_gets_206(client: TestClient, video_url: str):
    response = client.get(video_url, headers={"Range": "bytes=4-7"})
    assert response.status_code == 206
    assert response.content == b"ftyp"
    assert response.headers["content-range"].startswith("bytes 4-7/")


def test_if_range_with_a_stale_etag_gets_the_whole_file(client: TestClient, video_url: str):
    response = client.get(video_url, headers={"Range": "bytes=4-7", "If-Range": '"other"'})
    assert response.status_code == 200


def test_if_none_match_gets_304(client: TestClient, video_url: str):
    sha = video_url.split("/")[2]
    response = client.get(video_url, headers={"If-None-Match": f'"{sha}"'})
    assert response.status_code == 304


def test_download_asks_the_browser_to_save(client: TestClient, video_url: str):
    response = client.get(video_url + "?download=1")
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''clip.mp4"


def test_unknown_or_malformed_hashes_are_404(client: TestClient):
    assert client.get("/media/" + "0" * 64 + "/x").status_code == 404
    assert client.get("/media/../../hub.db/x").status_code == 404
    assert client.get("/media/not-a-hash/x").status_code == 404


@pytest.mark.parametrize(
    ("stored", "sent", "disposition"),
    [
        ("video/mp4", "video/mp4", "inline"),
        ("image/svg+xml", "image/svg+xml", "inline"),  # shown, but cannot run script
        ("application/pdf", "application/pdf", "inline"),  # sandboxed too (issue 17, finding 12)
        ("text/html", "application/octet-stream", "attachment"),
        ("text/javascript", "application/octet-stream", "attachment"),
        ("application/x-unknown", "application/octet-stream", "attachment"),
    ],
)
def test_a_package_cannot_make_the_hub_serve_a_page_or_a_script(client, video_url, stored, sent, disposition):
    """A file's type is whatever its package claims: only what a browser merely displays is
    served as such, and every file is sandboxed without scripts, so an unverified package cannot
    run script on the hub's origin."""
    sha = video_url.split("/")[2]
    client.app.state.hub.db.execute("UPDATE files SET media_type = ? WHERE sha256 = ?", [stored, sha])
    response = client.get(video_url)
    assert response.headers["content-type"].split(";")[0] == sent
    assert response.headers["content-disposition"].startswith(disposition)
    policy = response.headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "allow-scripts" not in policy
