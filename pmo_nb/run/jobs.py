"""What the run hands a worker (:class:`Job`) and what it gets back (:class:`ReportResult`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from pmo_nb.exceptions import ReportError

__all__ = ["Kind", "Job", "ReportResult", "PORTFOLIO"]

Kind = Literal["program", "portfolio"]
PORTFOLIO = "portfolio"
"""The file stem of the portfolio overview's outputs (never a program id)."""


@dataclass(frozen=True, kw_only=True)
class Job:
    """One report to execute and render in a worker. Every path is absolute.

    Parameters
    ----------
    name:
        File stem of the report's outputs: the program id, or ``"portfolio"``.
    kind:
        ``"program"`` or ``"portfolio"``.
    notebook:
        The report notebook to execute.
    parameters:
        The notebook's papermill parameters.
    folder:
        The run's staging folder.
    formats:
        The formats to render, by name (checked against ``pmo_nb.publish.formats.names()``).
    timeout:
        Per-cell timeout in seconds (None: no limit).
    kernel_name:
        The Jupyter kernel to run.
    generated_at:
        The run's generation time, for the rendered footer.
    reuse_kernel:
        Keep the kernel for the worker's next report of the same notebook.
    shared:
        The run's shared-state pickle (``pmo_nb.metrics.month.read_shared``), named in the kernel's environment.
    kernel_env:
        Further environment variables for the kernel (never written to any file).
    links:
        Where the month's other reports are (``pmo_nb.publish.navigation.month_links``), for the HTML report.
    """

    name: str
    kind: Kind
    notebook: str
    parameters: dict[str, Any]
    folder: str
    formats: tuple[str, ...]
    timeout: float | None
    kernel_name: str = "python3"
    generated_at: str | None = None
    reuse_kernel: bool = False
    shared: str | None = None
    kernel_env: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)


@dataclass
class ReportResult:
    """What happened to one report. ``timings`` has kernel_start (reading the notebook, injecting the parameters,
    starting or taking the kernel), execute (from the first cell to the executed notebook saved), cells (the cells'
    own execution, within execute) and render_<fmt> (rendering and writing one format), in seconds.

    ``error`` is None when the report is ok, else the :class:`~pmo_nb.exceptions.ReportError` saying why.
    """

    name: str
    kind: Kind
    status: Literal["ok", "failed"]
    duration: float
    timings: dict[str, float] = field(default_factory=dict)
    kernel_attempts: int = 0
    kernel_reused: bool = False
    kernel_prewarmed: bool = False  # a spare kernel, started (package imported) before the report was handed out
    notebook: str | None = None  # relative to the month folder
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # fmt -> {path, sha256}
    error: ReportError | None = None
    worker_pid: int | None = None
    kernel_executable: str | None = None
    carried_from: str | None = None  # the run id of the month this report was carried over from

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(replace(self, error=None))
        d["error"] = None if self.error is None else self.error.as_dict()
        d["duration"] = round(self.duration, 3)
        d["timings"] = {k: round(v, 3) for k, v in self.timings.items()}
        return d
