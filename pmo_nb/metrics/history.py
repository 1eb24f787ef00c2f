"""The history store: each run's month kept as one Parquet file under the reports folder, read back as trends.

:func:`write_month` keeps a month's snapshot (``reports/history/YYYY-MM.parquet``: KPIs at every level with RAG and
reason and the risk-adjusted forecast, each milestone's forecast date as reported that month, risk scores, issues)
atomically; :func:`read_history` returns the last months as one :class:`History`, recomputing from the source the
months that have no stored file where the source allows (financials are monthly, so indices, EAC, RAG and the
registers' open counts can be; milestone forecasts as reported then cannot) and marking them ``recomputed``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pmo_nb.config import Config, load_config
from pmo_nb.data.model import Portfolio
from pmo_nb.exceptions import SourceError
from pmo_nb.metrics.kpis import Kpis, compute
from pmo_nb.periods import Period

__all__ = ["HISTORY_DIR", "HISTORY_FORMAT", "TREND_MONTHS", "History", "month_path", "snapshot", "write_month",
           "read_month", "read_history"]

HISTORY_DIR = "history"
"""The store's folder inside the reports folder (the run's ``--out``)."""
HISTORY_FORMAT = "pmo-nb history 1"
TREND_MONTHS = 12
"""How many months a trend shows (the reporting month and the eleven before it)."""
MILESTONE_EXTRA = ("key_milestone", "baseline_date", "actual_date")


def month_path(out_dir: str | Path, period: str | Period) -> Path:
    """Where the snapshot of ``period`` is kept: ``<out_dir>/history/YYYY-MM.parquet``."""
    return Path(out_dir) / HISTORY_DIR / f"{Period(period)}.parquet"


def snapshot(kpis: Kpis, *, recomputed: bool = False) -> pd.DataFrame:
    """The month as the store keeps it: :meth:`Kpis.snapshot` rows plus, for milestones, ``key_milestone``,
    ``baseline_date`` and ``actual_date``, and ``recomputed``. Dates are ISO text."""
    snap = kpis.snapshot()
    for column in MILESTONE_EXTRA:
        snap[column] = None
    ms = kpis.milestones
    if len(ms):
        extra = pd.DataFrame({
            "key_milestone": ms["key_milestone"].astype(bool).to_numpy(),
            "baseline_date": pd.to_datetime(ms["baseline_date"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "actual_date": pd.to_datetime(ms["actual_date"]).dt.strftime("%Y-%m-%d").to_numpy(),
        }, index=ms["milestone_id"].to_numpy())
        rows = snap.index[snap["level"].eq("milestone")]
        found = extra.reindex(snap.loc[rows, "id"].to_numpy())
        for column in MILESTONE_EXTRA:
            values = found[column].astype("object")
            snap.loc[rows, column] = values.where(values.notna(), None).to_numpy(dtype="object")
    snap["key_milestone"] = snap["key_milestone"].astype("object")
    snap["recomputed"] = recomputed
    return snap


def write_month(out_dir: str | Path, kpis: Kpis) -> Path:
    """Keep ``kpis``' month in the store under ``out_dir`` (replacing that month's file), atomically.

    The file is written next to its final name and renamed into place, so a reader sees the old month or the
    new one, never half a file.

    Returns
    -------
    Path
        ``<out_dir>/history/YYYY-MM.parquet``.
    """
    path = month_path(out_dir, kpis.period)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    frame = snapshot(kpis)
    frame.attrs = {}
    try:
        frame.to_parquet(part, index=False)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path


def read_month(path: str | Path) -> pd.DataFrame:
    """A stored month; raises ``SourceError`` naming the file when it is unreadable or not a history file."""
    p = Path(path)
    try:
        frame = pd.read_parquet(p)
    except Exception as exc:  # corrupt, truncated, not Parquet
        raise SourceError(f"history file {p} cannot be read ({type(exc).__name__}): delete it and run that month "
                          "again, or leave it out (the month is then recomputed)", path=str(p)) from None
    missing = [c for c in ("period", "level", "id") if c not in frame.columns]
    if missing:
        raise SourceError(f"{p} is not a pmo-nb history file: it lacks {', '.join(missing)}", path=str(p))
    frame["recomputed"] = False
    return frame


@dataclass(frozen=True)
class History:
    """The months of a trend, oldest first: ``frame`` holds every stored or recomputed snapshot row (column
    ``recomputed``); ``months`` the months asked for and ``missing`` those neither stored nor recomputable."""

    frame: pd.DataFrame
    months: tuple[Period, ...]
    missing: tuple[Period, ...]

    def entity(self, level: str, id: str | None = None) -> pd.DataFrame:
        """One entity's rows month by month (``level`` portfolio, program or project; ``id`` for the last two)."""
        f = self.frame[self.frame["level"] == level]
        if id is not None:
            f = f[f["id"] == id]
        return f.sort_values("period", kind="mergesort").reset_index(drop=True)

    def milestones(self, project_ids: set[str] | None = None, *, key_only: bool = True) -> pd.DataFrame:
        """Milestone rows as reported each month (``forecast_finish``: forecast else baseline), stored months only
        (a recomputed month cannot know what was forecast then)."""
        f = self.frame[(self.frame["level"] == "milestone") & ~self.frame["recomputed"].astype(bool)]
        if project_ids is not None:
            f = f[f["project_id"].isin(project_ids)]
        if key_only:
            f = f[f["key_milestone"].astype("object").eq(True)]
        return f.sort_values(["id", "period"], kind="mergesort").reset_index(drop=True)


def read_history(out_dir: str | Path | None, until: str | Period, months: int = 12, *,
                 portfolio: Portfolio | None = None, config: Config | str | Path | None = None,
                 current: Kpis | None = None, cache: dict[str, pd.DataFrame] | None = None) -> History:
    """The ``months`` months up to ``until``: stored where ``out_dir`` holds them, else recomputed.

    Parameters
    ----------
    out_dir:
        The reports folder holding ``history/``; None reads nothing (every month is recomputed).
    until:
        The last month (the reporting month).
    portfolio, config:
        The source to recompute months without a stored file (months within its financials); None: none.
    current:
        The reporting month's KPIs when already computed (used for ``until`` instead of recomputing it).
    cache:
        Months already recomputed from this ``portfolio`` and ``config`` (month -> snapshot), e.g. the shared
        month's ``SharedState.recomputed``: used instead of recomputing, and filled with what is recomputed here,
        so that the reports of one month recompute each past month once, not once per report.

    Raises
    ------
    SourceError
        A stored file is unreadable (its path and what to do are named).
    """
    last = Period(until)
    wanted = tuple(last.shift(-k) for k in range(months - 1, -1, -1))
    cfg = load_config(config)
    covered = set(portfolio.periods) if portfolio is not None else set()
    parts, missing = [], []
    for month in wanted:
        path = month_path(out_dir, month) if out_dir is not None else None
        if path is not None and path.is_file():
            parts.append(read_month(path))
        elif current is not None and month == Period(current.period):
            parts.append(snapshot(current))
        elif portfolio is not None and month in covered:
            snap = cache.get(str(month)) if cache is not None else None
            if snap is None:
                snap = _recomputed(portfolio, month, cfg)
                if cache is not None:
                    cache[str(month)] = snap
            parts.append(snap)
        else:
            missing.append(month)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["period", "level", "id", "program_id", "project_id", "recomputed"])
    return History(frame=frame, months=wanted, missing=tuple(missing))


def to_recompute(out_dir: str | Path | None, until: str | Period, months: int, portfolio: Portfolio) -> list[str]:
    """The months before ``until`` that :func:`read_history` would recompute from ``portfolio`` (no stored file,
    covered by the source): a caller may compute them ahead, in parallel, into its ``cache``."""
    last = Period(until)
    covered = set(portfolio.periods)
    wanted = (last.shift(-k) for k in range(months - 1, 0, -1))
    return [str(m) for m in wanted if m in covered
            and not (out_dir is not None and month_path(out_dir, m).is_file())]


def recompute_month(portfolio: Portfolio, month: str | Period, config: Config) -> pd.DataFrame:
    """One past month recomputed from the source, as :func:`read_history` puts it in its ``cache``."""
    return _recomputed(portfolio, Period(month), config)


def _recomputed(portfolio: Portfolio, month: Period, config: Config) -> pd.DataFrame:
    frame = snapshot(compute(portfolio, month, config), recomputed=True)
    # what a milestone was forecast to be at the time is not in the source: keep achievements only
    ms = frame["level"].eq("milestone")
    frame.loc[ms, "forecast_finish"] = frame.loc[ms, "actual_date"]
    return frame
