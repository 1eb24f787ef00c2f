"""pmo-nb: Jupyter-based reporting for Program Management Offices."""

from __future__ import annotations

from .config import Config, load_config
from .exceptions import (
    ConfigError,
    DataValidationError,
    Finding,
    PeriodError,
    PmoError,
    RenderError,
    ReportExecutionError,
    SourceError,
    UnknownEntityError,
)
from .model import Portfolio

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "DataValidationError",
    "Finding",
    "PeriodError",
    "PmoError",
    "Portfolio",
    "RenderError",
    "ReportExecutionError",
    "SourceError",
    "UnknownEntityError",
    "__version__",
    "load_config",
]
