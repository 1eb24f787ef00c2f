"""What the report notebooks call: one object per report that loads, computes and lays out each section.

A report notebook stays thin: its cells read like the report (``report.summary()``,
``report.s_curve()``, ...) and every piece of logic lives here or in the modules it calls. Importing
a report with :meth:`ProgramReport.build` enables the ``pmo`` chart renderer and theme (``pmo_nb.reporting.setup``),
so charts show interactively in JupyterLab and carry a static SVG for the PDF.

Each section method returns something the notebook displays: a ``components.HTML`` fragment or an Altair
chart. A section whose data is absent returns a "no data" note instead of failing.

The month's data and figures come from :func:`pmo_nb.metrics.month.month_state`: computed once by a batch run
and shared with its kernels, or loaded and computed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import altair as alt
import pandas as pd

from pmo_nb.config import Config
from pmo_nb.contract import RAG_SEVERITY
from pmo_nb.data.model import Portfolio
from pmo_nb.metrics import issues, risks
from pmo_nb.metrics.changes import Changes
from pmo_nb.metrics.history import TREND_MONTHS, PackedStore
from pmo_nb.metrics.kpis import Kpis
from pmo_nb.metrics.month import month_state
from pmo_nb.metrics.rag import NO_COST_SUFFIX
from pmo_nb.periods import Period
from pmo_nb.reporting import catalogue, charts, components, display, narrative, sections, setup
from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.charts.base import pmo_chart
from pmo_nb.reporting.scale import listing
from pmo_nb.reporting.sections import SectionError
from pmo_nb.reporting.tables import Col

MAX_EXCLUDED_SHOWN = 50
# a change smaller than what its format shows is neither good nor bad
TOLERANCE = {"money": 0.5, "ratio": 0.005, "points": 0.0005, "int": 0.0}


def _worst_first(df: pd.DataFrame) -> pd.DataFrame:
    rank = fmt.rag_rank(df["rag"])
    mismatch = ~df["mismatch"].fillna(False).astype(bool) if "mismatch" in df else 0
    return (df.assign(_rank=rank, _mm=mismatch)
            .sort_values(["_rank", "_mm", "cpi", "name"], kind="mergesort", na_position="last")
            .drop(columns=["_rank", "_mm"]))


def _section_method(section_id: str) -> Any:
    """A report method that shows the registered section ``section_id`` (``report.top_risks()``)."""

    def show(self: _Base) -> Any:
        return self.section(section_id)

    show.__name__ = show.__qualname__ = section_id
    show.__doc__ = f"The {section_id!r} section (``report.section({section_id!r})``)."
    return show


@dataclass
class _Base:
    portfolio: Portfolio
    config: Config
    period: str
    kpis: Kpis
    all_kpis: Kpis
    changes: Changes
    previous_source: str | None = None
    reports_dir: str | None = None  # the run's --out: its history/ holds earlier months (None: recompute them)
    source_fingerprint: str | None = None  # Portfolio.fingerprint(), made once with the month (None: made when shown)

    kind = "portfolio"

    def __post_init__(self) -> None:
        from pmo_nb.reporting.charts.theme import use_branding

        use_branding(self.config.branding)  # the report's charts in the organisation's colours
    scope = "portfolio"

    # ---------------------------------------------------------------- helpers
    @property
    def currency(self) -> str:
        return self.config.currency

    @property
    def period_end(self) -> pd.Timestamp:
        return Period(self.period).end

    @property
    def row(self) -> pd.Series:
        """The figures of the report's entity (a program, or the portfolio)."""
        return self.kpis.portfolio.iloc[0]

    def _money(self, x: Any) -> str:
        return fmt.money(x, self.currency)

    def _change(self) -> dict[str, Any]:
        level, id_ = ("program", self.program_id) if self.kind == "program" else ("portfolio", None)
        return self.changes.summary(level, id_)

    program_id: str | None = None

    def _fingerprint(self) -> str:
        """The portfolio's fingerprint: the shared month's, else made here once (hashing every table is the costliest
        step of a report's header at 200 programs)."""
        if self.source_fingerprint is None:
            self.source_fingerprint = self.portfolio.fingerprint()
        return self.source_fingerprint

    def _has(self, table: str) -> bool:
        return table not in self.portfolio.missing_tables

    def _why(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its RAG reasons for a table: without a financials table the report says "no cost data"
        once (its cost section), so the rows do not each repeat it."""
        if self._has("financials") or "rag_reason" not in frame:
            return frame
        return frame.assign(rag_reason=frame["rag_reason"].map(
            lambda r: r.replace(NO_COST_SUFFIX, "") if isinstance(r, str) else r))

    def _comments(self, frame: pd.DataFrame) -> pd.Series:
        """The project manager's status comment for each project of ``frame`` ("none given" when empty)."""
        source = self.portfolio.projects
        comments = (source.set_index("project_id")["status_comment"] if "status_comment" in source
                    else pd.Series(dtype="object"))
        return _given(frame["project_id"].map(comments))

    # ---------------------------------------------------------------- sections
    def section(self, section_id: str) -> Any:
        """Build the registered section ``section_id`` (see :mod:`pmo_nb.reporting.sections`).

        A section that needs a table the source lacks is not built: the first such section of the report
        says the table is missing in one short note, later ones show nothing.
        """
        sec = sections.get(section_id)
        if self.kind not in sec.kinds:
            raise SectionError(f"report section {section_id!r} belongs in a {' or '.join(sec.kinds)} report, "
                               f"not a {self.kind} report", section=section_id)
        absent = [t for t in sec.needs if t in self.portfolio.missing_tables]
        if absent:
            said = [sections.missing_note(t) for t in absent if sections.first_needing(self.kind, t) == sec.id]
            return components.empty("", text=" ".join(said)) if said else components.HTML("")
        # a chart a section returns displays through pmo-nb's renderer (display.chart_bundle), like the chart
        # builders' own: the same bundle, and no second schema validation in a batch run
        return pmo_chart(sec.build(self))

    title = _section_method("title")
    summary = _section_method("summary")
    tiles = _section_method("tiles")
    rag_counts = _section_method("rag_counts")
    projects_table = _section_method("projects_table")
    programs_table = _section_method("programs_table")
    s_curve = _section_method("s_curve")
    quadrant = _section_method("quadrant")
    mismatch_table = _section_method("mismatch_table")
    milestone_timeline = _section_method("milestone_timeline")
    milestone_lists = _section_method("milestone_lists")
    risk_heatmap = _section_method("risk_heatmap")
    top_risks = _section_method("top_risks")
    exposure_trend = _section_method("exposure_trend")
    issues_by_severity = _section_method("issues_by_severity")
    issue_ageing = _section_method("issue_ageing")
    oldest_issues = _section_method("oldest_issues")
    guidelines = _section_method("guidelines")
    compliance_by_program = _section_method("compliance_by_program")
    changes_section = _section_method("changes_section")
    data_notes = _section_method("data_notes")

    def meta(self) -> None:
        """Display the report metadata the templates read (header, footer, page set-up)."""
        display.report_meta(
            kind=self.kind, title=self.title_text, program_id=self.program_id,
            organisation=self.config.organisation, period=self.period, rag=_rag(self.row.get("rag")),
            rag_reason=str(self.row.get("rag_reason") or ""), source_fingerprint=self._fingerprint(),
            currency=self.currency, page_size=self.config.report.page_size,
            orientation=self.config.report.orientation, branding=self.config.branding.as_meta(),
        )

    @property
    def title_text(self) -> str:
        raise NotImplementedError

    def _tiles(self) -> components.HTML:
        """BAC, EAC, CPI, SPI(t), milestones on time, open critical risks, each with its monthly change."""
        row, ch = self.row, self._change()
        prev = fmt.month_short(ch.get("previous_period")) if ch.get("available") else None
        since = f" since {prev}" if prev else ""

        def tile(label: str, value: str, delta: Any, kind: fmt.DeltaKind, higher_is_better: bool, **kw: Any) -> dict:
            if prev is None:
                return {"label": label, "value": value, "change": "no previous month", **kw}
            if delta is None or pd.isna(delta):
                return {"label": label, "value": value, "change": f"n/a{since}", **kw}
            return {"label": label, "value": value,
                    "change": fmt.delta(delta, kind, currency=self.currency) + since,
                    "direction": fmt.direction(delta, higher_is_better=higher_is_better,
                                               tolerance=TOLERANCE[kind]), **kw}

        prev_row = self._previous_row()
        bac_delta = None if prev_row is None else _sub(row.get("bac"), prev_row.get("bac"))
        ontime_delta = None if prev_row is None else _sub(row.get("ms_on_time_rate"),
                                                           prev_row.get("ms_on_time_rate"))
        crit_delta = None if prev_row is None else _sub(row.get("risks_critical_open"),
                                                         prev_row.get("risks_critical_open"))
        rate = row.get("ms_on_time_rate")
        return components.kpi_tiles([
            tile("Budget (BAC)", self._money(row.get("bac")), bac_delta, "money", True),
            tile("Forecast (EAC)", self._money(row.get("eac")), ch.get("eac_delta"), "money", False,
                 note=_vac_note(row, self.currency)),
            tile("CPI", fmt.ratio(row.get("cpi")), ch.get("cpi_delta"), "ratio", True,
                 rag=_rag(row.get("rag_cost")), **_rated_note(row, "cpi")),
            tile("SPI(t)", fmt.ratio(row.get("spi_t")), ch.get("spi_t_delta"), "ratio", True,
                 rag=_rag(row.get("rag_schedule")), **_rated_note(row, "spi_t")),
            tile("Milestones on time", fmt.pct(rate), ontime_delta, "points", True,
                 note=f"{int(row.get('ms_missed') or 0)} missed"),
            tile("Open critical risks", fmt.integer(row.get("risks_critical_open")), crit_delta, "int", False,
                 note=f"{int(row.get('risks_open') or 0)} open in all"),
        ])

    def _previous_row(self) -> dict[str, Any] | None:
        """The entity's figures last month (recomputed, or from the stored snapshot), for the tiles."""
        snap = self._previous_snapshot
        if snap is None or snap.empty:
            return None
        if self.kind == "program":
            rows = snap[(snap["level"] == "program") & (snap["id"] == self.program_id)]
        else:
            rows = snap[snap["level"] == "portfolio"]
        return None if rows.empty else _record(rows.iloc[0])

    _previous_snapshot: pd.DataFrame | None = None
    _recomputed_months: MutableMapping[str, pd.DataFrame] | None = None  # the month's shared past months (trends)
    _stored_months: PackedStore | None = None  # the month's shared stored months (trends)

    def _s_curve(self) -> alt.TopLevelMixin | components.HTML:
        level: Literal["program", "portfolio"] = "program" if self.kind == "program" else "portfolio"
        curve = self.all_kpis.s_curve(level, self.program_id if self.kind == "program" else None)
        if curve.empty:
            return components.empty("financials", self.scope)
        proj = self.kpis.projects
        title = None
        if not _flag(self.row.get("ac_known"), default=True):  # no actual cost in the source: no AC line at 0
            curve, title = curve.assign(ac=float("nan")), "No actual cost recorded: earned value against plan"
        return charts.s_curve(curve, bac=self.row.get("bac"), eac=self.row.get("eac"), title=title,
                              currency=self.currency,
                              planned_finish=proj["baseline_finish"].max() if len(proj) else None,
                              forecast_finish=_forecast_finish(proj), reporting_period=self.period)

    def _risk_heatmap(self) -> alt.TopLevelMixin | components.HTML:
        open_risks = self.kpis.risks[self.kpis.risks["open"].astype(bool)] if len(self.kpis.risks) else None
        if open_risks is None or open_risks.empty:
            return components.empty("open risks", self.scope)
        return charts.risk_heatmap(risks.heatmap_counts(self.kpis.risks, self.config))

    def _top_risks(self) -> components.HTML:
        top = risks.top_risks(self.kpis.risks, self.config.risks.top_n) if len(self.kpis.risks) else pd.DataFrame()
        if top.empty:
            return components.empty("open risks", self.scope)
        top = top.assign(
            cost=top["emv"].where(~top["cost_missing"].astype(bool)),
            overdue=top["response_overdue"].map(lambda b: "yes" if bool(b) else ""),
            category=_given(top["category"]), response=_given(top["response"]),
        )
        return _table(top, [
            Col("risk_id", "Risk", "id"), Col("project_id", "Project", "id"), Col("title", "Title"),
            Col("category", "Category"), Col("score", "Score", "int"), Col("band", "Band"),
            Col("cost", "EMV", "money"), Col("owner", "Owner"), Col("response", "Response"),
            Col("response_due", "Response due", "date"), Col("overdue", "Overdue"),
        ], currency=self.currency, highlight="response_overdue", highlight_title="response overdue")

    def _exposure_trend(self) -> alt.TopLevelMixin | components.HTML:
        ids = set(self.kpis.projects["project_id"])
        table = self.portfolio.risks[self.portfolio.risks["project_id"].isin(ids)]
        if table.empty:
            return components.empty("risks", self.scope)
        end = Period(self.period)
        months = [str(end.shift(-k)) for k in range(TREND_MONTHS - 1, -1, -1)]
        trend = risks.exposure_trend(table, months, self.config)
        return charts.exposure_trend(trend, currency=self.currency)

    def _open_issues(self) -> pd.DataFrame:
        log = self.kpis.issues
        return log[log["open"].astype(bool)] if len(log) else log

    def _issues_by_severity(self) -> alt.TopLevelMixin | components.HTML:
        open_ = self._open_issues()
        if open_.empty:
            return components.empty("open issues", self.scope)
        counts = open_.groupby("severity").size().rename("count").reset_index()
        return charts.issues_by_severity(counts)

    def _issue_ageing(self) -> alt.TopLevelMixin | components.HTML:
        if self._open_issues().empty:
            return components.HTML("")
        return charts.issue_ageing(issues.ageing_buckets(self.kpis.issues))

    def _oldest_issues(self) -> components.HTML:
        if self._open_issues().empty:
            return components.HTML("")
        oldest = issues.oldest_open(self.kpis.issues, 10)
        return _table(oldest, [
            Col("issue_id", "Issue", "id"), Col("project_id", "Project", "id"), Col("title", "Title"),
            Col("severity", "Severity"), Col("owner", "Owner"), Col("opened_date", "Opened", "date"),
            Col("age_days", "Age", "days"),
        ], caption="Oldest open issues")

    def _changes_section(self) -> components.HTML:
        """What changed since last month: status changes, index movements, register movements."""
        ch = self.changes
        if not ch.available:
            return components.empty("", text="No comparison with the previous month is available "
                                              "(no earlier month in the data and no stored snapshot).")
        ids = set(self.kpis.projects["project_id"])
        keep_ids = ids | {self.program_id} if self.kind == "program" else set(ch.metrics["id"])
        parts = [components.summary([narrative.change_sentence(self._change())],
                                    heading=f"Compared with {fmt.month(ch.previous_period)}"
                                    + (f" ({self.previous_source})" if self.previous_source else ""))]
        rag = ch.rag[ch.rag["id"].isin(keep_ids)] if self.kind == "program" else ch.rag
        if len(rag):
            parts.append(_table(rag.assign(change=rag["from"] + " → " + rag["to"]), [
                Col("level", "Level"), Col("id", "Id", "id"), Col("name", "Name"), Col("from", "Was", "rag"),
                Col("to", "Now", "rag"), Col("direction", "Change"),
            ], caption="Status changes"))
        metrics = ch.metrics[ch.metrics["id"].isin(keep_ids) & (ch.metrics["metric"] != "forecast_finish")]
        metrics = metrics[_noticeable(metrics)]
        if self.kind == "portfolio":
            metrics = metrics[metrics["level"] != "project"]
        if len(metrics):
            shown = metrics.assign(
                metric=metrics["metric"].map({"cpi": "CPI", "spi": "SPI", "spi_t": "SPI(t)", "eac": "EAC"}),
                was=[_metric_text(m, v, self.currency) for m, v in zip(metrics["metric"], metrics["previous"],
                                                                        strict=True)],
                now=[_metric_text(m, v, self.currency) for m, v in zip(metrics["metric"], metrics["current"],
                                                                        strict=True)],
            )
            parts.append(_table(shown, [
                Col("level", "Level"), Col("name", "Name"), Col("metric", "Measure"), Col("was", "Was"),
                Col("now", "Now"),
            ], caption="Movements (indices by 0.02 or more, EAC by 1% or more)"))
        if self.kind == "portfolio":  # item by item belongs in the program reports; the summary counts them
            return _join(parts)
        items = []
        for frame, label in ((ch.milestones_missed, "milestone newly missed"),
                             (ch.milestones_achieved, "milestone achieved"),
                             (ch.risks_raised, "risk raised"), (ch.risks_closed, "risk closed"),
                             (ch.risks_escalated, "risk escalated"), (ch.issues_raised, "issue raised"),
                             (ch.issues_closed, "issue closed")):
            f = frame[frame["project_id"].isin(ids)] if len(frame) else frame
            for _, r in f.iterrows():
                items.append({"what": label, "id": r["id"], "project_id": r["project_id"], "name": r["name"]})
        if items:
            parts.append(_table(pd.DataFrame(items).head(40), [
                Col("what", "Change"), Col("id", "Id", "id"), Col("project_id", "Project", "id"),
                Col("name", "Name"),
            ], caption="Register and milestone changes" + (" (first 40)" if len(items) > 40 else "")))
        return _join(parts)

    def _data_notes(self) -> components.HTML:
        """What was missing or stale in the data behind this report."""
        notes: list[str] = []
        for t in self.portfolio.missing_tables:
            if sections.first_needing(self.kind, t) is not None:
                continue  # said once, by the first section that needs it
            notes.append(f"The source has no {t} table: the {t} sections are empty.")
        proj = self.kpis.projects
        no_fin = proj[~proj["has_financials"].astype(bool)] if self._has("financials") else proj.iloc[:0]
        if len(no_fin):
            notes.append(f"No financials yet for {narrative.plural(len(no_fin), 'project')}: "
                         + listing([f"{r['name']} ({r['project_id']})" for _, r in no_fin.iterrows()]) + ".")
        fin = self.kpis.financials
        if len(fin):
            booked = set(fin.loc[fin["period"] == self.period, "project_id"])
            active = proj[proj["has_financials"].astype(bool) & ~proj["phase"].isin(["closed"])
                          & ~proj["project_id"].isin(booked)]
            if len(active):
                notes.append(f"No amounts booked for {fmt.month(self.period)} on "
                             + listing([f"{r['name']} ({r['project_id']})" for _, r in active.iterrows()])
                             + ": their figures are as of their last booked month.")
        stale = proj[proj["stale"].astype(bool) & ~is_closed(proj)]
        if len(stale):
            days = self.config.report.stale_after_days
            desc = listing([
                f"{r['name']} ({'never' if pd.isna(r['last_updated']) else 'last ' + fmt.date(r['last_updated'])})"
                for _, r in stale.iterrows()])
            notes.append(f"Not updated in the last {days} days: {desc}.")
        if len(self.kpis.risks):
            missing_cost = self.kpis.risks[self.kpis.risks["open"].astype(bool)
                                           & self.kpis.risks["cost_missing"].astype(bool)]
            if len(missing_cost):
                notes.append(f"{narrative.plural(len(missing_cost), 'open risk')} without a cost impact: "
                             "their expected cost counts as zero.")
        left_out, table = self._excluded_rows()
        notes += left_out
        notes.append(f"Source: {self.portfolio.source}; data fingerprint {self._fingerprint()[:12]}.")
        return components.summary([f"- {n}" for n in notes]) + table

    def _excluded_rows(self) -> tuple[list[str], components.HTML]:
        """Rows left out for breaking a rule (``[validation] invalid_rows = "exclude"``): the notes and the table.

        A program report lists the rows of its program (a row's own program, or its project's) and says how many
        others no program could be named for; the overview lists every row.
        """
        excluded = (list(self.portfolio.excluded) if self.kind == "portfolio"
                    else self.portfolio.excluded_for(self.program_id))
        notes: list[str] = []
        if self.kind == "program":
            unowned = len({(f.source, f.row) for f in self.portfolio.excluded_for(None)})
            if unowned:
                notes.append(f"{narrative.plural(unowned, 'further row')} that no program can be named for "
                             f"{'was' if unowned == 1 else 'were'} left out: the portfolio overview's data notes "
                             "list them.")
        if not excluded:
            return notes, components.HTML("")
        n = len({(f.source, f.row) for f in excluded})
        shown = excluded[:MAX_EXCLUDED_SHOWN]
        more = (f" The first {MAX_EXCLUDED_SHOWN} are listed; `pmo-nb validate` lists every one."
                if len(excluded) > MAX_EXCLUDED_SHOWN else "")
        notes.insert(0, f"{narrative.plural(n, 'row')} of the source {'was' if n == 1 else 'were'} left out for "
                        f'breaking a rule ([validation] invalid_rows = "exclude"): the figures are computed without '
                        f"{'it' if n == 1 else 'them'}.{more}")
        rows = pd.DataFrame([{"source": f.source, "row": f.row, "column": f.column or "",
                              "value": "" if f.value is None else str(f.value), "rule": f.rule} for f in shown])
        return notes, _table(rows, [Col("source", "File"), Col("row", "Row", "int"), Col("column", "Column"),
                                    Col("value", "Value"), Col("rule", "Rule broken")],
                             caption=f"Rows left out ({n})")


def _rag(x: Any) -> str | None:
    return x if isinstance(x, str) and x in RAG_SEVERITY else None


def _flag(value: Any, *, default: bool) -> bool:
    """A yes/no figure of the KPIs (``ac_known``, ``cost_data``); ``default`` when it is missing."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return default
    return bool(value)


def _sub(a: Any, b: Any) -> float | None:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(a) or pd.isna(b) else a - b


def _rated_note(row: pd.Series, index: str) -> dict[str, str]:
    """A tile note giving the open projects' index where it, not the one shown, sets the badge (closed projects
    are not rated): "0.87 for open projects" under a CPI of 0.90 with a red badge."""
    shown, rated = fmt.ratio(row.get(index)), fmt.ratio(row.get(f"{index}_open"))
    return {} if rated in (shown, fmt.NA) else {"note": f"{rated} for open projects (rated)"}


def _vac_note(row: pd.Series, currency: str) -> str:
    vac = row.get("vac")
    if vac is None or pd.isna(vac):
        return ""
    return f"{fmt.money(abs(vac), currency)} {'over' if vac < 0 else 'under'} budget"


def _noticeable(metrics: pd.DataFrame) -> pd.Series:
    """Movements worth a line: indices by 0.02 or more, EAC by 1% or more."""
    delta = pd.to_numeric(metrics["delta"], errors="coerce").abs()
    base = pd.to_numeric(metrics["previous"], errors="coerce").abs()
    is_eac = metrics["metric"] == "eac"
    return (delta >= 0.02) & ~is_eac | is_eac & (delta >= 0.01 * base)


def _metric_text(metric: str, value: Any, currency: str) -> str:
    if metric == "eac":
        return fmt.money(value, currency)
    return fmt.ratio(value)


def _table(df: pd.DataFrame, columns: list[Col], **kwargs: Any) -> components.HTML:
    """A report table: cells wrap, never cut (a PDF cannot show a tooltip)."""
    return components.table(df, columns, max_chars=None, **kwargs)


NONE_GIVEN = "none given"
FLAG_TEXT = "Reported better than the figures show."


def _given(values: pd.Series) -> pd.Series:
    """Free text as loaded, an empty value shown as such ("none given")."""
    return values.map(lambda v: NONE_GIVEN if fmt.is_missing(v) else str(v))


def is_closed(projects: pd.DataFrame) -> pd.Series:
    """Projects in phase ``closed`` (not rated, never flagged, listed once under "Closed")."""
    if "phase" not in projects:
        return pd.Series(False, index=projects.index)
    return projects["phase"].astype("object").map(lambda v: str(v).strip().lower() == "closed")


def upcoming_milestones(milestones: pd.DataFrame) -> pd.DataFrame:
    """Milestones due in the upcoming window and not missed: the one definition behind the upcoming table and
    the summary's "N milestones due in the next D days" (a missed milestone re-forecast into the window is
    counted as missed, not as upcoming)."""
    if milestones.empty:
        return milestones
    return milestones[milestones["upcoming"].astype(bool) & (milestones["status"] != "missed")]


def _forecast_finish(projects: pd.DataFrame) -> Any:
    """The latest forecast finish (the baseline where a project has no forecast): when the work completes."""
    if projects.empty:
        return None
    return projects["forecast_finish"].fillna(projects["baseline_finish"]).max()


def _folder(path: str | Path | None) -> str | None:
    """The reports folder as given (None or empty: no history store)."""
    return None if path is None or str(path).strip() == "" else str(path)


def _record(row: pd.Series) -> dict[str, Any]:
    """A row as a plain mapping with text keys (what the narrative takes)."""
    return {str(k): v for k, v in row.items()}


def _join(parts: list[components.HTML]) -> components.HTML:
    out = components.HTML("")
    for p in parts:
        out = out + p
    return out


@dataclass
class ProgramReport(_Base):
    """The program report: one program, one month. Build it with :meth:`build`."""

    kind = "program"
    scope = "program"

    @classmethod
    def build(cls, program_id: str | None = None, period: str | None = None, source: str | Path | None = None,
              config: str | Path | Config | None = None, previous_snapshot: str | Path | None = None,
              today: dt.date | None = None, reports_dir: str | Path | None = None) -> ProgramReport:
        """Load the source, compute the month's KPIs and the comparison with last month.

        Parameters default so that "Run All" works with no edits: the sample data, its latest complete
        month, its first program.
        """
        setup()
        st = month_state(source, config, period, previous_snapshot, today)
        program_id = program_id or st.first_program or st.portfolio.program_ids[0]
        st.portfolio.check_program(program_id)
        report = cls(portfolio=st.portfolio, config=st.config, period=st.period,
                     kpis=st.kpis.program(program_id), all_kpis=st.kpis, changes=st.changes,
                     previous_source=st.previous_source, reports_dir=_folder(reports_dir),
                     source_fingerprint=st.fingerprint)
        report.program_id = program_id
        report._previous_snapshot = st.previous_frame
        report._recomputed_months = st.recomputed
        report._stored_months = getattr(st, "stored", None)
        return report

    @property
    def program(self) -> pd.Series:
        return self.kpis.programs.iloc[0]

    @property
    def title_text(self) -> str:
        return str(self.program["name"])

    def _title(self) -> components.HTML:
        p = self.program
        sub = f"Program {self.program_id} · Sponsor {p['sponsor']} · Program manager {p['manager']}"
        return (components.title_block(
            self.title_text, sub, period_label=fmt.month(self.period), organisation=self.config.organisation,
            rag=_rag(p.get("rag")), rag_reason=str(p.get("rag_reason") or ""), objective=self._objective()))

    def _objective(self) -> str:
        programs = self.portfolio.programs
        rows = programs[programs["program_id"] == self.program_id] if "objective" in programs else programs.iloc[:0]
        return NONE_GIVEN if rows.empty or fmt.is_missing(rows.iloc[0]["objective"]) else str(rows.iloc[0]["objective"])

    def _summary(self) -> components.HTML:
        top = risks.top_risks(self.kpis.risks, 1) if len(self.kpis.risks) else pd.DataFrame()
        sentences = narrative.program_summary(
            _record(self.program), self.kpis.projects, period=self.period, currency=self.currency,
            top_risk=None if top.empty else _record(top.iloc[0]), changes=self._change(),
            has_risk_register=self._has("risks"), upcoming_days=self.config.report.upcoming_days,
            upcoming=len(upcoming_milestones(self.kpis.milestones)))
        return components.summary(sentences)

    def _projects_table(self) -> components.HTML:
        proj = self.kpis.projects
        if proj.empty:
            return components.empty("projects")
        proj = proj.assign(comment=self._comments(proj), phase=_given(proj["phase"]))
        closed = proj[is_closed(proj)]
        proj = proj[~is_closed(proj)]
        parts = [self._open_projects(proj)] if len(proj) or closed.empty else []
        if len(closed):
            closed = closed.assign(finish=closed["forecast_finish"].fillna(closed["baseline_finish"]))
            parts.append(_table(closed.sort_values(["name", "project_id"], kind="mergesort"), [
                Col("project_id", "Project", "id"), Col("name", "Name"), Col("phase", "Phase"),
                Col("bac", "BAC", "money"), Col("ac", "Final cost (AC)", "money"), Col("cpi", "CPI", "ratio"),
                Col("finish", "Finish", "date"), Col("comment", "PM comment"),
            ], currency=self.currency, caption=f"Closed ({len(closed)}): final figures, not rated"))
        return _join(parts)

    def _open_projects(self, proj: pd.DataFrame) -> components.HTML:
        proj = _worst_first(self._why(proj)).assign(
            comment=lambda d: [f"{FLAG_TEXT} PM: {c}" if bool(m) else c
                               for m, c in zip(d["mismatch"].fillna(False), d["comment"], strict=True)],
            finish=lambda d: d["forecast_finish"].fillna(d["baseline_finish"]),
        )
        return _table(proj, [
            Col("project_id", "Project", "id"), Col("name", "Name"), Col("phase", "Phase"),
            Col("rag", "Computed", "rag"), Col("reported_status", "Reported", "rag"), Col("comment", "PM comment"),
            Col("cpi", "CPI", "ratio"), Col("spi_t", "SPI(t)", "ratio"),
            Col("bac", "BAC", "money"), Col("eac", "EAC", "money"),
            Col("finish", "Forecast finish", "date"),
            Col("rag_reason", "Why"),
        ], currency=self.currency, highlight="mismatch",
            highlight_title="reported status is better than the figures show")

    def _quadrant(self) -> alt.TopLevelMixin | components.HTML:
        proj = self.kpis.projects
        proj = proj[~is_closed(proj)]
        if proj.empty or not proj["has_financials"].any():
            return components.empty("financials")
        df = proj.assign(label=proj["name"])[["label", "cpi", "spi_t", "bac", "rag"]]
        return charts.cpi_spi_quadrant(df, green=self.config.rag.green, amber=self.config.rag.amber,
                                       currency=self.currency)

    def _milestones(self) -> pd.DataFrame:
        ms = self.kpis.milestones
        if ms.empty:
            return ms
        names = self.kpis.projects.set_index("project_id")["name"]
        return ms.assign(project=ms["project_id"].map(names).fillna(ms["project_id"]),
                         milestone=ms["name"],
                         current_date=ms["actual_date"].fillna(ms["forecast_date"]).fillna(ms["baseline_date"]))

    def _milestone_timeline(self) -> alt.TopLevelMixin | components.HTML:
        ms = self._milestones()
        if ms.empty:
            return components.empty("milestones")
        key = ms[ms["key_milestone"].astype(bool)]
        if len(key) and len(key) < len(ms):  # the chart shows a subset: its title says so
            return charts.milestone_timeline(key, period_end=self.period_end,
                                             title=narrative.milestone_finding(key, "key milestone"))
        return charts.milestone_timeline(ms, period_end=self.period_end, title=None)

    def _milestone_lists(self) -> components.HTML:
        ms = self._milestones()
        if ms.empty:
            return components.HTML("")
        cols = [Col("milestone_id", "Milestone", "id"), Col("project", "Project"),
                Col("milestone", "Name"), Col("key", "Key"),
                Col("baseline_date", "Baseline", "date"), Col("current_date", "Forecast / actual", "date"),
                Col("slip_days", "Slip", "days")]
        ms = ms.assign(key=ms["key_milestone"].map(lambda b: "key" if bool(b) else ""))
        missed = ms[ms["status"] == "missed"].sort_values(["baseline_date", "milestone_id"], kind="mergesort")
        upcoming = upcoming_milestones(ms).sort_values(["current_date", "milestone_id"], kind="mergesort")
        days = self.config.report.upcoming_days
        return _join([
            _table(missed, cols, caption=f"Missed ({len(missed)})",
                             empty_text="No milestone missed."),
            _table(upcoming, cols, caption=f"Upcoming in the next {days} days ({len(upcoming)})",
                             empty_text=f"No milestone due in the next {days} days."),
        ])


@dataclass
class PortfolioReport(_Base):
    """The portfolio overview: all programs, one month. Build it with :meth:`build`."""

    kind = "portfolio"
    scope = "portfolio"

    @classmethod
    def build(cls, period: str | None = None, source: str | Path | None = None,
              config: str | Path | Config | None = None, previous_snapshot: str | Path | None = None,
              today: dt.date | None = None, reports_dir: str | Path | None = None) -> PortfolioReport:
        setup()
        st = month_state(source, config, period, previous_snapshot, today)
        report = cls(portfolio=st.portfolio, config=st.config, period=st.period, kpis=st.kpis,
                     all_kpis=st.kpis, changes=st.changes, previous_source=st.previous_source,
                     reports_dir=_folder(reports_dir), source_fingerprint=st.fingerprint)
        report._previous_snapshot = st.previous_frame
        report._recomputed_months = st.recomputed
        report._stored_months = getattr(st, "stored", None)
        return report

    @property
    def title_text(self) -> str:
        return "Portfolio overview"

    def _title(self) -> components.HTML:
        n = len(self.kpis.programs)
        sub = f"{narrative.plural(n, 'program')}, {narrative.plural(len(self.kpis.projects), 'project')}"
        return (components.title_block(
            self.title_text, sub, period_label=fmt.month(self.period), organisation=self.config.organisation,
            rag=_rag(self.row.get("rag")), rag_reason=str(self.row.get("rag_reason") or "")))

    def _summary(self) -> components.HTML:
        top = risks.top_risks(self.kpis.risks, 1) if len(self.kpis.risks) else pd.DataFrame()
        sentences = narrative.portfolio_summary(
            _record(self.row), self.kpis.programs, self.kpis.projects, period=self.period,
            organisation=self.config.organisation, currency=self.currency,
            top_risk=None if top.empty else _record(top.iloc[0]), changes=self._change(),
            has_risk_register=self._has("risks"), upcoming_days=self.config.report.upcoming_days,
            upcoming=len(upcoming_milestones(self.kpis.milestones)))
        return components.summary(sentences)

    def _rag_counts(self) -> alt.TopLevelMixin | components.HTML:
        progs = self.kpis.programs
        if progs.empty:
            return components.empty("programs")
        counts = progs["rag"].fillna("n/a").value_counts().rename_axis("rag").rename("count").reset_index()
        return charts.rag_counts(counts, noun="program")

    def _programs_table(self) -> components.HTML:
        progs = self.kpis.programs
        if progs.empty:
            return components.empty("programs")
        progs = _worst_first(self._why(progs).assign(mismatch=progs["n_mismatch"] > 0))
        return _table(progs, [
            Col("program_id", "Program", "id"), Col("name", "Name"), Col("rag", "Status", "rag"),
            Col("n_projects", "Projects", "int"), Col("n_red", "Red", "int"), Col("n_mismatch", "Mismatch", "int"),
            Col("cpi", "CPI", "ratio"), Col("spi_t", "SPI(t)", "ratio"), Col("bac", "BAC", "money"),
            Col("eac", "EAC", "money"), Col("risks_critical_open", "Critical risks", "int"),
            Col("ms_missed", "Missed milestones", "int"), Col("rag_reason", "Why"),
        ], currency=self.currency, highlight="mismatch",
            highlight_title="has projects reporting better than their figures")

    def _quadrant(self) -> alt.TopLevelMixin | components.HTML:
        progs = self.kpis.programs
        if progs.empty:
            return components.empty("programs")
        df = progs.assign(label=progs["name"])[["label", "cpi", "spi_t", "bac", "rag"]]
        return charts.cpi_spi_quadrant(df, green=self.config.rag.green, amber=self.config.rag.amber,
                                       currency=self.currency, noun="program")

    def _mismatch_table(self) -> components.HTML:
        proj = self.kpis.projects
        flagged = proj[proj["mismatch"].fillna(False).astype(bool) & ~is_closed(proj)]
        if flagged.empty:
            return components.empty("", text="Every project's reported status matches or is worse than its "
                                             "computed status.")
        names = self.kpis.programs.set_index("program_id")["name"]
        flagged = _worst_first(self._why(flagged)).assign(program=flagged["program_id"].map(names),
                                               comment=self._comments(flagged), phase=_given(flagged["phase"]))
        return _table(flagged, [
            Col("project_id", "Project", "id"), Col("name", "Name"),
            Col("program", "Program"),
            Col("phase", "Phase"), Col("reported_status", "Reported", "rag"), Col("comment", "PM comment"),
            Col("rag", "Computed", "rag"), Col("rag_reason", "Why"), Col("manager", "Manager"),
        ], currency=self.currency)


catalogue.register_builtin()
