"""The framework floor: a minimal FastAPI app served like the hub serves itself.

Same stack and settings as `hub serve` (hub/cli.py): uvicorn.run() with the default
loop and protocol choice (uvloop and httptools when installed, as they are for the hub),
log_level="warning", access_log=False, one process. It returns a small fixed HTML page
from a plain `def` route, which FastAPI runs in its thread pool as it does the hub's pages.

    python bench/baseline_app.py --host 127.0.0.1 --port 8099
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

PAGE = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Baseline</title></head><body><h1>Hello</h1>"
    "<p>A small fixed page: the floor under any page the hub renders.</p></body></html>\n"
)

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/", response_class=HTMLResponse)
def index() -> HTMLResponse:
    return HTMLResponse(PAGE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
