"""``compute()``: every KPI of a portfolio as of a reporting month, in one ``Kpis`` object.

It orchestrates the KPI modules (``evm`` for earned value and earned schedule, ``milestones`` for
milestones, ``risks``, ``issues``, ``rag``) and rolls projects up to programs and the portfolio.
Programs and the portfolio re-sum PV, EV, AC and BAC before dividing, and their milestone, risk and
issue summaries are recomputed from the items (a rate is never an average of rates).
docs/kpis.md documents each figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from pmo_nb.config import Config, load_config
from pmo_nb.data.model import Portfolio
from pmo_nb.exceptions import UnknownEntityError
from pmo_nb.metrics import evm, forecast, guidelines, issues, milestones, rag, risks
from pmo_nb.metrics.calendar import check_period, default_period
from pmo_nb.metrics.columns import KpisSummary
from pmo_nb.periods import Period

KPI_COLUMNS: tuple[str, ...] = (
    "bac", "pv", "ev", "ac", "cv", "sv", "cv_pct", "sv_pct", "cpi", "spi", "eac", "eac_atypical",
    "eac_composite", "etc", "vac", "tcpi", "tcpi_eac", "pct_complete", "pct_spent", "es", "at", "sv_t",
    "spi_t", "ieac_t", "rag", "rag_reason",
) + forecast.FORECAST_COLUMNS
"""The KPI contract: the columns ``pmo-nb kpis`` prints and every snapshot row carries."""

PROJECT_IDENTITY: tuple[str, ...] = (
    "project_id", "program_id", "name", "manager", "phase", "reported_status", "baseline_start",
    "baseline_finish", "forecast_finish", "last_updated", "status_date",
)
PROGRAM_IDENTITY: tuple[str, ...] = ("program_id", "name", "sponsor", "manager")
RAG_COLUMNS: tuple[str, ...] = (
    "rag_cost", "rag_schedule", "rag_milestones", "rag_risks", "rag", "rag_reason", "mismatch",
)
COUNT_SUMMARY_COLUMNS: tuple[str, ...] = tuple(
    c for c in milestones.SUMMARY_COLUMNS + risks.SUMMARY_COLUMNS + issues.SUMMARY_COLUMNS
    if c not in ("ms_on_time_rate", "ms_max_slip_days", "issues_mean_days_to_close",
                 "issues_oldest_open_days")
)
TILE_COLUMNS: tuple[str, ...] = ("ms_on_time_rate", "ms_missed", "risks_open", "risks_critical_open", "issues_open")
"""Entity figures the report's KPI tiles compare month on month; kept in the snapshot for that."""
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    ("period", "level", "id", "program_id", "project_id", "name") + KPI_COLUMNS
    + ("forecast_finish", "status", "band", "score") + TILE_COLUMNS + guidelines.FIGURE_COLUMNS
)
PORTFOLIO_ID = "portfolio"
CLOSED_PHASE = "closed"
"""A project in this phase is not rated, never flagged, and out of its program's RAG and counts."""
OPEN_INDICES: tuple[str, ...] = ("cpi", "spi", "spi_t")
CLOSED_COLUMNS: tuple[str, ...] = (
    "project_id", "program_id", "name", "manager", "phase", "baseline_finish", "forecast_finish",
    "closed_in_period", "bac", "ev", "ac", "cv", "cpi", "pct_complete", "pct_spent",
)
"""The final figures ``Kpis.closed_projects()`` lists for each closed project."""


def _summaries(status: pd.DataFrame, register: pd.DataFrame, log: pd.DataFrame, by: str,
               groups: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Milestone, risk and issue summaries per ``by`` (counts 0 where there is nothing)."""
    parts = [
        milestones.milestone_summary(status, by, projects=groups),
        risks.risk_summary(register, by, projects=groups),
        issues.issue_summary(log, by, projects=groups),
    ]
    out = pd.concat([p.reindex(index) for p in parts], axis=1)
    for c in COUNT_SUMMARY_COLUMNS:
        out[c] = out[c].fillna(0).astype("float64" if c == "emv_open" else "int64")
    return out


def _open_indices(ev: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The rated indices (``cpi_open, spi_open, spi_t_open``) of the open projects re-summed per ``index``."""
    rows = ev.reindex(index)
    return pd.DataFrame({f"{c}_open": rows[c].astype("float64").to_numpy() for c in OPEN_INDICES})


def _flags(ev: pd.DataFrame) -> pd.DataFrame:
    """The flags of re-summed figures as bool after a reindex (a program without projects: none set)."""
    return ev.assign(bac_missing=ev["bac_missing"].astype("object").eq(True).to_numpy(dtype=bool),
                     ac_known=ev["ac_known"].astype("object").ne(False).to_numpy(dtype=bool))


def _rated(entities: pd.DataFrame) -> pd.DataFrame:
    """A program or portfolio row as the RAG rules see it: the open projects' indices.

    ``<index>_all`` keeps the index of all projects (closed ones included, as the tiles show it), so that a reason
    can say when the rated figure is the open projects' one and differs from the tile.
    """
    return entities.assign(**{f"{c}_all": entities[c] for c in OPEN_INDICES},
                           **{c: entities[f"{c}_open"] for c in OPEN_INDICES})


def _side_by_side(*frames: pd.DataFrame) -> pd.DataFrame:
    """Frames of equal length joined column-wise by position (their indexes are dropped)."""
    return pd.concat([f.reset_index(drop=True) for f in frames], axis=1)


def _text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Non-bool columns as ``object`` with None for missing (stable across pandas 2 and 3)."""
    out = {}
    for c in frame.columns:
        values = frame[c]
        if values.dtype == bool:
            out[c] = values.to_numpy(dtype=bool)
        else:
            out[c] = pd.Series(values.to_numpy(dtype="object"), dtype="object").where(
                values.notna().to_numpy(), None).to_numpy(dtype="object")
    return pd.DataFrame({c: pd.Series(v, dtype=v.dtype) for c, v in out.items()})


def _iso(values: pd.Series) -> pd.Series:
    d = pd.to_datetime(values)
    text = pd.Series(d.dt.strftime("%Y-%m-%d").to_numpy(dtype="object"), index=values.index)
    return text.where(d.notna(), None)


@dataclass(repr=False)  # the text and HTML summaries, describe() and view() come from KpisSummary
class Kpis(KpisSummary):
    """Every KPI of a portfolio (or one program) as of the end of ``period``. Build it with ``compute``.

    ``projects``, ``programs`` and ``portfolio`` have one row per entity (docs/kpis.md lists the
    columns); ``milestones``, ``risks`` and ``issues`` are the item-level frames of
    ``milestones.milestone_status``, ``risks.risk_register`` and ``issues.issue_log`` (with
    ``program_id``). ``financials`` holds the financial rows up to ``period`` (for S-curves).
    """

    period: str
    config: Config
    projects: pd.DataFrame
    programs: pd.DataFrame
    portfolio: pd.DataFrame
    milestones: pd.DataFrame
    risks: pd.DataFrame
    issues: pd.DataFrame
    financials: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    guidelines: guidelines.GuidelineResult | None = field(default=None, repr=False)
    """Guideline breaches and measure parts of the month (``pmo_nb.metrics.guidelines``)."""

    def program(self, program_id: str) -> Kpis:
        """The KPIs restricted to one program; its ``portfolio`` row is the program's figures."""
        if program_id not in set(self.programs["program_id"]):
            known = ", ".join(self.programs["program_id"].astype(str).tolist()[:10])
            raise UnknownEntityError(f"unknown program {program_id!r}; programs are {known}")
        ids = set(self.projects.loc[self.projects["program_id"] == program_id, "project_id"])
        prog = self.programs[self.programs["program_id"] == program_id].reset_index(drop=True)

        def keep(df: pd.DataFrame) -> pd.DataFrame:
            if "project_id" not in df:
                return df
            return df[df["project_id"].isin(ids)].reset_index(drop=True)

        return replace(
            self, projects=keep(self.projects), programs=prog,
            portfolio=prog.drop(columns=list(PROGRAM_IDENTITY)).assign(n_programs=1),
            milestones=keep(self.milestones),
            risks=keep(self.risks), issues=keep(self.issues), financials=keep(self.financials),
            guidelines=None if self.guidelines is None else self.guidelines.for_program(program_id),
        )

    def closed_projects(self, *, this_period: bool = False) -> pd.DataFrame:
        """The closed projects with their final figures (``CLOSED_COLUMNS``), listed once in a report.

        ``this_period`` keeps those whose finish (``forecast_finish``, else ``baseline_finish``) falls in
        the reporting month ("Closed this period"); otherwise every closed project ("Closed").
        """
        rows = self.projects[self.projects["closed"].astype(bool)]
        if this_period:
            rows = rows[rows["closed_in_period"].astype(bool)]
        return rows[list(CLOSED_COLUMNS)].reset_index(drop=True)

    def upcoming_milestones(self, *, key_only: bool = False) -> pd.DataFrame:
        """The milestones counted by ``ms_upcoming`` (``ms_key_upcoming`` with ``key_only``), open projects only.

        Not achieved, forecast (else baseline) date within ``report.upcoming_days`` after the reporting
        date, including missed milestones re-forecast into that window; ordered by that date, then id.
        """
        ms = self.milestones
        rows = ms[ms["upcoming"].astype(bool) & ~ms["project_closed"].astype(bool)]
        if key_only:
            rows = rows[rows["key_milestone"].astype(bool)]
        target = pd.to_datetime(rows["forecast_date"]).fillna(pd.to_datetime(rows["baseline_date"]))
        return rows.assign(_t=target).sort_values(["_t", "milestone_id"], kind="mergesort").drop(
            columns="_t").reset_index(drop=True)

    def missed_milestones(self, *, key_only: bool = False) -> pd.DataFrame:
        """The milestones counted by ``ms_missed`` (``ms_key_missed`` with ``key_only``), open projects only,
        by baseline date then id: the list that goes with the count."""
        ms = self.milestones
        rows = ms[ms["missed"].astype(bool) & ~ms["project_closed"].astype(bool)]
        if key_only:
            rows = rows[rows["key_milestone"].astype(bool)]
        return rows.sort_values(["baseline_date", "milestone_id"], kind="mergesort").reset_index(drop=True)

    def _entity(self, level: str, id: str | None) -> tuple[pd.Series, pd.DataFrame]:
        if level == "portfolio":
            return self.portfolio.iloc[0], self.financials
        frame, key = {"program": (self.programs, "program_id"), "project": (self.projects, "project_id")}.get(
            level, (None, None))
        if frame is None:
            raise ValueError(f"level must be portfolio, program or project, not {level!r}")
        rows = frame[frame[key] == id]
        if rows.empty:
            raise UnknownEntityError(f"unknown {level} {id!r}; {level}s are "
                                     f"{', '.join(frame[key].astype(str).tolist()[:10])}")
        fin = self.financials
        if key in fin:
            fin = fin[fin[key] == id]
        return rows.iloc[0], fin

    def s_curve(self, level: Literal["portfolio", "program", "project"] = "portfolio",
                id: str | None = None) -> pd.DataFrame:
        """Cumulative PV, EV and AC by month from the entity's first month to the reporting month.

        Returns
        -------
        pandas.DataFrame
            ``period, pv, ev, ac, bac, eac`` (bac and eac repeat the entity's figure at the
            reporting month). Empty when the entity has no financials yet.
        """
        row, fin = self._entity(level, id)
        columns = ["period", "pv", "ev", "ac", "bac", "eac"]
        if not bool(row["has_financials"]) or pd.isna(row["first_month"]):
            return pd.DataFrame({c: pd.Series(dtype="object" if c == "period" else "float64")
                                 for c in columns})
        first, last = Period(row["first_month"]), Period(self.period)
        months = pd.Index([first.shift(i) for i in range((last.year - first.year) * 12 + last.month - first.month + 1)],
                          dtype="object")
        sums = fin.groupby("period")[["planned_value", "earned_value", "actual_cost"]].sum()
        monthly = sums.reindex(months, fill_value=0.0).astype("float64")
        cum = monthly.cumsum()
        return pd.DataFrame({
            "period": [str(m) for m in months], "pv": cum["planned_value"].to_numpy(),
            "ev": cum["earned_value"].to_numpy(),
            "ac": cum["actual_cost"].to_numpy(), "bac": float(row["bac"]), "eac": float(row["eac"]),
        })[columns]

    def snapshot(self) -> pd.DataFrame:
        """One tidy row per entity and item, for ``reports/YYYY-MM/kpis.csv`` and ``changes.compare``.

        Levels portfolio, program, project carry the KPI contract columns and ``forecast_finish``
        (a project's reported forecast, else its baseline finish; a program's and the portfolio's:
        the latest of their projects'); milestone, risk and issue rows carry ``status`` (milestone
        status, or open/closed at the month), ``band`` (risk band; an issue's severity), ``score``
        (risks) and, for milestones, ``forecast_finish`` (forecast, else baseline date).
        Dates are ISO text; undefined values are empty. Entity rows also carry ``compliance_pct`` and
        ``guideline_breaches``, then one ``measure_<id>`` column per configured measure.
        """
        frames = []
        pf = self.portfolio.copy()
        pf["level"], pf["id"], pf["name"] = "portfolio", PORTFOLIO_ID, self.config.organisation
        frames.append(pf)
        pg = self.programs.copy()
        pg["level"], pg["id"] = "program", pg["program_id"]
        frames.append(pg)
        pj = self.projects.drop(columns=["forecast_finish"]).copy()
        pj["forecast_finish"] = self.projects["forecast_finish"].fillna(self.projects["baseline_finish"])
        pj["level"], pj["id"] = "project", pj["project_id"]
        frames.append(pj)
        if len(self.milestones):
            ms = self.milestones
            frames.append(pd.DataFrame({
                "level": "milestone", "id": ms["milestone_id"], "program_id": ms["program_id"],
                "project_id": ms["project_id"], "name": ms["name"], "status": ms["status"],
                "forecast_finish": ms["forecast_date"].fillna(ms["baseline_date"]),
            }))
        if len(self.risks):
            rk = self.risks
            frames.append(pd.DataFrame({
                "level": "risk", "id": rk["risk_id"], "program_id": rk["program_id"],
                "project_id": rk["project_id"], "name": rk["title"],
                "status": np.where(rk["open"].astype(bool), "open", "closed"), "band": rk["band"],
                "score": rk["score"].astype("float64"),
            }))
        if len(self.issues):
            iss = self.issues
            frames.append(pd.DataFrame({
                "level": "issue", "id": iss["issue_id"], "program_id": iss["program_id"],
                "project_id": iss["project_id"], "name": iss["title"],
                "status": np.where(iss["open"].astype(bool), "open", "closed"), "band": iss["severity"],
            }))
        measures = tuple(m.name for m in self.config.measures)  # the PMO's measures follow, when it has any
        columns = SNAPSHOT_COLUMNS + measures
        dates = ("forecast_finish", "finish_p50", "finish_p80")
        numeric = ([c for c in KPI_COLUMNS if c not in ("rag", "rag_reason", *dates)] + ["score", *TILE_COLUMNS]
                   + list(guidelines.FIGURE_COLUMNS) + list(measures))

        def canonical(frame: pd.DataFrame) -> pd.DataFrame:
            # one dtype per column in every part, so concat never has to guess from empty parts
            frame = frame.reset_index(drop=True).reindex(columns=columns)
            for c in dates:
                frame[c] = _iso(pd.to_datetime(frame[c]))
            return pd.DataFrame({
                c: frame[c].astype("float64") if c in numeric
                else pd.Series(frame[c].to_numpy(dtype="object"), dtype="object").where(frame[c].notna().to_numpy(),
                                                                                       None)
                for c in columns
            })

        out = pd.concat([canonical(f) for f in frames], ignore_index=True)
        out["period"] = self.period
        return out


def compute(
    portfolio: Portfolio, period: str | None = None, config: Config | str | Path | None = None
) -> Kpis:
    """Compute every KPI of ``portfolio`` as of the end of ``period``.

    Parameters
    ----------
    portfolio:
        The validated portfolio (``pmo_nb.load``).
    period:
        The reporting month ``YYYY-MM``; default ``portfolio.latest_complete_period()``.
    config:
        A ``Config``, a path to ``pmo.toml``, or None for the defaults.

    Returns
    -------
    Kpis

    Raises
    ------
    PeriodError
        ``period`` is malformed or outside the months of the financials.
    ConfigError
        The configuration file is bad.
    """
    config = load_config(config)
    period = check_period(portfolio, period) if period is not None else default_period(portfolio)
    end = period.end

    projects = portfolio.projects.reset_index(drop=True)
    for c in PROJECT_IDENTITY:
        if c not in projects:
            projects[c] = pd.NaT if c in ("forecast_finish", "last_updated", "status_date") else None
    # Figures are judged as of the earlier of the status date and the month end.
    status_date = pd.to_datetime(projects["status_date"])
    as_of = status_date.where(status_date.notna() & (status_date < end), end)
    cost_data = bool(len(portfolio.financials)) and "financials" not in portfolio.missing_tables
    program_of = projects.set_index("project_id")["program_id"]
    phase = projects["phase"].astype("object").astype(str).str.strip().str.lower()
    closed = phase.eq(CLOSED_PHASE).to_numpy(dtype=bool)

    # Earned value, project level and re-summed.
    curves = evm.project_curves(projects, portfolio.financials, period, as_of)
    ev_projects = evm.earned_value(curves)
    program_curves = curves.group(pd.Series(projects["program_id"].to_numpy(), name="program_id"))
    ev_programs = evm.earned_value(program_curves)
    ev_portfolio = evm.earned_value(curves.group(pd.Series([PORTFOLIO_ID] * len(projects), name="portfolio")))
    # The rated figures of programs and the portfolio: their open projects re-summed.
    open_curves = curves.select(~closed)
    open_programs = evm.earned_value(open_curves.group(
        pd.Series(projects.loc[~closed, "program_id"].to_numpy(), name="program_id")))
    open_portfolio = evm.earned_value(open_curves.group(
        pd.Series([PORTFOLIO_ID] * int((~closed).sum()), name="portfolio")))

    # Items, with program_id for roll-ups.
    ms = milestones.milestone_status(portfolio.milestones, period, upcoming_days=config.report.upcoming_days,
                                     as_of=pd.Series(as_of.to_numpy(), index=projects["project_id"]))
    register = risks.risk_register(portfolio.risks, period, config)
    log = issues.issue_log(portfolio.issues, period)
    closed_ids = set(projects.loc[closed, "project_id"])
    for item in (ms, register, log):
        item["program_id"] = item["project_id"].map(program_of).astype("object")
        item["portfolio"] = PORTFOLIO_ID
        item["project_closed"] = item["project_id"].isin(closed_ids).to_numpy(dtype=bool)
    # Roll-ups count the items of open projects only: a closed project is never flagged.
    ms_open, register_open, log_open = (item[~item["project_closed"]] for item in (ms, register, log))

    # Projects.
    finish_slip = (pd.to_datetime(projects["forecast_finish"]) - pd.to_datetime(projects["baseline_finish"]))
    last_status = status_date.fillna(pd.to_datetime(projects["last_updated"]))
    age = (end - last_status) / pd.Timedelta(days=1)
    finish = pd.to_datetime(projects["forecast_finish"]).fillna(pd.to_datetime(projects["baseline_finish"]))
    p = _side_by_side(
        projects[list(PROJECT_IDENTITY)],
        ev_projects,
        pd.DataFrame({"finish_slip_days": (finish_slip / pd.Timedelta(days=1)).astype("float64"),
                      "as_of": as_of.to_numpy(dtype="datetime64[ns]"),
                      "status_age_days": age.astype("float64").to_numpy(),
                      "stale": (age.isna() | (age > config.report.stale_after_days)).to_numpy(dtype=bool),
                      "cost_data": cost_data,
                      "closed": closed,
                      "closed_in_period": closed & ((finish >= period.start) & (finish <= end)).to_numpy(dtype=bool)}),
        _summaries(ms, register, log, "project_id", projects, pd.Index(projects["project_id"])),
    )
    # The PMO's guidelines and measures (a major breach is named in the project's RAG reason).
    checked = guidelines.evaluate(guidelines.tables_for(
        projects, p, portfolio.financials, ms, register, log, period), period, config, portfolio.missing_tables)
    p = _side_by_side(p, checked.figures("project", pd.Index(p["project_id"].astype(str))))
    project_rag = rag.compute_rag(p.set_index("project_id"), config, rag.missed_key_names(ms, "project_id"))
    p = _side_by_side(p, _text_columns(project_rag[list(RAG_COLUMNS)]))

    # Programs.
    prog_table = portfolio.programs.reset_index(drop=True)
    pids = pd.Index(prog_table["program_id"], name="program_id")
    rated = p["rag"].where(~p["closed"], "closed").fillna("no_data")
    counts = pd.crosstab(p["program_id"], rated).reindex(
        index=pids, columns=["red", "amber", "green", "no_data", "closed"], fill_value=0).astype("int64")
    counts.columns = ["n_red", "n_amber", "n_green", "n_no_data", "n_closed"]
    counts.insert(0, "n_projects", p.groupby("program_id").size().reindex(pids, fill_value=0).astype("int64"))
    mismatches = p.groupby("program_id")["mismatch"].sum()
    counts["n_mismatch"] = mismatches.reindex(pids, fill_value=0).astype("int64")
    evg = ev_programs.reindex(pids)
    evg["has_financials"] = evg["has_financials"].astype("object").eq(True).to_numpy(dtype=bool)
    evg["months_of_data"] = evg["months_of_data"].fillna(0).astype("int64")
    evg["bac"] = evg["bac"].fillna(0.0)
    evg = _flags(evg)
    evg["cost_data"] = cost_data
    latest = pd.to_datetime(projects["forecast_finish"]).fillna(pd.to_datetime(projects["baseline_finish"]))
    evg["forecast_finish"] = latest.groupby(projects["program_id"].to_numpy()).max().reindex(pids).to_numpy()
    g = _side_by_side(prog_table[list(PROGRAM_IDENTITY)], counts, evg,
                      _open_indices(open_programs, pids),
                      _summaries(ms_open, register_open, log_open, "program_id", projects, pids))
    program_rag = rag.compute_rag(_rated(g.set_index("program_id")), config,
                                  rag.missed_key_names(ms_open, "program_id"))
    g = _side_by_side(g, _text_columns(program_rag[list(RAG_COLUMNS[:-1])]),
                      checked.figures("program", pd.Index(pids.astype(str))))

    # Portfolio.
    n = {"n_programs": len(prog_table), "n_projects": len(p)}
    n.update({f"n_{status}": int((rated == status).sum()) for status in ("red", "amber", "green")})
    n.update({"n_no_data": int((rated == "no_data").sum()), "n_closed": int(p["closed"].sum()),
              "n_mismatch": int(p["mismatch"].sum())})
    evf = ev_portfolio.reindex([PORTFOLIO_ID])
    evf["has_financials"] = evf["has_financials"].astype("object").eq(True).to_numpy(dtype=bool)
    evf["months_of_data"] = evf["months_of_data"].fillna(0).astype("int64")
    evf["bac"] = evf["bac"].fillna(0.0)
    evf = _flags(evf)
    evf["cost_data"] = cost_data
    evf["forecast_finish"] = latest.max() if len(latest) else pd.NaT
    groups = projects.assign(portfolio=PORTFOLIO_ID)
    f = _side_by_side(pd.DataFrame(n, index=[0]), evf, _open_indices(open_portfolio, pd.Index([PORTFOLIO_ID])),
                      _summaries(ms_open, register_open, log_open, "portfolio", groups, pd.Index([PORTFOLIO_ID])))
    pf_rag = rag.compute_rag(_rated(f.set_index(pd.Index([PORTFOLIO_ID]))), config,
                             rag.missed_key_names(ms_open, "portfolio"))
    f = _side_by_side(f, _text_columns(pf_rag[list(RAG_COLUMNS[:-1])]),
                      checked.figures("portfolio", pd.Index([PORTFOLIO_ID])))

    # Risk-adjusted forecasts: projects drawn, programs and the portfolio summed draw by draw.
    fc = forecast.simulate(forecast.inputs(p, curves, config), register, config,
                           {"program_id": p["program_id"], PORTFOLIO_ID: pd.Series([PORTFOLIO_ID] * len(p))})
    p = _side_by_side(p, fc.projects)
    g = _side_by_side(g, fc.groups["program_id"].reindex(pids))
    f = _side_by_side(f, fc.groups[PORTFOLIO_ID].reindex(pd.Index([PORTFOLIO_ID])))

    fin = portfolio.financials
    fin = fin[(fin["period"] <= period) & fin["project_id"].isin(program_of.index)].copy()
    fin["program_id"] = fin["project_id"].map(program_of).astype("object")

    return Kpis(
        period=period, config=config, projects=p, programs=g, portfolio=f,
        milestones=ms.drop(columns=["portfolio"]), risks=register.drop(columns=["portfolio"]),
        issues=log.drop(columns=["portfolio"]), financials=fin.reset_index(drop=True), guidelines=checked,
    )


Level = Literal["project", "program", "portfolio"]
_NAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "project": ("project_id", "name", "program_id"), "program": ("program_id", "name"), "portfolio": ()}


def kpi_rows(kpis: Kpis, level: Level = "project") -> pd.DataFrame:
    """The KPI contract columns at ``level``: one row per entity, its id and name first (a project's program id
    too); the portfolio row has neither. The guideline figures and one ``measure_<id>`` per measure follow."""
    frame = {"project": kpis.projects, "program": kpis.programs, "portfolio": kpis.portfolio}[level]
    measures = [m.name for m in kpis.config.measures]
    columns = list(_NAME_COLUMNS[level]) + list(KPI_COLUMNS) + list(guidelines.FIGURE_COLUMNS) + measures
    return frame[columns].reset_index(drop=True)
