"""The ``pmo-nb`` command line.

Every command turns a ``PmoError`` into a one-line message on stderr and a non-zero exit code,
never a traceback: 1 for bad data or a failed report, 2 for a bad invocation or unreadable input.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from . import __version__
from .exceptions import DataValidationError, PmoError, SourceError


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn pmo_nb errors into a one-line message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DataValidationError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except SourceError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except PmoError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmo-nb")
def cli() -> None:
    """pmo-nb: monthly PMO reports from project records."""


# Commands are added below by their owning modules' issues:
#   validate (ingest/validate), sample (sample), kpis (KPI engine), run (batch).


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
