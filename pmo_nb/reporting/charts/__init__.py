"""The report charts, one module per family: each builder takes a tidy DataFrame and returns an Altair chart.

``theme`` (the house style), ``base`` (shared plumbing), ``cost`` (S-curve), ``schedule`` (milestone timeline),
``raid`` (risk heat map, exposure trend, issues) and ``portfolio`` (CPI/SPI(t) quadrant, RAG counts). Each builder's
data step (filter, rank, label choice) is its own function, testable without Altair; titles state the finding and
come from :mod:`pmo_nb.reporting.narrative` when the caller gives none; empty input gives a small "No data" chart.
"""

from __future__ import annotations

from pmo_nb.reporting.charts.base import no_data
from pmo_nb.reporting.charts.cost import s_curve
from pmo_nb.reporting.charts.portfolio import cpi_spi_quadrant, rag_counts
from pmo_nb.reporting.charts.raid import exposure_trend, issue_ageing, issues_by_severity, risk_heatmap
from pmo_nb.reporting.charts.schedule import milestone_timeline
from pmo_nb.reporting.charts.theme import (
    RAG_COLORS,
    RAG_KEYS,
    RAG_LABELS,
    RAG_SHAPES,
    THEME_NAME,
    register_theme,
    theme,
)

__all__ = ["no_data", "s_curve", "cpi_spi_quadrant", "rag_counts", "exposure_trend", "issue_ageing",
           "issues_by_severity", "risk_heatmap", "milestone_timeline", "RAG_COLORS", "RAG_KEYS", "RAG_LABELS",
           "RAG_SHAPES", "THEME_NAME", "register_theme", "theme"]
