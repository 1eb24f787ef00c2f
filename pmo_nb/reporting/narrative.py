"""The executive summary: a few sentences written from the figures, deterministic, no invented facts.

Each function takes plain values (a row of ``Kpis.programs`` / ``Kpis.portfolio`` as a mapping, the
projects or programs below it, the top risk, and ``Changes.summary(...)``) and returns a list of plain-text
sentences. Nothing here escapes HTML: the components that display the sentences do. Every number goes
through ``pmo_nb.reporting.formatting`` so it reads the same as in the tables and tiles.

The sentences, in order: overall status (with the reason and any reported-vs-computed mismatch), cost,
schedule and milestones, the most important risk, and what changed since last month.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pmo_nb.reporting import formatting as fmt

RAG_WORDS = {"green": "GREEN", "amber": "AMBER", "red": "RED"}


def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _int(x: Any) -> int:
    v = _num(x)
    return int(round(v)) if v is not None else 0


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 milestone', '3 milestones'."""
    return f"{n:,d} {one if n == 1 else (many or one + 's')}"


def _rag(x: Any) -> str | None:
    return x if isinstance(x, str) and x in RAG_WORDS else None


def _months(x: float) -> str:
    v = abs(x)
    return f"{v:.1f} month" if round(v, 1) == 1.0 else f"{v:.1f} months"


def status_sentence(name: str, row: Mapping[str, Any], period: str, *, what: str = "program") -> str:
    """'ERP Modernisation is RED for October 2026: CPI 0.87 < 0.90.'"""
    rag = _rag(row.get("rag"))
    reason = row.get("rag_reason")
    reason = reason if isinstance(reason, str) and reason.strip() else None
    month = fmt.month(period)
    if rag is None:
        why = f": {reason}" if reason else ""
        return f"{name} has no computed status for {month}{why}."
    return f"{name} is {RAG_WORDS[rag]} for {month}" + (f": {reason}." if reason else ".")


def mismatch_sentence(projects: pd.DataFrame, *, label: str = "project") -> str | None:
    """Projects (or programs) that report a better status than their figures show; None if there are none."""
    if projects is None or projects.empty or "mismatch" not in projects:
        return None
    if "phase" in projects:  # closed projects are not rated, so never flagged
        projects = projects[projects["phase"].astype("object").map(lambda v: str(v).strip().lower() != "closed")]
    flagged = projects[projects["mismatch"].fillna(False).astype(bool)]
    if flagged.empty:
        return None
    flagged = flagged.assign(_rank=fmt.rag_rank(flagged["rag"])).sort_values(
        ["_rank", "name"], kind="mergesort")
    parts = [
        f"{r['name']} (reported {r.get('reported_status')}, computed {r.get('rag')})"
        for _, r in flagged.head(3).iterrows()
    ]
    more = f" and {len(flagged) - 3} more" if len(flagged) > 3 else ""
    n, total = len(flagged), len(projects)
    verb = "reports" if n == 1 else "report"
    return (f"{n} of {plural(total, label)} {verb} a better status than the figures show: "
            f"{', '.join(parts)}{more}.")


def cost_sentence(row: Mapping[str, Any], currency: str, *, what: str = "program") -> str:
    """'Cost: €12.3M earned for €14.1M spent (CPI 0.87); at this rate the program will cost €23M against
    a budget of €20M, €3M (15.0%) over.'"""
    bac, ev, ac, cpi = (_num(row.get(k)) for k in ("bac", "ev", "ac", "cpi"))
    eac, vac = _num(row.get("eac")), _num(row.get("vac"))
    money = lambda x: fmt.money(x, currency)  # noqa: E731
    budget = f" against a budget of {money(bac)}" if bac is not None else ""
    if row.get("cost_data") is not None and not bool(row.get("cost_data")):
        return f"Cost: not tracked (the source has no financials){f'; budget {money(bac)}' if bac is not None else ''}."
    if ac is None and ev is not None and row.get("ac_known") is not None and not bool(row.get("ac_known")):
        return (f"Cost: {money(ev)} of work earned{budget}; no actual cost is recorded, so CPI and the forecast "
                "(EAC) are unavailable.")
    if cpi is None or ev is None or ac is None:
        return f"Cost: no earned value and actual cost to compare yet{budget}."
    text = f"Cost: {money(ev)} of work earned for {money(ac)} spent (CPI {fmt.ratio(cpi)})"
    if eac is not None and bac is not None:
        text += f"; at this rate the {what} will cost {money(eac)} against a budget of {money(bac)}"
        if vac is not None and bac and abs(vac) >= 0.005 * bac:
            side = "over" if vac < 0 else "under"
            text += f", {money(abs(vac))} ({fmt.pct(abs(vac) / bac)}) {side}"
        else:
            text += ", on budget"
    return text + "."


def schedule_sentence(row: Mapping[str, Any], *, upcoming_days: int = 90, upcoming: int | None = None) -> str:
    """'Schedule: SPI(t) 0.92, 1.4 months behind plan; 3 milestones missed (1 key) and 2 milestones due
    in the next 90 days.'"""
    spi_t, sv_t, spi = _num(row.get("spi_t")), _num(row.get("sv_t")), _num(row.get("spi"))
    if spi_t is not None:
        text = f"Schedule: SPI(t) {fmt.ratio(spi_t)}"
        if sv_t is not None and abs(sv_t) >= 0.05:
            text += f", {_months(sv_t)} {'behind' if sv_t < 0 else 'ahead of'} plan"
        elif sv_t is not None:
            text += ", on plan"
    elif spi is not None:
        text = f"Schedule: SPI {fmt.ratio(spi)} (earned schedule not available)"
    else:
        text = "Schedule: no schedule performance to report yet"
    missed, key_missed = _int(row.get("ms_missed")), _int(row.get("ms_key_missed"))
    if upcoming is None:  # callers pass the count their upcoming table shows (one figure, one computation)
        upcoming = _int(row.get("ms_upcoming"))
    parts = []
    if missed:
        parts.append(plural(missed, "milestone") + " missed" + (f" ({key_missed} key)" if key_missed else ""))
    else:
        parts.append("no milestone missed")
    parts.append(f"{plural(upcoming, 'milestone')} due in the next {upcoming_days} days")
    return f"{text}; {' and '.join(parts)}."


def risk_sentence(top: Mapping[str, Any] | None, row: Mapping[str, Any], currency: str, *,
                  has_register: bool = True) -> str:
    """The most important open risk, or why there is none."""
    if not has_register:
        return "Risks: no risk register was provided."
    if top is None:
        return "Risks: no open risks are recorded."
    band = top.get("band")
    score = _int(top.get("score"))
    text = f"Top risk: {top.get('title')} ({top.get('project_id')}), score {score}"
    if isinstance(band, str):
        text += f" ({band})"
    emv = _num(top.get("emv"))
    if emv and not top.get("cost_missing"):
        text += f", expected cost {fmt.money(emv, currency)}"
    owner = top.get("owner")
    if isinstance(owner, str) and owner.strip():
        text += f", owned by {owner}"
    if bool(top.get("response_overdue")):
        text += f"; its response was due {fmt.date(top.get('response_due'))} and is overdue"
    n_crit = _int(row.get("risks_critical_open"))
    n_open = _int(row.get("risks_open"))
    text += f". {plural(n_open, 'open risk')} in all"
    if n_crit:
        text += f", {n_crit} critical"
    n_overdue = _int(row.get("risks_overdue"))
    if n_overdue:
        text += f", {n_overdue} with an overdue response"
    return text + "."


def change_sentence(changes: Mapping[str, Any] | None) -> str:
    """'Since September 2026: status AMBER → RED, CPI 0.91 → 0.87, 1 milestone newly missed, 2 risks
    raised.'"""
    if not changes or not changes.get("available"):
        return "No comparison with the previous month is available."
    prev = fmt.month(changes.get("previous_period"))
    parts: list[str] = []
    if changes.get("rag_from") and changes.get("rag_to"):
        parts.append(f"status {RAG_WORDS.get(changes['rag_from'], changes['rag_from'])} → "
                     f"{RAG_WORDS.get(changes['rag_to'], changes['rag_to'])}")
    for metric, label in (("cpi", "CPI"), ("spi_t", "SPI(t)")):
        before, now = _num(changes.get(f"{metric}_previous")), _num(changes.get(f"{metric}_current"))
        if before is not None and now is not None and fmt.ratio(before) != fmt.ratio(now):
            parts.append(f"{label} {fmt.ratio(before)} → {fmt.ratio(now)}")
    counts = [
        ("n_milestones_missed", "milestone", "newly missed"),
        ("n_milestones_achieved", "milestone", "achieved"),
        ("n_risks_raised", "risk", "raised"),
        ("n_risks_closed", "risk", "closed"),
        ("n_risks_escalated", "risk", "escalated"),
        ("n_issues_raised", "issue", "raised"),
        ("n_issues_closed", "issue", "closed"),
    ]
    for key, noun, verb in counts:
        n = _int(changes.get(key))
        if n:
            parts.append(f"{plural(n, noun)} {verb}")
    if not parts:
        return f"Since {prev}: no change in status, indices or registers."
    return f"Since {prev}: {', '.join(parts)}."


def program_summary(
    program: Mapping[str, Any],
    projects: pd.DataFrame,
    *,
    period: str,
    currency: str = "EUR",
    top_risk: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    has_risk_register: bool = True,
    upcoming_days: int = 90,
    upcoming: int | None = None,
) -> list[str]:
    """The executive summary of one program: five or so sentences.

    Parameters
    ----------
    program:
        The program's row of ``Kpis.programs`` (a mapping or Series).
    projects:
        The program's rows of ``Kpis.projects`` (for the mismatch sentence).
    period:
        The reporting month, ``YYYY-MM``.
    top_risk:
        The first row of ``risks.top_risks(...)`` for the program, or None.
    changes:
        ``Changes.summary("program", id)``, or None when there is no previous month.
    """
    name = str(program.get("name") or program.get("program_id") or "The program")
    if projects is None or projects.empty:
        return [f"{name} has no projects recorded for {fmt.month(period)}: there are no figures to report."]
    return [status_sentence(name, program, period)] + _figures(
        program, projects, what="program", currency=currency, top_risk=top_risk, changes=changes,
        has_risk_register=has_risk_register, upcoming_days=upcoming_days, upcoming=upcoming)


def _figures(row: Mapping[str, Any], projects: pd.DataFrame, *, what: str, currency: str,
             top_risk: Mapping[str, Any] | None, changes: Mapping[str, Any] | None, has_risk_register: bool,
             upcoming_days: int, upcoming: int | None = None) -> list[str]:
    """The sentences after the status line: mismatch (if any), cost, schedule, top risk, changes."""
    mismatch = mismatch_sentence(projects)
    return [*([mismatch] if mismatch else []),
            cost_sentence(row, currency, what=what),
            schedule_sentence(row, upcoming_days=upcoming_days, upcoming=upcoming),
            *([risk_sentence(top_risk, row, currency)] if has_risk_register else []),  # else said by its section
            change_sentence(changes)]


def portfolio_summary(
    portfolio: Mapping[str, Any],
    programs: pd.DataFrame,
    projects: pd.DataFrame,
    *,
    period: str,
    organisation: str = "The portfolio",
    currency: str = "EUR",
    top_risk: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    has_risk_register: bool = True,
    upcoming_days: int = 90,
    upcoming: int | None = None,
) -> list[str]:
    """The executive one-pager's summary: status counts, attention list, cost, schedule, risk, changes."""
    out = [status_sentence(f"The {organisation} portfolio", portfolio, period, what="portfolio")]
    if programs is not None and not programs.empty:
        counts = programs["rag"].value_counts()
        parts = [f"{int(counts.get(r, 0))} {RAG_WORDS[r].lower()}" for r in ("red", "amber", "green")]
        unknown = len(programs) - int(counts.reindex(list(RAG_WORDS)).fillna(0).sum())
        if unknown:
            parts.append(f"{unknown} without a status")
        attention = programs[programs["rag"].isin(["red", "amber"])].assign(
            _rank=lambda d: fmt.rag_rank(d["rag"])).sort_values(["_rank", "name"], kind="mergesort")
        text = f"Of {plural(len(programs), 'program')}: {', '.join(parts)}"
        if not attention.empty:
            text += "; needing attention: " + ", ".join(
                f"{r['name']} ({RAG_WORDS[r['rag']]})" for _, r in attention.head(4).iterrows())
            if len(attention) > 4:
                text += f" and {len(attention) - 4} more"
        out.append(text + ".")
    return out + _figures(portfolio, projects, what="portfolio", currency=currency, top_risk=top_risk,
                          changes=changes, has_risk_register=has_risk_register, upcoming_days=upcoming_days,
                          upcoming=upcoming)


# ---------------------------------------------------------------------------------------------- chart headlines
# Each chart's title states its finding; the chart builders call these when no title is given.


def cost_finding(ac: Any, pv: Any, *, tolerance: float = 0.0005) -> str:
    """Headline comparing cost with the plan, both cumulative to date: "Actual cost 12.5% over plan to date".

    The comparison is actual cost (AC) with planned value (PV): ``(AC - PV) / PV``. Within ``tolerance`` (what
    one decimal of a percentage cannot show) the cost is "on plan"; a missing or zero plan gives
    "Cost against plan not yet measurable". The percentage follows the one rule of every report: one decimal.
    """
    spent, planned = fmt.number(ac), fmt.number(pv)
    if spent is None or not planned:
        return "Cost against plan not yet measurable"
    value = (spent - planned) / planned
    if abs(value) < tolerance:
        return "Actual cost on plan to date"
    word = "over" if value > 0 else "under"
    return f"Actual cost {fmt.pct(abs(value))} {word} plan to date"


def schedule_finding(sv_t: Any, *, tolerance: float = 0.05) -> str:
    """Headline for schedule performance from SV(t) in months: "Work 1.5 months behind schedule"."""
    value = fmt.number(sv_t)
    if value is None:
        return "Schedule performance not yet measurable"
    if abs(value) < tolerance:
        return "Work on schedule"
    months = fmt.ratio(abs(value), decimals=1)
    unit = "month" if months == "1.0" else "months"
    word = "behind" if value < 0 else "ahead of"
    return f"Work {months} {unit} {word} schedule"


def rag_totals(df: pd.DataFrame) -> dict[str, int]:
    totals = dict.fromkeys(fmt.RAG_KEYS, 0)
    if df is None or df.empty:
        return totals
    for key, count in zip(df["rag"].map(fmt.rag_key), pd.to_numeric(df["count"], errors="coerce"), strict=True):
        if not fmt.is_missing(count):
            totals[key] += int(count)
    return totals


def rag_finding(df: pd.DataFrame, noun: str = "project") -> str:
    """Headline from RAG counts (columns ``rag``, ``count``): "3 of 12 projects red"."""
    totals = rag_totals(df)
    total = sum(totals.values())
    if total == 0:
        return f"No {noun}s to report"
    nouns = noun + "s"
    if totals["red"]:
        return f"{totals['red']} of {total} {nouns if total != 1 else noun} red"
    if totals["amber"]:
        return f"{totals['amber']} of {total} {nouns if total != 1 else noun} amber, none red"
    if totals["green"] == total:
        return f"All {total} {nouns if total != 1 else noun} green" if total > 1 else f"The {noun} is green"
    return f"{totals['green']} of {total} {nouns} green, {totals['n/a']} without data"


def quadrant_finding(df: pd.DataFrame, noun: str = "project") -> str:
    """Headline for the CPI/SPI(t) quadrant: "2 of 8 projects over budget and late"."""
    if df is None or df.empty:
        return f"No {noun}s with cost and schedule indices"
    d = df.dropna(subset=["cpi", "spi_t"])
    n = len(d)
    if n == 0:
        return f"No {noun}s with cost and schedule indices yet"
    both = int(((d["cpi"] < 1) & (d["spi_t"] < 1)).sum())
    if both:
        return f"{both} of {plural(n, noun)} over budget and late"
    over = int((d["cpi"] < 1).sum())
    late = int((d["spi_t"] < 1).sum())
    if over or late:
        return f"{over} of {n} over budget, {late} of {n} late"
    return f"All {plural(n, noun)} on or under budget and on or ahead of schedule"


def milestone_finding(df: pd.DataFrame, noun: str = "milestone") -> str:
    """Headline for the milestone timeline: "3 of 10 milestones slipped, worst by 45 days; 1 missed".

    ``noun`` names a subset ("key milestone"): "2 of 5 key milestones slipped, worst by 45 days; 1 of them missed".
    """
    if df is None or df.empty:
        return "No milestones recorded"
    slip = pd.to_numeric(df["slip_days"], errors="coerce")
    slipped = int((slip > 0).sum())
    n = len(df)
    missed = int((df["status"].astype("object") == "missed").sum())
    subset = noun != "milestone"  # a chart of a subset says so, and its missed count is of that subset
    gone = (f"; {missed} of them missed" if subset else f"; {missed} missed") if missed else ""
    if slipped == 0:
        return f"All {plural(n, noun)} on or ahead of baseline{gone}"
    return f"{slipped} of {plural(n, noun)} slipped, worst by {fmt.days(slip.max())}{gone}"


def counts_by(df: pd.DataFrame | None, column: str) -> tuple[int, dict[str, int]]:
    """Total of ``count`` and its sum per value of ``column`` (a band or a severity)."""
    if df is None or df.empty:
        return 0, {}
    counts = pd.to_numeric(df["count"], errors="coerce").fillna(0)
    per = counts.groupby(df[column].astype("object")).sum()
    return int(counts.sum()), {str(k): int(v) for k, v in per.items()}


def risk_finding(df: pd.DataFrame) -> str:
    """Headline for the risk heat map (``band``, ``count``): "2 critical risks among 14 open"."""
    total, per = counts_by(df, "band")
    if total == 0:
        return "No open risks"
    critical, high = per.get("critical", 0), per.get("high", 0)
    if critical:
        return f"{plural(critical, 'critical risk')} among {total} open"
    if high:
        return f"{plural(high, 'high risk')}, none critical, among {total} open"
    return f"{plural(total, 'open risk')}, none high or critical"


def exposure_finding(df: pd.DataFrame, currency: str = "EUR") -> str:
    """Headline for the exposure trend: "Open risk exposure up to €1.2M (+€300k since Sep 2026)"."""
    if df is None or df.empty:
        return "No risk exposure history"
    d = df.sort_values("period")
    last = d.iloc[-1]
    emv = fmt.money(last["emv_open"], currency)
    if len(d) < 2:
        return f"Open risk exposure {emv}"
    prev = d.iloc[-2]
    change = fmt.number(last["emv_open"])
    before = fmt.number(prev["emv_open"])
    if change is None or before is None or round(change - before) == 0:
        return f"Open risk exposure steady at {emv}"
    word = "up" if change > before else "down"
    return (
        f"Open risk exposure {word} to {emv} "
        f"({fmt.delta(change - before, 'money', currency=currency, arrow=False)} since "
        f"{fmt.month_short(prev['period'])})"
    )


def issues_finding(df: pd.DataFrame) -> str:
    """Headline for issues by severity: "2 critical issues among 15 open"."""
    total, per = counts_by(df, "severity")
    if total == 0:
        return "No open issues"
    critical = per.get("critical", 0)
    if critical:
        return f"{plural(critical, 'critical issue')} among {total} open"
    return f"{plural(total, 'open issue')}, none critical"


def ageing_finding(df: pd.DataFrame) -> str:
    """Headline for issue ageing: "4 of 15 open issues older than 90 days"."""
    if df is None or df.empty:
        return "No open issues"
    counts = pd.to_numeric(df["count"], errors="coerce").fillna(0)
    total = int(counts.sum())
    if total == 0:
        return "No open issues"
    old = int(counts[df["bucket"].astype("object").isin(["91-180", ">180"])].sum())
    if old == 0:
        return f"All {plural(total, 'open issue')} younger than 91 days"
    return f"{old} of {plural(total, 'open issue')} older than 90 days"
