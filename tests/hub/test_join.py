import segno
from fastapi.testclient import TestClient

from hub.address import hub_url, lan_address, qr_text
from tests.conftest import foreign_scripts


def test_hub_url_uses_the_lan_address_when_listening_everywhere():
    assert hub_url("0.0.0.0", 8080) == f"http://{lan_address()}:8080/"
    assert hub_url("192.168.4.1", 80) == "http://192.168.4.1/"


def test_join_page_shows_the_address_and_a_scannable_code(client: TestClient, app):
    app.state.listen = ("10.1.2.3", 8080)
    page = client.get("/join")
    assert page.status_code == 200
    assert "http://10.1.2.3:8080/" in page.text
    assert '<svg width="264" height="264" class="segno">' in page.text
    assert not foreign_scripts(page.text)
    expected = segno.make("http://10.1.2.3:8080/", error="m").svg_inline(
        scale=8, dark="#1b1b1b", light="#ffffff"
    )
    assert expected in page.text


def test_join_page_warns_when_phones_cannot_connect(client: TestClient, app):
    app.state.listen = ("127.0.0.1", 8080)
    assert "only listens on this computer" in client.get("/join").text


def test_terminal_qr_code_is_drawn_with_blocks():
    drawing = qr_text("http://10.1.2.3:8080/")
    assert "▄" in drawing and drawing.count("\n") > 10
