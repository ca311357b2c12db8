"""nginx in front of the hub (`hub service install --with-nginx`): lesson files without Python.

On a Raspberry Pi a video sent through Python is a fraction of what nginx sends from the same
disk (Range requests 0.12-0.23x, 64 KB ranges 0.01x). With nginx in front, the hub's own checks (a
hash it holds, a course not withdrawn, the headers of hub/plugins/media) stay the only way in, but
nginx asks them once per file address and keeps the hub's yes, with the headers it gave, for
CHECK_SECONDS: a video's hundred Range requests cost the hub one answer, and nginx sends the bytes
from the blob folder with Range and sendfile (a lesson file is the same for everyone who may see
the course, so one answer does for all). A no, or a hub that cannot answer, is passed to the hub,
which answers the request itself.

Asked directly, the hub answers a lesson file with no body and an `X-Accel-Redirect` to an
internal location nginx serves from the blob folder. Internal locations cannot be asked for by a
phone. A ZIM's pictures and videos go that way, from copies the hub makes of them
(hub/plugins/zim/copies.py), since whether a guest may read them depends on who asks.

The hub behind nginx listens on loopback only and learns of it from HUB_ACCEL_BLOBS (the internal
location's prefix), which the service sets; a hub without it sends the bytes itself. nginx runs as
a service of its own with this config (not the system's nginx.conf), as the hub's user, so it can
read the hub's private data folder and nothing else changes on the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from content.blobs import blob_relpath

ACCEL_VARIABLE = "HUB_ACCEL_BLOBS"
INTERNAL_PREFIX = "/_hub_blobs/"
ZIM_INTERNAL_PREFIX = "/_hub_zim/"  # copies of ZIM entries (hub/plugins/zim/copies.py)
ZIM_COPIES = "zim-files"
CHECK_SECONDS = 10  # how long nginx keeps the hub's yes to a lesson file (a withdrawal waits as long)


def behind_nginx() -> bool:
    return bool(os.environ.get(ACCEL_VARIABLE, ""))


def accel_location(sha256: str) -> str | None:
    """The internal address nginx serves this blob from, when the hub runs behind nginx."""
    if not behind_nginx():
        return None
    return os.environ[ACCEL_VARIABLE] + blob_relpath(sha256).removeprefix("blobs/")


def render_config(home: Path, port: int, backend_port: int, run_dir: Path, host: str = "") -> str:
    """An nginx.conf serving the hub at `port`, lesson files from `home`/blobs and copies of ZIM
    entries from `home`/zim-files, the rest from the hub on 127.0.0.1:`backend_port`. Logs go to
    stderr (the journal); `run_dir` keeps its pid, temporary files and the hub's kept answers, so
    it runs as an unprivileged user."""
    listen = f"{host}:{port}" if host else str(port)
    blobs = home / "blobs"
    to_the_hub = """proxy_pass http://hub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 3600s;"""
    safety = """add_header X-Content-Type-Options nosniff always;
            add_header Referrer-Policy same-origin always;"""
    sent_after_checks = f"""internal;
            types {{ }}
            default_type application/octet-stream;
            # nginx keeps the hub's Content-Type, Content-Disposition and Cache-Control; these it
            # would drop, so they are copied from the hub's answer.
            add_header Content-Security-Policy $upstream_http_content_security_policy always;
            {safety}"""
    return f"""# Written by `hub service install --with-nginx` (hub/nginx.py).
worker_processes 1;
pid {run_dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    open_file_cache max=1000 inactive=60s;  # lesson files and kept answers stay open between requests
    client_body_temp_path {run_dir}/body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
    proxy_cache_path {run_dir}/checks levels=1:2 keys_zone=hub_checks:1m max_size=16m inactive=10m;
    client_max_body_size 0;  # the hub sets its own limits (hub/limits.py)
    upstream hub {{ server 127.0.0.1:{backend_port}; keepalive 16; }}
    server {{
        listen {listen};
        location / {{
            {to_the_hub}
        }}
        # A lesson file: the hub checks the request (a file it holds, of a course it shows; the
        # headers to send) and nginx keeps its yes for {CHECK_SECONDS} s, sending the file from the blob
        # folder with the hub's headers. A no, or a hub that cannot answer, goes to the hub itself.
        location ~ "^/media/(?<hub_dir>[0-9a-f]{{2}})(?<hub_rest>[0-9a-f]{{62}})/[^/]+$" {{
            auth_request /_hub_check;
            auth_request_set $hub_type $upstream_http_content_type;
            auth_request_set $hub_disposition $upstream_http_content_disposition;
            auth_request_set $hub_caching $upstream_http_cache_control;
            auth_request_set $hub_policy $upstream_http_content_security_policy;
            error_page 500 = @hub;
            alias {blobs}/sha256/$hub_dir/$hub_dir$hub_rest;
            types {{ }}
            default_type "";  # no type of nginx's own: the hub's, below, is the only one
            add_header Content-Type $hub_type;
            add_header Content-Disposition $hub_disposition;
            add_header Cache-Control $hub_caching;
            add_header Content-Security-Policy $hub_policy always;
            {safety}
        }}
        location = /_hub_check {{
            internal;
            proxy_pass http://hub$request_uri;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Range "";  # the hub answers for the whole file; nginx sends the range
            proxy_set_header If-Range "";
            proxy_set_header If-None-Match "";
            proxy_set_header If-Modified-Since "";
            proxy_cache hub_checks;
            proxy_cache_key $request_uri;
            proxy_cache_valid 200 {CHECK_SECONDS}s;
            proxy_ignore_headers X-Accel-Redirect Cache-Control Expires Set-Cookie;
        }}
        location @hub {{
            {to_the_hub}
        }}
        # Only reached through the hub's X-Accel-Redirect, after its checks.
        location {INTERNAL_PREFIX} {{
            alias {blobs}/;
            {sent_after_checks}
        }}
        location {ZIM_INTERNAL_PREFIX} {{
            alias {home / ZIM_COPIES}/;
            {sent_after_checks}
        }}
    }}
}}
"""


SERVICE = "commons-hub-nginx"
CONFIG_PATH = Path("etc/commons-hub/nginx.conf")
RUN_DIR = Path("/run") / SERVICE  # systemd's RuntimeDirectory=


def backend_port(port: int) -> int:
    """The loopback port the hub listens on behind nginx (nginx has `port`)."""
    return 8081 if port != 8081 else 8082


def render_unit(user: str, port: int, config: Path) -> str:
    """The systemd unit of the hub's own nginx: its user, the port (a low one by capability)."""
    command = f"/usr/sbin/nginx -c {config} -g 'daemon off;'"
    lines = [
        "# Written by `hub service install --with-nginx`; `hub service uninstall` removes it.",
        "[Unit]",
        "Description=nginx in front of Commons Hub (lesson files without Python)",
        "After=network.target commons-hub.service",
        "Wants=commons-hub.service",
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=simple",
        f"User={user}",
        f"Group={user}",
        f"RuntimeDirectory={SERVICE}",
        f"ExecStartPre=/usr/sbin/nginx -t -q -c {config} -g 'daemon off;'",
        f"ExecStart={command}",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "RestartSec=3",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "ProtectHome=true",
        "PrivateTmp=true",
        "PrivateDevices=true",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        f"CapabilityBoundingSet={'CAP_NET_BIND_SERVICE' if port < 1024 else ''}",
    ]
    if port < 1024:
        lines.append("AmbientCapabilities=CAP_NET_BIND_SERVICE")
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)
