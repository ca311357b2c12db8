"""Can a window open here? Asked before anything starts, so a missing piece gives advice, not a traceback.

Qt cannot report a missing platform library as a Python error: it aborts the process. So the
platform plugin Qt would load is opened with ctypes first, which names the missing library.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

INSTALL_EXTRA = "pip install 'commons-hub[desktop]'"

# Debian / Ubuntu / Raspberry Pi OS packages holding the libraries PySide6's Qt WebEngine and its
# X11 and Wayland plugins load (read off with ldd; most are already there on a desktop system).
DEBIAN_PACKAGES = (
    "libnss3 libnspr4 libasound2 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 "
    "libgbm1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 "
    "libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libwayland-client0 libwayland-cursor0"
)
SYSTEM_LIBRARIES_HINT = f"On Debian, Ubuntu or Raspberry Pi OS: sudo apt-get install {DEBIAN_PACKAGES}"
NO_WINDOW_HINT = "To run the hub without a window, use `hub serve`."


def gui_problem() -> str | None:
    """What stops a desktop window from opening here, with how to fix it; None when nothing does."""
    try:
        import webview  # noqa: F401
    except ImportError as error:
        return (
            f"The desktop window needs pywebview, which is not installed ({error}).\n"
            f"Install the desktop extra: {INSTALL_EXTRA}\n{NO_WINDOW_HINT}"
        )
    try:
        from PySide6 import QtWebEngineWidgets  # noqa: F401
    except ImportError as error:
        if isinstance(error, ModuleNotFoundError) and (error.name or "").startswith("PySide6"):
            return (
                f"The desktop window needs Qt for Python (PySide6 with Qt WebEngine): {error}.\n"
                f"Install the desktop extra: {INSTALL_EXTRA}\n{NO_WINDOW_HINT}"
            )
        return _libraries_missing(f"Qt WebEngine could not load: {error}")
    if sys.platform.startswith("linux"):
        return _linux_display_problem()
    return None


def _libraries_missing(what: str) -> str:
    return f"{what}\nSome system libraries the desktop window needs are missing.\n{SYSTEM_LIBRARIES_HINT}"


def _linux_display_problem() -> str | None:
    platforms = _platform_candidates()
    if not platforms:
        return (
            "No screen was found (neither DISPLAY nor WAYLAND_DISPLAY is set). Start `hub desktop` from "
            f"the computer's desktop session.\n{NO_WINDOW_HINT}"
        )
    errors = []
    for platform in platforms:
        error = _platform_plugin_error(platform)
        if error is None:
            return None
        errors.append(f"Qt's {platform!r} window system plugin could not load: {error}")
    return _libraries_missing("\n".join(errors))


def _platform_candidates() -> list[str]:
    """The Qt platform plugins Qt would try, in its order (QT_QPA_PLATFORM may be 'xcb;wayland:opts')."""
    chosen = os.environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return [name.split(":")[0].strip() for name in chosen.split(";") if name.strip()]
    platforms = []
    if os.environ.get("WAYLAND_DISPLAY"):
        platforms.append("wayland")
    if os.environ.get("DISPLAY"):
        platforms.append("xcb")
    return platforms


def _platform_plugin_error(platform: str) -> str | None:
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / f"libq{platform}.so"
    if not plugin.exists():
        return None  # not a plugin shipped in the wheel (wayland-egl, a system Qt's): let Qt decide
    try:
        ctypes.CDLL(str(plugin))
    except OSError as error:
        return str(error)
    return None
