"""The sample portfolio: determinism, committed data/sample, validity, designed situations, formats, CLI."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pmo_nb.cli import cli
from pmo_nb.data import sample, sample_catalogue
from pmo_nb.data.ingest import load
from pmo_nb.data.model import empty_table
from pmo_nb.schema import PHASES, RAID_TABLES, SEVERITIES, TABLE_NAMES, TABLES

REPORT_END = pd.Timestamp("2026-10-31")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return sample.generate()


def evm(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Cumulative PV/EV/AC, CPI and SPI per project at the last month, computed here from the monthly rows."""
    fin = tables["financials"]
    cum = fin.groupby("project_id")[["planned_value", "earned_value", "actual_cost"]].sum()
    cum["cpi"] = cum["earned_value"] / cum["actual_cost"]
    cum["spi"] = cum["earned_value"] / cum["planned_value"]
    return tables["projects"].set_index("project_id").join(cum)


def assert_valid(t: dict[str, pd.DataFrame], period: str) -> None:
    """The data-model rules, checked independently of pmo_nb.data.validate."""
    end = pd.Period(period, freq="M").end_time.normalize()
    for name in TABLE_NAMES:
        df = t[name]
        assert list(df.columns) == TABLES[name].column_names, name
        assert not df.duplicated(list(TABLES[name].key)).any(), f"{name}: duplicate key"
        for col in TABLES[name].required_columns:
            assert df[col].notna().all(), f"{name}.{col} has missing values"
    prj, fin, ms, rk, iss = (t[n] for n in ("projects", "financials", "milestones", "risks", "issues"))
    assert prj["program_id"].isin(t["programs"]["program_id"]).all()
    for df in (fin, ms, rk, iss):
        assert df["project_id"].isin(prj["project_id"]).all()
    assert (prj["baseline_finish"] >= prj["baseline_start"]).all()
    assert prj["budget"].between(50_000, 20_000_000).all()
    assert set(prj["phase"]) <= set(PHASES) and set(prj["reported_status"]) <= {"green", "amber", "red"}
    assert (prj["last_updated"] <= end).all()
    # financials: months within the window, one contiguous run per project, cumulative never negative
    assert fin["period"].max() <= period
    assert fin["period"].str.fullmatch(r"\d{4}-\d{2}").all()
    month = pd.PeriodIndex(fin["period"], freq="M").asi8
    runs = pd.DataFrame({"p": fin["project_id"], "m": month}).groupby("p")["m"].agg(["min", "max", "size"])
    assert ((runs["max"] - runs["min"] + 1) == runs["size"]).all()
    money = ["planned_value", "earned_value", "actual_cost"]
    assert np.isfinite(fin[money].to_numpy()).all()
    assert (fin.groupby("project_id")[money].cumsum() >= -0.005).all().all()
    # milestones: nothing achieved after the reporting month; an open milestone due is forecast later
    assert (ms["actual_date"].dropna() <= end).all()
    open_due = ms["actual_date"].isna() & (ms["baseline_date"] <= end)
    assert (ms.loc[open_due, "forecast_date"] > end).all()
    # risks and issues
    assert rk["probability"].between(1, 5).all() and rk["impact"].between(1, 5).all()
    assert (rk["cost_impact"].dropna() >= 0).all()
    for df, raised in ((rk, "raised_date"), (iss, "opened_date")):
        assert set(df["status"]) <= {"open", "closed"}
        closed = df["status"] == "closed"
        assert df.loc[closed, "closed_date"].notna().all()
        assert df.loc[~closed, "closed_date"].isna().all()
        assert (df.loc[closed, "closed_date"] >= df.loc[closed, raised]).all()
        assert (df[raised] <= end).all() and (df["closed_date"].dropna() <= end).all()
    assert set(iss["severity"]) <= set(SEVERITIES)
    # benefits: every program has one, each a change to make, due after its trajectory starts
    ben = t["benefits"]
    assert set(ben["program_id"]) == set(t["programs"]["program_id"])
    assert (ben["target"] != ben["baseline"]).all()
    assert (ben["start_date"].isna() | (ben["start_date"] <= ben["target_date"])).all()
    assert (rk["schedule_impact_days"].dropna() >= 0).all()


def csv_bytes(t: dict[str, pd.DataFrame], folder) -> dict[str, bytes]:
    sample.write(t, folder)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- determinism and the committed data ------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path, tables):
    first = csv_bytes(tables, tmp_path / "a")
    again = csv_bytes(sample.generate(7), tmp_path / "b")
    other = csv_bytes(sample.generate(8), tmp_path / "c")
    assert first == again
    assert sorted(first) == [f"{n}.csv" for n in sorted(TABLE_NAMES)]
    assert first["financials.csv"] != other["financials.csv"]
    assert first["risks.csv"] != other["risks.csv"]
    # the designed programs and project list do not depend on the seed
    assert first["programs.csv"] == other["programs.csv"]


def test_committed_sample_is_the_generator_output(tmp_path, sample_dir, tables):
    fresh = csv_bytes(tables, tmp_path)
    committed = {p.name: p.read_bytes() for p in sorted(sample_dir.iterdir()) if p.is_file()}
    assert committed.keys() == fresh.keys(), "data/sample has extra or missing files"
    for name in fresh:
        assert committed[name] == fresh[name], f"data/sample/{name} differs: run `make sample`, never edit it"


def test_csv_files_are_utf8_lf_iso_dates_two_decimal_money(tmp_path, tables):
    files = csv_bytes(tables, tmp_path)
    for name, data in files.items():
        assert not data.startswith(b"\xef\xbb\xbf"), name
        assert b"\r" not in data, name
        data.decode("utf-8")
    projects = files["projects.csv"].decode()
    assert "Julien Lef\u00e8vre" in projects  # non-ASCII names survive as UTF-8
    fin = files["financials.csv"].decode().splitlines()
    assert fin[0] == "project_id,period,planned_value,earned_value,actual_cost"
    assert all(re.fullmatch(r"[A-Z]{3}-\d{3},\d{4}-\d{2}(,\d+\.\d{2}){3}", line) for line in fin[1:])
    ms = files["milestones.csv"].decode().splitlines()
    assert ms[1].split(",")[3] == str(tables["milestones"]["baseline_date"].iloc[0].date())
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", ms[1].split(",")[3])
    assert ms[1].rsplit(",", 1)[1] in {"true", "false"}


def test_committed_sample_loads_and_equals_generate(sample_dir, tables):
    portfolio = load(sample_dir)
    assert portfolio.missing_tables == ()
    assert portfolio.periods[0] == "2024-11" and portfolio.periods[-1] == sample.SAMPLE_PERIOD
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(portfolio.table(name).reset_index(drop=True), tables[name])


def test_tables_have_the_model_dtypes(tables):
    for name in TABLE_NAMES:
        expected = empty_table(name).dtypes
        pd.testing.assert_series_equal(tables[name].dtypes, expected, obj=name)


# --- sizes and validity ---------------------------------------------------------------------------------


def test_sizes_and_vocabulary(tables):
    prg, prj, ms, rk, iss = (tables[n] for n in ("programs", "projects", "milestones", "risks", "issues"))
    assert len(prg) == 5 and len(prj) == 34
    assert prg["program_id"].str.fullmatch(r"PRG-[A-Z]{3}").all()
    assert prj["project_id"].str.fullmatch(r"[A-Z]{3}-\d{3}").all()
    assert set(prj["phase"]) == set(PHASES)
    assert prj["budget"].min() == 55_000 and prj["budget"].max() == 18_500_000
    assert prg["sponsor"].nunique() == 5 and prj["manager"].nunique() >= 30
    assert len(ms) >= 150 and 0.2 <= ms["key_milestone"].mean() <= 0.35
    assert len(rk) >= 200 and len(iss) >= 150
    assert set(rk["category"]) == set(sample_catalogue.RISK_CATEGORIES)
    assert set(iss["severity"]) == set(SEVERITIES)
    assert rk["owner"].nunique() >= 20 and rk["response"].notna().all()


@pytest.mark.parametrize("seed", [7, 1, 2024])
def test_generated_data_is_valid(seed):
    assert_valid(sample.generate(seed), sample.SAMPLE_PERIOD)


def test_financials_cover_24_months_while_active(tables):
    fin, prj = tables["financials"], tables["projects"].set_index("project_id")
    assert sorted(fin["period"].unique()) == [str(p) for p in pd.period_range("2024-11", "2026-10", freq="M")]
    first = fin.groupby("project_id")["period"].min()
    starts = prj.loc[first.index, "baseline_start"].dt.strftime("%Y-%m")
    assert (first == starts).all()  # rows start with the baseline start month
    assert "DCX-008" not in set(fin["project_id"])  # starts next month: no financials yet
    # PV sums to the budget for every project whose baseline finished by the reporting month
    pv = fin.groupby("project_id")["planned_value"].sum()
    done = prj.index[prj["baseline_finish"] <= REPORT_END]
    assert len(done) >= 6
    np.testing.assert_allclose(pv[done], prj.loc[done, "budget"], atol=0.005)


def test_pv_is_the_smoothstep_s_curve_hand_computed(tables):
    # DAP-005: budget 260,000 over 8 baseline months. F(x) = 3x^2 - 2x^3, F(1/8) = 0.04296875 and
    # F(2/8) = 0.15625, so month 1 books 11,171.875 -> 11,171.88 (cumulative rounded to cents) and
    # month 2 books 40,625.00 - 11,171.88 = 29,453.12. Month 8 books 260,000 - 260,000 x F(7/8)
    # = 260,000 x (1 - 0.95703125) = 11,171.875, rounded on the cumulative 248,828.125 -> 248,828.12.
    pv = tables["financials"].query("project_id == 'DAP-005'")["planned_value"].tolist()
    assert len(pv) == 8
    assert pv[0] == 11171.88 and pv[1] == 29453.12 and pv[7] == 11171.88
    assert round(sum(pv), 2) == 260_000.00


def test_projects_phases_match_their_dates(tables):
    prj = tables["projects"].set_index("project_id")
    fin = tables["financials"]
    last = fin.groupby("project_id")["period"].max()
    for pid, row in prj.iterrows():
        finish = row["forecast_finish"]
        if row["phase"] == "closed":
            assert last[pid] < sample.SAMPLE_PERIOD and finish < pd.Timestamp("2026-10-01"), pid
        elif row["phase"] == "closing":
            assert pd.Timestamp("2026-06-01") <= finish <= REPORT_END, pid
        elif row["phase"] == "initiation":
            assert row["baseline_start"] >= pd.Timestamp("2026-09-01"), pid
        else:  # planning and execution: started, not finished
            assert row["baseline_start"] <= REPORT_END < row["forecast_finish"], pid
            if row["phase"] == "planning":
                assert row["baseline_start"] >= pd.Timestamp("2026-04-01"), pid


# --- designed situations --------------------------------------------------------------------------------


def situation_holds(tag: str, pid: str, t: dict[str, pd.DataFrame], k: pd.DataFrame) -> bool:
    row = k.loc[pid]
    cpi, spi = row["cpi"], row["spi"]
    ms = t["milestones"][t["milestones"]["project_id"] == pid]
    rk = t["risks"][t["risks"]["project_id"] == pid]
    iss = t["issues"][t["issues"]["project_id"] == pid]
    pv = t["financials"].loc[t["financials"]["project_id"] == pid, "planned_value"].to_numpy()
    open_risk = rk["status"] == "open"
    if tag == "on_track":
        return cpi >= 0.95 and spi >= 0.95
    if tag == "over_budget":
        return cpi < 0.90
    if tag == "behind_schedule":
        return spi < 0.90
    if tag == "green_mismatch":
        return row["reported_status"] == "green" and min(cpi, spi) < 0.90
    if tag == "amber_band":
        return 0.90 <= min(cpi, spi) < 0.95
    if tag == "finished":
        return abs(row["earned_value"] - row["budget"]) < 0.005 and row["phase"] in ("closing", "closed")
    if tag == "flat_pv":
        return len(pv) > 2 and (pv[1:-1] == 0).any() and pv[0] > 0 and pv[-1] > 0
    if tag == "no_financials":
        return row["phase"] == "initiation" and np.isnan(row["planned_value"])
    if tag == "missed_key_milestone":
        missed = (ms["baseline_date"] <= REPORT_END) & ms["actual_date"].isna()
        return bool((ms["key_milestone"] & missed).any())
    if tag == "critical_risk":
        return bool((open_risk & (rk["probability"] * rk["impact"] >= 20)).any())
    if tag == "stale":
        return row["last_updated"] < REPORT_END - pd.Timedelta(days=60)
    if tag == "clean_program":
        missed = (ms["baseline_date"] <= REPORT_END) & ms["actual_date"].isna()
        late = ms["actual_date"] > ms["baseline_date"]
        overdue = open_risk & (rk["response_due"] <= REPORT_END)
        high_risk = open_risk & (rk["probability"] * rk["impact"] >= 15)
        open_issue = iss["status"] == "open"
        ageing = open_issue & (iss["opened_date"] < REPORT_END - pd.Timedelta(days=90))
        severe = open_issue & iss["severity"].isin(["high", "critical"])
        indices_ok = np.isnan(cpi) or min(cpi, spi) >= 0.95
        fresh = row["last_updated"] >= REPORT_END - pd.Timedelta(days=60)
        return bool(row["reported_status"] == "green" and indices_ok and fresh and not (
            missed.any() or late.any() or overdue.any() or high_risk.any() or ageing.any() or severe.any()))
    raise AssertionError(f"unknown situation {tag}")


@pytest.mark.parametrize("seed", [7, 1, 2024])
def test_designed_situations_are_realised(seed):
    t = sample.generate(seed)
    k = evm(t)
    failed = [(pid, tag) for pid, tags in sample.SITUATIONS.items() for tag in tags
              if not situation_holds(tag, pid, t, k)]
    assert failed == []
    assert set(sample.SITUATION_TAGS) == {tag for tags in sample.SITUATIONS.values() for tag in tags}
    # the whole clean program is tagged
    net = t["projects"].loc[t["projects"]["program_id"] == "PRG-NET", "project_id"]
    assert all("clean_program" in sample.SITUATIONS[p] for p in net)


def test_situation_check_fails_on_broken_data(tables):
    # the checker is not vacuous: flip DCX-002's report to red and remove its missed key milestone
    t = {name: df.copy() for name, df in tables.items()}
    t["projects"].loc[t["projects"]["project_id"] == "DCX-002", "reported_status"] = "red"
    ms = t["milestones"]
    ms.loc[(ms["project_id"] == "DCX-002") & ms["key_milestone"], "actual_date"] = pd.Timestamp("2026-10-01")
    k = evm(t)
    assert not situation_holds("green_mismatch", "DCX-002", t, k)
    assert not situation_holds("missed_key_milestone", "DCX-002", t, k)
    assert situation_holds("over_budget", "DCX-002", t, k)


def test_portfolio_wide_situations(tables):
    k = evm(tables)
    ms, rk, iss = tables["milestones"], tables["risks"], tables["issues"]
    assert ((k["reported_status"] == "green") & (k[["cpi", "spi"]].min(axis=1) < 0.90)).sum() >= 2
    achieved = ms["actual_date"].notna()
    assert (achieved & (ms["actual_date"] > ms["baseline_date"])).sum() >= 10  # achieved late
    assert (achieved & (ms["actual_date"] <= ms["baseline_date"])).sum() >= 10  # on time
    slipped = ~achieved & (ms["forecast_date"] > ms["baseline_date"])
    assert slipped.sum() >= 5
    missed = ~achieved & (ms["baseline_date"] <= REPORT_END)
    assert missed.sum() >= 3 and (missed & ms["key_milestone"]).sum() >= 2
    upcoming = ~achieved & (ms["forecast_date"] > REPORT_END) & (
        ms["forecast_date"] <= REPORT_END + pd.Timedelta(days=90))
    assert upcoming.sum() >= 10
    open_risk = rk["status"] == "open"
    critical = open_risk & (rk["probability"] * rk["impact"] >= 20)
    assert 3 <= critical.sum() <= 15
    assert (open_risk & (rk["response_due"] <= REPORT_END)).sum() >= 5  # overdue responses
    assert (rk["status"] == "closed").sum() >= 30 and rk["cost_impact"].isna().sum() >= 1
    open_issue = iss["status"] == "open"
    assert (open_issue & (iss["opened_date"] < REPORT_END - pd.Timedelta(days=90))).sum() >= 5
    assert (iss["status"] == "closed").sum() >= 50
    assert set(iss.loc[open_issue, "severity"]) == set(SEVERITIES)
    stale = k["last_updated"] < REPORT_END - pd.Timedelta(days=60)
    assert 2 <= stale.sum() <= 5


# --- other periods, sizes and errors ---------------------------------------------------------------------


def test_period_moves_every_date():
    t = sample.generate(period="2025-06")
    assert t["financials"]["period"].min() == "2023-07" and t["financials"]["period"].max() == "2025-06"
    assert_valid(t, "2025-06")
    assert t["projects"]["last_updated"].max() <= pd.Timestamp("2025-06-30")


def test_scaled_portfolio_sizes_and_validity():
    t = sample.generate(3, programs=12, projects=300, months=36, milestones=900, risks=1500, issues=700)
    counts = {name: len(df) for name, df in t.items()}
    assert counts == {"programs": 12, "projects": 300, "financials": counts["financials"], "milestones": 900,
                      "risks": 1500, "issues": 700, "contacts": counts["contacts"], "benefits": 11 + 7,
                      **{name: len(sample.generate()[name]) for name in RAID_TABLES}}  # designed rows only
    people = set(t["programs"]["manager"]) | set(t["programs"]["sponsor"])  # one contact per person
    assert counts["contacts"] == len(people) and set(t["contacts"]["name"]) == people
    assert t["financials"]["period"].nunique() == 36 and counts["financials"] > 300 * 10
    assert_valid(t, sample.SAMPLE_PERIOD)
    assert set(t["projects"]["phase"]) == set(PHASES)
    # the designed core is unchanged by the extra programs
    pd.testing.assert_frame_equal(t["programs"].head(5), sample.generate(3)["programs"])


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"months": 12}, "months=12 is too small"),
        ({"projects": 20}, "projects=20 is too small"),
        ({"projects": 100}, "extra projects need extra programs"),
        ({"programs": 9, "projects": 36}, "every extra program needs at least one extra project"),
        ({"teams": 3}, "unknown size teams"),
    ],
)
def test_bad_sizes_raise_clear_errors(sizes, message):
    with pytest.raises(ValueError, match=message):
        sample.generate(**sizes)


def test_bad_period_and_format(tmp_path, tables):
    with pytest.raises(ValueError, match="'2026-13' is not a month: use YYYY-MM"):
        sample.generate(period="2026-13")
    with pytest.raises(ValueError, match="unknown format 'json'"):
        sample.write(tables, tmp_path, "json")  # type: ignore[arg-type]


# --- formats ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sample.FORMATS)
def test_each_format_writes_and_reads_back(tmp_path, tables, fmt):
    written = sample.write(tables, tmp_path, fmt)
    assert all(p.is_file() for p in written)
    if fmt == "xlsx":
        assert [p.name for p in written] == [sample.WORKBOOK_NAME]
        source = written[0]
    else:
        assert sorted(p.name for p in written) == sorted(f"{n}.{fmt}" for n in TABLE_NAMES)
        source = tmp_path
    portfolio = load(source)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(portfolio.table(name).reset_index(drop=True), tables[name], obj=name)


# --- CLI --------------------------------------------------------------------------------------------------


def test_cli_sample_writes_the_committed_data(tmp_path, sample_dir):
    result = CliRunner().invoke(cli, ["sample", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "34 projects" in result.output
    for path in sample_dir.iterdir():
        assert (tmp_path / "s" / path.name).read_bytes() == path.read_bytes()


def test_cli_sample_scale_and_parquet(tmp_path):
    result = CliRunner().invoke(cli, ["sample", "--out", str(tmp_path), "--format", "parquet", "--scale", "2",
                                      "--seed", "5", "--months", "30"])
    assert result.exit_code == 0, result.output
    projects = pd.read_parquet(tmp_path / "projects.parquet")
    assert len(projects) == 68 and len(pd.read_parquet(tmp_path / "risks.parquet")) == 480
    assert pd.read_parquet(tmp_path / "financials.parquet")["period"].nunique() == 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "Oct 2026"], "is not a month"),
        (["--projects", "100"], "extra projects need extra programs"),
        (["--format", "json"], "'json' is not one of"),
        (["--months", "6"], "6 is not in the range x>=24"),
    ],
)
def test_cli_sample_bad_arguments(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["sample", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_cli_sample_unwritable_out_is_one_line_error(tmp_path):
    blocker = tmp_path / "report.txt"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(cli, ["sample", "--out", str(blocker / "sample")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot write the sample to {blocker / 'sample'}: ")
    assert "Traceback" not in result.output
