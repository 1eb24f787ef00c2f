"""Helpers for the ingest/validate tests: a small valid portfolio and writers for each source format."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from pmo_nb.data.model import empty_table
from pmo_nb.schema import TABLE_NAMES


def _dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def small_frames() -> dict[str, pd.DataFrame]:
    """A small valid portfolio in the Portfolio's dtypes: 2 programs, 3 projects, 3 months."""
    programs = pd.DataFrame(
        {
            "program_id": ["PRG-01", "PRG-02"],
            "name": ["Digital Workplace", "Data Platform"],
            "sponsor": ["Ana Ruiz", "Ben Okafor"],
            "manager": ["Chen Li", "Dana Weiss"],
            "objective": ["Modern tools for all staff", np.nan],
        }
    ).astype(object)
    projects = pd.DataFrame(
        {
            "project_id": ["P-001", "P-002", "007"],
            "program_id": ["PRG-01", "PRG-01", "PRG-02"],
            "name": ["Laptop refresh", "Intranet, phase 2", "Lakehouse"],
            "manager": ["Eve Stone", "Frank Moss", "Gia Rossi"],
            "phase": ["execution", "planning", np.nan],
            "baseline_start": _dates("2026-01-05", "2026-02-01", "2026-01-01"),
            "baseline_finish": _dates("2026-09-30", "2026-12-31", "2027-03-31"),
            "forecast_finish": _dates("2026-10-15", None, "2027-03-31"),
            "budget": [1200000.5, 350000.0, 2500000.0],
            "reported_status": ["amber", "green", np.nan],
            "status_comment": ["Supplier late; recovery plan agreed", np.nan, "On track"],
            "last_updated": _dates("2026-03-28", "2026-03-30", None),
            "status_date": _dates(None, None, None),
        }
    )
    for c in ("project_id", "program_id", "name", "manager", "phase", "reported_status", "status_comment"):
        projects[c] = projects[c].astype(object)
    fin_rows = []
    for pid, pv, ev, ac in (
        ("P-001", 100000.0, 90000.0, 95000.25),
        ("P-002", 20000.0, 20000.0, 18000.0),
        ("007", 150000.0, 150000.0, 160000.0),
    ):
        for i, period in enumerate(("2026-01", "2026-02", "2026-03")):
            fin_rows.append((pid, period, pv * (i + 1), ev * (i + 1), ac * (i + 1)))
    fin_rows[4] = ("P-002", "2026-02", 20000.0, -5000.0, 18000.0)  # a correction, cumulative stays >= 0
    financials = pd.DataFrame(
        fin_rows, columns=["project_id", "period", "planned_value", "earned_value", "actual_cost"]
    )
    financials[["project_id", "period"]] = financials[["project_id", "period"]].astype(object)
    milestones = pd.DataFrame(
        {
            "milestone_id": ["M-1", "M-2", "M-3"],
            "project_id": ["P-001", "P-001", "007"],
            "name": ["Pilot done", "Rollout done", "Design signed off"],
            "baseline_date": _dates("2026-03-01", "2026-09-01", "2026-02-15"),
            "forecast_date": _dates("2026-03-20", "2026-09-15", None),
            "actual_date": _dates("2026-03-18", None, "2026-02-20"),
            "key_milestone": [True, False, True],
        }
    )
    for c in ("milestone_id", "project_id", "name"):
        milestones[c] = milestones[c].astype(object)
    risks = pd.DataFrame(
        {
            "risk_id": ["R-1", "R-2"],
            "project_id": ["P-001", "007"],
            "title": ["Chip shortage", "Key engineer leaves"],
            "category": ["Supply", np.nan],
            "probability": pd.array([4, 2], dtype="int64"),
            "impact": pd.array([3, 5], dtype="int64"),
            "cost_impact": [50000.0, np.nan],
            "owner": ["Eve Stone", "Gia Rossi"],
            "status": ["open", "closed"],
            "raised_date": _dates("2026-01-10", "2026-01-15"),
            "closed_date": _dates(None, "2026-03-01"),
            "response": ["Second supplier", np.nan],
            "response_due": _dates("2026-04-30", None),
            "schedule_impact_days": pd.array([30, None], dtype="Int64"),
        }
    )
    for c in ("risk_id", "project_id", "title", "category", "owner", "status", "response"):
        risks[c] = risks[c].astype(object)
    return {
        "programs": programs,
        "projects": projects,
        "financials": financials,
        "milestones": milestones,
        "risks": risks,
        "issues": empty_table("issues"),
        "contacts": pd.DataFrame({"name": ["Chen Li", "Ana Ruiz"], "email": ["chen.li@example.org", np.nan],
                                  "role": ["Program manager", np.nan]}).astype(object),
        "benefits": pd.DataFrame({
            "benefit_id": ["B-1", "B-2"], "program_id": ["PRG-01", "PRG-02"],
            "objective": ["Modern tools for all staff", "Decisions on governed data"],
            "measure": ["Tickets per user per month", "Reports on certified data"], "unit": ["tickets", np.nan],
            "baseline": [2.5, 10.0], "target": [1.0, 80.0], "target_date": _dates("2026-12-31", "2027-06-30"),
            "actual": [2.0, np.nan], "owner": ["Ana Ruiz", "Ben Okafor"],
            "start_date": _dates("2026-01-01", None),
        }).astype({c: object for c in ("benefit_id", "program_id", "objective", "measure", "unit", "owner")}),
    }


def _text(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for c in columns:
        frame[c] = frame[c].astype(object)
    return frame


def raid_frames() -> dict[str, pd.DataFrame]:
    """Assumptions, dependencies, decisions and actions of the small portfolio: a program-level and a project-level
    item each, a dependency on a project and one on an external party, an action on a decision and one on a
    dependency."""
    assumptions = _text(pd.DataFrame({
        "assumption_id": ["A-1", "A-2"], "program_id": ["PRG-01", np.nan], "project_id": [np.nan, "007"],
        "text": ["Staff keep their own monitors", "The lake fits one region"], "owner": ["Chen Li", "Gia Rossi"],
        "status": ["open", "validated"], "validate_by": _dates("2026-04-10", None),
    }), "assumption_id", "program_id", "project_id", "text", "owner", "status")
    dependencies = _text(pd.DataFrame({
        "dependency_id": ["D-1", "D-2"], "from_project_id": ["P-002", "007"], "to_project_id": ["P-001", np.nan],
        "external_party": [np.nan, "Cloud vendor"], "description": ["Laptops for the intranet testers", "Region"],
        "needed_by": _dates("2026-09-01", "2026-02-15"), "status": ["open", "met"],
        "owner": ["Frank Moss", "Gia Rossi"],
    }), "dependency_id", "from_project_id", "to_project_id", "external_party", "description", "status", "owner")
    decisions = _text(pd.DataFrame({
        "decision_id": ["DEC-1", "DEC-2"], "program_id": ["PRG-01", np.nan], "project_id": [np.nan, "007"],
        "question": ["Buy or lease the laptops?", "Which region?"], "options": ["Buy; lease", np.nan],
        "needed_by": _dates("2026-03-20", "2026-02-01"), "decision_maker": ["Ana Ruiz", "Ben Okafor"],
        "status": ["open", "decided"], "decision": [np.nan, "West Europe"], "decided_on": _dates(None, "2026-01-30"),
    }), "decision_id", "program_id", "project_id", "question", "options", "decision_maker", "status", "decision")
    actions = _text(pd.DataFrame({
        "action_id": ["ACT-1", "ACT-2"], "parent_id": ["DEC-1", "D-2"],
        "description": ["Get two lease quotes", np.nan], "owner": ["Chen Li", "Eve Stone"],
        "due": _dates("2026-03-15", "2026-02-01"), "status": ["open", "done"],
    }), "action_id", "parent_id", "description", "owner", "status")
    return {"assumptions": assumptions, "dependencies": dependencies, "decisions": decisions, "actions": actions}


def _csv_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if s.dtype.kind == "M":
            out[c] = s.dt.strftime("%Y-%m-%d").astype(object)
        elif s.dtype == bool:
            out[c] = s.map({True: "true", False: "false"})
    return out


def write_csv(frames: dict[str, pd.DataFrame], folder: Path, tables: tuple[str, ...] = TABLE_NAMES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in tables:
        if name in frames:
            _csv_text(frames[name]).to_csv(folder / f"{name}.csv", index=False)
    return folder


def write_parquet(frames: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def write_xlsx(frames: dict[str, pd.DataFrame], path: Path, extra_sheet: bool = True) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        if extra_sheet:
            pd.DataFrame({"note": ["read me first"]}).to_excel(writer, sheet_name="README", index=False)
        for name, df in frames.items():
            df.to_excel(writer, sheet_name=name.capitalize(), index=False)
    return path


def write_sqlite(frames: dict[str, pd.DataFrame], path: Path) -> str:
    with sqlite3.connect(path) as conn:
        for name, df in frames.items():
            df.to_sql(name.upper() if name == "risks" else name, conn, index=False)
    conn.close()
    return f"sqlite:///{path}"


def csv_folder(tmp_path: Path, **replace: str) -> Path:
    """The small portfolio as CSV in tmp_path/'csv'; ``replace`` swaps a table's file text."""
    folder = write_csv(small_frames(), tmp_path / "csv")
    for name, text in replace.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def edit_csv(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell of ``folder/table.csv``; ``row`` counts like a spreadsheet (first record = 2)."""
    path = folder / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df[column] = df[column].astype(object)
    df.loc[row - 2, column] = value
    df.to_csv(path, index=False)


class JsonSource:
    """A plug-in source for the registry tests (loaded through an entry point): a .pmo.json file of tables."""

    def __new__(cls) -> object:  # built lazily so that importing the helpers does not need the registry
        from pmo_nb.data.sources import RawSource, RawTable, Source

        class _Json(Source):
            name = "pmo-json"
            description = "a .pmo.json file"

            def sniff(self, location: str) -> bool:
                return location.endswith(".pmo.json")

            def read(self, location: str, config: object) -> RawSource:
                import json

                data = json.loads(Path(location).read_text(encoding="utf-8"))
                tables = {}
                for name, rows in data.items():
                    headers = list(rows[0])
                    cells = pd.DataFrame([list(r.values()) for r in rows], dtype=object)
                    cells.index = pd.RangeIndex(2, 2 + len(cells))
                    tables[name] = RawTable(name, f"{Path(location).name}[{name}]", headers, cells)
                return RawSource(location, tables, {}, f"in {location}")

        return _Json()
