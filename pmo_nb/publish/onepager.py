"""The executive pack's pages drawn in the parent from the month's computed figures: cover, overview, program pages.

Every figure comes from the :class:`~pmo_nb.metrics.month.SharedState` the reports themselves use (the same
``Kpis`` rows, the same tiles as :class:`pmo_nb.reporting.report.ProgramReport`), so the pack agrees with the
reports. Lists are clamped (:data:`LIMITS`) so that a program always fits one page; free text (reasons,
commentary) is wrapped, never cut.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd

from pmo_nb.contract import rag_severity
from pmo_nb.metrics.month import SharedState
from pmo_nb.periods import Period
from pmo_nb.reporting import components
from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.tables import Col, rag_badge

__all__ = ["LIMITS", "TIGHTER", "attention", "program_page", "overview_page", "cover_page", "program_ids"]

#: How many items of each list a program page shows at most (the rest are counted, "+ 3 more").
LIMITS = {"comments": 3, "risks": 3, "milestones": 4, "decisions": 4}
#: Tighter limits tried in turn when a program's page would still spill (very long commentary or titles).
TIGHTER = ({"comments": 2, "risks": 3, "milestones": 3, "decisions": 3},
           {"comments": 1, "risks": 2, "milestones": 2, "decisions": 2},
           {"comments": 1, "risks": 1, "milestones": 1, "decisions": 1})
_SEVERITY_RANK = {"critical": 0, "high": 1}


def _e(value: Any) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()


def _badness(rag: object) -> int:
    """Sort key: red first, then amber, green, and unknown last."""
    severity = rag_severity(rag)
    return 1 if severity is None else -severity


def _worst_first(programs: pd.DataFrame) -> pd.DataFrame:
    rank = programs["rag"].map(_badness)
    return (programs.assign(_rank=rank, _name=programs["name"].astype(str).str.casefold())
            .sort_values(["_rank", "_name", "program_id"], kind="mergesort").drop(columns=["_rank", "_name"]))


def program_ids(state: SharedState) -> list[str]:
    """The month's programs, worst RAG first (red, amber, green, unknown), then by name: the pack's order."""
    return [str(p) for p in _worst_first(state.kpis.programs)["program_id"]]


def attention(state: SharedState, only: Collection[str] | None = None) -> list[tuple[str, str, str, str]]:
    """Programs rated red or amber, worst first: ``(program_id, name, rag, reason)`` for the cover.

    ``only`` restricts the list to these program ids (the programs in the pack).
    """
    out = []
    for _, row in _worst_first(state.kpis.programs).iterrows():
        if only is not None and str(row["program_id"]) not in only:
            continue
        if (rag_severity(row.get("rag")) or 0) >= 1:
            out.append((str(row["program_id"]), str(row["name"]), str(row["rag"]).lower(),
                        _text(row.get("rag_reason")) or "no reason recorded"))
    return out


def cover_page(state: SharedState, *, organisation: str,
               contents: Sequence[tuple[str, str | None, int, str | None]],
               omitted: Sequence[tuple[str, str, str]] = (), only: Collection[str] | None = None) -> str:
    """The cover (who needs attention and why, one line each) and the contents: ``(title, rag, first page,
    program id)`` per part; each line links to ``pmo-pack:<index>`` (made a page link by the pack)."""
    period = Period(state.period)
    programs = state.kpis.programs
    if only is not None:
        programs = programs[programs["program_id"].astype(str).isin(set(only))]
    counts = {rag: int((programs["rag"].astype(str).str.lower() == rag).sum()) for rag in ("red", "amber", "green")}
    unknown = len(programs) - sum(counts.values())
    lines = "".join(
        f'<li><span class="pmo-pack-att-name">{_e(name)} ({_e(pid)})</span> {rag_badge(rag)} '
        f'<span class="pmo-pack-att-why">{_e(reason)}</span></li>'
        for pid, name, rag, reason in attention(state, only)
    ) or "<li>No program is rated red or amber this month.</li>"
    tally = ", ".join(f"{n} {rag}" for rag, n in counts.items()) + (f", {unknown} not rated" if unknown else "")
    left_out = (f'<p class="pmo-pack-note">{len(omitted)} program{"s" if len(omitted) != 1 else ""} left out of '
                "this pack (listed after the contents).</p>" if omitted else "")
    toc = "".join(
        f'<li>{rag_badge(rag) if rag is not None else "<span class=pmo-pack-nobadge></span>"}'
        f'<a href="pmo-pack:{i}" data-page="{page}">{_e(title)}{f" ({_e(pid)})" if pid else ""}</a></li>'
        for i, (title, rag, page, pid) in enumerate(contents)
    )
    omitted_table = ""
    if omitted:
        rows = "".join(f"<tr><td>{_e(o[0])}</td><td>{_e(o[1])}</td><td>{_e(o[2])}</td></tr>" for o in omitted)
        omitted_table = ('<div class="pmo-pack-omitted"><h2>Programs left out of this pack</h2>'
                         '<table class="pmo-table"><thead><tr><th>Program</th><th>Name</th><th>Reason</th></tr>'
                         f"</thead><tbody>{rows}</tbody></table></div>")
    logo = state.config.branding.logo_data_uri()  # embedded: the pack never links a file
    logo_img = f'<img class="pmo-pack-logo" alt="{_e(organisation)}" src="{logo}">' if logo else ""
    return (
        f'<section class="pmo-pack-cover">{logo_img}'
        f'<div class="pmo-pack-org">{_e(organisation)}</div>'
        '<h1 class="pmo-pack-title">Executive pack</h1>'
        f'<div class="pmo-pack-month">{_e(period.label)}</div>'
        f'<p class="pmo-pack-tally">{len(programs)} program{"s" if len(programs) != 1 else ""}: {_e(tally)}.</p>'
        '<h2 class="pmo-pack-att-head">Needing attention</h2>'
        f'<ol class="pmo-pack-attention">{lines}</ol>{left_out}</section>'
        '<section class="pmo-pack-contents"><h1>Contents</h1>'
        f'<ol class="pmo-pack-toc">{toc}</ol>{omitted_table}</section>'
    )


def overview_page(state: SharedState) -> str:
    """The portfolio overview: status line, the six portfolio tiles, one row per program (worst first)."""
    from pmo_nb.reporting.report import PortfolioReport

    report = PortfolioReport(portfolio=state.portfolio, config=state.config, period=state.period,
                             kpis=state.kpis, all_kpis=state.kpis, changes=state.changes,
                             previous_source=state.previous_source)
    report._previous_snapshot = state.previous_frame
    row = report.row
    n_prog, n_proj = len(state.kpis.programs), len(state.kpis.projects)
    title = components.title_block(
        "Portfolio overview", f"{n_prog} programs, {n_proj} projects", period_label=Period(state.period).label,
        rag=_rag(row.get("rag")), rag_reason=_text(row.get("rag_reason")))
    programs = _worst_first(state.kpis.programs)
    table = components.table(programs, [
        Col("program_id", "Program", "id"), Col("name", "Name"), Col("rag", "Status", "rag"),
        Col("n_projects", "Projects", "int"), Col("n_red", "Red", "int"), Col("cpi", "CPI", "ratio"),
        Col("spi_t", "SPI(t)", "ratio"), Col("bac", "BAC", "money"), Col("eac", "EAC", "money"),
        Col("risks_critical_open", "Critical risks", "int"), Col("ms_missed", "Missed milestones", "int"),
        Col("rag_reason", "Why"),
    ], currency=state.config.currency)
    return (f'<section class="pmo-pack-overview">{title}{report.tiles()}'
            f'<h2 class="pmo-pack-h">Programs, worst first</h2>{table}</section>')


def _rag(value: Any) -> str | None:
    return str(value).lower() if rag_severity(value) is not None else None


def _list(items: str, empty: str) -> str:
    """A pack list of ``items`` (``<li>`` elements), or the plain ``empty`` sentence when there are none."""
    return f'<ul class="pmo-pack-list">{items}</ul>' if items else f'<p class="pmo-empty">{empty}</p>'


def _more(shown: int, total: int, noun: str) -> str:
    return f'<p class="pmo-pack-more">+ {total - shown} more {noun} in the program report.</p>' if total > shown else ""


def program_page(state: SharedState, program_id: str, limits: dict[str, int] | None = None) -> str:
    """One program on one page: title and objective, status and why, commentary, six key figures with their
    change since last month, top risks with responses, next key milestones, what needs a decision.

    ``limits`` overrides :data:`LIMITS` (how many items of each list are shown; the rest are counted).
    """
    limits = {**LIMITS, **(limits or {})}
    from pmo_nb.reporting.report import ProgramReport
    from pmo_nb.reporting.trends import forecast_sentence

    report = ProgramReport(portfolio=state.portfolio, config=state.config, period=state.period,
                           kpis=state.kpis.program(program_id), all_kpis=state.kpis, changes=state.changes,
                           previous_source=state.previous_source)
    report.program_id = program_id
    report._previous_snapshot = state.previous_frame
    prog = report.program
    source = state.portfolio.programs
    found = source[source["program_id"] == program_id]
    objective = _text(found.iloc[0].get("objective")) if len(found) and "objective" in found else ""
    head = (
        '<div class="pmo-pack-prog-head">'
        f'<div class="pmo-pack-prog-title" data-name="{_e(prog["name"])}">{_e(prog["name"])} '
        f'<span class="pmo-pack-id">{_e(program_id)}</span></div>'
        f'<div class="pmo-pack-objective">{_e(objective) or "<em>No objective recorded.</em>"}</div>'
        f'<div class="pmo-pack-status">Status: {rag_badge(_rag(prog.get("rag")))} '
        f'<span class="pmo-pack-reason">{_e(_text(prog.get("rag_reason")) or "no reason recorded")}</span></div>'
        f'<div class="pmo-pack-forecast">{_e(forecast_sentence(report.row, report.currency))}</div>'
        f'<div class="pmo-pack-people">Sponsor {_e(prog.get("sponsor"))} · Program manager {_e(prog.get("manager"))}'
        "</div></div>"
    )
    if "decisions" in state.portfolio.missing_tables:  # no decision log: the open critical and high issues
        left = _commentary(state, program_id, limits["comments"]) + _decisions(report.kpis.issues, limits["decisions"])
    else:
        left = _decisions_needed(report, limits["decisions"]) + _commentary(state, program_id, limits["comments"])
    right = (_risks(report.kpis.risks, limits["risks"])
             + _milestones(report.kpis.milestones, report.kpis.projects, limits["milestones"]))
    return (f'<section class="pmo-pack-program" data-program="{_e(program_id)}">{head}{report.tiles()}'
            f'<div class="pmo-pack-cols"><div class="pmo-pack-col">{left}</div>'
            f'<div class="pmo-pack-col">{right}</div></div></section>')


def _commentary(state: SharedState, program_id: str, limit: int) -> str:
    projects = state.portfolio.projects
    mine = projects[projects["program_id"] == program_id]
    computed = state.kpis.projects.set_index("project_id")["rag"] if len(state.kpis.projects) else pd.Series()
    if "status_comment" in mine:
        mine = mine.assign(_c=mine["status_comment"].map(_text))
        mine = mine[mine["_c"] != ""]
    else:
        mine = mine.iloc[0:0].assign(_c="")
    mine = mine.assign(_sev=mine["project_id"].map(lambda p: -(rag_severity(computed.get(p)) or 0)))
    mine = mine.sort_values(["_sev", "project_id"], kind="mergesort")
    shown = mine.head(limit)
    items = "".join(
        f'<li><span class="pmo-pack-who">{_e(r["name"])} ({_e(r.get("manager"))}):</span> {_e(r["_c"])}</li>'
        for _, r in shown.iterrows()
    )
    body = _list(items, "No commentary this month.")
    return ('<h3 class="pmo-pack-h">Project managers\' commentary</h3>'
            f'{body}{_more(len(shown), len(mine), "comments")}')


def _decisions(issues: pd.DataFrame, limit: int) -> str:
    if len(issues):
        open_ = issues[issues["open"].astype(bool)]
        open_ = open_[open_["severity"].astype(str).str.lower().isin(_SEVERITY_RANK)]
        open_ = open_.assign(_s=open_["severity"].astype(str).str.lower().map(_SEVERITY_RANK))
        open_ = open_.sort_values(["_s", "age_days", "issue_id"], ascending=[True, False, True], kind="mergesort")
    else:
        open_ = issues
    shown = open_.head(limit)
    items = "".join(
        f'<li><span class="pmo-pack-who">{_e(r["issue_id"])} · {_e(r["severity"])} · {fmt.days(r["age_days"])} open'
        f' · {_e(r.get("owner"))}:</span> {_e(r["title"])}</li>'
        for _, r in shown.iterrows()
    )
    body = _list(items, "No open critical or high issue awaits a decision.")
    return ('<h3 class="pmo-pack-h">Needs a decision (open critical and high issues)</h3>'
            f'{body}{_more(len(shown), len(open_), "issues")}')


def _decisions_needed(report: Any, limit: int) -> str:
    """The program's open decisions (the decision log), overdue first: the first thing a steering committee reads."""
    from pmo_nb.reporting.raid import decisions_sentence, raid_of

    decisions = raid_of(report).decisions
    shown = decisions.head(limit)
    items = "".join(
        f'<li><span class="pmo-pack-who">{_e(r["decision_id"])} · by {fmt.date(r["needed_by"])}'
        f'{" · overdue " + fmt.days(r["days_overdue"]) if bool(r["overdue"]) else ""}'
        f' · {_e(r.get("decision_maker"))}:</span> {_e(r["question"])}</li>'
        for _, r in shown.iterrows()
    )
    body = _list(items, "No decision is awaited.")
    counted = f" ({_e(decisions_sentence(decisions).rstrip('.'))})" if len(decisions) else ""
    head = f"Decisions needed{counted}"
    return f'<h3 class="pmo-pack-h">{head}</h3>{body}{_more(len(shown), len(decisions), "open decisions")}'


def _risks(register: pd.DataFrame, limit: int) -> str:
    from pmo_nb.metrics.risks import top_risks

    open_total = int(register["open"].astype(bool).sum()) if len(register) else 0
    top = top_risks(register, limit) if len(register) else register
    items = "".join(
        f'<li><span class="pmo-pack-who">{_e(r["risk_id"])} · {_e(r.get("band"))} · score {fmt.integer(r["score"])}'
        f' · {_e(r.get("category")) or "no category"}:</span> {_e(r["title"])}'
        f'<div class="pmo-pack-response">Response: {_e(_text(r.get("response"))) or "<em>none recorded</em>"}'
        f'{" (overdue)" if bool(r.get("response_overdue")) else ""}</div></li>'
        for _, r in top.iterrows()
    )
    body = _list(items, "No open risk.")
    return f'<h3 class="pmo-pack-h">Top risks</h3>{body}{_more(len(top), open_total, "open risks")}'


def _milestones(ms: pd.DataFrame, projects: pd.DataFrame, limit: int) -> str:
    if len(ms):
        pending = ms[~ms["achieved"].astype(bool)]
        pending = pending.assign(_when=pending["forecast_date"].fillna(pending["baseline_date"]),
                                 _key=~pending["key_milestone"].astype(bool))
        pending = pending.sort_values(["_key", "_when", "milestone_id"], kind="mergesort")
        names = projects.set_index("project_id")["name"] if len(projects) else pd.Series(dtype=object)
    else:
        pending, names = ms, pd.Series(dtype=object)
    shown = pending.head(limit)
    items = "".join(
        f'<li><span class="pmo-pack-who">{fmt.date(r["_when"])}{" · key" if not r["_key"] else ""}'
        f'{" · missed" if r.get("status") == "missed" else ""}'
        f'{" · slip " + fmt.days(r["slip_days"]) if pd.notna(r.get("slip_days")) and r["slip_days"] > 0 else ""}:'
        f'</span> {_e(r["name"])} ({_e(names.get(r["project_id"], r["project_id"]))})</li>'
        for _, r in shown.iterrows()
    )
    body = _list(items, "No milestone still to achieve.")
    return f'<h3 class="pmo-pack-h">Next milestones</h3>{body}{_more(len(shown), len(pending), "milestones")}'
