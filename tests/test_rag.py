"""Computed RAG: thresholds, worst-of, reasons in words, the mismatch flag."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pmo_nb.config import Config, RagConfig
from pmo_nb.metrics.rag import NO_FINANCIALS, compute_rag, index_status, missed_key_names

NAN = math.nan


def rag_of(**columns) -> pd.Series:
    frame = pd.DataFrame({k: [v] for k, v in columns.items()}, index=["X"])
    return compute_rag(frame, Config(), pd.Series({"X": "Go-live (DCX-003-M4)"})).iloc[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.2, "green"), (0.95, "green"), (0.9499, "amber"), (0.90, "amber"), (0.8999, "red"), (0.0, "red"),
     (NAN, None)],
)
def test_index_status_thresholds(value, expected):
    assert index_status(pd.Series([value]), Config()).iloc[0] == expected


@pytest.mark.parametrize(
    ("cols", "rag", "reason"),
    [
        ({"cpi": 1.02, "spi": 1.0, "spi_t": 0.98}, "green", "on track: CPI 1.02, SPI(t) 0.98"),
        ({"cpi": 0.87, "spi": 1.0, "spi_t": 0.99, "ms_missed": 1, "ms_key_missed": 1}, "red",
         "CPI 0.87 < 0.90; key milestone missed: Go-live (DCX-003-M4)"),
        # worst first: the red schedule before the amber cost
        ({"cpi": 0.93, "spi": 1.0, "spi_t": 0.85}, "red", "SPI(t) 0.85 < 0.90; CPI 0.93 < 0.95"),
        # SPI is used when SPI(t) is undefined
        ({"cpi": 1.0, "spi": 0.92, "spi_t": NAN}, "amber", "SPI 0.92 < 0.95"),
        # a non-key missed milestone is amber, an open critical risk is amber
        ({"cpi": 1.0, "spi_t": 1.0, "ms_missed": 2, "ms_key_missed": 0}, "amber", "2 milestones missed"),
        ({"cpi": 1.0, "spi_t": 1.0, "risks_critical_open": 1}, "amber", "1 open critical risk"),
        # key and other milestones missed: the key one named, then the total (what the summary states), not 3 - 1
        ({"cpi": 1.0, "spi_t": 1.0, "ms_missed": 3, "ms_key_missed": 1}, "red",
         "key milestone missed: Go-live (DCX-003-M4); 3 milestones missed in all"),
        # a value that would print as the threshold gets more digits
        ({"cpi": 0.8999, "spi_t": 1.0}, "red", "CPI 0.8999 < 0.90"),
        ({"cpi": NAN, "spi": NAN, "spi_t": NAN}, None, NO_FINANCIALS),
    ],
)
def test_overall_rag_and_reason(cols, rag, reason):
    got = rag_of(**cols)
    assert got["rag"] == rag
    assert got["rag_reason"] == reason


def test_dimensions_are_reported_separately():
    got = rag_of(cpi=0.91, spi=1.0, spi_t=1.0, ms_missed=1, ms_key_missed=0, risks_critical_open=0)
    assert (got["rag_cost"], got["rag_schedule"], got["rag_milestones"], got["rag_risks"]) == (
        "amber", "green", "amber", "green")


def test_no_financials_but_a_missed_key_milestone_is_still_red():
    got = rag_of(cpi=NAN, spi=NAN, spi_t=NAN, ms_missed=1, ms_key_missed=1, risks_critical_open=0)
    assert got["rag"] == "red" and got["rag_cost"] is None
    assert got["rag_reason"] == "key milestone missed: Go-live (DCX-003-M4) (no financials yet)"


def test_no_financials_and_nothing_wrong_is_unknown():
    got = rag_of(cpi=NAN, spi=NAN, spi_t=NAN, ms_missed=0, ms_key_missed=0, risks_critical_open=0)
    assert got["rag"] is None and got["rag_reason"] == NO_FINANCIALS and not got["mismatch"]


@pytest.mark.parametrize(
    ("reported", "cpi", "mismatch"),
    [("green", 0.92, True), ("green", 0.5, True), ("amber", 0.5, True), ("amber", 0.92, False),
     ("red", 1.0, False), ("green", 1.0, False), (None, 0.5, False), ("Green", 0.5, True),
     ("green", NAN, False)],
)
def test_mismatch_when_reported_is_better_than_computed(reported, cpi, mismatch):
    assert bool(rag_of(cpi=cpi, spi=NAN, spi_t=NAN, reported_status=reported)["mismatch"]) is mismatch


def test_config_thresholds_and_disabled_rules():
    config = Config(rag=RagConfig(green=1.0, amber=0.8, missed_key_milestone="amber", missed_milestone="none",
                                  critical_risk="none"))
    frame = pd.DataFrame({"cpi": [0.97, 0.97, 1.0], "spi_t": [1.0, 1.0, 1.0], "ms_missed": [0, 3, 1],
                          "ms_key_missed": [0, 0, 1], "risks_critical_open": [5, 0, 0]}, index=list("abc"))
    got = compute_rag(frame, config)
    assert got["rag"].tolist() == ["amber", "amber", "amber"]
    assert got.loc["a", "rag_reason"] == "CPI 0.97 < 1.00"  # the critical risk rule is off
    assert got.loc["b", "rag_milestones"] == "green"  # missed non-key milestones are ignored
    assert got.loc["c", "rag_reason"] == "1 key milestone missed"  # no names given


def test_missed_key_names_lists_at_most_three():
    ms = pd.DataFrame({
        "milestone_id": [f"M{i}" for i in range(5)], "project_id": ["A"] * 4 + ["B"],
        "name": ["One", "Two", "Three", "Four", "Other"], "missed": [True, True, True, True, False],
        "key_milestone": [True] * 5,
        "baseline_date": pd.to_datetime(
            ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-01-01"]),
    })
    names = missed_key_names(ms)
    assert names.to_dict() == {"A": "One (M0), Two (M1), Three (M2) and 1 more"}
