"""Starter packs: courses written for this project, imported by a fresh hub."""

from pathlib import Path

STARTER_DIR = Path(__file__).parent


def course_folders() -> list[Path]:
    """Every starter course folder, in a stable order."""
    return sorted(p for p in STARTER_DIR.iterdir() if (p / "course.toml").is_file())
