"""Earned value and earned schedule: hand-computed expected values for every formula."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pmo_nb.metrics import evm


def curves(pv, ev, ac, *, period, start="2024-01", baseline_start=None, baseline_finish=None, budget=1000.0):
    """Curves of one project "X" with monthly amounts from ``start`` (lists of equal length)."""
    months = pd.period_range(start, periods=len(pv), freq="M").strftime("%Y-%m")
    fin = pd.DataFrame({"project_id": "X", "period": list(months), "planned_value": pv,
                        "earned_value": ev, "actual_cost": ac})
    first = pd.Timestamp(f"{start}-01")
    last = pd.Period(months[-1], freq="M").end_time.normalize()
    projects = pd.DataFrame({
        "project_id": ["X"], "budget": [budget],
        "baseline_start": [pd.Timestamp(baseline_start) if baseline_start else first],
        "baseline_finish": [pd.Timestamp(baseline_finish) if baseline_finish else last],
    })
    return evm.project_curves(projects, fin, period)


def one(pv, ev, ac, **kw) -> pd.Series:
    return evm.earned_value(curves(pv, ev, ac, **kw)).iloc[0]


# ---------------------------------------------------------------------------------------------
# safe_div


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(3.0, 2.0, 1.5), (1.0, 0.0, math.nan), (0.0, 0.0, math.nan), (-1.0, 0.0, math.nan),
     (1.0, math.nan, math.nan), (math.nan, 2.0, math.nan), (0.0, 5.0, 0.0), (-6.0, 3.0, -2.0)],
)
def test_safe_div_scalars(num, den, expected):
    got = evm.safe_div(num, den)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def test_safe_div_keeps_series_index_and_never_returns_inf():
    got = evm.safe_div(pd.Series([1.0, 2.0, 1e308], index=list("abc")),
                       pd.Series([0.0, 4.0, 1e-308], index=list("abc")))
    assert list(got.index) == list("abc")
    assert math.isnan(got["a"]) and got["b"] == 0.5 and math.isnan(got["c"])  # overflow to inf -> NaN


# ---------------------------------------------------------------------------------------------
# Earned value: the classic textbook case, computed by hand.
# BAC 100,000; cumulative PV 50,000, EV 40,000, AC 45,000 (one month of data).
#   CV = 40,000 - 45,000 = -5,000          SV = 40,000 - 50,000 = -10,000
#   CV% = -5,000/40,000 = -0.125           SV% = -10,000/50,000 = -0.2
#   CPI = 40/45 = 0.888...                 SPI = 40/50 = 0.8
#   EAC = 100,000 / (40/45) = 112,500      EAC atypical = 45,000 + 60,000 = 105,000
#   EAC composite = 45,000 + 60,000/(0.8889*0.8) = 45,000 + 84,375 = 129,375
#   ETC = 112,500 - 45,000 = 67,500        VAC = 100,000 - 112,500 = -12,500
#   TCPI = 60,000/55,000 = 1.090909...     TCPI to EAC = 60,000/67,500 = 0.888...
#   % complete = 0.4                       % spent = 0.45


TEXTBOOK = {
    "bac": 100_000.0, "pv": 50_000.0, "ev": 40_000.0, "ac": 45_000.0, "cv": -5_000.0, "sv": -10_000.0,
    "cv_pct": -0.125, "sv_pct": -0.2, "cpi": 40 / 45, "spi": 0.8, "eac": 112_500.0,
    "eac_atypical": 105_000.0, "eac_composite": 129_375.0, "etc": 67_500.0, "vac": -12_500.0,
    "tcpi": 60_000 / 55_000, "tcpi_eac": 60_000 / 67_500, "pct_complete": 0.4, "pct_spent": 0.45,
}


@pytest.mark.parametrize(("column", "expected"), sorted(TEXTBOOK.items()))
def test_earned_value_textbook_case(column, expected):
    row = one([50_000.0, 50_000.0], [40_000.0, 0.0], [45_000.0, 0.0], period="2024-01", budget=100_000.0)
    assert row[column] == pytest.approx(expected, rel=1e-12)


def test_cumulative_to_the_reporting_month_only():
    # Three months booked; as of Feb only Jan+Feb count for EV and AC; PV cumulative to Feb.
    row = one([10.0, 20.0, 30.0], [5.0, 15.0, 99.0], [8.0, 12.0, 99.0], period="2024-02", budget=60.0)
    assert (row["pv"], row["ev"], row["ac"]) == (30.0, 20.0, 20.0)
    assert row["months_of_data"] == 2 and row["has_financials"]


# ---------------------------------------------------------------------------------------------
# Zero denominators: NaN, never inf, never 0.


@pytest.mark.parametrize(
    ("pv", "ev", "ac", "budget", "nan_columns", "finite"),
    [
        # AC 0: CPI undefined, so EAC (BAC/CPI), ETC, VAC, EAC composite, TCPI to EAC are too.
        ([100.0], [50.0], [0.0], 200.0, ["cpi", "eac", "etc", "vac", "eac_composite", "tcpi_eac"],
         {"spi": 0.5, "eac_atypical": 150.0, "tcpi": 0.75}),
        # EV 0: CV% undefined; CPI = 0 so EAC = BAC/0 undefined.
        ([100.0], [0.0], [40.0], 200.0, ["cv_pct", "eac", "eac_composite", "etc", "vac", "tcpi_eac"],
         {"cpi": 0.0, "spi": 0.0, "eac_atypical": 240.0}),
        # PV 0 at the month (plan starts later): SPI, SV% undefined.
        ([0.0, 100.0], [10.0, 0.0], [10.0, 0.0], 100.0, ["spi", "sv_pct", "eac_composite"],
         {"cpi": 1.0, "eac": 100.0}),
        # BAC 0: % complete and % spent undefined; AC == BAC gives TCPI undefined.
        ([0.0], [0.0], [0.0], 0.0, ["pct_complete", "pct_spent", "tcpi", "cpi", "spi"], {"cv": 0.0}),
    ],
)
def test_zero_denominators_give_nan(pv, ev, ac, budget, nan_columns, finite):
    row = one(pv, ev, ac, period="2024-01", budget=budget)
    for column in nan_columns:
        assert math.isnan(row[column]), column
    for column, value in finite.items():
        assert row[column] == pytest.approx(value), column
    numeric = row[list(evm.EVM_COLUMNS)].astype(float).to_numpy()
    assert not np.isinf(numeric).any()


# ---------------------------------------------------------------------------------------------
# Earned schedule.
# Lipke's "Earned Schedule Concept" (earnedschedule.com) example: all PV through May is earned and
# part of June; the data is as of the end of July, so ES = 5 + (EV - PV_May)/(PV_Jun - PV_May),
# AT = 7. With an 11-month baseline Jan..Nov of monthly PV 10, 20, 30, 40, 50, 60, 60, 50, 40, 30, 10
# (cumulative 10, 30, 60, 100, 150, 210, 270, 320, 360, 390, 400) and EV 180 at the end of July:
# C = 5 (PV_May = 150 <= 180 < 210), ES = 5 + 30/60 = 5.5, SV(t) = -1.5, SPI(t) = 5.5/7 = 0.7857,
# PD = 11, IEAC(t) = 11/(5.5/7) = 14 months -> finishes at the end of month 14 from Jan 2024: 2025-02-28.
LIPKE_PV = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 60.0, 50.0, 40.0, 30.0, 10.0]


def lipke_row() -> pd.Series:
    ev = [10.0, 20.0, 30.0, 30.0, 30.0, 30.0, 30.0] + [0.0] * 4
    return one(LIPKE_PV, ev, [12.0] * 11, period="2024-07", budget=400.0)


@pytest.mark.parametrize(
    ("column", "expected"),
    [("ev", 180.0), ("es", 5.5), ("at", 7.0), ("sv_t", -1.5), ("spi_t", 5.5 / 7), ("pd", 11.0),
     ("ieac_t", 14.0)],
)
def test_earned_schedule_lipke_example(column, expected):
    assert lipke_row()[column] == pytest.approx(expected, rel=1e-12)


def test_es_forecast_finish_is_the_end_of_month_ieac():
    assert lipke_row()["es_forecast_finish"] == pd.Timestamp("2025-02-28")


@pytest.mark.parametrize(
    ("months", "expected"),
    [(12.0, "2024-12-31"), (1.0, "2024-01-31"), (0.5, "2024-01-16"),  # 0.5 * 31 = 15.5 -> 16 days
     (13.25, "2025-02-07")  # 13 whole months + 0.25 * 28 days of Feb 2025 = 7 days
    , (math.nan, None), (0.0, None), (5000.0, None)],
)
def test_forecast_finish_dates(months, expected):
    got = evm.forecast_finish(np.array([2024 * 12.0]), np.array([months]))[0]
    assert (pd.isna(got) and expected is None) or pd.Timestamp(got) == pd.Timestamp(expected)


def test_flat_pv_month_takes_the_last_month_reaching_the_value():
    # Monthly PV 100, 0, 100: cumulative 100, 100, 200. EV 100 at the end of month 3:
    # months 1 AND 2 have cumulative PV <= 100, so C = 2 and ES = 2 + 0/100 = 2 (not 1: ES must not
    # jump back across the flat month; Lipke's ES calculator counts the last month reaching EV).
    row = one([100.0, 0.0, 100.0], [50.0, 0.0, 50.0], [60.0, 0.0, 60.0], period="2024-03", budget=200.0)
    assert row["es"] == pytest.approx(2.0)
    # EV 150 interpolates across month 3 only: ES = 2 + (150 - 100)/(200 - 100) = 2.5.
    row = one([100.0, 0.0, 100.0], [100.0, 0.0, 50.0], [60.0, 0.0, 60.0], period="2024-03", budget=200.0)
    assert row["es"] == pytest.approx(2.5)


def test_ev_beyond_total_pv_gives_planned_duration():
    # PV 50 + 50 = 100 over two months, baseline finish in month 4 (PD 4); EV 120 by month 2.
    row = one([50.0, 50.0], [70.0, 50.0], [60.0, 60.0], period="2024-02", budget=100.0,
              baseline_finish="2024-04-30")
    assert row["es"] == 4.0 and row["pd"] == 4.0 and row["spi_t"] == 2.0


@pytest.mark.parametrize(
    ("ev", "es"),
    [
        # EV equals the PV to date: exactly on plan, ES = AT = 2 (not PD = 10)
        ([100.0, 100.0], 2.0),
        # EV 250 runs past the known PV (200): the unknown rest of the plan is the straight line from
        # (2 months, 200) to (PD 10, BAC 1000): ES = 2 + (250 - 200) * (10 - 2) / (1000 - 200) = 2.5
        ([150.0, 100.0], 2.5),
        # EV below the PV to date interpolates as usual: C = 1, ES = 1 + (150 - 100)/100 = 1.5
        ([100.0, 50.0], 1.5),
        # EV at BAC: ES = PD
        ([600.0, 400.0], 10.0),
    ],
)
def test_pv_known_only_to_date(ev, es):
    # Exports often carry PV only up to the reporting month: BAC 1000 over Jan-Oct, PV rows Jan-Feb.
    row = one([100.0, 100.0], ev, [100.0, 100.0], period="2024-02", budget=1000.0,
              baseline_finish="2024-10-31")
    assert row["pd"] == 10.0 and row["es"] == pytest.approx(es)


def test_pv_beyond_baseline_finish_extends_pd():
    # Baseline says Jan-Mar, but PV is booked through May: PD = 5.
    row = one([10.0] * 5, [10.0] * 5, [10.0] * 5, period="2024-05", budget=50.0, baseline_finish="2024-03-31")
    assert row["pd"] == 5.0 and row["es"] == 5.0 and row["spi_t"] == 1.0


def test_es_uses_pv_planned_after_the_reporting_month():
    # Ahead of plan: EV 250 at the end of month 2 reaches into month 3's PV (cum 100, 200, 300):
    # ES = 2 + 50/100 = 2.5, SPI(t) = 1.25, SV(t) = +0.5.
    row = one([100.0, 100.0, 100.0], [150.0, 100.0, 0.0], [100.0, 100.0, 0.0], period="2024-02", budget=300.0)
    assert row["es"] == pytest.approx(2.5) and row["spi_t"] == pytest.approx(1.25)
    assert row["sv_t"] == pytest.approx(0.5)


def test_one_month_of_data():
    # First month: cum PV 100, EV 60 -> ES = 0 + 60/100 = 0.6, AT 1, SPI(t) 0.6; PD 10 (Jan-Oct).
    row = one([100.0], [60.0], [80.0], period="2024-01", budget=1000.0, baseline_finish="2024-10-31")
    assert (row["es"], row["at"], row["spi_t"], row["pd"]) == pytest.approx((0.6, 1.0, 0.6, 10.0))
    assert row["ieac_t"] == pytest.approx(10 / 0.6)
    assert row["cpi"] == pytest.approx(0.75) and row["months_of_data"] == 1


def test_finished_project():
    # Finished on budget a month late: PV 100/month Jan-Apr; EV 50, 100, 100, 100, 50 Jan-May;
    # AC = EV. At May: EV = PV = BAC = 400 -> ES = PD = 4, AT 5, SPI(t) 0.8, SV(t) -1, SPI 1, CPI 1,
    # EAC 400, VAC 0, % complete 1, TCPI (0/0) undefined.
    ev = [50.0, 100.0, 100.0, 100.0, 50.0]
    row = one([100.0] * 4 + [0.0], ev, ev, period="2024-05", budget=400.0, baseline_finish="2024-04-30")
    assert (row["es"], row["at"], row["spi_t"], row["sv_t"]) == pytest.approx((4.0, 5.0, 0.8, -1.0))
    assert (row["spi"], row["cpi"], row["eac"], row["vac"], row["pct_complete"]) == pytest.approx(
        (1.0, 1.0, 400.0, 0.0, 1.0))
    assert math.isnan(row["tcpi"])
    assert row["ieac_t"] == pytest.approx(5.0)
    # Two months later (no more rows) the clock has stopped at completion: AT stays 5.
    later = one([100.0] * 4 + [0.0], ev, ev, period="2024-07", budget=400.0, baseline_finish="2024-04-30")
    assert (later["at"], later["spi_t"], later["es"]) == pytest.approx((5.0, 0.8, 4.0))


def test_first_month_is_the_earlier_of_baseline_start_and_first_financials():
    # Baseline starts in November 2023 but the first financial row is January 2024: the first
    # month is November, so AT at March = 5; the two months with no row book 0, so with cumulative
    # PV 0, 0, 100, 200, 300 and EV 150, C = 3 and ES = 3 + 50/100 = 3.5.
    row = one([100.0] * 3, [50.0] * 3, [50.0] * 3, period="2024-03", budget=300.0,
              baseline_start="2023-11-01")
    assert (row["at"], row["es"], row["pd"]) == pytest.approx((5.0, 3.5, 5.0))
    assert row["first_month"] == "2023-11"


def test_missing_months_book_zero():
    months = ["2024-01", "2024-03"]  # no row for February
    fin = pd.DataFrame({"project_id": "X", "period": months, "planned_value": [100.0, 100.0],
                        "earned_value": [100.0, 50.0], "actual_cost": [90.0, 60.0]})
    projects = pd.DataFrame({"project_id": ["X"], "budget": [200.0],
                             "baseline_start": [pd.Timestamp("2024-01-01")],
                             "baseline_finish": [pd.Timestamp("2024-03-31")]})
    row = evm.earned_value(evm.project_curves(projects, fin, "2024-03")).iloc[0]
    # cumulative PV 100, 100, 200; EV 150: C = 2 (Jan and the empty Feb), ES = 2 + 50/100 = 2.5
    assert (row["pv"], row["ev"], row["ac"], row["es"], row["at"]) == pytest.approx((200, 150, 150, 2.5, 3))
    assert row["months_of_data"] == 2


def test_no_financials_yet_is_nan_except_bac():
    projects = pd.DataFrame({"project_id": ["X", "Y"], "budget": [100.0, 50.0],
                             "baseline_start": pd.to_datetime(["2024-01-01", "2024-06-01"]),
                             "baseline_finish": pd.to_datetime(["2024-03-31", "2024-12-31"])})
    fin = pd.DataFrame({"project_id": ["X", "Y"], "period": ["2024-01", "2024-07"],
                        "planned_value": [10.0, 5.0],
                        "earned_value": [10.0, 0.0], "actual_cost": [10.0, 0.0]})
    out = evm.earned_value(evm.project_curves(projects, fin, "2024-02"))
    y = out.loc["Y"]
    assert not y["has_financials"] and y["months_of_data"] == 0 and y["bac"] == 50.0
    assert all(math.isnan(y[c]) for c in evm.EVM_COLUMNS if c not in ("bac", "pd"))
    assert pd.isna(y["es_forecast_finish"])
    assert out.loc["X", "has_financials"]


def test_group_resums_before_dividing():
    projects = pd.DataFrame({"project_id": ["A", "B"], "budget": [1000.0, 100.0],
                             "baseline_start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                             "baseline_finish": pd.to_datetime(["2024-04-30", "2024-03-31"])})
    fin = pd.DataFrame({"project_id": ["A", "A", "B", "B"],
                        "period": ["2024-01", "2024-02", "2024-02", "2024-03"],
                        "planned_value": [100.0, 100.0, 50.0, 50.0], "earned_value": [100.0, 80.0, 10.0, 0.0],
                        "actual_cost": [100.0, 100.0, 40.0, 0.0]})
    c = evm.project_curves(projects, fin, "2024-02")
    prog = evm.earned_value(c.group(pd.Series(["P", "P"], name="program_id"))).loc["P"]
    # sums: BAC 1100, PV 250, EV 190, AC 240 -> CPI 190/240 (not the mean of 0.9 and 0.25)
    assert (prog["bac"], prog["pv"], prog["ev"], prog["ac"]) == (1100.0, 250.0, 190.0, 240.0)
    assert prog["cpi"] == pytest.approx(190 / 240)
    # program cumulative PV 100, 250, 300 (Jan-Mar; A's baseline runs to April, so PD is 4):
    # EV 190 -> C = 1, ES = 1 + 90/150 = 1.6; AT 2 (first month Jan); PD 4.
    assert (prog["es"], prog["at"], prog["pd"]) == pytest.approx((1.6, 2.0, 4.0))


def test_malformed_period_is_a_validation_error_not_a_crash():
    from pmo_nb.exceptions import DataValidationError

    projects = pd.DataFrame({"project_id": ["X"], "budget": [1.0], "baseline_start": [pd.Timestamp("2024-01-01")],
                             "baseline_finish": [pd.Timestamp("2024-03-31")]})
    fin = pd.DataFrame({"project_id": ["X"], "period": ["Jan 2024"], "planned_value": [1.0],
                        "earned_value": [1.0], "actual_cost": [1.0]})
    with pytest.raises(DataValidationError, match="'Jan 2024': not a YYYY-MM month"):
        evm.project_curves(projects, fin, "2024-01")
