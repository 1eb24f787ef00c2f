"""Milestone status and summaries as of the end of a month (hand-computed around month ends)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pmo_nb.data.model import empty_table
from pmo_nb.exceptions import DataValidationError, PeriodError
from pmo_nb.metrics.milestones import milestone_status, milestone_summary
from pmo_nb.periods import Period

# Reporting month 2026-10: end(M) = 2026-10-31; with upcoming_days=90 the horizon ends 2027-01-29.
ROWS = [
    # id,  project, baseline,     forecast,     actual,       key
    ("M1", "P1", "2026-10-31", None, "2026-10-31", True),    # due on the last day, met on it: on time
    ("M2", "P1", "2026-10-15", None, "2026-10-16", None),    # one day late
    ("M3", "P1", "2026-09-30", "2026-11-20", None, True),    # missed key milestone, re-forecast next month
    ("M8", "P1", "2026-11-30", "2027-01-30", None, False),   # forecast one day beyond the horizon
    ("M9", "P1", "2026-11-30", "2027-01-29", None, False),   # forecast on the last day of the horizon
    ("M4", "P2", "2026-11-01", None, None, False),           # first day after end(M): upcoming
    ("M5", "P2", "2027-03-01", None, None, None),            # future
    ("M6", "P2", "2026-08-31", None, "2026-11-02", None),    # achieved only after end(M): missed at M
    ("M7", "P2", "2026-12-15", None, "2026-10-05", False),   # achieved early, not due yet
]


def make_milestones(rows=ROWS) -> pd.DataFrame:
    ids, projects, base, fc, act, key = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "milestone_id": list(ids),
            "project_id": list(projects),
            "name": [f"Milestone {i}" for i in ids],
            "baseline_date": pd.to_datetime(list(base)),
            "forecast_date": pd.to_datetime(list(fc)),
            "actual_date": pd.to_datetime(list(act)),
            "key_milestone": pd.array(list(key), dtype="boolean"),
        }
    )


PROJECTS = pd.DataFrame({"project_id": ["P1", "P2", "P3"], "program_id": ["G1", "G1", "G2"]})


@pytest.mark.parametrize(
    "mid, status, achieved, missed, due_in_month, achieved_in_month, upcoming, slip, key",
    [
        ("M1", "achieved_on_time", True, False, True, True, False, 0.0, True),
        ("M2", "achieved_late", True, False, True, True, False, 1.0, False),
        ("M3", "missed", False, True, False, False, True, 51.0, True),   # 09-30 -> 11-20
        ("M8", "future", False, False, False, False, False, 61.0, False),  # 11-30 -> 01-30
        ("M9", "upcoming", False, False, False, False, True, 60.0, False),
        ("M4", "upcoming", False, False, False, False, True, 0.0, False),
        ("M5", "future", False, False, False, False, False, 0.0, False),
        ("M6", "missed", False, True, False, False, False, 63.0, False),  # 08-31 -> 11-02
        ("M7", "achieved_on_time", True, False, False, True, False, -71.0, False),  # 12-15 -> 10-05
    ],
)
def test_milestone_status(
    mid, status, achieved, missed, due_in_month, achieved_in_month, upcoming, slip, key
):
    st = milestone_status(make_milestones(), "2026-10").set_index("milestone_id")
    row = st.loc[mid]
    assert row["status"] == status
    flags = ("achieved", "missed", "due_in_month", "achieved_in_month", "upcoming")
    assert tuple(row[f] for f in flags) == (achieved, missed, due_in_month, achieved_in_month, upcoming)
    assert row["slip_days"] == slip
    assert row["key_milestone"] is key or row["key_milestone"] == key


def test_status_keeps_input_columns_and_types():
    ms = make_milestones()
    st = milestone_status(ms, "2026-10")
    assert list(st.columns[: len(ms.columns)]) == list(ms.columns)
    assert st["key_milestone"].dtype == bool
    assert st["slip_days"].dtype == "float64"
    assert set(st["status"]) <= {"achieved_on_time", "achieved_late", "missed", "upcoming", "future"}
    assert len(st) == len(ms)


def test_next_month_sees_late_achievement():
    st = milestone_status(make_milestones(), "2026-11").set_index("milestone_id")
    assert st.loc["M6", "status"] == "achieved_late"
    assert bool(st.loc["M6", "achieved_in_month"])
    assert bool(st.loc["M4", "due_in_month"]) and st.loc["M4", "status"] == "missed"


def test_upcoming_days_widens_horizon():
    st = milestone_status(make_milestones(), "2026-10", upcoming_days=91).set_index("milestone_id")
    assert st.loc["M8", "status"] == "upcoming"


EXPECTED_P1 = dict(ms_total=5, ms_due_in_month=2, ms_achieved_on_time=1, ms_achieved_late=1, ms_missed=1,
                   ms_key_missed=1, ms_upcoming=2, ms_on_time_rate=1 / 3, ms_max_slip_days=61.0)
EXPECTED_P2 = dict(ms_total=4, ms_due_in_month=0, ms_achieved_on_time=1, ms_achieved_late=0, ms_missed=1,
                   ms_key_missed=0, ms_upcoming=1, ms_on_time_rate=0.0, ms_max_slip_days=63.0)
# Program G1 = P1 + P2: due by end(M) are M1, M2, M3, M6, of which M1 on time -> 1/4.
EXPECTED_G1 = dict(ms_total=9, ms_due_in_month=2, ms_achieved_on_time=2, ms_achieved_late=1, ms_missed=2,
                   ms_key_missed=1, ms_upcoming=3, ms_on_time_rate=0.25, ms_max_slip_days=63.0)


def assert_row(row: pd.Series, expected: dict) -> None:
    for k, v in expected.items():
        if isinstance(v, float) and math.isnan(v):
            assert math.isnan(row[k]), k
        else:
            assert row[k] == pytest.approx(v), k


def test_summary_by_project():
    summary = milestone_summary(milestone_status(make_milestones(), "2026-10"))
    assert summary.index.name == "project_id"
    assert summary.index.tolist() == ["P1", "P2"]
    assert_row(summary.loc["P1"], EXPECTED_P1)
    assert_row(summary.loc["P2"], EXPECTED_P2)
    assert summary["ms_total"].dtype == "int64"


def test_summary_by_program_with_projects_frame_or_merged_column():
    st = milestone_status(make_milestones(), "2026-10")
    via_projects = milestone_summary(st, by="program_id", projects=PROJECTS)
    merged = st.merge(PROJECTS, on="project_id")
    via_column = milestone_summary(merged, by="program_id")
    pd.testing.assert_frame_equal(via_projects, via_column)
    assert via_projects.index.tolist() == ["G1"]
    assert_row(via_projects.loc["G1"], EXPECTED_G1)


def test_summary_by_program_without_mapping_is_a_clear_error():
    st = milestone_status(make_milestones(), "2026-10")
    with pytest.raises(ValueError, match="merge it in from the projects table"):
        milestone_summary(st, by="program_id")


def test_on_time_rate_is_nan_when_nothing_is_due():
    ms = make_milestones([("X1", "P3", "2027-06-30", None, None, None)])
    summary = milestone_summary(milestone_status(ms, "2026-10"))
    assert summary.loc["P3", "ms_total"] == 1
    assert math.isnan(summary.loc["P3", "ms_on_time_rate"])


def test_no_milestones_gives_empty_summary():
    st = milestone_status(empty_table("milestones"), "2026-10")
    assert len(st) == 0 and "status" in st.columns
    summary = milestone_summary(st)
    assert len(summary) == 0
    assert list(summary.columns) == [
        "ms_total", "ms_due_in_month", "ms_achieved_on_time", "ms_achieved_late", "ms_missed",
        "ms_key_missed", "ms_upcoming", "ms_key_upcoming", "ms_on_time_rate", "ms_max_slip_days",
    ]


def test_row_order_does_not_matter():
    ms = make_milestones()
    shuffled = ms.sample(frac=1, random_state=7).reset_index(drop=True)
    a = milestone_summary(milestone_status(ms, "2026-10"))
    b = milestone_summary(milestone_status(shuffled, "2026-10"))
    pd.testing.assert_frame_equal(a, b)
    sa = milestone_status(ms, "2026-10").set_index("milestone_id").sort_index()
    sb = milestone_status(shuffled, "2026-10").set_index("milestone_id").sort_index()
    pd.testing.assert_frame_equal(sa, sb)


def test_optional_columns_may_be_absent():
    ms = make_milestones()[["milestone_id", "project_id", "baseline_date"]]
    st = milestone_status(ms, "2026-10").set_index("milestone_id")
    assert st.loc["M3", "status"] == "missed" and st.loc["M3", "slip_days"] == 0.0
    assert not st["key_milestone"].any()


@pytest.mark.parametrize(
    "period, first, last",
    [("2026-10", "2026-10-01", "2026-10-31"), ("2028-02", "2028-02-01", "2028-02-29"),
     ("2026-12", "2026-12-01", "2026-12-31")],
)
def test_judged_at_the_period_bounds(period, first, last):
    # a milestone due on the month's last day is due in the month; one due the day after is not
    ms = pd.DataFrame({"milestone_id": ["A", "B", "C"], "project_id": "P",
                       "baseline_date": pd.to_datetime([first, last, pd.Timestamp(last) + pd.Timedelta(days=1)])})
    st = milestone_status(ms, period).set_index("milestone_id")
    assert st["due_in_month"].tolist() == [True, True, False]
    assert (Period(period).start, Period(period).end) == (pd.Timestamp(first), pd.Timestamp(last))


@pytest.mark.parametrize("period", ["2026-13", "2026/10", "Oct 2026", "2026-1", ""])
def test_bad_period_is_a_period_error(period):
    with pytest.raises(PeriodError, match="YYYY-MM"):
        milestone_status(make_milestones(), period)


def test_missing_required_column_names_it():
    with pytest.raises(DataValidationError) as info:
        milestone_status(make_milestones().drop(columns=["baseline_date"]), "2026-10")
    assert info.value.findings[0].column == "baseline_date"
    assert "baseline_date" in str(info.value)


def test_text_date_that_is_not_a_date_names_row_and_value():
    ms = make_milestones().astype({"baseline_date": object})
    ms["baseline_date"] = ["2026-10-31"] * 3 + ["31/11/2026"] + ["2026-11-30"] * 5
    with pytest.raises(DataValidationError) as info:
        milestone_status(ms, "2026-10")
    finding = info.value.findings[0]
    assert (finding.row, finding.column, finding.value) == (5, "baseline_date", "31/11/2026")
    assert "M8" in finding.rule
