"""Interface languages by stick (hub/interface_languages.py).

A hub writing its folder puts every added language it holds beside its bundle.json
(`languages.json`: a JSON list of the signed documents, each as its maker signed it), so a language
goes on from hub to hub. A hub reading the stick takes each one signed by a key it trusts and newer
than its own copy; one it refuses is said in a sentence and does not stop the others.
"""

from __future__ import annotations

import json
from pathlib import Path

from hub import interface_languages
from hub.home import Hub
from sync import bundle
from sync.split import write_parts

LANGUAGES_FILE = "languages.json"
MAX_FILE_BYTES = 16 * interface_languages.MAX_DOCUMENT_BYTES


def write(hub: Hub, folder: Path) -> None:
    """Put this hub's added languages in its folder on the stick (nothing when it has none)."""
    documents = interface_languages.documents(hub.db)
    if documents:
        listed = [document.decode() for document in documents]
        write_parts(folder / LANGUAGES_FILE, [json.dumps(listed, ensure_ascii=False).encode()])


def take(hub: Hub, stick: Path, incoming: bundle.Incoming) -> tuple[int, list[str]]:
    """Take the languages the folders of the hubs read carry: (how many changed here, refusals)."""
    documents: list[bytes] = []
    refused: list[str] = []
    for device in sorted(incoming.peers):
        path = stick / bundle.ROOT / device / LANGUAGES_FILE
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            refused.append(f"the languages of hub {device} on the stick are larger than the hub accepts")
            continue
        try:
            listed = json.loads(path.read_bytes())
        except (ValueError, RecursionError):
            listed = None
        if not isinstance(listed, list) or not all(isinstance(d, str) for d in listed):
            refused.append(f"the languages of hub {device} on the stick cannot be read (cut short?)")
            continue
        documents.extend(document.encode() for document in listed)
    taken, not_taken = interface_languages.take_all(hub, documents)
    return taken, refused + not_taken
