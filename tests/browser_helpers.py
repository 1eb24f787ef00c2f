"""Headless Chromium for the browser tests: Debian's package, driven by Playwright (never ``playwright install``).

The ``chromium`` and ``pw`` fixtures (tests/conftest.py) are built on these; a test launches the browser with
``pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The Chromium binary: ``PMO_CHROMIUM`` if set, else Debian's ``chromium`` on PATH."""
    explicit = os.environ.get("PMO_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def unavailable(reason: str) -> None:
    """Skip for ``reason``; under ``CI=true`` fail instead, because ``.ci/run`` installs the browser."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)")
    pytest.skip(reason)
