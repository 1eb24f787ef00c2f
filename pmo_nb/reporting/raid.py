"""The RAID sections beyond risks and issues: decisions needed, dependencies at risk, the dependency map across
programs, overdue actions and assumptions to validate. Builders registered in :mod:`pmo_nb.reporting.sections` by the
report module; each reads the month's figures of :func:`pmo_nb.metrics.raid.month` once per report
(:func:`raid_of`), so the reports and the executive pack show the same lists.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pmo_nb.metrics import raid
from pmo_nb.reporting import components
from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.narrative import plural
from pmo_nb.reporting.tables import Col

__all__ = ["PORTFOLIO_ROWS", "raid_of", "decision_rows", "decisions_sentence", "by_program", "dependency_rows",
           "map_matrix", "decisions_needed", "dependencies_at_risk", "dependency_map", "overdue_actions",
           "assumptions_to_validate"]

PORTFOLIO_ROWS = 8
"""The portfolio overview lists at most this many decisions, overdue first, so that the list shares the first page with
the title (the program reports list every one)."""
PROGRAM_LEVEL = "program-level"


def raid_of(report: Any) -> raid.Raid:
    """The report's RAID figures (its program's, or the portfolio's), computed once per report object."""
    cached = getattr(report, "_raid", None)
    if cached is None:
        cached = raid.month_of(report.portfolio, report.period)
        if report.kind == "program":
            cached = cached.program(report.program_id)
        report._raid = cached
    return cached


def _names(report: Any) -> pd.Series:
    projects = report.portfolio.projects
    return projects.drop_duplicates("project_id").set_index("project_id")["name"]


def _project_label(ids: pd.Series, names: pd.Series) -> pd.Series:
    """"Name (ID)" of each project, "program-level" where there is none."""
    return ids.map(lambda p: PROGRAM_LEVEL if fmt.is_missing(p) else f"{names.get(p, p)} ({p})")


def _late(days: pd.Series, word: str = "overdue") -> pd.Series:
    return days.map(lambda d: "" if fmt.is_missing(d) else f"{fmt.days(d)} {word}")


def decision_rows(decisions: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Open decisions with the texts a table shows: ``project`` ("Name (ID)" or program-level), ``late``."""
    return decisions.assign(project=_project_label(decisions["project_id"], names),
                            late=_late(decisions["days_overdue"]),
                            options=decisions["options"].map(lambda v: "" if fmt.is_missing(v) else str(v)))


def decisions_sentence(decisions: pd.DataFrame) -> str:
    """"5 open decisions, 2 overdue." (or "No open decision.")."""
    if decisions.empty:
        return "No open decision."
    overdue = int(decisions["overdue"].astype(bool).sum())
    return f"{plural(len(decisions), 'open decision')}, {overdue} overdue."


def by_program(decisions: pd.DataFrame) -> str:
    """"PRG-A 3 (1 overdue) · PRG-B 1": open decisions per program, most first, then by program id."""
    counts = (decisions.assign(overdue=decisions["overdue"].astype(bool))
              .groupby("program_id").agg(open=("decision_id", "size"), overdue=("overdue", "sum")).reset_index()
              .sort_values(["open", "program_id"], ascending=[False, True], kind="mergesort"))
    return " · ".join(f"{p} {o}" + (f" ({d} overdue)" if d else "")
                      for p, o, d in zip(counts["program_id"], counts["open"], counts["overdue"], strict=True))


def decisions_needed(report: Any) -> components.HTML:
    """Open decisions, overdue ones first, then by the date they are needed."""
    decisions = raid_of(report).decisions
    if decisions.empty:
        return components.empty("", text=f"No open decision for this {report.scope}.")
    rows = decision_rows(decisions, _names(report))
    columns = [Col("decision_id", "Decision", "id"), Col("project", "Project"), Col("question", "Question"),
               Col("options", "Options"), Col("decision_maker", "Decision maker"),
               Col("needed_by", "Needed by", "date"), Col("late", "Overdue")]
    caption = decisions_sentence(decisions)
    if report.kind == "portfolio":
        programs = report.kpis.programs.set_index("program_id")["name"]
        rows = rows.assign(program=rows["program_id"].map(programs).fillna(rows["program_id"]))
        columns = [columns[0], Col("program", "Program"), *columns[1:3], *columns[4:]]
        caption += " By program: " + by_program(decisions) + "."
        if len(rows) > PORTFOLIO_ROWS:
            caption += f" The {PORTFOLIO_ROWS} most urgent are listed; the program reports list the other " \
                       f"{len(rows) - PORTFOLIO_ROWS}."
            rows = rows.head(PORTFOLIO_ROWS)
    return components.table(rows, columns, max_chars=None, caption=caption, highlight="overdue",
                            highlight_title="overdue")


def dependency_rows(deps: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Dependencies with the texts a table shows: ``needs`` and ``provider`` ("Name (ID)", or the external party)
    and ``why`` (overdue, or needed before the provider's forecast finish)."""
    def why(row: pd.Series) -> str:
        parts = []
        if bool(row["overdue"]):
            parts.append(f"needed {fmt.days(row['days_overdue'])} ago")
        if bool(row["provider_late"]):
            parts.append(f"provider finishes {fmt.date(row['provider_finish'])}")
        return "; ".join(parts)

    provider = deps["to_project_id"].map(lambda p: f"{names.get(p, p)} ({p})" if not fmt.is_missing(p) else None)
    return deps.assign(needs=_project_label(deps["from_project_id"], names),
                       provider=provider.fillna(deps["external_party"].map(lambda v: f"{v} (external)")),
                       why=[why(r) for _, r in deps.iterrows()] if len(deps) else pd.Series(dtype=object))


def dependencies_at_risk(report: Any) -> components.HTML:
    """Open dependencies overdue or needed before the provider's forecast finish, by the date they are needed."""
    figures = raid_of(report)
    at_risk = figures.at_risk
    if at_risk.empty:
        open_ = len(figures.dependencies)
        counted = plural(open_, "open dependency", "open dependencies")
        return components.empty("", text=f"No dependency at risk ({counted}).")
    rows = dependency_rows(at_risk, _names(report))
    counted = plural(len(at_risk), "dependency", "dependencies")
    caption = (f"{counted} at risk of {len(figures.dependencies)} open: needed before the providing project's "
               "forecast finish, or already overdue")
    return components.table(rows, [
        Col("dependency_id", "Dependency", "id"), Col("needs", "Needed by project"), Col("provider", "Provider"),
        Col("description", "What"), Col("needed_by", "Needed by", "date"), Col("why", "Why at risk"),
        Col("owner", "Owner"),
    ], max_chars=None, caption=caption)


def map_matrix(counts: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """The dependency map as a matrix: one row per dependent program, one column per provider (programs, then
    external), cells "open" or "open (n at risk)", empty where none."""
    providers = sorted(set(counts["to_program_id"]) - {raid.EXTERNAL})
    providers += [raid.EXTERNAL] if (counts["to_program_id"] == raid.EXTERNAL).any() else []
    cells = counts.assign(text=[f"{o}" + (f" ({r} at risk)" if r else "")
                                for o, r in zip(counts["open"], counts["at_risk"], strict=True)])
    wide = cells.pivot(index="from_program_id", columns="to_program_id", values="text").reindex(columns=providers)
    wide = wide.fillna("").reset_index()
    return wide.assign(from_program_id=wide["from_program_id"].map(lambda p: f"{names.get(p, p)} ({p})"))


def dependency_map(report: Any) -> components.HTML:
    """Open dependencies between programs: who depends on whom, and how many are at risk."""
    counts = raid_of(report).dependency_map
    if counts.empty:
        return components.empty("", text="No open dependency.")
    names = report.kpis.programs.set_index("program_id")["name"]
    matrix = map_matrix(counts, names)
    across = counts[counts["from_program_id"] != counts["to_program_id"]]
    total = plural(int(counts["open"].sum()), "open dependency", "open dependencies")
    sentence = (f"{total}, {int(across['open'].sum())} across programs or on external parties, "
                f"{int(counts['at_risk'].sum())} at risk. Rows: the program that needs; columns: the program (or "
                "party) that provides.")
    columns = [Col("from_program_id", "Needs \\ provides")] + [
        Col(c, "External" if c == raid.EXTERNAL else str(c), "text") for c in matrix.columns[1:]]
    return components.table(matrix, columns, max_chars=None, caption=sentence)


def overdue_actions(report: Any) -> components.HTML:
    """Open actions past their due date, oldest first."""
    actions = raid_of(report).actions
    if actions.empty:
        return components.empty("", text="No overdue action.")
    rows = actions.assign(item=actions["register"].fillna("item") + " " + actions["parent_id"].astype(str),
                          late=_late(actions["days_overdue"]),
                          description=actions["description"].map(lambda v: "" if fmt.is_missing(v) else str(v)))
    return components.table(rows, [
        Col("action_id", "Action", "id"), Col("item", "For"), Col("description", "What"), Col("owner", "Owner"),
        Col("due", "Due", "date"), Col("late", "Overdue"),
    ], max_chars=None, caption=f"{plural(len(actions), 'overdue action')}")


def assumptions_to_validate(report: Any) -> components.HTML:
    """Open assumptions whose validation date has passed or falls within the next 30 days."""
    rows = raid_of(report).assumptions
    window = raid.VALIDATE_WINDOW_DAYS
    if rows.empty:
        return components.empty("", text=f"No open assumption is due for validation within {window} days.")
    overdue = int(rows["overdue"].astype(bool).sum())
    until = fmt.date(report.period_end + pd.Timedelta(days=window))
    rows = rows.assign(project=_project_label(rows["project_id"], _names(report)), late=_late(rows["days_overdue"]))
    return components.table(rows, [
        Col("assumption_id", "Assumption", "id"), Col("project", "Project"), Col("text", "Assumed"),
        Col("owner", "Owner"), Col("validate_by", "Validate by", "date"), Col("late", "Overdue"),
    ], max_chars=None, highlight="overdue", highlight_title="validation overdue",
        caption=f"{plural(len(rows), 'open assumption')} to validate by {until}, {overdue} overdue")
