"""pmo-nb: Jupyter-based reporting for Program Management Offices."""

from __future__ import annotations

from .changes import Changes, compare, load_snapshot
from .config import Config, load_config
from .exceptions import (
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
from .ingest import check, load
from .kpis import Kpis, compute
from .model import Portfolio

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
