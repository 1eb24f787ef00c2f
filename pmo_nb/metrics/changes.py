"""What changed since last month: two KPI snapshots compared, and the snapshot file (``kpis.csv``) written and read.

:func:`compare` takes this month's snapshot (``Kpis.snapshot()``) and last month's (recomputed, or read back with
:func:`load_snapshot` from the file :func:`write_snapshot` wrote; both give the same result) and returns a
:class:`Changes`: RAG moves, metric deltas, milestones newly missed or achieved, risks and issues raised, closed or
escalated. Without a previous snapshot ``available`` is False and every frame is empty. docs/kpis.md lists each frame.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pmo_nb.contract import RAG_SEVERITY
from pmo_nb.exceptions import SourceError
from pmo_nb.metrics.spreadsheet import to_csv, unescape

ENTITY_LEVELS = ("portfolio", "program", "project")
ITEM_LEVELS = ("milestone", "risk", "issue")
LEVELS = ENTITY_LEVELS + ITEM_LEVELS
METRICS = ("cpi", "spi", "spi_t", "eac", "forecast_finish")
BAND_ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}
ACHIEVED = ("achieved_on_time", "achieved_late")

# Columns read as text from a stored snapshot; the rest are numbers when every value parses as one.
TEXT_COLUMNS = frozenset(
    {"period", "level", "id", "program_id", "project_id", "name", "rag", "rag_reason", "status", "band",
     "forecast_finish", "baseline_start", "baseline_finish", "es_forecast_finish", "last_updated", "manager",
     "sponsor", "phase", "reported_status"}
)
NUMERIC_COLUMNS = frozenset(
    {"bac", "pv", "ev", "ac", "cv", "sv", "cv_pct", "sv_pct", "cpi", "spi", "eac", "eac_atypical",
     "eac_composite", "etc", "vac", "tcpi", "tcpi_eac", "pct_complete", "pct_spent", "es", "at", "sv_t",
     "spi_t", "pd", "ieac_t", "score", "ms_on_time_rate", "ms_missed", "risks_open",
     "risks_critical_open", "issues_open"}
)
_IDENTITY = ("period", "level", "id", "program_id", "project_id", "name")

RAG_COLUMNS = ("level", "id", "name", "program_id", "from", "to", "direction")
METRIC_COLUMNS = ("level", "id", "name", "program_id", "metric", "previous", "current", "delta")
ITEM_COLUMNS = ("id", "name", "program_id", "project_id", "previous_status", "status")
ESCALATED_COLUMNS = ("id", "name", "program_id", "project_id", "previous_band", "band", "previous_score",
                     "score")


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass
class Changes:
    """What changed between two monthly snapshots. Build it with :func:`compare`."""

    period: str | None = None
    previous_period: str | None = None
    available: bool = False
    rag: pd.DataFrame = field(default_factory=lambda: _empty(RAG_COLUMNS))
    metrics: pd.DataFrame = field(default_factory=lambda: _empty(METRIC_COLUMNS))
    milestones_missed: pd.DataFrame = field(default_factory=lambda: _empty(ITEM_COLUMNS))
    milestones_achieved: pd.DataFrame = field(default_factory=lambda: _empty(ITEM_COLUMNS))
    risks_raised: pd.DataFrame = field(default_factory=lambda: _empty(ITEM_COLUMNS))
    risks_closed: pd.DataFrame = field(default_factory=lambda: _empty(ITEM_COLUMNS))
    risks_escalated: pd.DataFrame = field(default_factory=lambda: _empty(ESCALATED_COLUMNS))
    issues_raised: pd.DataFrame = field(default_factory=lambda: _empty(ITEM_COLUMNS))
    issues_closed: pd.DataFrame = field(default_factory=lambda: _empty(ITEM_COLUMNS))

    ITEM_FRAMES = ("milestones_missed", "milestones_achieved", "risks_raised", "risks_closed",
                   "risks_escalated", "issues_raised", "issues_closed")

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every frame by name (``rag``, ``metrics`` and the item frames)."""
        return {name: getattr(self, name) for name in ("rag", "metrics", *self.ITEM_FRAMES)}

    def summary(self, level: str = "portfolio", id: str | None = None) -> dict[str, Any]:
        """The changes that concern one entity, as plain values for the narrative.

        Parameters
        ----------
        level:
            ``"portfolio"``, ``"program"`` or ``"project"``.
        id:
            The program or project id (ignored for the portfolio).

        Returns
        -------
        dict
            ``available, period, previous_period, level, id``; ``rag_from, rag_to, rag_direction``
            (None when the RAG did not change); for each metric ``<m>_previous, <m>_current, <m>_delta``
            (None when unknown); for each item frame its count ``n_<frame>`` and its ids ``<frame>``
            (milestones, risks and issues of the entity: all of them for the portfolio).
        """
        if level not in ENTITY_LEVELS:
            raise ValueError(f"level must be one of {', '.join(ENTITY_LEVELS)}, got {level!r}")
        key = "" if level == "portfolio" else str(id or "")
        out: dict[str, Any] = {"available": self.available, "period": self.period,
                               "previous_period": self.previous_period, "level": level, "id": id}
        rag = self.rag[(self.rag["level"] == level) & ((level == "portfolio") | (self.rag["id"] == key))]
        row = rag.iloc[0] if len(rag) else None
        out["rag_from"] = None if row is None else row["from"]
        out["rag_to"] = None if row is None else row["to"]
        out["rag_direction"] = None if row is None else row["direction"]
        metrics = self.metrics
        m = metrics[(metrics["level"] == level) & ((level == "portfolio") | (metrics["id"] == key))]
        for metric in METRICS:
            hit = m[m["metric"] == metric]
            for part in ("previous", "current", "delta"):
                value = hit[part].iloc[0] if len(hit) else None
                out[f"{metric}_{part}"] = _plain(value)
        for name in self.ITEM_FRAMES:
            frame = getattr(self, name)
            if level == "program":
                frame = frame[frame["program_id"] == key]
            elif level == "project":
                frame = frame[frame["project_id"] == key]
            out[f"n_{name}"] = len(frame)
            out[name] = frame["id"].tolist()
        return out


def _plain(value: Any) -> Any:
    """A plain Python value for the narrative: None for missing, float for numbers, text as is."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, int | float | np.number):
        return float(value)
    return value


def write_snapshot(snapshot: pd.DataFrame, path: str | Path, currency: str = "EUR") -> Path:
    """Write ``snapshot`` (``Kpis.snapshot()``) as ``kpis.csv``, safe to open in a spreadsheet.

    Text that a spreadsheet would run as a formula is escaped and money is rounded to the currency's minor
    unit (:func:`pmo_nb.metrics.spreadsheet.to_csv`); :func:`load_snapshot` reads it back.
    """
    p = Path(path)
    p.write_text(to_csv(snapshot, currency), encoding="utf-8")
    return p


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_COLUMNS = ("forecast_finish", "baseline_start", "baseline_finish", "es_forecast_finish", "last_updated",
                 "status_date")
_RESAVED = ("it looks re-saved by a spreadsheet; point at the kpis.csv the run wrote (or save it again as "
            "'CSV UTF-8 (comma delimited)' with dates as YYYY-MM-DD)")


def _read_table(p: Path) -> pd.DataFrame:
    """The cells of ``p`` as text: comma-separated, or ``;``-separated as spreadsheets in many locales save it."""
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError(f"{p} is not a KPI snapshot (kpis.csv): it is not UTF-8 text; {_RESAVED}",
                          path=str(p)) from None
    except OSError as exc:
        raise SourceError(f"cannot read the KPI snapshot {p}: {exc.strerror or exc}", path=str(p)) from None
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(f"{p} is not a KPI snapshot (kpis.csv): {exc}", path=str(p)) from None
    raw.attrs["separator"] = sep
    return raw


def _number_text(text: pd.Series, decimal_comma: bool) -> pd.Series:
    """Numbers from text; with ``decimal_comma`` (a ``;`` file) ``1.234,5`` and ``0,95`` read as 1234.5, 0.95."""
    if decimal_comma:
        text = text.where(~text.str.contains(",", na=False, regex=False),
                          text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce")


def load_snapshot(path: str | Path) -> pd.DataFrame:
    """Read a stored snapshot (``reports/YYYY-MM/kpis.csv``).

    Ids, names, RAG, status, band and dates stay text (spreadsheet escaping undone, :func:`write_snapshot`);
    metric columns are float; empty cells are NA. Older snapshots (written before the escaping) read the
    same. A copy re-saved by a spreadsheet with ``;`` separators and decimal commas is read; one whose dates
    or numbers a spreadsheet changed is refused with a message saying so.

    Raises
    ------
    SourceError
        The file is missing, unreadable, or is not a snapshot (lacks ``period, level, id``).
    """
    p = Path(path)
    if not p.is_file():
        raise SourceError(
            f"previous KPI snapshot {str(p)!r} not found: run the previous month's batch first, "
            f"or report without a comparison",
            path=str(p),
        )
    raw = _read_table(p)
    decimal_comma = raw.attrs.get("separator") == ";"
    missing = [c for c in ("period", "level", "id") if c not in raw.columns]
    if missing:
        raise SourceError(
            f"{p} is not a KPI snapshot (kpis.csv): it lacks the column(s) {', '.join(missing)}; "
            f"point at a kpis.csv written by the batch",
            path=str(p),
        )
    out = pd.DataFrame(index=raw.index)
    for column in raw.columns:
        text = raw[column].astype(object).where(raw[column].str.strip() != "", np.nan)
        if column in TEXT_COLUMNS:
            out[column] = text.map(unescape)
            continue
        numbers = _number_text(text, decimal_comma)
        if column in NUMERIC_COLUMNS or numbers.notna().sum() == text.notna().sum():
            bad = numbers.isna() & text.notna()
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise SourceError(
                    f"{p}, row {i + 2}, column {column!r}: value {text.iloc[i]!r} is not a number; "
                    f"the snapshot is damaged ({_RESAVED}) or re-run the previous month's batch",
                    path=str(p),
                )
            out[column] = numbers.astype("float64")
        else:
            out[column] = text.map(unescape)
    for column in (c for c in _DATE_COLUMNS if c in out.columns):
        dates = out[column]
        bad = dates.notna() & ~dates.astype(str).str.fullmatch(_ISO_DATE.pattern)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise SourceError(
                f"{p}, row {i + 2}, column {column!r}: value {dates.iloc[i]!r} is not a YYYY-MM-DD date; "
                f"{_RESAVED}",
                path=str(p),
            )
    unknown = sorted(set(out["level"].dropna()) - set(LEVELS))
    if unknown:
        raise SourceError(
            f"{p} is not a KPI snapshot: unknown level(s) {', '.join(map(str, unknown))}; levels are "
            f"{', '.join(LEVELS)}",
            path=str(p),
        )
    return out


def _text(s: pd.Series) -> pd.Series:
    """Text with missing and empty values as ''."""
    arr = s.to_numpy(dtype=object, copy=True)
    arr[pd.isna(arr)] = ""
    if pd.api.types.infer_dtype(arr, skipna=False) not in ("string", "empty"):
        arr = np.array([str(v) for v in arr], dtype=object)  # e.g. ids stored as numbers
    return pd.Series(arr, index=s.index, dtype=object)


def _dates(s: pd.Series) -> pd.Series:
    """ISO ``YYYY-MM-DD`` text ('' when missing) from datetimes or text."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), "")
    return _text(s).str.slice(0, 10)


def _normalise(snapshot: pd.DataFrame) -> pd.DataFrame:
    """The columns ``compare`` reads, in one representation whatever the snapshot's origin."""
    n = len(snapshot)

    def col(name: str) -> pd.Series:
        return snapshot[name] if name in snapshot.columns else pd.Series([np.nan] * n, index=snapshot.index)

    out = pd.DataFrame({c: _text(col(c)).to_numpy() for c in _IDENTITY})
    out["level"] = out["level"].str.lower()
    for c in ("rag", "status", "band"):
        out[c] = _text(col(c)).str.lower().to_numpy()
    for c in ("cpi", "spi", "spi_t", "eac", "score"):
        out[c] = pd.to_numeric(col(c), errors="coerce").astype("float64").to_numpy()
    out["forecast_finish"] = _dates(col("forecast_finish")).to_numpy()
    # Item rows without a program: take it from their project's row.
    projects = out[out["level"] == "project"].drop_duplicates("id").set_index("id")["program_id"]
    fill = (out["program_id"] == "") & (out["project_id"] != "")
    out.loc[fill, "program_id"] = out.loc[fill, "project_id"].map(projects).fillna("").to_numpy()
    return out.drop_duplicates(["level", "id"], keep="first").reset_index(drop=True)


def _period(snapshot: pd.DataFrame) -> str | None:
    values = [p for p in snapshot["period"].unique().tolist() if p]
    return max(values) if values else None


def _items(current: pd.DataFrame, previous: pd.DataFrame, level: str) -> pd.DataFrame:
    """Item rows of ``level`` in the current snapshot, with the previous status and band joined on."""
    cur = current[current["level"] == level]
    prev = previous[previous["level"] == level][["id", "status", "band", "score"]]
    merged = cur.merge(prev.rename(columns={"status": "previous_status", "band": "previous_band",
                                            "score": "previous_score"}),
                       on="id", how="left", indicator=True)
    merged["in_previous"] = merged["_merge"].eq("both")
    merged["previous_status"] = merged["previous_status"].fillna("")
    merged["previous_band"] = merged["previous_band"].fillna("")
    return merged.drop(columns="_merge").sort_values("id", kind="mergesort").reset_index(drop=True)


def _none_for_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns with '' and NaN as None (the frames hold text, numbers and None)."""
    out = frame.astype(object)
    return out.where(out.notna() & (out != ""), None)


def _pick(frame: pd.DataFrame, mask: pd.Series, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.loc[mask.to_numpy(dtype=bool), list(columns)].reset_index(drop=True)
    return _none_for_empty(out) if len(out) else _empty(columns)


def _level_rank(level: pd.Series) -> pd.Series:
    return level.map({lv: i for i, lv in enumerate(LEVELS)})


def _rag_changes(both: pd.DataFrame) -> pd.DataFrame:
    prev = both["rag_previous"].map(RAG_SEVERITY)
    cur = both["rag_current"].map(RAG_SEVERITY)
    mask = prev.notna() & cur.notna() & (prev != cur)
    out = both.loc[mask].copy()
    out["from"] = out["rag_previous"]
    out["to"] = out["rag_current"]
    out["direction"] = np.where(cur[mask] > prev[mask], "worsened", "improved")
    return _pick(out, pd.Series(True, index=out.index), RAG_COLUMNS)


def _metric_changes(both: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for metric in METRICS:
        prev = both[f"{metric}_previous"]
        cur = both[f"{metric}_current"]
        if metric == "forecast_finish":
            prev_d = pd.to_datetime(prev.where(prev != ""), errors="coerce", format="ISO8601")
            cur_d = pd.to_datetime(cur.where(cur != ""), errors="coerce", format="ISO8601")
            delta = ((cur_d - prev_d) / pd.Timedelta(days=1)).astype("float64")
            known = prev_d.notna() | cur_d.notna()
            prev_v, cur_v = prev.where(prev_d.notna(), None), cur.where(cur_d.notna(), None)
        else:
            delta = (cur - prev).astype("float64")
            known = prev.notna() | cur.notna()
            prev_v, cur_v = prev, cur
        part = pd.DataFrame({
            "level": both["level"], "id": both["id"], "name": both["name"], "program_id": both["program_id"],
            "metric": metric, "previous": prev_v.astype(object), "current": cur_v.astype(object),
            "delta": delta, "_rank": both["_rank"],
        })
        parts.append(part[known.to_numpy(dtype=bool)])
    out = pd.concat(parts, ignore_index=True) if parts else _empty(METRIC_COLUMNS)
    if not len(out):
        return _empty(METRIC_COLUMNS)
    out["_m"] = out["metric"].map({m: i for i, m in enumerate(METRICS)})
    out = out.sort_values(["_rank", "id", "_m"], kind="mergesort").reset_index(drop=True)
    out = out[list(METRIC_COLUMNS)]
    text = _none_for_empty(out[["level", "id", "name", "program_id", "metric", "previous", "current"]])
    return pd.concat([text, out[["delta"]]], axis=1)


def compare(current: pd.DataFrame, previous: pd.DataFrame | None) -> Changes:
    """What changed between the ``previous`` snapshot and the ``current`` one.

    Parameters
    ----------
    current:
        This month's snapshot (``Kpis.snapshot()`` or :func:`load_snapshot`).
    previous:
        Last month's snapshot, recomputed or stored; None (or an empty frame) when there is none.

    Returns
    -------
    Changes
        ``available`` False and empty frames when there is no previous snapshot. Frames are sorted
        (portfolio, program, project; then id), so the result does not depend on row order.
    """
    cur = _normalise(current)
    period = _period(cur)
    if previous is None or len(previous) == 0:
        return Changes(period=period)
    prev = _normalise(previous)

    cur_e = cur[cur["level"].isin(ENTITY_LEVELS)]
    prev_e = prev[prev["level"].isin(ENTITY_LEVELS)]
    wanted = ["level", "id", "rag", *METRICS]
    both = cur_e[["level", "id", "name", "program_id", *wanted[2:]]].merge(
        prev_e[wanted], on=["level", "id"], how="inner", suffixes=("_current", "_previous")
    )
    both["_rank"] = _level_rank(both["level"])
    both = both.sort_values(["_rank", "id"], kind="mergesort").reset_index(drop=True)
    for c in ("rag_current", "rag_previous"):
        both[c] = both[c].where(both[c] != "", None)

    ms = _items(cur, prev, "milestone")
    risks = _items(cur, prev, "risk")
    issues = _items(cur, prev, "issue")
    band_now = risks["band"].map(BAND_ORDER)
    band_before = risks["previous_band"].map(BAND_ORDER)

    return Changes(
        period=period,
        previous_period=_period(prev),
        available=True,
        rag=_rag_changes(both),
        metrics=_metric_changes(both),
        milestones_missed=_pick(
            ms, ms["status"].eq("missed") & ms["previous_status"].ne("missed"), ITEM_COLUMNS
        ),
        milestones_achieved=_pick(
            ms, ms["status"].isin(ACHIEVED) & ~ms["previous_status"].isin(ACHIEVED), ITEM_COLUMNS
        ),
        risks_raised=_pick(risks, ~risks["in_previous"], ITEM_COLUMNS),
        risks_closed=_pick(risks, risks["status"].eq("closed") & risks["previous_status"].ne("closed"),
                           ITEM_COLUMNS),
        risks_escalated=_pick(risks, risks["in_previous"] & (band_now > band_before), ESCALATED_COLUMNS),
        issues_raised=_pick(issues, ~issues["in_previous"], ITEM_COLUMNS),
        issues_closed=_pick(issues, issues["status"].eq("closed") & issues["previous_status"].ne("closed"),
                            ITEM_COLUMNS),
    )
