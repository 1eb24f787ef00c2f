"""Reporting: what the report notebooks display (sections, charts, tables, narrative), built from computed KPIs.

Importing a module here has no side effect; :func:`setup` enables the ``pmo`` chart theme and renderer.
"""

from __future__ import annotations

__all__ = ["setup"]


def setup() -> None:
    """Enable the ``pmo`` Altair theme and renderer (charts carry an SVG for the PDF); call once per kernel.

    The report notebooks call it first; ``ProgramReport.build`` and ``PortfolioReport.build`` call it too.
    Idempotent.
    """
    from pmo_nb.reporting import display

    display.enable()
