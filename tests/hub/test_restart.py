"""What a restarted hub does not do again (issue 21): compile its page templates. The pages come
out the same, and a template whose source changed is compiled afresh."""

from __future__ import annotations

import jinja2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.home import Hub
from hub.plugins import manager_for


def test_a_restarted_hub_reads_its_pages_compiled(app: FastAPI, hub: Hub, monkeypatch: pytest.MonkeyPatch):
    with TestClient(app) as client:
        first = client.get("/courses/sample-course")
    assert first.status_code == 200

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("a template was compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", no_compiling)
    again = create_app(Hub(hub.home), manager_for(hub, load_entry_points=False))
    with TestClient(again) as client:
        second = client.get("/courses/sample-course")
    assert second.status_code == 200 and second.text == first.text


def test_a_changed_template_is_compiled_afresh(hub: Hub, tmp_path):
    from hub.pages import build_environment

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "page.html").write_text("one")
    compiled = tmp_path / "compiled"
    manager = manager_for(hub, load_entry_points=False)
    environment = build_environment(manager, compiled)
    environment.loader = jinja2.FileSystemLoader(folder)
    assert environment.get_template("page.html").render() == "one"
    (folder / "page.html").write_text("two")
    restarted = build_environment(manager, compiled)
    restarted.loader = jinja2.FileSystemLoader(folder)
    assert restarted.get_template("page.html").render() == "two"
