"""JSON and TOML from a file someone handed over, read without trusting its shape.

A manifest or a course.toml nested thousands of levels deep makes Python's parsers (and
everything that walks their result) run out of stack: a RecursionError, a traceback, a 500.
No course needs more than a handful of levels, so anything past MAX_NESTING is refused in words.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

from content.errors import ContentError

MAX_NESTING = 32  # a manifest uses about 6 levels (lessons → lesson → images → image → file)


def _too_deep(name: str) -> ContentError:
    return ContentError(f"{name} is nested more than {MAX_NESTING} levels deep; no course looks like that")


def check_nesting(data: object, name: str) -> None:
    """Refuse lists and tables inside each other more than MAX_NESTING deep (walked without recursion)."""
    level: list[tuple[object, int]] = [(data, 0)]
    while level:
        value, depth = level.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 >= MAX_NESTING:
                    raise _too_deep(name)
                level.append((child, depth + 1))


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a number JSON allows")


def load_json(raw: bytes, name: str) -> Any:
    """Decoded JSON (strict: no NaN or Infinity), or a ContentError saying why it is not acceptable."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError is a ValueError
        raise ContentError(f"{name} is not valid JSON ({error})") from None
    except RecursionError:
        raise _too_deep(name) from None
    check_nesting(data, name)
    return data


def load_toml(text: str, name: str) -> dict[str, Any]:
    """Decoded TOML, or a ContentError saying why it is not acceptable."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{name} is not valid TOML ({error})") from None
    except RecursionError:
        raise _too_deep(name) from None
    check_nesting(data, name)
    return data
