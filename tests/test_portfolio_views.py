"""Portfolio views: key milestones ahead, roadmap rows, the compliance trend's data, benefit texts, and the charts
built from them (hand-built frames, no report)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_nb.metrics.history import History
from pmo_nb.metrics.roadmap import key_milestones_ahead, roadmap_rows
from pmo_nb.periods import Period
from pmo_nb.reporting.charts import views as view_charts
from pmo_nb.reporting.views import benefits_sentence, compliance_trend_data, value_text

AS_OF = pd.Timestamp("2026-10-31")
PROGRAMS = pd.DataFrame({"program_id": ["P1", "P2"], "name": ["Alpha", "Beta"]})
PROJECTS = pd.DataFrame({
    "project_id": ["A1", "A2", "B1"], "program_id": ["P1", "P1", "P2"], "name": ["Portal", "CRM", "Ledger"],
    "baseline_start": pd.to_datetime(["2026-03-01", "2026-01-01", "2026-02-01"]),
    "baseline_finish": pd.to_datetime(["2027-03-31", "2026-12-31", "2027-06-30"]),
    "forecast_finish": pd.to_datetime(["2027-05-30", None, "2027-06-20"]),
    "rag": ["red", "green", "amber"], "closed": [False, False, False],
})


def test_key_milestones_ahead_are_the_one_upcoming_list_laid_out_by_date():
    from kpi_scenarios import typed

    from pmo_nb.data.model import Portfolio
    from pmo_nb.metrics.kpis import compute

    projects = typed("projects", [
        {"project_id": pid, "program_id": prog, "name": name, "manager": "m", "phase": "execution",
         "baseline_start": "2026-01-01", "baseline_finish": "2027-06-30", "budget": 1.0}
        for pid, prog, name in (("A1", "P1", "Portal"), ("A2", "P1", "CRM"), ("B1", "P2", "Ledger"))])

    def ms(mid, pid, baseline, forecast=None, actual=None, key=True):
        return {"milestone_id": mid, "project_id": pid, "name": f"ms {mid}", "baseline_date": baseline,
                "forecast_date": forecast, "actual_date": actual, "key_milestone": key}

    milestones = typed("milestones", [
        ms("M8", "B1", "2027-01-20", "2027-01-29"),  # the last day of the 90-day window: in (slip 9)
        ms("M1", "A1", "2026-11-01", "2026-11-10"),  # in, 9 days late
        ms("M2", "A2", "2026-12-01"),  # no forecast: its baseline date, in, no slip
        ms("M3", "A1", "2026-11-15", "2026-11-15", actual="2026-10-20"),  # achieved: out
        ms("M4", "A1", "2026-11-20", key=False),  # not a key milestone: out
        ms("M5", "A2", "2027-01-10", "2027-02-15"),  # forecast beyond the window: out
        ms("M6", "B1", "2026-10-01", "2026-10-20"),  # overdue (before the status date): missed, not ahead
        ms("M9", "B1", "2026-12-10", "2026-11-30"),  # early: in, slip -10
    ])
    pf = Portfolio(programs=typed("programs", [{"program_id": "P1", "name": "Alpha", "sponsor": "s", "manager": "m"},
                                               {"program_id": "P2", "name": "Beta", "sponsor": "s", "manager": "m"}]),
                   projects=projects, financials=typed("financials", []), milestones=milestones,
                   missing_tables=("financials", "risks", "issues"))
    kpis = compute(pf, "2026-10")
    got = key_milestones_ahead(kpis.upcoming_milestones(key_only=True), kpis.projects, kpis.programs)
    assert got["milestone_id"].tolist() == ["M1", "M9", "M2", "M8"]
    assert len(got) == kpis.portfolio.iloc[0]["ms_key_upcoming"]  # the count the summary states
    assert got["slip_days"].tolist() == [9, -10, 0, 9]
    assert got["program"].tolist() == ["Alpha", "Beta", "Alpha", "Beta"]
    assert got["project"].tolist() == ["Portal", "Ledger", "CRM", "Ledger"]
    assert got.loc[2, "date"] == pd.Timestamp("2026-12-01") and pd.isna(got.loc[2, "forecast_date"])
    assert key_milestones_ahead(kpis.upcoming_milestones(key_only=True).iloc[:0], kpis.projects, kpis.programs).empty


def test_roadmap_rows_have_the_baseline_and_forecast_bars_by_program():
    got = roadmap_rows(PROJECTS, PROGRAMS)
    assert got["project_id"].tolist() == ["A2", "A1", "B1"]  # Alpha by start, then Beta
    assert got["forecast_finish"].tolist() == list(pd.to_datetime(["2026-12-31", "2027-05-30", "2027-06-20"]))
    assert got["delay_days"].tolist() == [0, 60, -10]  # no forecast: the baseline finish
    assert got["start"].tolist() == list(pd.to_datetime(["2026-01-01", "2026-03-01", "2026-02-01"]))


def test_compliance_trend_reads_the_programs_compliance_by_month():
    frame = pd.DataFrame({
        "period": ["2026-09", "2026-09", "2026-10", "2026-10", "2026-10"],
        "level": ["program", "program", "program", "program", "portfolio"],
        "id": ["P1", "P2", "P1", "P2", None],
        "compliance_pct": [0.8, np.nan, 0.75, 0.9, 0.8],
        "recomputed": [True, True, False, False, False],
    })
    history = History(frame=frame, months=(Period("2026-09"), Period("2026-10")), missing=())
    got = compliance_trend_data(history, ["P1", "P2"], {"P1": "Alpha", "P2": "Beta"})
    assert got.to_dict("list") == {"period": ["2026-09", "2026-10", "2026-10"], "program": ["Alpha", "Alpha", "Beta"],
                                   "value": [0.8, 0.75, 0.9], "recomputed": [True, False, False]}
    old = History(frame=frame.drop(columns="compliance_pct"), months=history.months, missing=())
    assert compliance_trend_data(old, ["P1"], {}).empty


@pytest.mark.parametrize("value,unit,text", [
    (50.7, "%", "50.7%"), (437000.0, "EUR", "437,000 EUR"), (8.5, "incidents", "8.5 incidents"), (4.2, None, "4.2"),
    (np.nan, "%", "n/a"),
])
def test_a_measure_reads_with_its_unit(value, unit, text):
    assert value_text(value, unit) == text


def test_the_benefits_sentence_names_the_ones_at_risk_and_the_share_by_value():
    reg = pd.DataFrame({"status": ["at risk", "on track", "not measured"], "measure": ["Cost per call", "CSAT", "NPS"]})
    by_value = pd.Series({"realised_pct": 0.48, "planned_pct": 0.5, "unit": "%", "pct_na_reason": None})
    assert benefits_sentence(reg, by_value, "program") == (
        "3 benefits: 1 at risk (Cost per call), 1 not measured yet, 1 on track; 48.0% of the planned change in % "
        "realised by value (50.0% planned by now).")
    mixed = pd.Series({"realised_pct": np.nan, "planned_pct": np.nan, "unit": None, "pct_na_reason": "units differ"})
    assert benefits_sentence(reg, mixed, "program").endswith(
        "No share realised by value (units differ): each benefit is read against its own trajectory.")
    assert benefits_sentence(reg.iloc[:0], mixed, "portfolio") == "No benefit is recorded for this portfolio."


def test_the_charts_build_from_the_tidy_frames():
    road = view_charts.roadmap(roadmap_rows(PROJECTS, PROGRAMS), status_date=AS_OF, title="t").to_dict()
    assert road["facet"]["row"]["field"] == "program"
    assert {"Red", "Green", "Amber"} <= set(road["spec"]["layer"][1]["encoding"]["color"]["scale"]["domain"])
    trend = pd.DataFrame({"period": ["2026-09", "2026-10"], "program": ["Alpha"] * 2, "value": [0.8, 0.75],
                          "recomputed": [True, False]})
    assert view_charts.compliance_trend(trend).to_dict()["layer"][0]["mark"]["type"] == "line"
    empty = view_charts.compliance_trend(trend.iloc[:0]).to_dict()
    assert empty["mark"]["type"] == "text"  # "No compliance history"
    bars = pd.DataFrame({"label": ["B1 x", "B2 y"], "planned_share": [0.5, 0.25], "realised_share": [0.35, np.nan],
                         "status": ["at risk", "not measured"]})
    spec = view_charts.benefit_progress(bars).to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["at risk", "not measured"]
