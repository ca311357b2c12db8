"""Simple mode: switched on by a resident, remembered (a cookie for a guest, the profile otherwise)."""

from __future__ import annotations

from fastapi import FastAPI

from hub.home import Hub
from tests.conftest import BrowserClient, resident

LESSON = "/courses/sample-course/check"


def simple(page: str) -> bool:
    return '<body class="simple">' in page


def test_a_guest_switches_simple_mode_on_and_it_is_remembered(client: BrowserClient) -> None:
    home = client.get("/")
    assert not simple(home.text) and "set-cookie" not in home.headers  # the switch is a plain link
    assert not simple(client.get(LESSON).text)
    switched = client.get("/simple-mode", params={"on": "1", "next": LESSON}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == LESSON
    page = client.get(LESSON).text
    assert simple(page) and 'class="kind-icon"' in page and "Simple mode is on: turn it off" in page
    assert simple(client.get("/courses/sample-course").text)
    client.get("/simple-mode", params={"on": "0", "next": "/"}, follow_redirects=False)
    assert not simple(client.get(LESSON).text)


def test_a_profile_keeps_simple_mode_on_another_device(app: FastAPI, hub: Hub) -> None:
    phone, learner_id = resident(hub)
    phone.get("/simple-mode", params={"on": "1", "next": "/"}, follow_redirects=False)
    assert "hub_simple" not in phone.cookies
    assert simple(phone.get("/").text)
    other_device = BrowserClient(app, base_url="http://hub.test")
    other_device.cookies.set("hub_csrf", "t")
    other_device.cookies.set("hub_session", phone.cookies.get("hub_session") or "")
    assert simple(other_device.get("/").text)
    assert hub.db.execute("SELECT learner_id FROM simple_mode").fetchall() == [(learner_id,)]


def test_next_never_leaves_the_hub(client: BrowserClient) -> None:
    switched = client.get(
        "/simple-mode", params={"on": "1", "next": "https://elsewhere.example/"}, follow_redirects=False
    )
    assert switched.headers["location"] == "/"
