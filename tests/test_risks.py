"""Risk register, summaries, heat map, top risks and exposure trend (hand-computed, month 2026-10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_nb.config import Config, parse_config
from pmo_nb.data.model import empty_table
from pmo_nb.exceptions import DataValidationError, PeriodError
from pmo_nb.metrics.risks import exposure_trend, heatmap_counts, risk_register, risk_summary, top_risks

ROWS = [
    # id, project, p, i, cost, raised, closed, response_due
    ("R1", "P1", 5, 5, 1000.0, "2026-01-10", None, "2026-10-31"),         # 25 critical, due on end(M)
    ("R2", "P1", 4, 4, np.nan, "2026-10-01", None, "2026-11-01"),         # 16 high, no cost, raised in M
    ("R3", "P1", 2, 3, 500.0, "2026-05-01", "2026-10-31", "2026-06-01"),  # 6 medium, closed on end(M)
    ("R4", "P2", 3, 4, 2000.0, "2026-02-01", "2026-11-01", None),         # 12 high, closed after end(M)
    ("R5", "P2", 1, 1, 100.0, "2026-11-01", None, None),                  # raised after end(M): not listed
    ("R6", "P2", 4, 5, 100.0, "2026-03-01", "2026-09-15", None),          # 20 critical, closed before M
    ("R7", "P2", 5, 5, 1000.0, "2026-06-01", None, None),                 # ties R1 on score and EMV
]


def make_risks(rows=ROWS) -> pd.DataFrame:
    ids, projects, p, i, cost, raised, closed, due = zip(*rows, strict=True)
    n = len(ids)
    return pd.DataFrame(
        {
            "risk_id": list(ids),
            "project_id": list(projects),
            "title": [f"Risk {x}" for x in ids],
            "category": ["Technical"] * n,
            "probability": np.array(p, dtype="int64"),
            "impact": np.array(i, dtype="int64"),
            "cost_impact": np.array(cost, dtype="float64"),
            "owner": ["Ann"] * n,
            "status": ["open" if c is None else "closed" for c in closed],
            "raised_date": pd.to_datetime(list(raised)),
            "closed_date": pd.to_datetime(list(closed)),
            "response": [""] * n,
            "response_due": pd.to_datetime(list(due)),
        }
    )


@pytest.fixture
def register() -> pd.DataFrame:
    return risk_register(make_risks(), "2026-10", Config())


@pytest.mark.parametrize(
    "rid, is_open, score, band, emv, cost_missing, overdue, raised_in, closed_in",
    [
        ("R1", True, 25, "critical", 900.0, False, True, False, False),
        ("R2", True, 16, "high", 0.0, True, False, True, False),
        ("R3", False, 6, "medium", 150.0, False, False, False, True),
        ("R4", True, 12, "high", 1000.0, False, False, False, False),
        ("R6", False, 20, "critical", 70.0, False, False, False, False),
        ("R7", True, 25, "critical", 900.0, False, False, False, False),
    ],
)
def test_register_row(register, rid, is_open, score, band, emv, cost_missing, overdue, raised_in, closed_in):
    row = register.set_index("risk_id").loc[rid]
    assert bool(row["open"]) is is_open
    assert row["score"] == score and row["band"] == band
    assert row["emv"] == pytest.approx(emv)
    assert bool(row["cost_missing"]) is cost_missing
    assert bool(row["response_overdue"]) is overdue
    assert (bool(row["raised_in_month"]), bool(row["closed_in_month"])) == (raised_in, closed_in)


def test_register_lists_risks_raised_by_end_of_month_only(register):
    assert register["risk_id"].tolist() == ["R1", "R2", "R3", "R4", "R6", "R7"]
    assert list(register.columns[:13]) == list(make_risks().columns)


def test_summary_by_project(register):
    s = risk_summary(register)
    assert s.index.tolist() == ["P1", "P2"]
    assert s.loc["P1"].to_dict() == dict(risks_open=2, risks_critical_open=1, risks_high_open=1,
                                         risks_overdue=1, emv_open=900.0, risks_raised=1, risks_closed=1)
    assert s.loc["P2"].to_dict() == dict(risks_open=2, risks_critical_open=1, risks_high_open=1,
                                         risks_overdue=0, emv_open=1900.0, risks_raised=0, risks_closed=0)
    assert s["risks_open"].dtype == "int64" and s["emv_open"].dtype == "float64"


def test_summary_by_program(register):
    projects = pd.DataFrame({"project_id": ["P1", "P2"], "program_id": ["G1", "G1"]})
    s = risk_summary(register, by="program_id", projects=projects)
    assert s.loc["G1"].to_dict() == dict(risks_open=4, risks_critical_open=2, risks_high_open=2,
                                         risks_overdue=1, emv_open=2800.0, risks_raised=1, risks_closed=1)


def test_heatmap_counts_open_risks_on_full_grid(register):
    h = heatmap_counts(register)
    assert len(h) == 25 and list(h.columns) == ["probability", "impact", "score", "band", "count"]
    counts = {(p, i): c for p, i, c in zip(h["probability"], h["impact"], h["count"], strict=True)}
    assert counts[(5, 5)] == 2 and counts[(4, 4)] == 1 and counts[(3, 4)] == 1
    assert h["count"].sum() == 4
    cell = h[(h["probability"] == 4) & (h["impact"] == 5)].iloc[0]
    assert (cell["score"], cell["band"], cell["count"]) == (20, "critical", 0)  # R6 is closed


def test_no_risks_gives_empty_heatmap_of_25_zeros():
    reg = risk_register(empty_table("risks"), "2026-10", Config())
    h = heatmap_counts(reg)
    assert len(h) == 25 and (h["count"] == 0).all()
    assert h["band"].tolist()[:5] == ["low", "low", "low", "low", "medium"]
    assert len(risk_summary(reg)) == 0 and len(top_risks(reg)) == 0


def test_top_risks_by_score_then_emv_then_id(register):
    assert top_risks(register)["risk_id"].tolist() == ["R1", "R7", "R2", "R4"]
    assert top_risks(register, n=2)["risk_id"].tolist() == ["R1", "R7"]
    rows = [("A", "P1", 3, 4, 100.0, "2026-01-01", None, None),   # 12, EMV 50
            ("B", "P1", 4, 3, 100.0, "2026-01-01", None, None)]   # 12, EMV 70: first
    reg = risk_register(make_risks(rows), "2026-10", Config())
    assert top_risks(reg)["risk_id"].tolist() == ["B", "A"]


CUSTOM = parse_config({"risks": {"bands": {"low": [1, 3], "medium": [4, 8], "high": [9, 15],
                                           "critical": [16, 25]},
                                 "probability_scale": {"1": 0.05, "2": 0.25, "3": 0.5, "4": 0.5, "5": 0.95}}})


def test_config_bands_and_scale_are_used():
    reg = risk_register(make_risks(), "2026-10", CUSTOM).set_index("risk_id")
    assert reg.loc["R2", "band"] == "critical"     # 16 is critical under the custom bands
    assert reg.loc["R4", "band"] == "high"
    assert reg.loc["R1", "emv"] == pytest.approx(950.0)
    assert reg.loc["R4", "emv"] == pytest.approx(1000.0)
    s = risk_summary(reg.reset_index())
    assert s.loc["P1", "risks_critical_open"] == 2 and s.loc["P1", "emv_open"] == pytest.approx(950.0)


def test_heatmap_bands_follow_the_register_config():
    reg = risk_register(make_risks(), "2026-10", CUSTOM)
    for h in (heatmap_counts(reg), heatmap_counts(reg, CUSTOM)):
        band = h.set_index(["probability", "impact"])["band"]
        assert band[(4, 4)] == "critical" and band[(1, 3)] == "low" and band[(2, 2)] == "medium"


# period -> (open_risks, critical_open, emv_open, score_open); see ROWS.
TREND = {
    "2026-08": (5, 3, 3020.0, 88.0),   # R1 R3 R4 R6 R7
    "2026-09": (4, 2, 2950.0, 68.0),   # R6 closed 09-15
    "2026-10": (4, 2, 2800.0, 78.0),   # R3 closed 10-31, R2 raised
    "2026-11": (4, 2, 1810.0, 67.0),   # R4 closed 11-01, R5 raised
}


def test_exposure_trend():
    t = exposure_trend(make_risks(), ["2026-11", "2026-08", "2026-10", "2026-09"], Config())
    assert t["period"].tolist() == sorted(TREND)
    for _, row in t.iterrows():
        got = (row["open_risks"], row["critical_open"], row["emv_open"], row["score_open"])
        assert got == TREND[row["period"]]
    assert t["open_risks"].dtype == "int64"


def test_exposure_trend_matches_register_each_month():
    risks = make_risks()
    t = exposure_trend(risks, ["2026-08", "2026-09", "2026-10", "2026-11"], Config()).set_index("period")
    for period in t.index:
        reg = risk_register(risks, period, Config())
        open_ = reg[reg["open"]]
        assert t.loc[period, "open_risks"] == len(open_)
        assert t.loc[period, "emv_open"] == pytest.approx(open_["emv"].sum())


def test_exposure_trend_by_project_sums_to_total():
    risks = make_risks()
    periods = ["2026-08", "2026-09", "2026-10", "2026-11"]
    t = exposure_trend(risks, periods, Config(), by="project_id")
    assert list(t.columns) == [
        "period", "project_id", "open_risks", "critical_open", "emv_open", "score_open"]
    assert len(t) == 8
    p1_aug = t[(t["project_id"] == "P1") & (t["period"] == "2026-08")].iloc[0]
    assert (p1_aug["open_risks"], p1_aug["emv_open"], p1_aug["score_open"]) == (2, 1050.0, 31.0)  # R1 R3
    total = t.groupby("period")[["open_risks", "emv_open"]].sum()
    assert total["open_risks"].tolist() == [v[0] for v in TREND.values()]
    assert total["emv_open"].tolist() == [v[2] for v in TREND.values()]


def test_exposure_trend_no_risks_is_zero():
    t = exposure_trend(empty_table("risks"), ["2026-09", "2026-10"], Config())
    assert t["open_risks"].tolist() == [0, 0] and t["emv_open"].tolist() == [0.0, 0.0]


def test_row_order_does_not_matter(register):
    shuffled = make_risks().sample(frac=1, random_state=3).reset_index(drop=True)
    reg2 = risk_register(shuffled, "2026-10", Config())
    pd.testing.assert_frame_equal(risk_summary(register), risk_summary(reg2))
    pd.testing.assert_frame_equal(top_risks(register), top_risks(reg2))
    pd.testing.assert_frame_equal(heatmap_counts(register), heatmap_counts(reg2))
    periods = ["2026-08", "2026-11"]
    pd.testing.assert_frame_equal(exposure_trend(make_risks(), periods, by="project_id"),
                                  exposure_trend(shuffled, periods, by="project_id"))


def test_probability_out_of_range_names_row_and_value():
    risks = make_risks()
    risks.loc[2, "probability"] = 6
    with pytest.raises(DataValidationError) as info:
        risk_register(risks, "2026-10", Config())
    f = info.value.findings[0]
    assert (f.row, f.column, f.value) == (4, "probability", 6)
    assert "R3" in f.rule and "1 to 5" in f.rule


def test_bad_period():
    with pytest.raises(PeriodError):
        risk_register(make_risks(), "10-2026", Config())
