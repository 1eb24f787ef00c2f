"""pmo-nb: Jupyter-based reporting for Program Management Offices."""

from __future__ import annotations

from pmo_nb.config import Config, load_config
from pmo_nb.data.ingest import check, load
from pmo_nb.data.model import Portfolio
from pmo_nb.exceptions import (
    ConfigError,
    DataValidationError,
    DiskFullError,
    Finding,
    PeriodError,
    PmoError,
    RenderError,
    ReportExecutionError,
    SourceError,
    UnknownEntityError,
)
from pmo_nb.metrics.changes import Changes, compare, load_snapshot
from pmo_nb.metrics.kpis import Kpis, compute

__version__ = "0.1.0"

__all__ = [
    "Changes",
    "Config",
    "ConfigError",
    "DataValidationError",
    "DiskFullError",
    "Finding",
    "Kpis",
    "PeriodError",
    "PmoError",
    "Portfolio",
    "RenderError",
    "ReportExecutionError",
    "SourceError",
    "UnknownEntityError",
    "__version__",
    "check",
    "compare",
    "compute",
    "load",
    "load_config",
    "load_snapshot",
]
