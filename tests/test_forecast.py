"""Risk-adjusted forecasts against cases with a closed-form answer (docs/kpis.md, "Risk-adjusted forecasts")."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from kpi_scenarios import monthly, typed

from pmo_nb.config import Config, ForecastConfig, parse_config
from pmo_nb.data.model import Portfolio
from pmo_nb.exceptions import ConfigError
from pmo_nb.metrics import evm, forecast, risks
from pmo_nb.metrics.kpis import compute, kpi_rows

PERIOD = "2024-04"


def _project(pid: str, program: str, budget: float = 1000.0, **kw: object) -> dict:
    row = {"project_id": pid, "program_id": program, "name": pid, "manager": "m", "phase": "execution",
           "baseline_start": "2024-01-01", "baseline_finish": "2024-10-31", "budget": budget,
           "last_updated": "2024-04-30"}
    row.update(kw)
    return row


def _risk(rid: str, pid: str, probability: int, cost: float | None, **kw: object) -> dict:
    row = {"risk_id": rid, "project_id": pid, "title": rid, "probability": probability, "impact": 3,
           "cost_impact": cost, "owner": "o", "status": "open", "raised_date": "2024-01-15"}
    row.update(kw)
    return row


def _portfolio(projects: list[dict], financials: list[dict], risk_rows: list[dict] | None = None) -> Portfolio:
    programs = typed("programs", [{"program_id": p, "name": p, "sponsor": "s", "manager": "m"}
                                  for p in sorted({r["program_id"] for r in projects})])
    out = Portfolio(programs=programs, projects=typed("projects", projects), financials=typed("financials", financials))
    if risk_rows is not None:
        out.risks = typed("risks", risk_rows)
    else:
        out.missing_tables = ("risks",)
    return out


def _steady(pid: str) -> list[dict]:
    """PV 100 a month Jan-Oct 2024 (BAC 1000); EV 80 and AC 100 a month Jan-Apr: CPI 0.8 and SPI(t) 0.8 every
    month. Point EAC = 1000 / 0.8 = 1250; IEAC(t) = 10 / 0.8 = 12.5 months from January 2024, i.e. half-way
    through January 2025 (day 16 of 31)."""
    return monthly(pid, "2024-01", [100.0] * 10, [80.0] * 4 + [0.0] * 6, [100.0] * 4 + [0.0] * 6)


def _inputs(pf: Portfolio, config: Config) -> tuple[forecast.Inputs, pd.DataFrame]:
    kpis = compute(pf, PERIOD, config)
    curves = evm.project_curves(pf.projects, pf.financials, PERIOD)
    return forecast.inputs(kpis.projects, curves, config), kpis.risks


def test_constant_cpi_and_no_risk_gives_the_point_eac_and_finish_in_every_draw():
    kpis = compute(_portfolio([_project("A", "P1")], _steady("A"), []), PERIOD)
    row = kpis.projects.iloc[0]
    assert row["eac"] == pytest.approx(1250.0)
    assert row["eac_p50"] == pytest.approx(1250.0, rel=1e-12)
    assert row["eac_p80"] == pytest.approx(1250.0, rel=1e-12)
    assert row["finish_p50"] == row["finish_p80"] == pd.Timestamp("2025-01-16") == row["es_forecast_finish"]
    assert row["p_within_budget"] == 0.0 and row["p_by_baseline"] == 0.0
    assert row["forecast_na_reason"] is None


def test_index_spread_is_the_sd_of_the_log_monthly_indices():
    # monthly CPI 100/100, 120/100, 80/100: sd of logs (ddof 1) by hand
    pf = _portfolio([_project("A", "P1")],
                    monthly("A", "2024-01", [100.0] * 10, [100.0, 120.0, 80.0, 0.0] + [0.0] * 6,
                            [100.0] * 3 + [0.0] * 7))
    curves = evm.project_curves(pf.projects, pf.financials, "2024-03")
    cpi_sd, spi_sd = forecast.index_spread(curves, 12)
    logs = [0.0, math.log(1.2), math.log(0.8)]
    mean = sum(logs) / 3
    assert cpi_sd[0] == pytest.approx(math.sqrt(sum((x - mean) ** 2 for x in logs) / 2))
    # schedule earned per month: 1.0, 1.2, 0.8 months (PV 100 a month)
    assert spi_sd[0] == pytest.approx(cpi_sd[0])


@pytest.mark.parametrize("level,impact", [(2, 200.0), (4, 50.0)])
def test_one_risk_shifts_the_mean_by_probability_times_impact(level, impact):
    config = Config()
    pf = _portfolio([_project("A", "P1")], _steady("A"), [_risk("R1", "A", level, impact)])
    inp, register = _inputs(pf, config)
    cost, _ = forecast.sample(inp, register, config)
    p = config.risks.probability_scale[level]
    n = config.forecast.draws
    error = impact * math.sqrt(p * (1 - p) / n)  # standard error of the mean of n Bernoulli(p) x impact
    assert abs(cost.mean() - (1250.0 + p * impact)) < 4 * error
    assert set(np.unique(cost.round(6))) == {1250.0, 1250.0 + impact}


def test_a_closed_risk_or_one_without_cost_adds_nothing():
    pf = _portfolio([_project("A", "P1")], _steady("A"), [
        _risk("R1", "A", 5, 500.0, status="closed", closed_date="2024-03-01"), _risk("R2", "A", 5, None)])
    row = compute(pf, PERIOD).projects.iloc[0]
    assert row["eac_p50"] == row["eac_p80"] == pytest.approx(1250.0)


def test_the_probability_scale_of_the_config_is_used():
    config = parse_config({"risks": {"probability_scale": {"1": 0.1, "2": 0.3, "3": 0.5, "4": 0.7, "5": 1.0}}})
    pf = _portfolio([_project("A", "P1")], _steady("A"), [_risk("R1", "A", 5, 300.0)])
    row = compute(pf, PERIOD, config).projects.iloc[0]
    assert row["eac_p50"] == row["eac_p80"] == pytest.approx(1550.0)


def test_schedule_impacts_delay_the_finish_with_their_probability():
    config = Config()
    pf = _portfolio([_project("A", "P1")], _steady("A"), [_risk("R1", "A", 4, 0.0)])
    inp, register = _inputs(pf, config)
    register = register.assign(**{forecast.SCHEDULE_IMPACT: [61.0]})
    cost, finish = forecast.sample(inp, register, config)
    assert np.all(cost == pytest.approx(1250.0))
    late = finish > inp.now[0] + 8.5 + 1e-9  # 12.5 months from January = clock + 8.5 after April's end
    assert abs(late.mean() - 0.7) < 4 * math.sqrt(0.7 * 0.3 / config.forecast.draws)
    shift = (finish[late] - (inp.now[0] + 8.5)) * forecast.DAYS_PER_MONTH
    assert shift == pytest.approx(61.0)


@pytest.mark.parametrize("level,days", [(2, 45), (4, 20)])
def test_one_risk_shifts_the_mean_finish_by_probability_times_its_schedule_impact(level, days):
    # no spread (steady indices): every draw finishes 8.5 months after April's end, plus the risk's delay when it
    # occurs; the mean delay is p x days (level 2: 0.3 x 45 = 13.5 days; level 4: 0.7 x 20 = 14 days)
    config = Config()
    pf = _portfolio([_project("A", "P1")], _steady("A"), [_risk("R1", "A", level, None, schedule_impact_days=days)])
    inp, register = _inputs(pf, config)
    assert register[forecast.SCHEDULE_IMPACT].tolist() == [days]  # the schema's column reaches the register
    cost, finish = forecast.sample(inp, register, config)
    delay = (finish - (inp.now[0] + 8.5)) * forecast.DAYS_PER_MONTH
    p, n = config.risks.probability_scale[level], config.forecast.draws
    assert abs(delay.mean() - p * days) < 4 * days * math.sqrt(p * (1 - p) / n)
    assert np.all(cost == pytest.approx(1250.0))


def test_schedule_impact_days_is_read_and_checked_from_the_source(tmp_path):
    from ingest_helpers import csv_folder, edit_csv

    from pmo_nb.data.ingest import check, load

    folder = csv_folder(tmp_path)
    assert load(folder).risks["schedule_impact_days"].tolist()[:1] == [30]
    edit_csv(folder, "risks", 2, "schedule_impact_days", "-5")
    assert [(f.table, f.row, f.column, f.rule) for f in check(folder).findings] == [
        ("risks", 2, "schedule_impact_days", "must be 0 or more")]


def test_finished_projects_have_no_spread_and_ignore_their_risks():
    # EV reaches BAC in March: cost is what was spent, finish the end of March, in every draw
    fin = monthly("D", "2024-01", [50.0, 50.0, 0.0, 0.0], [30.0, 40.0, 30.0, 0.0], [40.0, 50.0, 20.0, 0.0])
    pf = _portfolio([_project("D", "P1", budget=100.0, baseline_finish="2024-02-29")], fin,
                    [_risk("R1", "D", 5, 1000.0, schedule_impact_days=30)])
    row = compute(pf, PERIOD).projects.iloc[0]
    assert row["eac_p50"] == row["eac_p80"] == 110.0
    assert row["finish_p50"] == row["finish_p80"] == pd.Timestamp("2024-03-31")
    assert row["p_within_budget"] == 0.0 and row["p_by_baseline"] == 0.0


def test_projects_without_cost_data_are_na_with_a_reason():
    no_ac = [dict(r, actual_cost=None) for r in _steady("B")]
    pf = _portfolio([_project("A", "P1", baseline_start="2025-01-01", baseline_finish="2025-06-30"),
                     _project("B", "P1")], no_ac, [])
    rows = compute(pf, PERIOD).projects.set_index("project_id")
    for pid, reason in (("A", evm.NO_FINANCIALS), ("B", evm.NO_ACTUAL_COST)):
        assert all(pd.isna(rows.loc[pid, c]) for c in ("eac_p50", "eac_p80", "p_within_budget")), pid
        assert reason in rows.loc[pid, "forecast_na_reason"]
    assert pd.isna(rows.loc["A", "finish_p50"])
    # B's schedule has EV: its finish is forecast, only its cost is NA
    assert rows.loc["B", "finish_p50"] == pd.Timestamp("2025-01-16")


def test_programs_sum_draws_not_percentiles():
    # Two projects at EAC 1250, each with a 30% risk of 100. A project's P80 includes its risk (1350); the
    # program's P80 is 2600 (at most one risk in 91% of draws), not the sum of P80s (2700).
    pf = _portfolio([_project("A", "P1"), _project("B", "P1")], _steady("A") + _steady("B"),
                    [_risk("R1", "A", 2, 100.0), _risk("R2", "B", 2, 100.0)])
    kpis = compute(pf, PERIOD)
    assert kpis.projects["eac_p80"].tolist() == pytest.approx([1350.0, 1350.0])
    program = kpis.programs.iloc[0]
    assert program["eac_p80"] == pytest.approx(2600.0)
    assert kpis.portfolio.iloc[0]["eac_p80"] == pytest.approx(2600.0)
    assert program["p_within_budget"] == 0.0
    assert program["finish_p80"] == pd.Timestamp("2025-01-16")


def test_a_program_counts_projects_without_a_forecast_at_their_plan():
    pf = _portfolio([_project("A", "P1"),
                     _project("C", "P1", budget=300.0, baseline_start="2025-01-01", baseline_finish="2025-06-30")],
                    _steady("A"), [])
    program = compute(pf, PERIOD).programs.iloc[0]
    assert program["eac_p50"] == pytest.approx(1250.0 + 300.0)
    assert program["finish_p50"] == pd.Timestamp("2025-06-30")
    assert program["p_by_baseline"] == 1.0  # the latest baseline finish is C's, which C meets by assumption


def test_same_seed_same_figures_other_seed_other_draws():
    fin = monthly("A", "2024-01", [100.0] * 10, [90.0, 70.0, 85.0, 75.0] + [0.0] * 6, [100.0] * 4 + [0.0] * 6)
    pf = _portfolio([_project("A", "P1")], fin, [_risk("R1", "A", 3, 100.0)])
    one = kpi_rows(compute(pf, PERIOD), "project")
    two = kpi_rows(compute(pf, PERIOD), "project")
    pd.testing.assert_frame_equal(one, two)
    other = Config(forecast=ForecastConfig(seed=7))
    three = kpi_rows(compute(pf, PERIOD, other), "project")
    assert three.loc[0, "eac_p80"] != one.loc[0, "eac_p80"]
    assert three.loc[0, "eac_p80"] == pytest.approx(one.loc[0, "eac_p80"], rel=0.01)


def test_draws_do_not_depend_on_the_chunking(monkeypatch):
    fin = monthly("A", "2024-01", [100.0] * 10, [90.0, 70.0, 85.0, 75.0] + [0.0] * 6, [100.0] * 4 + [0.0] * 6)
    pf = _portfolio([_project("A", "P1")], fin, [])
    config = replace(Config(), forecast=ForecastConfig(draws=1000))
    inp, register = _inputs(pf, config)
    cost, _ = forecast.sample(inp, register, config)
    # median of cost draws = cost at the median CPI (the cumulative CPI): the point EAC
    assert np.median(cost) == pytest.approx(compute(pf, PERIOD).projects.iloc[0]["eac"], rel=0.01)


def test_the_register_is_read_as_the_month_sees_it():
    pf = _portfolio([_project("A", "P1")], _steady("A"), [_risk("R1", "A", 5, 100.0, raised_date="2024-06-01")])
    register = risks.risk_register(pf.risks, PERIOD)
    assert register.empty  # raised after the month: it does not count yet
    assert compute(pf, PERIOD).projects.iloc[0]["eac_p80"] == pytest.approx(1250.0)


@pytest.mark.parametrize("date", ["2024-01-31", "2024-02-15", "2024-02-29", "2025-01-16", "2023-12-01"])
def test_month_clock_round_trip(date):
    clock = forecast.clock_of([pd.Timestamp(date)])
    assert pd.Timestamp(forecast.date_of(clock)[0]) == pd.Timestamp(date)


@pytest.mark.parametrize("raw,key", [({"draws": 10}, "forecast.draws"), ({"seed": -1}, "forecast.seed"),
                                     ({"sed": 1}, "forecast.sed"),
                                     ({"history_months": 1.5}, "forecast.history_months")])
def test_bad_forecast_settings_name_the_key(raw, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_config({"forecast": raw})
