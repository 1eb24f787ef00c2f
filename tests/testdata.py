"""Paths to the small scenario files under tests/data/ (notebooks, schedules), for tests and helper modules."""

from __future__ import annotations

from pathlib import Path

TEST_DATA = Path(__file__).resolve().parent / "data"


def data_path(*parts: str) -> Path:
    """Path to a file or folder under tests/data/."""
    return TEST_DATA.joinpath(*parts)
