"""Exceptions raised by pmo_nb.

Every error a user can meet derives from one root, so a caller (the CLI, a batch worker, a notebook)
can catch ``PmoError`` and show a message instead of a traceback::

    PmoError
    ├── SourceError            the source cannot be read (missing folder, unreadable file, bad encoding,
    │                          wrong sheet, database unreachable, missing table)
    ├── DataValidationError    the data was read but breaks the data model; carries ``findings``
    ├── ConfigError            pmo.toml has an unknown key or a bad value; carries ``key``
    ├── PeriodError            a reporting month outside the data, or malformed
    ├── WorkspaceError         `pmo-nb init` cannot create or check a workspace folder; carries ``path``
    ├── UnknownEntityError     an unknown program or project id
    ├── ReportExecutionError   a report notebook failed; carries ``cell_index``, ``ename``, ``evalue``
    │   └── DiskFullError      the output filesystem is full; carries ``path``; the run publishes nothing
    ├── ReportError            why one report of a run failed (returned by a worker, not raised); carries
    │                          ``program``, ``notebook``, ``cell_index``, ``ename``, ``evalue``, ``cell_source``
    ├── RenderError            an executed notebook could not be turned into HTML or PDF
    ├── ClusterError           pmo-nb run --cluster cannot use the Dask cluster (unreachable, no workers, a
    │                          worker without pmo-nb or its kernel); carries ``address``
    └── MailError              pmo-nb send cannot start: no month folder, no SMTP host, server unreachable,
                               authentication refused; carries ``path`` or ``host``
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class PmoError(Exception):
    """Root of every pmo_nb error."""


class SourceError(PmoError):
    """A data source could not be read.

    Parameters
    ----------
    message:
        What went wrong and what to do about it.
    path:
        The file, folder, sheet or URL concerned, when there is one.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Finding:
    """One problem in the input data, located as the user sees it.

    ``row`` counts like a spreadsheet: the header is row 1, the first record row 2 (for SQL and
    Parquet sources, which have no header line, the first record is still row 2 so that an export
    of the same table lines up). ``row`` is None for table-level findings (a missing column).
    """

    table: str
    source: str
    row: int | None
    column: str | None
    value: Any
    rule: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "source": self.source,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
        }

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        value = "" if self.value is None else f": value {self.value!r}"
        return f"{where}{value}: {self.rule}"


class DataValidationError(PmoError):
    """The data breaks the data model. ``findings`` lists every problem found (validation is lazy)."""

    def __init__(self, findings: list[Finding], *, source: str = "") -> None:
        self.findings = list(findings)
        self.source = source
        n = len(self.findings)
        head = f"{n} problem{'s' if n != 1 else ''} in {source or 'the data'}"
        detail = "; ".join(str(f) for f in self.findings[:3])
        more = f"; and {n - 3} more" if n > 3 else ""
        super().__init__(
            f"{head}: {detail}{more}. Run `pmo-nb validate {source or 'SOURCE'}` for the full list."
        )


class ConfigError(PmoError):
    """A configuration key is unknown or has a bad value."""

    def __init__(self, message: str, *, key: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.path = path


class WorkspaceError(PmoError):
    """A workspace folder cannot be created (not empty, not writable) or is not a workspace."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class PeriodError(PmoError):
    """A reporting month is malformed or outside the data."""


class UnknownEntityError(PmoError):
    """An unknown program or project id was asked for."""


class ReportExecutionError(PmoError):
    """A report notebook failed while executing."""

    def __init__(
        self,
        message: str,
        *,
        cell_index: int | None = None,
        ename: str | None = None,
        evalue: str | None = None,
        notebook: str | None = None,
    ) -> None:
        super().__init__(message)
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue
        self.notebook = notebook


class DiskFullError(ReportExecutionError):
    """The output folder's filesystem is full (or over quota); the run is abandoned, nothing published."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(f"no space left on the device writing {path}: free space on that filesystem (or pass "
                         "another --out) and run the month again; nothing was published, the previous reports "
                         "are untouched", ename="DiskFullError", notebook=None)
        self.path = str(path)


class ReportError(PmoError):
    """Why one report of a run failed: the exception in its notebook, a dead kernel, a timeout, a render error.

    A worker returns it in the report's result (it is never raised across the pool). ``evalue`` and
    ``cell_source`` hold first lines only. ``cell_index`` is papermill's: the position in the executed notebook,
    counting the injected-parameters cell but not the red error banners papermill adds to the saved notebook.
    ``path`` names the file being written when the disk filled up (``ename`` "DiskFullError").
    """

    def __init__(
        self,
        *,
        ename: str,
        evalue: str = "",
        program: str | None = None,
        notebook: str | None = None,
        cell_index: int | None = None,
        cell_source: str = "",
        path: str | None = None,
    ) -> None:
        super().__init__(f"{ename}: {evalue}" if evalue else ename)
        self.ename = ename
        self.evalue = evalue
        self.program = program
        self.notebook = notebook
        self.cell_index = cell_index
        self.cell_source = cell_source
        self.path = path

    def as_dict(self) -> dict[str, Any]:
        """``ename``, ``evalue``, ``cell_index``, ``cell_source`` (and ``path`` when set), as in the manifest."""
        out: dict[str, Any] = {"ename": self.ename, "evalue": self.evalue, "cell_index": self.cell_index,
                               "cell_source": self.cell_source}
        if self.path is not None:
            out["path"] = self.path
        return out

    def _fields(self) -> dict[str, Any]:
        return {"ename": self.ename, "evalue": self.evalue, "program": self.program, "notebook": self.notebook,
                "cell_index": self.cell_index, "cell_source": self.cell_source, "path": self.path}

    def __reduce__(self) -> tuple[Any, ...]:  # keyword-only arguments: pickle through a helper
        return (_report_error, (self._fields(),))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReportError) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((self.ename, self.evalue, self.program, self.cell_index))


def _report_error(fields: dict[str, Any]) -> ReportError:
    return ReportError(**fields)


class RenderError(PmoError):
    """An executed notebook could not be rendered to HTML or PDF."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ClusterError(PmoError):
    """``pmo-nb run --cluster`` cannot run on the cluster: the scheduler is unreachable, it has no workers, or a
    worker lacks pmo-nb or its Jupyter kernel. Raised before anything is written."""

    def __init__(self, message: str, *, address: str | None = None) -> None:
        super().__init__(message)
        self.address = address


class MailError(PmoError):
    """``pmo-nb send`` cannot go on (a refused recipient is not an error: it is reported with the others)."""

    def __init__(self, message: str, *, path: str | None = None, host: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.host = host
