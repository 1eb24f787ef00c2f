"""Paths defined once, anchored on the project root."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJ_ROOT = PACKAGE_DIR.parent
SAMPLE_DIR = PROJ_ROOT / "data" / "sample"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
TEMPLATES_DIR = PROJ_ROOT / "templates"
REPORTS_DIR = PROJ_ROOT / "reports"
