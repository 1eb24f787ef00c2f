"""Display formats: hand-written expectations for every function, missing values included."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pmo_nb.reporting import formatting as fmt

MISSING = [None, float("nan"), np.nan, pd.NA, pd.NaT, np.inf, -np.inf, "", "  "]


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (1_234_000, "EUR", "€1.2M"),
        (450_000, "EUR", "€450k"),
        (980, "EUR", "€980"),
        (979.6, "EUR", "€980"),
        (0, "EUR", "€0"),
        (0.4, "EUR", "€0"),
        (-0.4, "EUR", "€0"),
        (-980, "EUR", "-€980"),
        (-1_250_000, "USD", "-$1.3M"),  # halves round away from zero, as people expect
        (1_240_000, "USD", "$1.2M"),
        (999.5, "EUR", "€1k"),
        (12_500, "EUR", "€13k"),
        (1_260_000, "GBP", "£1.3M"),
        (4_520, "EUR", "€4.5k"),
        (4_000, "EUR", "€4k"),
        (9_949, "EUR", "€9.9k"),
        (9_950, "EUR", "€10k"),
        (999.6, "EUR", "€1k"),
        (999_499, "EUR", "€999k"),
        (999_960, "EUR", "€1M"),  # would be "1000k": moves to the next unit
        (12_340_000, "EUR", "€12.3M"),
        (2_340_000_000, "EUR", "€2.3bn"),
        (np.float64(12), "EUR", "€12"),
        (np.int64(450_000), "EUR", "€450k"),
        (450_000, "CHF", "CHF 450k"),
        (450_000, "usd", "$450k"),
    ],
)
def test_money(value, currency, expected):
    assert fmt.money(value, currency) == expected


@pytest.mark.parametrize("value", MISSING)
def test_every_format_writes_missing_as_na(value):
    for func in (fmt.money, fmt.money_full, fmt.pct, fmt.ratio, fmt.integer, fmt.days, fmt.delta):
        assert func(value) == "n/a", func.__name__
    if value is not np.inf and value is not -np.inf:
        assert fmt.date(value) == "n/a"
        assert fmt.month(value) == "n/a"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1_234_567.4, "€1,234,567"), (-980.6, "-€981"), (0, "€0")],
)
def test_money_full(value, expected):
    assert fmt.money_full(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1234, "12.3%"),
        (-0.08, "-8.0%"),
        (1, "100.0%"),
        (-0.0001, "0.0%"),
        (0.00049, "0.0%"),
        (0.1235, "12.4%"),
        (2.5, "250.0%"),
    ],
)
def test_pct(value, expected):
    assert fmt.pct(value) == expected


def test_pct_decimals():
    assert fmt.pct(0.1234, decimals=0) == "12%"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.8666, "0.87"), (1, "1.00"), (1.005, "1.01"), (0.125, "0.13"), (-0.001, "0.00"), (12.3456, "12.35")],
)
def test_ratio(value, expected):
    assert fmt.ratio(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-14", "14 Nov 2026"),
        (pd.Timestamp("2026-01-05"), "5 Jan 2026"),
        (dt.date(2026, 3, 31), "31 Mar 2026"),
        (dt.datetime(2026, 12, 1, 23, 59), "1 Dec 2026"),
        (np.datetime64("2027-02-28"), "28 Feb 2027"),
        ("not a date", "n/a"),
    ],
)
def test_date(value, expected):
    assert fmt.date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10", "October 2026"),
        (" 2026-01 ", "January 2026"),
        (pd.Period("2026-02", "M"), "February 2026"),
        (pd.Timestamp("2026-12-31"), "December 2026"),
        ("2026-13", "n/a"),
    ],
)
def test_month(value, expected):
    assert fmt.month(value) == expected


def test_month_short():
    assert fmt.month_short("2026-09") == "Sep 2026"


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.05, "ratio", "+0.05 ▲"),
        (-0.02, "ratio", "-0.02 ▼"),
        (0.001, "ratio", "0.00 ►"),
        (0, "ratio", "0.00 ►"),
        (-120_000, "money", "-€120k ▼"),
        (1_500_000, "money", "+€1.5M ▲"),
        (0.031, "pct", "+3.1% ▲"),
        (-0.031, "points", "-3.1 pts ▼"),
        (3, "int", "+3 ▲"),
        (-1, "days", "-1 day ▼"),
        (45, "days", "+45 days ▲"),
    ],
)
def test_delta(value, kind, expected):
    assert fmt.delta(value, kind) == expected


def test_delta_without_arrow_and_currency():
    assert fmt.delta(-450_000, "money", currency="USD", arrow=False) == "-$450k"


@pytest.mark.parametrize(
    ("value", "higher", "expected"),
    [
        (0.05, True, "good"),
        (0.05, False, "bad"),
        (-0.05, True, "bad"),
        (0, True, "neutral"),
        (None, True, "neutral"),
    ],
)
def test_direction(value, higher, expected):
    assert fmt.direction(value, higher_is_better=higher) == expected


def test_days_and_integer():
    assert fmt.days(1) == "1 day"
    assert fmt.days(1234) == "1,234 days"
    assert fmt.integer(12345.4) == "12,345"
