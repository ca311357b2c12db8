"""The `hub` command, run in a subprocess as an admin or tutor would."""

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import run_hub
from tests.processes import serve


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_hub(*args)


def hub(*args: str | Path, home: Path) -> subprocess.CompletedProcess[str]:
    return run_hub(*args, home=home)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli-home")
    result = hub("init", home=home)
    assert result.returncode == 0, result.stderr
    assert "Imported" in result.stdout
    return home


def test_init_builds_the_search_index_so_the_server_starts_with_search_ready(initialised: Path):
    assert (initialised / "index" / "schema-version").is_file()
    found = hub("search", "lavage des mains", home=initialised)
    assert found.returncode == 0 and "hand-hygiene-fr" in found.stdout


def test_init_imports_starter_courses_once(initialised: Path):
    again = hub("init", home=initialised)
    assert again.returncode == 0
    assert "Imported" not in again.stdout
    listing = hub("content", "list", home=initialised)
    for course_id in ("hand-hygiene-en", "hand-hygiene-ar", "first-aid-fr", "climate-at-home-en"):
        assert course_id in listing.stdout


def test_build_then_import(course_folder: Path, tmp_path: Path):
    out = tmp_path / "sample.zip"
    built = run("content", "build", course_folder, "-o", out)
    assert built.returncode == 0, built.stdout
    assert "Built sample-course v1 (3 lessons)" in built.stdout
    home = tmp_path / "home"
    refused = hub("content", "import", out, home=home)
    assert refused.returncode == 1
    assert "not signed" in refused.stdout and "--allow-unverified" in refused.stdout
    imported = hub("content", "import", out, "--allow-unverified", home=home)
    assert imported.returncode == 0, imported.stdout
    assert "Imported sample-course v1" in imported.stdout
    assert "Made locally, not verified" in imported.stdout
    assert "sample-course" in hub("content", "list", home=home).stdout


def test_bad_package_is_refused_with_a_clear_message(tmp_path: Path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 truncated")
    result = hub("content", "import", broken, home=tmp_path / "home")
    assert result.returncode == 1
    assert "broken.zip was not imported" in result.stdout
    assert "not a readable zip" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_build_refuses_a_bad_folder(tmp_path: Path):
    result = run("content", "build", tmp_path, "-o", tmp_path / "x.zip")
    assert result.returncode == 1
    assert "has no course.toml" in result.stdout


def test_plugins_can_be_disabled_and_enabled(tmp_path: Path):
    home = tmp_path / "home"
    assert "resident" in hub("plugins", "list", home=home).stdout
    disabled = hub("plugins", "disable", "resident", home=home)
    assert "Plugin resident disabled" in disabled.stdout
    assert "resident │ no" in hub("plugins", "list", home=home).stdout
    hub("plugins", "enable", "resident", home=home)
    assert "resident │ yes" in hub("plugins", "list", home=home).stdout
    unknown = hub("plugins", "enable", "nope", home=home)
    assert unknown.returncode == 1
    assert "no plugin called 'nope'" in unknown.stdout


def test_serve_prepares_the_hub_without_loading_what_only_the_server_or_signing_needs(initialised: Path):
    """`hub serve` runs these steps before it builds the server: FastAPI and cryptography would only
    slow every start down (plugins import their routes in their hooks; the device key is read lazily)."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from hub import cli\n"
        f"cli.prepare(cli.open_hub(Path({str(initialised)!r})))\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(loaded & {'fastapi', 'starlette', 'cryptography'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_serve_prints_the_one_time_setup_code_with_the_address_that_uses_it(tmp_path: Path, servers):
    """Issue 17 #4: the person at the machine reads the code in the terminal; nobody else has it."""
    server = serve(tmp_path / "home")
    servers.append(server)
    printed = (tmp_path / "home-serve.log").read_text()
    address = re.search(r"(http://\S+/admin/setup\?code=([A-Z0-9-]+))", printed)
    assert address, printed
    assert f"Setup code: {address[2]}" in printed
    with httpx.Client() as person:
        page = person.get(address[1])
        assert f'value="{address[2]}"' in page.text
        form = {"csrf_token": person.cookies["hub_csrf"], "code": address[2], "hub_name": "Riverside",
                "name": "Ada", "password": "long-password"}  # fmt: skip
        done = person.post(f"{server.url}/admin/setup", data=form)
        assert (done.status_code, done.headers["location"]) == (303, "/admin")
    server.stop()
    again = serve(tmp_path / "home")  # the code worked once; a hub with an admin prints none
    servers.append(again)
    assert printed.count("Setup code") == (tmp_path / "home-serve.log").read_text().count("Setup code") == 1
