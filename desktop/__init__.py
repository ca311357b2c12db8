"""The hub as a desktop app on a laptop: `hub desktop` (install with `pip install 'commons-hub[desktop]'`).

cli.py       the `hub desktop` command (registered by hub/cli.py; imports no GUI toolkit itself)
checks.py    can a window open here? if not, what to install, said before anything starts
server.py    uvicorn serving the hub from a background thread, on a port it binds itself
app.py       the pywebview (Qt) window owning the main thread; closing it stops the server
selftest.py  the hook tests drive the window through (HUB_DESKTOP_SELFTEST=1)
"""
