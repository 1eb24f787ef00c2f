"""pmo-nb import without Java: format sniffing, the snapshot arithmetic, the target folder's rules, messages."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from import_helpers import SCHEDULES

from pmo_nb.cli import cli
from pmo_nb.data.imports import (
    ImportOptionError,
    ReaderMissingError,
    StatusDateError,
    TargetFolderError,
    import_schedules,
    mpxj_reader,
    schedule_hint,
    sniff_schedule,
)
from pmo_nb.data.imports.plan import Plan, PlanTask
from pmo_nb.data.imports.snapshot import Effective, pv_to, snapshot, spread, working_days
from pmo_nb.exceptions import SourceError, UnknownEntityError
from pmo_nb.periods import Period

D = dt.date


# ---------------------------------------------------------------------------------------------- sniffing
@pytest.mark.parametrize(("name", "data", "expected"), [
    ("plan.mpp", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Microsoft Project (.mpp)"),
    ("plan.MPT", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Microsoft Project (.mpp)"),
    ("budget.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, None),  # an old workbook, same container
    ("plan.xml", b'<?xml version="1.0"?>\n<Project xmlns="http://schemas.microsoft.com/project">', "MSPDI XML"),
    ("plan.xml", b'\xef\xbb\xbf<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project/2007">',
     "MSPDI XML"),
    ("export.txt", b"ERMHDR\t19.12\t2026-03-13\tProject\n%T\tPROJECT\n", "Primavera XER"),
    ("p6.xml", b'<?xml version="1.0"?><APIBusinessObjects xmlns="http://xmlns.oracle.com/Primavera/P6/V19.12/API'
               b'/BusinessObjects">', "Primavera PMXML"),
    ("site.gan", b'<?xml version="1.0"?>\n<project name="Site" company="" view-date="2026-01-01">',
     "GanttProject"),
    ("site.xml", b'<?xml version="1.0"?>\n<project name="Site" view-date="2026-01-01" version="3.2">',
     "GanttProject"),
    ("pom.xml", b'<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0">', None),
    ("notes.txt", b"just text", None),
    ("empty.xer", b"", None),
])
def test_sniff_schedule_by_content(tmp_path: Path, name: str, data: bytes, expected: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert sniff_schedule(path) == expected


def test_sniff_schedule_missing_file_and_folder(tmp_path: Path) -> None:
    assert sniff_schedule(tmp_path / "nope.mpp") is None
    assert sniff_schedule(tmp_path) is None
    assert sniff_schedule(SCHEDULES / "gamma.gan") == "GanttProject"


# ---------------------------------------------------------------------------------------------- arithmetic
@pytest.mark.parametrize(("start", "finish", "days"), [
    (D(2026, 3, 2), D(2026, 3, 6), 5),      # Monday to Friday
    (D(2026, 3, 7), D(2026, 3, 8), 0),      # a weekend
    (D(2026, 1, 5), D(2026, 1, 30), 20),
    (D(2026, 3, 6), D(2026, 3, 2), 0),      # finish before start
    (D(2026, 3, 2), D(2026, 3, 2), 1),
])
def test_working_days(start: dt.date, finish: dt.date, days: int) -> None:
    assert working_days(start, finish) == days


def test_spread_over_working_days_by_month() -> None:
    # 2 Feb to 27 Mar 2026: 20 working days in February, 20 in March
    assert spread(60000.0, D(2026, 2, 2), D(2026, 3, 27)) == {Period("2026-02"): 30000.0, Period("2026-03"): 30000.0}
    # 30 Mar to 24 Apr: 2 days in March, 18 in April
    got = spread(20000.0, D(2026, 3, 30), D(2026, 4, 24))
    assert got == pytest.approx({Period("2026-03"): 2000.0, Period("2026-04"): 18000.0})
    # a weekend-only span books everything in its start month; nothing to spread gives nothing
    assert spread(500.0, D(2026, 3, 7), D(2026, 3, 8)) == {Period("2026-03"): 500.0}
    assert spread(0.0, D(2026, 3, 2), D(2026, 3, 6)) == {}


def _task(uid: int, name: str, **kw: object) -> PlanTask:
    base: dict[str, object] = dict(
        uid=uid, name=name, summary=False, milestone=False, start=None, finish=None, baseline_start=None,
        baseline_finish=None, actual_start=None, actual_finish=None, percent_complete=0.0, value=None,
        baseline_value=None, actual_value=None)
    base.update(kw)
    return PlanTask(**base)  # type: ignore[arg-type]


def _at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 8)


def test_pv_to_status_date_uses_time_phased_baseline_pro_rata_in_the_status_month() -> None:
    # 10,000 in February and 30,000 in March (not an even spread); status 13 March: 10 of March's 22 working days
    t = _task(1, "Build", baseline_start=_at(2026, 2, 2), baseline_finish=_at(2026, 3, 31), baseline_value=40000.0,
              baseline_phased={Period("2026-02"): 10000.0, Period("2026-03"): 30000.0})
    eff = Effective(t, D(2026, 2, 2), D(2026, 3, 31), 40000.0, True)
    assert pv_to(eff, D(2026, 1, 31)) == 0.0
    assert pv_to(eff, D(2026, 2, 27)) == pytest.approx(10000.0)
    assert pv_to(eff, D(2026, 3, 13)) == pytest.approx(10000.0 + 30000.0 * 10 / 22)
    assert pv_to(eff, D(2026, 5, 1)) == pytest.approx(40000.0)


def _plan(**kw: object) -> Plan:
    tasks = [
        _task(1, "Phase", summary=True),
        _task(2, "Design", start=_at(2026, 1, 5), finish=_at(2026, 1, 30), baseline_start=_at(2026, 1, 5),
              baseline_finish=_at(2026, 1, 30), baseline_value=20000.0, value=21000.0, actual_value=21000.0,
              percent_complete=100.0),
        _task(3, "Develop", start=_at(2026, 2, 2), finish=_at(2026, 3, 27), baseline_start=_at(2026, 2, 2),
              baseline_finish=_at(2026, 3, 27), baseline_value=60000.0, value=64000.0, actual_value=30000.0,
              percent_complete=40.0),
        _task(4, "Go live", milestone=True, start=_at(2026, 4, 30), finish=_at(2026, 4, 30),
              baseline_start=_at(2026, 4, 24), baseline_finish=_at(2026, 4, 24), key=True),
    ]
    args: dict[str, object] = dict(source="alpha.xml", format="MSPDI XML", project_id="ALPHA", name="Alpha",
                                   manager="Ann Lee", status_date=D(2026, 3, 13), measure="cost", tasks=tasks)
    args.update(kw)
    return Plan(**args)  # type: ignore[arg-type]


def test_snapshot_hand_checked() -> None:
    snap = snapshot(_plan(), D(2026, 3, 13), "PRG", "the file's status date")
    assert snap.bac == 80000.0
    assert snap.ev == pytest.approx(20000.0 + 60000.0 * 0.4)
    assert snap.ac == 51000.0
    assert snap.pv_to_status == pytest.approx(20000.0 + 60000.0 * 30 / 40)
    assert snap.pv_curve == {"2026-01": 20000.0, "2026-02": 30000.0, "2026-03": 30000.0}
    assert (snap.baseline_start, snap.baseline_finish, snap.forecast_finish) == (D(2026, 1, 5), D(2026, 4, 24),
                                                                                 D(2026, 4, 30))
    assert snap.milestones == [{"milestone_id": "ALPHA-M4", "project_id": "ALPHA", "name": "Go live",
                                "baseline_date": "2026-04-24", "forecast_date": "2026-04-30", "actual_date": None,
                                "key_milestone": True}]
    assert snap.warnings == []


def test_snapshot_never_baselined_uses_current_plan_and_says_so() -> None:
    plan = _plan()
    for t in plan.tasks:
        t.baseline_start = t.baseline_finish = None
        t.baseline_value = None
    snap = snapshot(plan, D(2026, 3, 13), "PRG", "given")
    assert snap.bac == 85000.0  # current costs 21,000 + 64,000
    assert snap.baseline_finish == D(2026, 4, 30)
    assert any("never baselined" in a for a in snap.assumed)
    assert "No baseline in the plan" in snap.comment


def test_snapshot_status_date_outside_the_plan_warns_naming_the_option() -> None:
    snap = snapshot(_plan(), D(2019, 6, 28), "PRG", "the file's status date")
    assert len(snap.warnings) == 1 and "--status-date" in snap.warnings[0] and "2019-06-28" in snap.warnings[0]


def test_snapshot_without_costs_warns_to_use_hours() -> None:
    plan = _plan()
    for t in plan.tasks:
        t.baseline_value = t.value = t.actual_value = None
    snap = snapshot(plan, D(2026, 3, 13), "PRG", "given")
    assert snap.bac == 0 and any("--measure hours" in w for w in snap.warnings)


# ---------------------------------------------------------------------------------------------- the flow
def _reader(*plans: Plan):
    def read(path: Path, fmt: str, *, measure: str = "cost", key_field: str | None = None) -> list[Plan]:
        return [p for p in plans]
    return read


@pytest.fixture()
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "alpha.xml"
    path.write_text('<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project"></Project>')
    return path


def test_status_date_missing_is_an_error_naming_the_option(tmp_path: Path, plan_file: Path) -> None:
    with pytest.raises(StatusDateError, match=r"alpha.xml: project ALPHA has no status date.*--status-date"):
        import_schedules([plan_file], tmp_path / "out", reader=_reader(_plan(status_date=None)))
    assert not (tmp_path / "out").exists()  # nothing written
    result = import_schedules([plan_file], tmp_path / "out", status_date=D(2026, 3, 13),
                              reader=_reader(_plan(status_date=None)))
    assert result.files[0].snapshots[0].period == "2026-03"


def test_not_a_schedule_names_the_supported_formats(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("hello")
    with pytest.raises(SourceError, match=r"plan.txt is not a schedule file.*Microsoft Project \(.mpp\).*"
                                          r"MSPDI XML.*Primavera XER.*Primavera PMXML.*GanttProject"):
        import_schedules([path], tmp_path / "out")
    with pytest.raises(SourceError, match="not found"):
        import_schedules([tmp_path / "gone.xml"], tmp_path / "out")


def test_folder_with_other_files_is_refused(tmp_path: Path, plan_file: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(TargetFolderError, match="notes.txt, which is not a pmo-nb table"):
        import_schedules([plan_file], out, reader=_reader(_plan()))
    assert (out / "notes.txt").read_text() == "mine" and len(list(out.iterdir())) == 1


def test_tables_pmo_nb_did_not_write_are_never_overwritten(tmp_path: Path, plan_file: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "projects.csv").write_text("project_id\nMINE\n")
    with pytest.raises(TargetFolderError, match="projects.csv was not written by pmo-nb import"):
        import_schedules([plan_file], out, reader=_reader(_plan()))
    assert (out / "projects.csv").read_text() == "project_id\nMINE\n"


def test_a_table_edited_after_the_import_is_not_overwritten(tmp_path: Path, plan_file: Path) -> None:
    out = tmp_path / "out"
    import_schedules([plan_file], out, reader=_reader(_plan()))
    with (out / "milestones.csv").open("a") as fh:
        fh.write("X-1,ALPHA,Extra,2026-05-01,,,no\n")
    edited = (out / "milestones.csv").read_text()
    with pytest.raises(TargetFolderError, match="milestones.csv was changed since pmo-nb import wrote it"):
        import_schedules([plan_file], out, reader=_reader(_plan()))
    assert (out / "milestones.csv").read_text() == edited


def test_user_registers_and_programs_are_kept(tmp_path: Path, plan_file: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    risks = ("risk_id,project_id,title,probability,impact,owner,status,raised_date\n"
             "R-1,ALPHA,Supplier late,3,4,Eve,open,2026-02-01\n")
    (out / "risks.csv").write_text(risks)
    (out / "programs.csv").write_text("program_id,name,sponsor,manager\nPRG,Digital,Ana Ruiz,Chen Li\n")
    with pytest.raises(UnknownEntityError, match="has no program OTHER: add a row for it, or pass --program"):
        import_schedules([plan_file], out, program="OTHER", reader=_reader(_plan()))
    import_schedules([plan_file], out, program="PRG", reader=_reader(_plan()))
    assert (out / "risks.csv").read_text() == risks
    assert (out / "programs.csv").read_text().startswith("program_id,name,sponsor,manager\nPRG,Digital")
    assert pd.read_csv(out / "projects.csv")["program_id"].tolist() == ["PRG"]
    runner = CliRunner()
    res = runner.invoke(cli, ["validate", str(out)])
    assert res.exit_code == 0, res.output


def test_two_projects_same_month_in_two_files_is_an_error(tmp_path: Path, plan_file: Path) -> None:
    other = tmp_path / "copy.xml"
    other.write_bytes(plan_file.read_bytes())
    with pytest.raises(SourceError, match="copy.xml and alpha.xml both give project ALPHA for 2026-03"):
        import_schedules([plan_file, other], tmp_path / "out", reader=_reader(_plan()))


# ---------------------------------------------------------------------------------------------- missing reader
def test_missing_jpype_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mpxj_reader, "_state", {})
    monkeypatch.setitem(sys.modules, "jpype", None)
    with pytest.raises(ReaderMissingError, match=r"pip install 'pmo-nb\[schedules\]'") as info:
        mpxj_reader.start_jvm()
    assert info.value.install == mpxj_reader.PIP_HINT


def test_missing_java_names_the_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    jpype = pytest.importorskip("jpype")
    monkeypatch.setattr(mpxj_reader, "_state", {})
    monkeypatch.setattr(jpype, "isJVMStarted", lambda: False)

    def no_jvm() -> str:
        raise jpype.JVMNotFoundException("No JVM shared library file (libjvm.so) found.")

    monkeypatch.setattr(jpype, "getDefaultJVMPath", no_jvm)
    with pytest.raises(ReaderMissingError, match="needs Java, which was not found: install a Java runtime") as info:
        mpxj_reader.start_jvm()
    assert "default-jre-headless" in info.value.install


def test_cli_reports_a_missing_reader_in_one_line(monkeypatch: pytest.MonkeyPatch, plan_file: Path,
                                                   tmp_path: Path) -> None:
    monkeypatch.setattr(mpxj_reader, "_state", {})
    monkeypatch.setitem(sys.modules, "jpype", None)
    res = CliRunner().invoke(cli, ["import", str(plan_file), "--into", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [
        "error: reading schedule files needs MPXJ and JPype: pip install 'pmo-nb[schedules]'"]


def test_cli_bad_status_date_is_a_usage_error(plan_file: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["import", str(plan_file), "--into", str(tmp_path), "--status-date", "13/03/2026"])
    assert res.exit_code == 2 and "use YYYY-MM-DD" in res.output


def test_program_id_must_be_file_safe(tmp_path: Path, plan_file: Path) -> None:
    res = CliRunner().invoke(cli, ["import", str(plan_file), "--into", str(tmp_path / "out"), "--program", "My prog"])
    assert res.exit_code == 2 and "program_id is used as a file name" in res.output
    cfg = tmp_path / "pmo.toml"
    cfg.write_text('[import]\nprogram = "../x"\n')
    with pytest.raises(ImportOptionError, match=r"\[import\] program '../x': program_id is used as a file name"):
        import_schedules([plan_file], tmp_path / "out", config=cfg, reader=_reader(_plan()))
    assert not (tmp_path / "out").exists()


def test_unknown_import_config_key_is_refused(tmp_path: Path, plan_file: Path) -> None:
    cfg = tmp_path / "pmo.toml"
    cfg.write_text('[import]\nkey_milestones = "Flag1"\n')
    res = CliRunner().invoke(cli, ["import", str(plan_file), "--into", str(tmp_path / "out"), "--config", str(cfg)])
    assert res.exit_code == 1 and "import.key_milestones" in res.output and "key_milestone" in res.output


@pytest.mark.parametrize(("name", "data", "hint"), [
    ("plan.mpp", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "plan.mpp is a Microsoft Project file: run "
                                                       "`pmo-nb import {path} --into DIR`"),
    ("export.xer", b"ERMHDR\t19.12\n", "export.xer is a Primavera P6 (XER) file: run "
                                       "`pmo-nb import {path} --into DIR`"),
    ("notes.txt", b"hello", None),
])
def test_schedule_hint(tmp_path: Path, name: str, data: bytes, hint: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert schedule_hint(path) == (hint.format(path=path) if hint else None)


def test_a_schedule_given_as_a_source_is_answered_with_the_import_command(tmp_path: Path) -> None:
    plan = tmp_path / "plan.gan"
    plan.write_bytes((SCHEDULES / "gamma.gan").read_bytes())
    result = CliRunner().invoke(cli, ["validate", str(plan)])
    assert result.exit_code == 2
    assert "plan.gan is a GanttProject file: run `pmo-nb import" in result.output
    assert "Traceback" not in result.output
