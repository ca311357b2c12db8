"""One build step beyond pyproject.toml: the H5P player, fetched once when the package is built.

h5p-standalone (MIT, https://github.com/tunapanda/h5p-standalone) plays H5P activities in the
browser. It is shipped inside the package (hub/plugins/h5p/player/), never committed to git and
never fetched while a hub runs: `pip install .` and `pip install -e .` download the npm tarball
pinned below, check it against npm's published integrity, and unpack its dist/ folder and LICENSE.
A build that already has this version does nothing; a build that cannot reach the registry warns and
goes on without it (the hub runs; its H5P lessons say the player is missing).
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path
from typing import ClassVar

from setuptools import Command, setup
from setuptools.command.build import build

PLAYER_VERSION = "3.8.2"
PLAYER_URL = f"https://registry.npmjs.org/h5p-standalone/-/h5p-standalone-{PLAYER_VERSION}.tgz"
PLAYER_INTEGRITY = (
    "sha512-r7eQtTzBk/dbaQZ+tA9XD5FeSmyMxlypRZXudiheCnC8zAT0/zNgUvO4MZtZaznwfYVo98o7do5uxLTUQrxxwg=="
)
PLAYER_FOLDER = Path(__file__).parent / "hub" / "plugins" / "h5p" / "player"
STAMP = "VERSION"  # written last: a folder without it (an interrupted build) is fetched again


def _checked_tarball() -> bytes:
    with urllib.request.urlopen(PLAYER_URL, timeout=60) as response:
        data = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != PLAYER_INTEGRITY:
        raise RuntimeError(f"{PLAYER_URL} does not match its pinned integrity (got {digest})")
    return data


def _unpack(data: bytes, into: Path) -> None:
    """The tarball's package/dist/ and package/LICENSE, as plain files (nothing else, no links)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("package/")
            if not member.isfile() or not (name == "LICENSE" or name.startswith("dist/")):
                continue
            relative = Path(name.removeprefix("dist/"))
            if relative.is_absolute() or ".." in relative.parts or relative.suffix in (".ts", ".map"):
                continue
            target = into / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]


class BuildH5pPlayer(Command):
    description = f"fetch h5p-standalone {PLAYER_VERSION} into hub/plugins/h5p/player/"
    user_options: ClassVar[list[tuple[str, str | None, str]]] = []

    def initialize_options(self) -> None:
        pass

    def finalize_options(self) -> None:
        pass

    def run(self) -> None:
        stamp = PLAYER_FOLDER / STAMP
        if stamp.is_file() and stamp.read_text().strip() == PLAYER_VERSION:
            return
        try:
            data = _checked_tarball()
        except (OSError, RuntimeError) as error:  # no registry here, or a tarball that is not the pinned one
            # The hub installs and runs without it: H5P lessons say the player is missing, and the
            # next install tries again.
            print(f"warning: the H5P player was not installed: {error}", file=sys.stderr)
            return
        shutil.rmtree(PLAYER_FOLDER, ignore_errors=True)
        _unpack(data, PLAYER_FOLDER)
        stamp.write_text(PLAYER_VERSION + "\n")


# First of build's steps, so the files exist when build_py collects package data (a wheel) and when
# editable_wheel runs the same steps (`pip install -e .`).
build.sub_commands = [("build_h5p_player", None), *build.sub_commands]
setup(cmdclass={"build_h5p_player": BuildH5pPlayer})
