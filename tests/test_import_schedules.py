"""pmo-nb import on real schedule files written with MPXJ itself (MSPDI, XER, PMXML) and a GanttProject file.

Every figure is compared with what was written; the Alpha plan is the hand-checked case of docs/importing.md.
The JVM starts once per test session (the ``mpxj`` fixture).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from import_helpers import JVM, SCHEDULES, P, T

from pmo_nb.cli import cli
from pmo_nb.data.imports import import_schedules
from tests import import_helpers as h

pytestmark = JVM


@pytest.fixture(scope="session")
def mpxj() -> None:
    from pmo_nb.data.imports.mpxj_reader import start_jvm

    start_jvm()


@pytest.fixture(scope="session")
def files(mpxj: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("schedules")
    out = {
        "alpha-03.xml": h.write(root / "alpha-03.xml", h.alpha(3)),
        "alpha-04.xml": h.write(root / "alpha-04.xml", h.alpha(4)),
        "multi.xer": h.write(root / "multi.xer", *P6_PROJECTS),
        "multi.pmxml": h.write(root / "multi.pmxml", *P6_PROJECTS),
        "hours.xml": h.write(root / "hours.xml", HOURS),
        "nostatus.xml": h.write(root / "nostatus.xml", P("NS", "No status", tasks=HOURS.tasks)),
        "unbaselined.xml": h.write(root / "unbaselined.xml", UNBASELINED),
    }
    return out


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False, dtype=str)
            for name in ("programs", "projects", "financials", "milestones")}


def _money(df: pd.DataFrame, col: str) -> list[float]:
    return [float(v) for v in df[col]]


def _validate(folder: Path) -> None:
    res = CliRunner().invoke(cli, ["validate", str(folder)])
    assert res.exit_code == 0, res.output


# ---------------------------------------------------------------------------------------------- MSPDI, hand-checked
def test_alpha_mspdi_hand_checked(files: dict[str, Path], tmp_path: Path) -> None:
    cfg = tmp_path / "pmo.toml"
    cfg.write_text('[import]\nkey_milestone = "Flag1"\n')
    res = CliRunner().invoke(cli, ["import", str(files["alpha-03.xml"]), "--into", str(tmp_path / "out"),
                                   "--program", "PRG-1", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    # BAC 20,000 + 60,000 + 20,000; EV 20,000 x 100% + 60,000 x 40%; AC 21,000 + 30,000;
    # PV to Fri 13 March: Design 20,000 + Develop 60,000 x 30/40 working days
    assert "BAC 100,000.00; to 2026-03-13: PV 65,000.00, EV 44,000.00, AC 51,000.00" in res.output
    assert "left out: nothing" in res.output and "passes `pmo-nb validate`" in res.output
    t = _tables(tmp_path / "out")
    proj = t["projects"].iloc[0]
    assert proj["project_id"] == "Alpha-rollout"  # MSPDI has no project id: the name, as an id
    assert (proj["program_id"], proj["name"], proj["manager"]) == ("PRG-1", "Alpha rollout", "Ann Lee")
    assert (proj["baseline_start"], proj["baseline_finish"], proj["forecast_finish"]) == (
        "2026-01-05", "2026-04-24", "2026-04-30")
    assert float(proj["budget"]) == 100000.0 and proj["status_date"] == "2026-03-13"
    fin = t["financials"]
    assert fin["period"].tolist() == ["2026-01", "2026-02", "2026-03", "2026-04"]
    # Jan: Design; Feb: Develop 20/40; Mar: Develop 20/40 + Test 2/20; Apr: Test 18/20
    assert _money(fin, "planned_value") == [20000.0, 30000.0, 32000.0, 18000.0]
    assert _money(fin, "earned_value") == [0.0, 0.0, 44000.0, 0.0]
    assert _money(fin, "actual_cost") == [0.0, 0.0, 51000.0, 0.0]
    ms = t["milestones"]
    assert ms[["name", "baseline_date", "forecast_date", "actual_date", "key_milestone"]].values.tolist() == [
        ["Design approved", "2026-01-30", "", "2026-02-03", "True"],
        ["Go live", "2026-04-24", "2026-04-30", "", "False"],
    ]
    assert t["programs"].values.tolist() == [["PRG-1", "PRG-1", "unknown", "unknown", ""]]
    _validate(tmp_path / "out")


def test_two_monthly_imports_build_the_history_and_reimport_is_idempotent(files: dict[str, Path],
                                                                           tmp_path: Path) -> None:
    out = tmp_path / "out"
    import_schedules([files["alpha-03.xml"]], out)
    first = (out / "financials.csv").read_text()
    import_schedules([files["alpha-03.xml"]], out)  # the same month again: replaced, not added
    assert (out / "financials.csv").read_text() == first
    result = import_schedules([files["alpha-04.xml"]], out)
    assert result.files[0].snapshots[0].period == "2026-04"
    fin = _tables(out)["financials"]
    # April: EV 20,000 + 60,000 x 80% + 20,000 x 10% = 70,000; AC 21,000 + 55,000 + 2,500 = 78,500;
    # the month's amounts are the differences from March's snapshot
    assert _money(fin, "earned_value") == [0.0, 0.0, 44000.0, 26000.0]
    assert _money(fin, "actual_cost") == [0.0, 0.0, 51000.0, 27500.0]
    assert sum(_money(fin, "earned_value")) == 70000.0 and sum(_money(fin, "actual_cost")) == 78500.0
    assert _tables(out)["projects"]["status_date"].tolist() == ["2026-04-10"]
    snapshot_after_both = {n: (out / f"{n}.csv").read_text() for n in ("projects", "financials", "milestones")}
    # re-importing March after April changes nothing; so does importing April again
    replaced = import_schedules([files["alpha-03.xml"], files["alpha-04.xml"]], out)
    assert all(r.replaced == ["Alpha-rollout"] for r in replaced.files)
    assert {n: (out / f"{n}.csv").read_text() for n in snapshot_after_both} == snapshot_after_both
    _validate(out)


# ---------------------------------------------------------------------------------------------- Primavera
P6_PROJECTS = [
    P("P-A", "Alpha depot", status=(2026, 3, 13), summary="Depot", tasks=[
        T("Build", (2026, 2, 2), (2026, 4, 24), baseline=((2026, 2, 2), (2026, 4, 24)), cost=90000,
          actual_cost=30000, pct=40, actual_start=(2026, 2, 2)),
        T("Handover", (2026, 4, 24), (2026, 4, 24), milestone=True),
    ]),
    P("P-B", "Beta depot", status=(2026, 3, 13), summary="Depot B", tasks=[
        T("Survey", (2026, 3, 2), (2026, 3, 27), baseline=((2026, 3, 2), (2026, 3, 27)), cost=30000,
          actual_cost=12000, pct=50, actual_start=(2026, 3, 2)),
    ]),
]


@pytest.mark.parametrize("name", ["multi.xer", "multi.pmxml"])
def test_multi_project_primavera_file(files: dict[str, Path], tmp_path: Path, name: str) -> None:
    result = import_schedules([files[name]], tmp_path / "out", program="DEPOTS")
    snaps = {s.project_id: s for s in result.files[0].snapshots}
    assert sorted(snaps) == ["P-A", "P-B"]
    a, b = snaps["P-A"], snaps["P-B"]
    # P-A: 60 working days 2 Feb - 24 Apr, 30 of them to 13 March; P-B: 20 days 2-27 March, 10 to 13 March
    assert (a.bac, a.ev, a.ac, a.pv_to_status) == pytest.approx((90000.0, 36000.0, 30000.0, 45000.0))
    assert (b.bac, b.ev, b.ac, b.pv_to_status) == pytest.approx((30000.0, 15000.0, 12000.0, 15000.0))
    assert any("planned cost" in x for x in a.assumed)  # P6 files carry no baseline cost here: said so
    t = _tables(tmp_path / "out")
    fin = t["financials"].set_index(["project_id", "period"])
    assert float(fin.loc[("P-A", "2026-02"), "planned_value"]) == 30000.0  # 20 of 60 days
    assert float(fin.loc[("P-A", "2026-03"), "planned_value"]) == 33000.0  # 22 of 60 days
    assert float(fin.loc[("P-A", "2026-04"), "planned_value"]) == 27000.0  # 18 of 60 days
    assert float(fin.loc[("P-B", "2026-03"), "earned_value"]) == 15000.0
    ms = t["milestones"]
    assert ms[["project_id", "name", "baseline_date"]].values.tolist() == [["P-A", "Handover", "2026-04-24"]]
    assert sorted(t["projects"]["program_id"]) == ["DEPOTS", "DEPOTS"]
    _validate(tmp_path / "out")


# ---------------------------------------------------------------------------------------------- hours, no status
HOURS = P("H-1", "Hotel refit", status=(2026, 3, 13), manager="Kim Park", tasks=[
    T("Strip out", (2026, 1, 5), (2026, 1, 30), baseline=((2026, 1, 5), (2026, 1, 30)), baseline_work=160,
      work=160, actual_work=170, pct=100, actual_start=(2026, 1, 5), actual_finish=(2026, 1, 30)),
    T("Fit out", (2026, 2, 2), (2026, 3, 27), baseline=((2026, 2, 2), (2026, 3, 27)), baseline_work=320,
      work=320, actual_work=90, pct=25, actual_start=(2026, 2, 2)),
])


def test_plan_without_costs_in_hours(files: dict[str, Path], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["import", str(files["hours.xml"]), "--into", str(tmp_path / "cost")])
    assert res.exit_code == 0 and "pass --measure hours" in res.output  # no costs: said, with the option
    res = CliRunner().invoke(cli, ["import", str(files["hours.xml"]), "--into", str(tmp_path / "out"),
                                   "--measure", "hours"])
    assert res.exit_code == 0, res.output
    # BAC 160 + 320 h; EV 160 + 320 x 25% = 240; AC 170 + 90 = 260; PV to 13 March 160 + 320 x 30/40 = 400
    assert "BAC 480.00 h; to 2026-03-13: PV 400.00 h, EV 240.00 h, AC 260.00 h" in res.output
    t = _tables(tmp_path / "out")
    assert float(t["projects"]["budget"].iloc[0]) == 480.0
    assert "hours of work" in t["projects"]["status_comment"].iloc[0]  # shown on the report
    assert _money(t["financials"], "planned_value") == [160.0, 160.0, 160.0]
    _validate(tmp_path / "out")


def test_plan_without_status_date(files: dict[str, Path], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["import", str(files["nostatus.xml"]), "--into", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert res.output.strip() == ("error: nostatus.xml: project No-status has no status date (data date): pass "
                                  "--status-date YYYY-MM-DD (the date its progress was recorded), or set the status "
                                  "date in the plan and save it again")
    assert not (tmp_path / "out").exists()
    res = CliRunner().invoke(cli, ["import", str(files["nostatus.xml"]), "--into", str(tmp_path / "out"),
                                   "--status-date", "2026-02-27"])
    assert res.exit_code == 0, res.output
    assert _tables(tmp_path / "out")["projects"]["status_date"].tolist() == ["2026-02-27"]


def test_stale_status_date_warns_naming_the_option(files: dict[str, Path], tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["import", str(files["hours.xml"]), "--into", str(tmp_path / "out"),
                                   "--measure", "hours", "--status-date", "2019-01-31"])
    assert res.exit_code == 0
    assert "warning: hours.xml: status date 2019-01-31 (from --status-date) is outside the plan" in res.output


# ---------------------------------------------------------------------------------------------- never baselined
UNBASELINED = P("U-1", "Uniform", status=(2026, 3, 13), summary=None, tasks=[
    T("Build", (2026, 3, 2), (2026, 3, 13), cost=10000, actual_cost=4000, pct=50, actual_start=(2026, 3, 2)),
    T("Ship", (2026, 3, 16), (2026, 3, 20), cost=5000),
])


def test_never_baselined_plan_uses_current_dates_and_costs(files: dict[str, Path], tmp_path: Path) -> None:
    result = import_schedules([files["unbaselined.xml"]], tmp_path / "out")
    snap = result.files[0].snapshots[0]
    assert (snap.bac, snap.ev, snap.ac, snap.pv_to_status) == (15000.0, 5000.0, 4000.0, 10000.0)
    assert any("never baselined" in a for a in snap.assumed)
    t = _tables(tmp_path / "out")
    assert t["projects"]["status_comment"].iloc[0].startswith("No baseline in the plan")
    assert (t["projects"]["baseline_start"].iloc[0], t["projects"]["baseline_finish"].iloc[0]) == (
        "2026-03-02", "2026-03-20")


# ---------------------------------------------------------------------------------------------- GanttProject
def test_ganttproject_file(mpxj: None, tmp_path: Path) -> None:
    cfg = tmp_path / "pmo.toml"
    cfg.write_text('[import]\nkey_milestone = "Key"\nprogram = "WEB"\n')
    res = CliRunner().invoke(cli, ["import", str(SCHEDULES / "gamma.gan"), "--into", str(tmp_path / "out"),
                                   "--status-date", "2026-02-06", "--measure", "hours", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    # no resources: durations as work (8 h a day); Plan 10 d done, Build 20 d half done; PV to Fri 6 Feb:
    # Plan 80 h + Build 160 h x 15/20 working days
    assert "BAC 240.00 h; to 2026-02-06: PV 200.00 h, EV 160.00 h, AC 0.00 h" in res.output
    t = _tables(tmp_path / "out")
    assert t["milestones"][["name", "baseline_date", "key_milestone"]].values.tolist() == [
        ["Launch", "2026-02-16", "True"]]
    assert t["projects"]["program_id"].tolist() == ["WEB"]
    _validate(tmp_path / "out")


def test_corrupt_schedule_is_one_line(mpxj: None, tmp_path: Path) -> None:
    bad = tmp_path / "broken.xer"
    bad.write_text("ERMHDR\t19.12\n%T\tPROJECT\n%F\tproj_id\n%R\tnot-a-number\tx\ty\n")
    res = CliRunner().invoke(cli, ["import", str(bad), "--into", str(tmp_path / "out")])
    assert res.exit_code in (1, 2)
    assert len(res.output.strip().splitlines()) == 1 and res.output.startswith("error: broken.xer")


# ---------------------------------------------------------------------------------------------- time-phased
@pytest.mark.parametrize(("feb", "mar", "curve", "pv_status"), [
    # Develop's baseline 60,000 as 10,000 in February and 50,000 in March (MS Project's timephased baseline):
    # PV to 13 March = Design 20,000 + 10,000 + 50,000 x 10/20 of March's working days of the task
    (10000.0, 50000.0, [20000.0, 10000.0, 52000.0, 18000.0], 55000.0),
    # time-phased amounts that do not add up to the baseline cost are not trusted: spread evenly instead
    (10000.0, 20000.0, [20000.0, 30000.0, 32000.0, 18000.0], 65000.0),
])
def test_time_phased_baseline_cost_gives_the_pv_curve(files: dict[str, Path], tmp_path: Path, feb: float,
                                                      mar: float, curve: list[float], pv_status: float) -> None:
    path = tmp_path / "alpha-tp.xml"
    path.write_bytes(files["alpha-03.xml"].read_bytes())
    h.add_timephased_baseline_cost(path, "Develop", [("2026-02-02T08:00:00", "2026-02-27T17:00:00", feb),
                                                     ("2026-03-02T08:00:00", "2026-03-27T17:00:00", mar)])
    result = import_schedules([path], tmp_path / "out")
    snap = result.files[0].snapshots[0]
    assert snap.pv_to_status == pytest.approx(pv_status)
    assert _money(_tables(tmp_path / "out")["financials"], "planned_value") == curve
    assert any("1 task from time-phased" in m for m in snap.mapped) == (feb + mar == 60000.0)
