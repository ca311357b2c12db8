"""Copies of ZIM entries for nginx (hub/plugins/zim/copies.py) stay within their bound, the least
recently sent going first, and a copy made room for is made again, never sent half-made."""

from __future__ import annotations

import os
import time
from pathlib import Path

from content.zim import ZimEntry
from hub.plugins.zim.copies import ZimCopies

ZIM = "a" * 64


def entry(name: str, size: int) -> ZimEntry:
    return ZimEntry(f"I/{name}", "", "image/png", name.encode().ljust(size, b"."))


def test_copies_stay_within_their_bound_least_recently_sent_first(tmp_path: Path):
    copies = ZimCopies(tmp_path / "zim-files", limit=1000)
    for number in range(3):
        copies.keep(ZIM, f"I/{number}.png", entry(f"{number}.png", 300), "image/png")
        time.sleep(0.01)  # distinct modification times
    assert copies.known(ZIM, "I/0.png")  # sent again: now the most recent
    copies.keep(ZIM, "I/3.png", entry("3.png", 300), "image/png")  # 1,200 bytes: over the bound
    kept = sorted(f.read_bytes()[:5] for f in (tmp_path / "zim-files").glob("??/*"))
    assert sum(f.stat().st_size for f in (tmp_path / "zim-files").glob("??/*")) <= 800
    assert kept == [b"0.png", b"3.png"]
    assert copies.known(ZIM, "I/1.png") is None and copies.known(ZIM, "I/2.png") is None
    assert copies.known(ZIM, "I/3.png") is not None


def test_a_copy_says_where_nginx_finds_it_and_what_it_is(tmp_path: Path):
    copies = ZimCopies(tmp_path / "zim-files", limit=10_000)
    copy = copies.keep(ZIM, "I/net.png", entry("net.png", 50), "image/png")
    assert copy.location.startswith("/_hub_zim/") and (copy.mimetype, copy.name) == ("image/png", "net.png")
    file = tmp_path / "zim-files" / copy.location.removeprefix("/_hub_zim/")
    assert file.read_bytes() == entry("net.png", 50).content
    assert copies.known(ZIM, "I/net.png") == copy
    assert copies.known("b" * 64, "I/net.png") is None  # the same path in another ZIM is another entry


def test_a_copy_removed_behind_the_hubs_back_is_made_again(tmp_path: Path):
    copies = ZimCopies(tmp_path / "zim-files", limit=10_000)
    copy = copies.keep(ZIM, "I/net.png", entry("net.png", 50), "image/png")
    file = tmp_path / "zim-files" / copy.location.removeprefix("/_hub_zim/")
    os.remove(file)
    assert copies.known(ZIM, "I/net.png") is None
    copies.keep(ZIM, "I/net.png", entry("net.png", 50), "image/png")
    assert file.exists() and not [f for f in file.parent.iterdir() if f != file]  # no half-made file left
