"""What an added interface language costs a running hub (hub/interface_languages.py).

Measured in-process, medians of many rounds, each against a baseline in the same run:
- per request: the look at the languages' counter (`refresh`, nothing changed) against the home
  page rendered by the same app (GET / through TestClient), so the share is visible;
- per change: reloading an added language whose 971 strings are all translated (parse the .po,
  write the .mo, load it), which happens once after an upload, a save or a stick;
- per string: `gettext` through an added catalog (translated, and through its fallback) against
  a shipped catalog.

    PYTHONPATH=. /work/venv/bin/python bench/languages.py   (about 30 s)
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from hub import i18n, interface_languages, po_files
from hub.app import create_app
from hub.home import Hub
from hub.plugins import manager_for


def median_ms(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        hub = Hub(Path(folder) / "home")
        app = create_app(hub, manager_for(hub, load_entry_points=False))
        interface_languages.add(hub, "ps", "", "fr")
        everything = {
            m.id: (m.id if isinstance(m.id, str) else tuple(m.id)) for m in po_files.template() if m.id
        }
        full = {k: (v if isinstance(v, str) else (v[0], v[1])) for k, v in everything.items()}
        interface_languages.translate(hub, "ps", full)
        interface_languages.change(hub, "ps", "پښتو", "fr", True)
        client = TestClient(app, base_url="http://hub.test")
        client.get("/")
        refresh = median_ms(lambda: interface_languages.refresh(app.state), 2000)
        page = median_ms(lambda: client.get("/"), 200)
        print(f"per request: refresh {refresh:.3f} ms against GET / {page:.1f} ms ({refresh / page:.2%})")

        po = interface_languages.po_of(hub.db, "ps")
        reload = median_ms(lambda: interface_languages._compile("ps", po, "fr"), 20)
        shipped_load = median_ms(lambda: i18n._catalog.__wrapped__("fr"), 20)  # type: ignore[attr-defined]
        print(
            f"per change: reload of 971 strings {reload:.1f} ms"
            f" against loading the shipped fr {shipped_load:.1f} ms"
        )

        added = interface_languages._compile("ps", po, "fr")
        shipped = i18n.shipped_catalog("fr")
        words = [m for m in everything if isinstance(m, str)][:500]
        ours = median_ms(lambda: [added.gettext(w) for w in words], 200)
        theirs = median_ms(lambda: [shipped.gettext(w) for w in words], 200)
        interface_languages.add(hub, "sw", "", "fr")
        fallback = interface_languages._compile("sw", interface_languages.po_of(hub.db, "sw"), "fr")
        through = median_ms(lambda: [fallback.gettext(w) for w in words], 200)
        print(
            f"per 500 strings: added {ours:.3f} ms, all through the fallback {through:.3f} ms,"
            f" against shipped {theirs:.3f} ms"
        )


if __name__ == "__main__":
    main()
