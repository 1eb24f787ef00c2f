"""What an analyst sees of a Portfolio and a Kpis: short summaries, the column dictionary, formatted views by id."""

from __future__ import annotations

import pandas as pd
import pytest
from kpi_scenarios import scenario

import pmo_nb
from pmo_nb.metrics.columns import VIEW_COLUMNS, format_value


@pytest.fixture(scope="module")
def kpis():
    return pmo_nb.compute(scenario(), "2024-03")


def test_portfolio_prints_a_short_summary():
    text = repr(scenario())
    assert text.splitlines() == [
        "Portfolio from scenario",
        "  months 2024-01 to 2024-10 (10 months)",
        "  2 programs · 4 projects · 17 financials · 3 milestones · 2 risks · 2 issues",
        "  reported status of the projects: 1 amber, 2 green, 1 none",
        "  tables missing: none · 0 data notes · 0 rows excluded",
        "  pmo_nb.compute(portfolio, period) computes a month's KPIs",
    ]
    html = scenario()._repr_html_()
    assert html.startswith('<div class="pmo-portfolio-summary"><strong>Portfolio from scenario</strong>')
    assert "<table" not in html and html.count("<li>") == 5


def test_kpis_print_period_counts_rag_mix_and_headline_figures(kpis):
    lines = repr(kpis).splitlines()
    # CPI 620 / 580 = 1.069; SPI 620 / 600 = 1.033; BAC 1000 + 500 + 100 + 100; EAC 1700 / 1.069 = 1590
    assert lines[0] == "Kpis for 2024-03 (March 2024) · PMO · EUR"
    assert lines[1].startswith("  2 programs, 4 projects: ")
    assert "CPI 1.07 · SPI 1.03" in lines[2] and "BAC €1.7k · EAC €1.6k" in lines[2]
    assert lines[3] == "  3 milestones (1 missed) · 2 risks (1 open) · 2 issues (1 open)"
    assert len(lines) == 5 and "Config(" not in repr(kpis)
    mix = lines[1].split(": ", 1)[1]
    rated = kpis.projects["rag"].fillna("no data").tolist()
    for status in ("red", "amber", "green"):
        assert f"{rated.count(status)} {status}" in mix
    assert "<li>" in kpis._repr_html_() and "&lt;" not in kpis._repr_html_()


def test_a_view_is_indexed_by_id_renamed_and_formatted(kpis):
    v = kpis.view("projects", ["name", "cpi", "bac", "pct_complete", "at", "pd"])
    assert v.index.name == "project_id" and v.index.tolist() == ["A", "B", "C", "D"]
    assert list(v.columns) == ["name", "cpi", "bac", "pct_complete", "actual_time", "planned_duration"]
    # A: EV 270 / AC 300; BAC 1000; EV / BAC 27%; 3 months Jan-Mar. C has no financials yet.
    assert v.loc["A"].tolist()[:5] == ["Alpha", "0.90", "€1.0k", "27.0%", "3.0"]
    assert v.loc["C", "cpi"] == "n/a"
    raw = kpis.view("projects", ["cpi", "actual_time"], formatted=False)
    assert raw.loc["B", "cpi"] == pytest.approx(250 / 200) and raw.loc["D", "actual_time"] == 2.0
    assert kpis.view("portfolio").index.tolist() == ["portfolio"]


def test_views_never_clash_with_pandas_attributes_and_keep_the_tables_as_they_are(kpis):
    attributes = set(dir(pd.DataFrame))
    for table in VIEW_COLUMNS:
        assert not set(kpis.view(table, "all").columns) & attributes, table
    assert "at" in kpis.projects.columns and "pd" in kpis.projects.columns  # the CSV/JSON contract is unchanged
    assert kpis.projects.index.tolist() == [0, 1, 2, 3]


def test_unknown_tables_and_columns_are_named(kpis):
    with pytest.raises(KeyError, match="unknown table 'project'; the tables are portfolio, programs"):
        kpis.view("project")
    with pytest.raises(KeyError, match="projects has no column cost; its columns are project_id, program_id"):
        kpis.view("projects", ["name", "cost"])
    with pytest.raises(KeyError, match="unknown table 'x'"):
        kpis.describe("x")


def test_the_column_dictionary_describes_every_column(kpis):
    d = kpis.describe()
    assert list(d.columns) == ["table", "column", "view_name", "kind", "description"]
    assert len(d) == sum(len(getattr(kpis, t).columns) for t in VIEW_COLUMNS)
    assert (d["description"] != "").all(), d[d["description"] == ""]
    at = d[(d["table"] == "projects") & (d["column"] == "at")].iloc[0]
    assert (at["view_name"], at["kind"]) == ("actual_time", "months")
    assert set(kpis.describe("risks")["table"]) == {"risks"}


@pytest.mark.parametrize(("value", "kind", "currency", "text"), [
    (36042660.0, "money", "EUR", "€36.0M"),
    (-1500.0, "money", "USD", "-$1.5k"),
    (999.5, "money", "EUR", "€1.0k"),
    (2_450_000_000.0, "money", "GBP", "£2.5B"),
    (1234.0, "money", "CHF", "1.2k CHF"),
    (0.125, "percent", "EUR", "12.5%"),
    (1.005, "ratio", "EUR", "1.01"),
    (3.25, "months", "EUR", "3.3"),
    (14.5, "days", "EUR", "15"),
    (None, "ratio", "EUR", "n/a"),
    (float("nan"), "money", "EUR", "n/a"),
    (True, "bool", "EUR", "yes"),
    (pd.Timestamp("2026-10-31"), "date", "EUR", "2026-10-31"),
])
def test_values_are_written_as_the_reports_write_them(value, kind, currency, text):
    assert format_value(value, kind, currency) == text
