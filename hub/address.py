"""The address phones on the local network use to reach this hub, and its QR code.

segno is imported only to draw a code: the server draws one for the join page only.
"""

from __future__ import annotations

import socket

ALL_INTERFACES = ("0.0.0.0", "::", "")


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent to find it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            return probe.getsockname()[0]
        except OSError:
            pass  # no default route: a Pi that is its own hotspot
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        addresses = set()
    return min((a for a in addresses if not a.startswith("127.")), default="127.0.0.1")


def hub_url(host: str, port: int, secure: bool = False) -> str:
    """The URL to give residents for a server listening on host:port (with TLS when `secure`)."""
    shown = lan_address() if host in ALL_INTERFACES else host
    scheme, default_port = ("https", 443) if secure else ("http", 80)
    return f"{scheme}://{shown}/" if port == default_port else f"{scheme}://{shown}:{port}/"


def qr_svg(url: str, scalable: bool = False) -> str:
    """An inline SVG QR code (no script, no external file), large enough to scan from a screen.

    A `scalable` one has a viewBox and no size, so a stylesheet can size it (a printed card's 30 mm).
    """
    import segno

    return segno.make(url, error="m").svg_inline(scale=8, dark="#1b1b1b", light="#ffffff", omitsize=scalable)


def qr_text(url: str) -> str:
    """The QR code drawn with block characters, for a terminal."""
    import segno

    lines: list[str] = []
    segno.make(url, error="m").terminal(out=_LineSink(lines), compact=True)
    return "".join(lines)


class _LineSink:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def write(self, text: str) -> None:
        self.lines.append(text)
