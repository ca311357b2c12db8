"""HTML5 app zips for the tests: a friendly one, a hostile one, and broken ones made by hand."""

from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path

FRIENDLY_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Handwashing steps</title>
<link rel="stylesheet" href="style.css">
<style>.zebra-stripes { color: teal; }</style>
<script>var hiddenScriptWord = "xylophonic";</script>
</head>
<body><h1>Put the steps in order</h1>
<p id="status">Lather the backs of your hands with soap, then rinse under running water.</p>
<img src="pics/tap.svg" alt="A dripping tap">
<script src="app.js"></script>
</body></html>
"""

FRIENDLY_FILES: dict[str, str | bytes] = {
    "index.html": FRIENDLY_INDEX,
    "style.css": "body { font-family: sans-serif; } #status.ready { color: green; }",
    "app.js": "document.getElementById('status').classList.add('ready');"
    " document.getElementById('status').dataset.ran = 'yes';",
    "pics/tap.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="5"/></svg>',
    "more.html": "<html><body><p>Second page about marmalade.</p></body></html>",
}

# Everything an app might try against the hub. Each attempt writes what happened into the page
# (#report) so the browser test reads it; the hub's log tells what reached it.
HOSTILE_JS = r"""
const report = {};
function put(key, value) {
  report[key] = String(value);
  document.getElementById('report').textContent = JSON.stringify(report);
}
try { put('cookie', document.cookie); } catch (e) { put('cookie', 'blocked: ' + e.name); }
try { localStorage.setItem('stolen', '1'); put('storage', 'written:' + localStorage.getItem('stolen')); }
catch (e) { put('storage', 'blocked: ' + e.name); }
try { put('parent', window.parent.document.title); } catch (e) { put('parent', 'blocked: ' + e.name); }
for (const [key, url] of [['admin', '/admin'], ['progress', '/api/v1/progress'], ['users', '/admin/users']]) {
  try {
    fetch(url, {credentials: 'include'}).then(r => r.text()).then(t => put(key, 'read ' + t.length),
      e => put(key, 'blocked: ' + e.name));
  } catch (e) { put(key, 'blocked: ' + e.name); }
}
try {
  const x = new XMLHttpRequest(); x.open('GET', '/admin', false); x.send(); put('xhr', 'read ' + x.status);
} catch (e) { put('xhr', 'blocked: ' + e.name); }
try {
  const ws = new WebSocket('ws://' + location.host + '/ws-probe');
  ws.onopen = () => put('websocket', 'open');
  ws.onerror = () => put('websocket', 'blocked: error');
} catch (e) { put('websocket', 'blocked: ' + e.name); }
try {
  const i = new Image(); i.src = '/hostile-image-probe?c=' + encodeURIComponent(document.cookie);
  document.body.appendChild(i);
} catch (e) { put('image', 'blocked: ' + e.name); }
if (window.top === window.self) put('top', 'is the top window');  // opened full screen: its own tab
else setTimeout(() => {
  try { window.top.location.href = '/hostile-top-navigation'; put('top', 'tried'); }
  catch (e) { put('top', 'blocked: ' + e.name); }
}, 300);
"""

HOSTILE_FILES: dict[str, str | bytes] = {
    "index.html": '<!doctype html><html><head><meta charset="utf-8"><title>Fun game</title></head>'
    '<body><p>A harmless looking game.</p><pre id="report">{}</pre>'
    '<script src="evil.js"></script></body></html>',
    "evil.js": HOSTILE_JS,
}


def app_zip(files: dict[str, str | bytes], top: str = "") -> bytes:
    """A zip of `files` (names relative to the app), inside the folder `top` if given."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(top + name, data)
    return out.getvalue()


def zip_with(entries: list[tuple[zipfile.ZipInfo | str, str | bytes]]) -> bytes:
    """A zip written entry by entry as given, for the broken and hostile shapes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return out.getvalue()


def symlink_entry(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def bomb_zip() -> bytes:
    """index.html beside one file that unpacks to 100 MB of zeros from about 100 KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", "<p>hi</p>")
        with archive.open("zeros.bin", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(100):
                member.write(chunk)
    return out.getvalue()


APP_LESSON = """+++
title = "Handwashing game"
kind = "html5"
media = "media/app.zip"
+++
The app asks you to put the handwashing steps in order: wet, soap, scrub, rinse, dry.
"""


def write_app_course(
    root: Path,
    app: bytes,
    course_id: str = "app-course",
    title: str = "Clean hands games",
    lesson: tuple[str, str] = ("02-game.md", APP_LESSON),
) -> Path:
    """An author folder with one article and one lesson (file name, Markdown) whose one media file
    (`media/<the name its front matter gives>`) is `app`: an HTML5 app's zip unless told."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.toml").write_text(
        f'id = "{course_id}"\nversion = 1\ntitle = "{title}"\nlanguage = "en"\n'
        'topics = ["health"]\npublisher = "Test team"\n',
        encoding="utf-8",
    )
    (root / "01-intro.md").write_text('+++\ntitle = "Intro"\nkind = "article"\n+++\nWhy we wash.\n', "utf-8")
    (root / lesson[0]).write_text(lesson[1], encoding="utf-8")
    media = root / re.search(r'^media = "(.+)"$', lesson[1], re.M)[1]  # type: ignore[index]
    media.parent.mkdir(exist_ok=True)
    media.write_bytes(app)
    return root
