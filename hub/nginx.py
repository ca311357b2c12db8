"""nginx in front of the hub (`hub service install --with-nginx`): lesson files without Python.

On a Raspberry Pi a video sent through Python is a fraction of what nginx sends from the same
disk (Range requests 0.12-0.23x, 64 KB ranges 0.01x). With nginx in front, the hub still answers
every request for a lesson file, so its own checks (a hash it holds, a course not withdrawn, the
headers of hub/plugins/media) stay the only way in; it then answers with no body and an
`X-Accel-Redirect` to an internal location that nginx serves from the blob folder, with Range
and sendfile. That location is `internal`: a phone cannot ask for it directly. A ZIM's pictures and
videos go the same way, from copies the hub makes of them (hub/plugins/zim/copies.py).

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
    stderr (the journal); `run_dir` keeps its pid and temporary files, so it runs as an
    unprivileged user."""
    listen = f"{host}:{port}" if host else str(port)
    blobs = home / "blobs"
    sent_after_checks = """internal;
            types { }
            default_type application/octet-stream;
            # nginx keeps the hub's Content-Type, Content-Disposition and Cache-Control; these it
            # would drop, so they are copied from the hub's answer.
            add_header Content-Security-Policy $upstream_http_content_security_policy always;
            add_header X-Content-Type-Options nosniff always;
            add_header Referrer-Policy same-origin always;"""
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
    client_body_temp_path {run_dir}/body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
    client_max_body_size 0;  # the hub sets its own limits (hub/limits.py)
    upstream hub {{ server 127.0.0.1:{backend_port}; keepalive 16; }}
    server {{
        listen {listen};
        location / {{
            proxy_pass http://hub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 3600s;
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
