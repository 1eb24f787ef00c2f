"""Issue log, summaries, ageing (hand-computed, month 2026-10: end(M) = 2026-10-31)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pmo_nb.data.model import empty_table
from pmo_nb.exceptions import DataValidationError
from pmo_nb.metrics.issues import ageing_buckets, issue_log, issue_summary, oldest_open

ROWS = [
    # id, project, severity, opened, closed
    ("I1", "P1", "high", "2026-10-31", None),              # opened on end(M): age 0
    ("I2", "P1", "low", "2026-09-30", "2026-10-31"),       # closed exactly at end(M): 31 days to close
    ("I3", "P1", "critical", "2026-04-01", None),          # age 213
    ("I4", "P2", "medium", "2026-08-31", "2026-11-05"),    # closed after end(M): open, age 61
    ("I5", "P2", "high", "2026-06-01", "2026-07-11"),      # closed before M: 40 days to close
    ("I6", "P2", "medium", "2026-10-01", None),            # age 30 (last day of "0-30")
    ("I7", "P2", "low", "2026-11-01", None),               # opened after end(M): not listed
    ("I8", "P2", "high", "2026-09-30", None),              # age 31 (first day of "31-60")
]


def make_issues(rows=ROWS) -> pd.DataFrame:
    ids, projects, severity, opened, closed = zip(*rows, strict=True)
    n = len(ids)
    return pd.DataFrame(
        {
            "issue_id": list(ids),
            "project_id": list(projects),
            "title": [f"Issue {i}" for i in ids],
            "severity": list(severity),
            "status": ["open" if c is None else "closed" for c in closed],
            "owner": ["Bo"] * n,
            "opened_date": pd.to_datetime(list(opened)),
            "closed_date": pd.to_datetime(list(closed)),
        }
    )


@pytest.fixture
def log() -> pd.DataFrame:
    return issue_log(make_issues(), "2026-10")


NAN = float("nan")


@pytest.mark.parametrize(
    "iid, is_open, age, raised_in, closed_in, to_close",
    [
        ("I1", True, 0.0, True, False, NAN),
        ("I2", False, NAN, False, True, 31.0),
        ("I3", True, 213.0, False, False, NAN),
        ("I4", True, 61.0, False, False, NAN),
        ("I5", False, NAN, False, False, 40.0),
        ("I6", True, 30.0, True, False, NAN),
        ("I8", True, 31.0, False, False, NAN),
    ],
)
def test_issue_log_row(log, iid, is_open, age, raised_in, closed_in, to_close):
    row = log.set_index("issue_id").loc[iid]
    assert bool(row["open"]) is is_open
    assert (math.isnan(row["age_days"]) and math.isnan(age)) or row["age_days"] == age
    assert (bool(row["raised_in_month"]), bool(row["closed_in_month"])) == (raised_in, closed_in)
    assert (math.isnan(row["days_to_close"]) and math.isnan(to_close)) or row["days_to_close"] == to_close


def test_log_lists_issues_opened_by_end_of_month(log):
    assert log["issue_id"].tolist() == ["I1", "I2", "I3", "I4", "I5", "I6", "I8"]
    assert log["age_days"].dtype == "float64"


def test_summary_by_project(log):
    s = issue_summary(log)
    assert s.index.tolist() == ["P1", "P2"]
    assert s.loc["P1"].to_dict() == dict(
        issues_open=2, issues_open_low=0, issues_open_medium=0, issues_open_high=1, issues_open_critical=1,
        issues_raised=1, issues_closed=1, issues_mean_days_to_close=31.0, issues_oldest_open_days=213.0)
    assert s.loc["P2"].to_dict() == dict(
        issues_open=3, issues_open_low=0, issues_open_medium=2, issues_open_high=1, issues_open_critical=0,
        issues_raised=1, issues_closed=0, issues_mean_days_to_close=40.0, issues_oldest_open_days=61.0)


def test_summary_by_program_and_mean_over_all_closed(log):
    projects = pd.DataFrame({"project_id": ["P1", "P2"], "program_id": ["G1", "G1"]})
    s = issue_summary(log, by="program_id", projects=projects)
    assert s.loc["G1", "issues_open"] == 5
    assert s.loc["G1", "issues_mean_days_to_close"] == pytest.approx((31 + 40) / 2)
    assert s.loc["G1", "issues_oldest_open_days"] == 213.0


def test_no_closed_issue_gives_nan_mean_and_no_open_gives_nan_oldest():
    rows = [("X1", "P3", "low", "2026-10-01", None), ("X2", "P4", "low", "2026-09-01", "2026-09-11")]
    s = issue_summary(issue_log(make_issues(rows), "2026-10"))
    assert math.isnan(s.loc["P3", "issues_mean_days_to_close"])
    assert s.loc["P3", "issues_oldest_open_days"] == 30
    assert s.loc["P4", "issues_mean_days_to_close"] == 10.0
    assert math.isnan(s.loc["P4", "issues_oldest_open_days"])


def test_no_issues():
    log = issue_log(empty_table("issues"), "2026-10")
    s = issue_summary(log)
    assert len(s) == 0 and "issues_mean_days_to_close" in s.columns
    buckets = ageing_buckets(log)
    assert len(buckets) == 20 and (buckets["count"] == 0).all()
    assert len(oldest_open(log)) == 0


def test_oldest_open(log):
    assert oldest_open(log)["issue_id"].tolist() == ["I3", "I4", "I8", "I6", "I1"]
    assert oldest_open(log, n=2)["issue_id"].tolist() == ["I3", "I4"]
    same_age = issue_log(make_issues([("B", "P1", "low", "2026-10-01", None),
                                      ("A", "P1", "low", "2026-10-01", None)]), "2026-10")
    assert oldest_open(same_age)["issue_id"].tolist() == ["A", "B"]


def test_ageing_buckets(log):
    b = ageing_buckets(log)
    assert list(b.columns) == ["bucket", "severity", "count"]
    assert b["bucket"].unique().tolist() == ["0-30", "31-60", "61-90", "91-180", ">180"]
    got = {(r.bucket, r.severity): r.count for r in b.itertuples() if r.count}
    assert got == {("0-30", "high"): 1, ("0-30", "medium"): 1, ("31-60", "high"): 1,
                   ("61-90", "medium"): 1, (">180", "critical"): 1}


def test_row_order_does_not_matter(log):
    shuffled = make_issues().sample(frac=1, random_state=11).reset_index(drop=True)
    log2 = issue_log(shuffled, "2026-10")
    pd.testing.assert_frame_equal(issue_summary(log), issue_summary(log2))
    pd.testing.assert_frame_equal(oldest_open(log), oldest_open(log2))
    pd.testing.assert_frame_equal(ageing_buckets(log), ageing_buckets(log2))


def test_missing_column_is_named():
    with pytest.raises(DataValidationError, match="opened_date"):
        issue_log(make_issues().drop(columns=["opened_date"]), "2026-10")
