"""What changed between two snapshots: hand-made snapshots, CSV round-trip, and compute() end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pmo_nb.exceptions import SourceError
from pmo_nb.metrics.changes import Changes, compare, load_snapshot

NAN = np.nan
ENTITY = ["period", "level", "id", "program_id", "project_id", "name", "rag", "cpi", "spi", "spi_t", "eac",
          "forecast_finish"]
ITEM = ["period", "level", "id", "program_id", "project_id", "name", "status", "band", "score"]


def snapshot(period: str, entities: list[tuple], items: list[tuple]) -> pd.DataFrame:
    """A snapshot frame with the contract's columns, built from short tuples."""
    e = pd.DataFrame([(period, *row) for row in entities], columns=ENTITY)
    i = pd.DataFrame([(period, *row) for row in items], columns=ITEM)
    out = pd.concat([e, i], ignore_index=True)
    out["rag_reason"] = None
    for c in ("cpi", "spi", "spi_t", "eac", "score"):
        out[c] = out[c].astype("float64")
    return out


PREVIOUS = snapshot(
    "2026-09",
    [
        # level, id, program_id, project_id, name, rag, cpi, spi, spi_t, eac, forecast_finish
        ("portfolio", "portfolio", None, None, "Acme", "amber", 0.95, 0.90, 0.92, 1000.0, "2027-03-31"),
        ("program", "G1", "G1", None, "Alpha", "green", 1.00, 1.00, NAN, 500.0, "2027-01-31"),
        ("program", "G2", "G2", None, "Beta", "red", 0.80, 0.85, 0.84, 500.0, "2027-03-31"),
        ("project", "P1", "G1", "P1", "One", "green", 1.02, 0.98, 0.97, 200.0, "2026-12-31"),
        ("project", "P2", "G1", "P2", "Two", "amber", 0.92, 0.99, 0.99, 300.0, "2027-01-31"),
        ("project", "P3", "G2", "P3", "Three", None, NAN, NAN, NAN, NAN, "2027-03-31"),
    ],
    [
        # level, id, program_id, project_id, name, status, band, score
        ("milestone", "M1", None, "P1", "Design", "upcoming", None, NAN),
        ("milestone", "M2", None, "P1", "Build", "missed", None, NAN),
        ("milestone", "M3", None, "P2", "Test", "future", None, NAN),
        ("milestone", "M4", None, "P2", "Pilot", "missed", None, NAN),
        ("risk", "R1", None, "P1", "Vendor", "open", "high", 12.0),
        ("risk", "R2", None, "P2", "Skills", "open", "medium", 6.0),
        ("risk", "R3", None, "P2", "Budget", "open", "critical", 25.0),
        ("issue", "I1", None, "P1", "Licences", "open", "high", NAN),
        ("issue", "I2", None, "P2", "Staffing", "open", "low", NAN),
    ],
)

CURRENT = snapshot(
    "2026-10",
    [
        ("portfolio", "portfolio", None, None, "Acme", "red", 0.91, 0.90, 0.93, 1100.0, "2027-04-30"),
        ("program", "G1", "G1", None, "Alpha", "amber", 0.97, 0.96, 0.95, 520.0, "2027-01-31"),
        ("program", "G2", "G2", None, "Beta", "green", 0.99, 0.97, 0.98, 480.0, "2027-03-31"),
        ("project", "P1", "G1", "P1", "One", "green", 1.00, 0.98, 0.96, 210.0, "2027-01-15"),
        ("project", "P2", "G1", "P2", "Two", "red", 0.85, 0.90, 0.88, 310.0, "2027-01-31"),
        ("project", "P3", "G2", "P3", "Three", "green", 1.00, 1.00, 1.00, 100.0, "2027-03-31"),
        ("project", "P4", "G2", "P4", "Four", "green", 1.00, 1.00, 1.00, 50.0, "2027-02-28"),
    ],
    [
        ("milestone", "M1", None, "P1", "Design", "achieved_on_time", None, NAN),
        ("milestone", "M2", None, "P1", "Build", "achieved_late", None, NAN),
        ("milestone", "M3", None, "P2", "Test", "missed", None, NAN),
        ("milestone", "M4", None, "P2", "Pilot", "missed", None, NAN),
        ("milestone", "M5", None, "P3", "Deploy", "missed", None, NAN),
        ("risk", "R1", None, "P1", "Vendor", "open", "critical", 20.0),
        ("risk", "R2", None, "P2", "Skills", "closed", "medium", 6.0),
        ("risk", "R3", None, "P2", "Budget", "open", "critical", 25.0),
        ("risk", "R4", None, "P1", "Scope", "open", "low", 2.0),
        ("risk", "R5", None, "P4", "Weather", "closed", "low", 1.0),
        ("issue", "I1", None, "P1", "Licences", "closed", "high", NAN),
        ("issue", "I2", None, "P2", "Staffing", "open", "low", NAN),
        ("issue", "I3", None, "P2", "Access", "open", "medium", NAN),
    ],
)


@pytest.fixture
def changes() -> Changes:
    return compare(CURRENT, PREVIOUS)


def test_periods_and_availability(changes):
    assert changes.available is True
    assert (changes.period, changes.previous_period) == ("2026-10", "2026-09")


def test_rag_changes(changes):
    got = changes.rag[["level", "id", "from", "to", "direction"]].values.tolist()
    assert got == [
        ["portfolio", "portfolio", "amber", "red", "worsened"],
        ["program", "G1", "green", "amber", "worsened"],
        ["program", "G2", "red", "green", "improved"],
        ["project", "P2", "amber", "red", "worsened"],
    ]  # P1 unchanged; P3 had no RAG before; P4 is new


@pytest.mark.parametrize(
    "level, id_, metric, previous, current, delta",
    [
        ("portfolio", "portfolio", "cpi", 0.95, 0.91, -0.04),
        ("portfolio", "portfolio", "eac", 1000.0, 1100.0, 100.0),
        ("portfolio", "portfolio", "forecast_finish", "2027-03-31", "2027-04-30", 30.0),
        ("portfolio", "portfolio", "spi", 0.90, 0.90, 0.0),
        ("program", "G1", "spi_t", None, 0.95, NAN),
        ("project", "P1", "forecast_finish", "2026-12-31", "2027-01-15", 15.0),
        ("project", "P3", "cpi", None, 1.00, NAN),
        ("project", "P3", "forecast_finish", "2027-03-31", "2027-03-31", 0.0),
    ],
)
def test_metric_movement(changes, level, id_, metric, previous, current, delta):
    m = changes.metrics
    row = m[(m["level"] == level) & (m["id"] == id_) & (m["metric"] == metric)]
    assert len(row) == 1
    row = row.iloc[0]
    assert row["previous"] == (pytest.approx(previous) if isinstance(previous, float) else previous)
    assert row["current"] == (pytest.approx(current) if isinstance(current, float) else current)
    assert (math.isnan(delta) and math.isnan(row["delta"])) or row["delta"] == pytest.approx(delta)


def test_metrics_cover_entities_in_both_months_only(changes):
    m = changes.metrics
    assert "P4" not in set(m["id"])
    assert m[["level", "id"]].drop_duplicates().values.tolist() == [
        ["portfolio", "portfolio"], ["program", "G1"], ["program", "G2"],
        ["project", "P1"], ["project", "P2"], ["project", "P3"]]
    assert m["delta"].dtype == "float64"


def test_items(changes):
    assert changes.milestones_missed["id"].tolist() == ["M3", "M5"]   # M4 was already missed
    assert changes.milestones_achieved["id"].tolist() == ["M1", "M2"]
    assert changes.milestones_achieved["previous_status"].tolist() == ["upcoming", "missed"]
    assert changes.risks_raised["id"].tolist() == ["R4", "R5"]
    assert changes.risks_closed["id"].tolist() == ["R2", "R5"]        # R5 raised and closed in the month
    esc = changes.risks_escalated
    assert esc[["id", "previous_band", "band", "previous_score", "score"]].values.tolist() == [
        ["R1", "high", "critical", 12.0, 20.0]]
    assert changes.issues_raised["id"].tolist() == ["I3"]
    assert changes.issues_closed["id"].tolist() == ["I1"]


def test_item_program_comes_from_the_project_rows(changes):
    assert changes.milestones_missed["program_id"].tolist() == ["G1", "G2"]


def test_summary_for_project_program_and_portfolio(changes):
    p1 = changes.summary("project", "P1")
    assert (p1["rag_from"], p1["rag_to"], p1["rag_direction"]) == (None, None, None)
    assert p1["cpi_previous"] == 1.02 and p1["cpi_current"] == 1.00
    assert p1["forecast_finish_delta"] == 15.0
    assert p1["milestones_achieved"] == ["M1", "M2"] and p1["n_risks_raised"] == 1
    assert p1["risks_escalated"] == ["R1"] and p1["issues_closed"] == ["I1"]
    g1 = changes.summary("program", "G1")
    assert (g1["rag_from"], g1["rag_to"], g1["rag_direction"]) == ("green", "amber", "worsened")
    assert g1["spi_t_previous"] is None and g1["spi_t_current"] == 0.95
    assert g1["milestones_missed"] == ["M3"] and g1["n_issues_raised"] == 1
    pf = changes.summary("portfolio")
    assert pf["rag_direction"] == "worsened" and pf["n_milestones_missed"] == 2 and pf["n_risks_closed"] == 2
    with pytest.raises(ValueError, match="level must be one of"):
        changes.summary("risk", "R1")


@pytest.mark.parametrize("previous", [None, PREVIOUS.iloc[0:0]])
def test_no_previous_snapshot(previous):
    c = compare(CURRENT, previous)
    assert c.available is False and c.previous_period is None and c.period == "2026-10"
    for name, frame in c.frames().items():
        assert len(frame) == 0, name
    assert list(c.rag.columns) == ["level", "id", "name", "program_id", "from", "to", "direction"]
    s = c.summary("project", "P1")
    assert s["available"] is False and s["n_milestones_missed"] == 0 and s["cpi_delta"] is None


def assert_changes_equal(a: Changes, b: Changes) -> None:
    assert (a.available, a.period, a.previous_period) == (b.available, b.period, b.previous_period)
    for name, frame in a.frames().items():
        pd.testing.assert_frame_equal(frame, b.frames()[name], obj=name)


def test_row_order_does_not_matter(changes):
    shuffled = compare(CURRENT.sample(frac=1, random_state=1), PREVIOUS.sample(frac=1, random_state=2))
    assert_changes_equal(changes, shuffled)


def test_csv_round_trip_gives_the_same_changes(changes, tmp_path):
    CURRENT.to_csv(tmp_path / "cur.csv", index=False)
    PREVIOUS.to_csv(tmp_path / "prev.csv", index=False)
    assert_changes_equal(changes, compare(CURRENT, load_snapshot(tmp_path / "prev.csv")))
    both_stored = compare(load_snapshot(tmp_path / "cur.csv"), load_snapshot(tmp_path / "prev.csv"))
    assert_changes_equal(changes, both_stored)


def test_load_snapshot_types(tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_text(
        "period,level,id,program_id,project_id,name,cpi,eac,rag,forecast_finish,status,band,score,ms_missed\n"
        "2026-10,project,007,G1,007,1984,0.5,,red,2027-01-31,,,,2\n"
        "2026-10,risk,R1,,007,Vendor,,,,,open,high,12,\n",
        encoding="utf-8",
    )
    snap = load_snapshot(path)
    assert snap.loc[0, "id"] == "007" and snap.loc[0, "name"] == "1984"
    assert snap.loc[0, "forecast_finish"] == "2027-01-31"
    assert snap["cpi"].dtype == "float64" and snap.loc[0, "cpi"] == 0.5
    assert math.isnan(snap.loc[0, "eac"]) and pd.isna(snap.loc[1, "rag"])
    assert snap.loc[1, "score"] == 12.0 and snap["ms_missed"].dtype == "float64"


def test_load_snapshot_missing_file_names_it(tmp_path):
    path = tmp_path / "2026-09" / "kpis.csv"
    with pytest.raises(SourceError, match="not found") as info:
        load_snapshot(path)
    assert info.value.path == str(path)


@pytest.mark.parametrize(
    "content, match",
    [
        ("", "not a KPI snapshot"),
        ("project_id,period,planned_value\nP1,2026-10,5\n", "lacks the column"),
        ("period,level,id\n2026-10,galaxy,X\n", "unknown level"),
        ("period,level,id,cpi\n2026-10,project,P1,high\n", r"row 2, column 'cpi'"),
    ],
)
def test_load_snapshot_rejects_what_is_not_a_snapshot(tmp_path, content, match):
    path = tmp_path / "kpis.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=match) as info:
        load_snapshot(path)
    assert str(path) in str(info.value)


# --- End to end with compute(): recomputed and stored previous snapshots are interchangeable. ---

def _portfolio():
    from pmo_nb.data.model import Portfolio

    d = pd.to_datetime
    programs = pd.DataFrame({"program_id": ["G1", "G2"], "name": ["Alpha", "Beta"], "sponsor": ["S", "T"],
                             "manager": ["M", "N"], "objective": [None, None]})
    projects = pd.DataFrame({
        "project_id": ["P1", "P2", "007"], "program_id": ["G1", "G1", "G2"], "name": ["One", "Two", "Seven"],
        "manager": ["A", "B", "C"], "phase": ["execution"] * 3,
        "baseline_start": d(["2026-08-01"] * 3),
        "baseline_finish": d(["2027-01-31", "2027-03-31", "2026-12-31"]),
        "forecast_finish": d(["2027-02-28", None, None]), "budget": [600.0, 1200.0, 500.0],
        "reported_status": ["green", "green", None], "status_comment": [None] * 3,
        "last_updated": d(["2026-10-20"] * 3),
    })
    months = ["2026-08", "2026-09", "2026-10"]
    financials = pd.DataFrame({
        "project_id": [p for p in ("P1", "P2", "007") for _ in months],
        "period": months * 3,
        "planned_value": [100.0, 100.0, 100.0, 200.0, 200.0, 200.0, 100.0, 100.0, 100.0],
        "earned_value": [100.0, 100.0, 60.0, 200.0, 150.0, 100.0, 100.0, 110.0, 100.0],
        "actual_cost": [100.0, 100.0, 120.0, 200.0, 200.0, 200.0, 100.0, 100.0, 90.0],
    })
    milestones = pd.DataFrame({
        "milestone_id": ["M1", "M2", "M3"], "project_id": ["P1", "P2", "007"],
        "name": ["Design", "Build", "Pilot"],
        "baseline_date": d(["2026-10-15", "2026-09-30", "2026-12-01"]),
        "forecast_date": d([None, "2026-11-30", None]),
        "actual_date": d(["2026-10-15", None, None]),
        "key_milestone": [True, True, False],
    })
    risks = pd.DataFrame({
        "risk_id": ["R1", "R2", "R3"], "project_id": ["P1", "P2", "007"],
        "title": ["Vendor", "Skills", "Scope"],
        "category": [None] * 3, "probability": np.array([3, 2, 4], dtype="int64"),
        "impact": np.array([4, 2, 5], dtype="int64"), "cost_impact": [100.0, np.nan, 50.0],
        "owner": ["O"] * 3, "status": ["open", "closed", "open"],
        "raised_date": d(["2026-08-10", "2026-08-10", "2026-10-02"]),
        "closed_date": d([None, "2026-10-31", None]), "response": [None] * 3,
        "response_due": d([None] * 3),
    })
    issues = pd.DataFrame({
        "issue_id": ["I1", "I2"], "project_id": ["P1", "007"], "title": ["Licences", "Access"],
        "severity": ["high", "low"], "status": ["closed", "open"], "owner": ["O", "O"],
        "opened_date": d(["2026-09-01", "2026-10-31"]), "closed_date": d(["2026-10-10", None]),
    })
    return Portfolio(programs=programs, projects=projects, financials=financials, milestones=milestones,
                     risks=risks, issues=issues, source="test")


def test_compute_snapshots_recomputed_or_stored_are_interchangeable(tmp_path: Path):
    kpis = pytest.importorskip("pmo_nb.metrics.kpis")
    portfolio = _portfolio()
    current = kpis.compute(portfolio, "2026-10").snapshot()
    previous = kpis.compute(portfolio, "2026-09").snapshot()
    previous.to_csv(tmp_path / "kpis.csv", index=False)
    current.to_csv(tmp_path / "current.csv", index=False)
    recomputed = compare(current, previous)
    stored = compare(current, load_snapshot(tmp_path / "kpis.csv"))
    assert_changes_equal(recomputed, stored)
    assert_changes_equal(recomputed, compare(load_snapshot(tmp_path / "current.csv"),
                                             load_snapshot(tmp_path / "kpis.csv")))

    # What the month's events must show.
    assert recomputed.available and recomputed.previous_period == "2026-09"
    assert recomputed.milestones_achieved["id"].tolist() == ["M1"]      # achieved 2026-10-15
    assert recomputed.milestones_missed["id"].tolist() == []            # M2 was missed in September already
    assert recomputed.risks_raised["id"].tolist() == ["R3"]             # raised 2026-10-02
    assert recomputed.risks_closed["id"].tolist() == ["R2"]             # closed 2026-10-31 = end(M)
    assert recomputed.issues_raised["id"].tolist() == ["I2"]            # opened on end(M), id stays text
    assert recomputed.issues_closed["id"].tolist() == ["I1"]
    m = recomputed.metrics
    cpi = m[(m["id"] == "P1") & (m["metric"] == "cpi")].iloc[0]
    assert (cpi["previous"], cpi["current"]) == (1.0, pytest.approx(260 / 320))
    seven = recomputed.summary("project", "007")
    assert seven["risks_raised"] == ["R3"] and seven["issues_raised"] == ["I2"]


# ---------------------------------------------------------------------------------------------
# Safe spreadsheets out, and back (issue 13 item 5).

HOSTILE_NAMES = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "=2+5", "@SUM(A1)", "-2+3",
                 "\tTab", "'=quoted", "Plain"]


def test_written_snapshot_is_escaped_and_reads_back_unchanged(tmp_path):
    from pmo_nb.metrics.changes import write_snapshot

    snap = CURRENT.copy()
    snap.loc[: len(HOSTILE_NAMES) - 1, "name"] = HOSTILE_NAMES
    snap.loc[1, "id"] = "=G1"
    snap.loc[0, "eac"] = 10737470.649999999
    path = write_snapshot(snap, tmp_path / "kpis.csv", "EUR")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert all(not line.split(",")[5].startswith(("=", "+", "@")) for line in lines[1:] if line.count(",") > 5)
    assert "'=HYPERLINK" in text and "'+cmd" in text and ",'=G1," in text and "''=quoted" in text
    assert "10737470.65," in text and "649999" not in text
    back = load_snapshot(path)
    assert back.loc[: len(HOSTILE_NAMES) - 1, "name"].tolist() == HOSTILE_NAMES
    assert back.loc[1, "id"] == "=G1" and back.loc[0, "eac"] == 10737470.65


def test_older_unescaped_snapshot_still_reads(tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_text("period,level,id,program_id,project_id,name,cpi\n"
                    "2026-09,project,P1,G1,P1,=2+5,0.95\n"
                    "2026-09,project,P2,G1,P2,'quoted,1.0\n", encoding="utf-8")
    snap = load_snapshot(path)
    assert snap["name"].tolist() == ["=2+5", "'quoted"] and snap["cpi"].tolist() == [0.95, 1.0]


def test_snapshot_resaved_with_semicolons_and_decimal_commas_is_read(tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_bytes("\ufeffperiod;level;id;program_id;project_id;name;cpi;eac;forecast_finish\n"
                     "2026-09;project;P1;G1;P1;'=2+5;0,95;1.234,5;2027-01-31\n".encode())
    snap = load_snapshot(path)
    assert (snap.loc[0, "name"], snap.loc[0, "cpi"], snap.loc[0, "eac"]) == ("=2+5", 0.95, 1234.5)
    assert snap.loc[0, "forecast_finish"] == "2027-01-31"


@pytest.mark.parametrize(
    "content, match",
    [
        ("period;level;id;forecast_finish\n2026-09;project;P1;31/01/2027\n",
         r"row 2, column 'forecast_finish': value '31/01/2027' is not a YYYY-MM-DD date; it looks re-saved"),
        ("period;level;id;cpi\n2026-09;project;P1;0,95 x\n", r"row 2, column 'cpi'.*re-saved"),
    ],
)
def test_snapshot_a_spreadsheet_changed_is_refused_clearly(tmp_path, content, match):
    path = tmp_path / "kpis.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=match):
        load_snapshot(path)


def test_snapshot_not_in_utf8_is_refused_clearly(tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_bytes("period,level,id,name\n2026-09,project,P1,Caf\xe9\n".encode("cp1252"))
    with pytest.raises(SourceError, match="not UTF-8"):
        load_snapshot(path)
