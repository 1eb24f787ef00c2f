"""`pmo-nb run --out OUT` on a bad source stops before anything runs: non-zero exit, OUT byte-identical.

OUT already holds last month's published reports; a bad source must neither add a folder (no
staging left behind) nor touch what is there. These runs stop at validation, so no kernel starts.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from adversarial_sources import invoke, previous_month, sample_source, set_cell, snapshot


def bad_cell(src: Path) -> None:
    set_cell(src, "projects", 2, "budget", "12%")


def latin1(src: Path) -> None:
    text = (src / "programs.csv").read_text(encoding="utf-8").replace("Amelia", "Amélie")
    (src / "programs.csv").write_bytes(text.encode("latin-1"))


def no_financial_rows(src: Path) -> None:
    header = (src / "financials.csv").read_text(encoding="utf-8").splitlines()[0]
    (src / "financials.csv").write_text(header + "\n", encoding="utf-8")


def no_budget_column(src: Path) -> None:
    text = (src / "projects.csv").read_text(encoding="utf-8")
    (src / "projects.csv").write_text(text.replace(",budget,", ",Budjet,", 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "extra", "code", "message"),
    [
        (bad_cell, None, 1, "projects  projects.csv  2    budget  '12%'  must be an amount, not a percentage"),
        (latin1, None, 2, "error: programs.csv is not UTF-8: byte 80 (0xE9) is not valid UTF-8"),
        (no_budget_column, None, 2, "error: projects.csv has no column budget (its columns are: "),
        (None, ["--period", "2024-10"], 1,
         "error: period 2024-10 is outside the data, which covers 2024-11 to 2026-10"),
        (None, ["--period", "31/10/2026"], 2,
         "error: Invalid value for '--period': period '31/10/2026' is not a month: use YYYY-MM, e.g. 2026-10"),
        # without financial rows the run reports (no cost data: test_run_wiring), within the dated events' months
        (no_financial_rows, ["--period", "2024-09"], 1,
         "error: period 2024-09 is outside the data, which covers 2024-10 to 2026-10 (it has no financials)"),
    ],
    ids=["bad-cell", "latin-1", "missing-column", "period-before-data", "period-not-a-month",
         "no-financial-rows-period-before-events"],
)
def test_bad_source_or_period_writes_nothing(tmp_path: Path, damage, extra: list[str] | None, code: int,
                                             message: str) -> None:
    src = sample_source(tmp_path)
    if damage is not None:
        damage(src)
    out = tmp_path / "reports"
    before = previous_month(out)
    exit_code, stdout, stderr = invoke("run", "--source", str(src), "--out", str(out), "--quiet",
                                       *(["--period", "2026-10"] if extra is None else extra))
    assert exit_code == code, stdout + stderr
    assert message in stderr
    assert snapshot(out) == before  # nothing written, nothing lost, no staging folder left
    assert stdout == ""


def test_month_inside_the_range_with_no_rows_for_some_projects(tmp_path: Path, sample_dir: Path) -> None:
    # 2024-12 is inside the data (2024-11 .. 2026-10) but DCX-001 only starts booking in 2025-03
    code, out, err = invoke("kpis", str(sample_dir), "--period", "2024-12", "--format", "csv")
    assert code == 0, err
    rows = {r["project_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert len(rows) == 34
    dcx001 = rows["DCX-001"]
    assert dcx001["bac"] == "4200000.0" and dcx001["pv"] == "" and dcx001["rag_reason"] == "no financials yet"
    dcx005 = rows["DCX-005"]
    # DCX-005's only month so far is 2024-12: PV 40740.74, EV 41034.33, AC 42063.35
    assert (float(dcx005["pv"]), float(dcx005["ev"]), float(dcx005["ac"])) == (40740.74, 41034.33, 42063.35)
    assert float(dcx005["cv"]) == pytest.approx(41034.33 - 42063.35)

def test_month_after_the_data_is_refused_by_kpis(sample_dir: Path) -> None:
    code, out, err = invoke("kpis", str(sample_dir), "--period", "2026-11")
    assert code == 1 and out == ""
    assert err == "error: period 2026-11 is outside the data, which covers 2024-11 to 2026-10\n"


# --- the run deletes nothing it did not make (issue 13) ---------------------------------------------------


TEST_NOTEBOOKS = Path(__file__).resolve().parents[1] / "data" / "notebooks"


def quick_run(src: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    """``pmo-nb run`` with the small test notebooks (the parent still loads and validates ``src``)."""
    return invoke("run", "--source", str(src), "--out", str(out), "--period", "2026-10", "--formats", "html",
                  "--programs", "PRG-DCX", "--jobs", "1", "--quiet",
                  "--program-notebook", str(TEST_NOTEBOOKS / "batch_ok.ipynb"),
                  "--portfolio-notebook", str(TEST_NOTEBOOKS / "batch_ok.ipynb"), *extra)


@pytest.mark.slow
def test_a_users_tmp_folder_inside_out_survives_even_as_the_source(tmp_path: Path, sample_dir: Path) -> None:
    """`cp -r data/sample OUT/.tmp-export; pmo-nb run --source OUT/.tmp-export --out OUT` kept the source."""
    import os
    import shutil
    import time

    out = tmp_path / "out"
    src = out / ".tmp-export"
    shutil.copytree(sample_dir, src)
    lookalike = out / ".tmp-2026-10-20261101T080000Z-1"  # named exactly like a staging folder, with a lock file
    lookalike.mkdir()
    (lookalike / "notes.txt").write_text("mine")
    (out / ".tmp-2026-10-20261101T080000Z-1.lock").touch()
    hour_ago = time.time() - 3600
    for folder in (src, lookalike):
        os.utime(folder, (hour_ago, hour_ago))
    before = snapshot(src)
    code, stdout, stderr = quick_run(src, out)
    assert code == 0, stdout + stderr
    assert snapshot(src) == before
    assert (lookalike / "notes.txt").read_text() == "mine"
    assert (out / "2026-10" / "PRG-DCX.html").is_file()


# --- publishing is earned (issue 13) ---------------------------------------------------------------------


def failing_notebook(folder: Path) -> Path:
    """batch_ok with a last cell that raises: every report fails (e.g. last month's kpis.csv re-saved by Excel)."""
    import nbformat

    nb = nbformat.read(TEST_NOTEBOOKS / "batch_ok.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('raise ValueError("is not a KPI snapshot")'))
    path = folder / "batch_fails.ipynb"
    nbformat.write(nb, path)
    return path


def month_files(month: Path) -> dict[str, bytes]:
    return {p.relative_to(month).as_posix(): p.read_bytes() for p in sorted(month.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_failing_rerun_never_replaces_the_good_month_unless_asked(tmp_path: Path, sample_dir: Path) -> None:
    from pmo_nb.run.manifest import read_manifest, verify

    out = tmp_path / "out"
    code, stdout, stderr = quick_run(sample_dir, out)
    assert code == 0, stdout + stderr
    month = out / "2026-10"
    good = month_files(month)
    bad_nb = str(failing_notebook(tmp_path))
    code, stdout, stderr = quick_run(sample_dir, out, "--program-notebook", bad_nb, "--portfolio-notebook", bad_nb)
    assert code == 1 and "Traceback" not in stdout + stderr
    assert month_files(month) == good  # the good month, byte for byte
    aside = [p for p in out.iterdir() if p.name.startswith("2026-10.failed-")]
    assert len(aside) == 1 and read_manifest(aside[0])["failed"] == ["portfolio", "PRG-DCX"]
    assert verify(aside[0]) == []
    assert f"so the published {month} was kept; this run is in {aside[0]}" in stderr
    assert "--replace" in stderr
    # asked for explicitly, the failed run replaces the month
    code, stdout, stderr = quick_run(sample_dir, out, "--program-notebook", bad_nb, "--portfolio-notebook", bad_nb,
                                     "--replace")
    assert code == 1 and read_manifest(month)["failed"] == ["portfolio", "PRG-DCX"]
    assert not (month / "PRG-DCX.html").exists()


@pytest.mark.slow
def test_programs_on_a_published_month_updates_those_and_keeps_the_others(tmp_path: Path, sample_dir: Path) -> None:
    from pmo_nb.run.manifest import read_manifest, verify

    out = tmp_path / "out"
    code, stdout, stderr = quick_run(sample_dir, out, "--programs", "PRG-DCX,PRG-ERP")
    assert code == 0, stdout + stderr
    month = out / "2026-10"
    first = read_manifest(month)
    erp = {k: v for k, v in month_files(month).items() if "PRG-ERP" in k}
    assert sorted(erp) == ["PRG-ERP.html", "notebooks/PRG-ERP.ipynb"]
    code, stdout, stderr = quick_run(sample_dir, out, "--programs", "PRG-DCX")
    assert code == 0, stdout + stderr
    assert {k: v for k, v in month_files(month).items() if "PRG-ERP" in k} == erp  # untouched
    m = read_manifest(month)
    assert verify(month) == [] and m["run_id"] != first["run_id"]
    carried = {r["name"]: r["carried_from"] for r in m["reports"]}
    assert carried == {"portfolio": None, "PRG-DCX": None, "PRG-ERP": first["run_id"]}
    assert sorted(p.name for p in month.glob("*.html")) == ["PRG-DCX.html", "PRG-ERP.html", "index.html",
                                                            "portfolio.html"]
    assert (month / "kpis.csv").is_file()


@pytest.mark.slow
def test_a_run_lacking_reports_the_month_has_goes_next_to_it(tmp_path: Path, sample_dir: Path) -> None:
    out = tmp_path / "out"
    month = out / "2026-10"
    month.mkdir(parents=True)
    (month / "PRG-GONE.html").write_text("a program's report from before")
    code, stdout, stderr = invoke("run", "--source", str(sample_dir), "--out", str(out), "--period", "2026-10",
                                  "--formats", "html", "--jobs", "2", "--quiet",
                                  "--program-notebook", str(TEST_NOTEBOOKS / "batch_ok.ipynb"),
                                  "--portfolio-notebook", str(TEST_NOTEBOOKS / "batch_ok.ipynb"))
    assert code == 1, stdout + stderr
    assert "this run lacks PRG-GONE for 2026-10, so the published" in stderr
    assert sorted(p.name for p in month.iterdir()) == ["PRG-GONE.html"]
    assert len(list(out.glob("2026-10.failed-*/PRG-DCX.html"))) == 1


# --- secrets never written (issue 13) ----------------------------------------------------------------------

PASSWORD = "s3cr@t-Pmo9"  # URL-encoded in the URL as s3cr%40t-Pmo9

# SQLite takes no password, so the test's database URLs use "sqlitepw", SQLite under another name that accepts
# (and ignores) a user and password, registered in every process of the run through sitecustomize.
DIALECT = """
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite


class Dialect(SQLiteDialect_pysqlite):
    name = "sqlitepw"

    def create_connect_args(self, url):
        return super().create_connect_args(url._replace(username=None, password=None))
"""
SITECUSTOMIZE = """
from sqlalchemy.dialects import registry

registry.register("sqlitepw", "pmo_sqlitepw", "Dialect")
"""


def sqlite_source(folder: Path, sample_dir: Path) -> tuple[str, dict[str, str]]:
    """The sample portfolio in a SQLite file, addressed by a URL that carries a (fake) password; and the
    environment that lets every process of the run open such a URL."""
    import os

    import sqlalchemy as sa

    from pmo_nb.data.ingest import load

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "pmo.db"
    portfolio = load(sample_dir)
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        for name in ("programs", "projects", "financials", "milestones", "risks", "issues"):
            portfolio.table(name).to_sql(name, conn, if_exists="replace", index=False)
    engine.dispose()
    hooks = folder / "hooks"
    hooks.mkdir()
    (hooks / "pmo_sqlitepw.py").write_text(DIALECT, encoding="utf-8")
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    path = os.pathsep.join(p for p in (str(hooks), os.environ.get("PYTHONPATH", "")) if p)
    return f"sqlitepw://pmo:s3cr%40t-Pmo9@/{db}", {**os.environ, "PYTHONPATH": path}


def probe_notebook(folder: Path) -> Path:
    """batch_ok plus a cell that loads the source for real through the URL the kernel was given."""
    import nbformat

    nb = nbformat.read(TEST_NOTEBOOKS / "batch_ok.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "from pmo_nb.data.ingest import load as _load\n"
        "from pmo_nb.metrics.month import unmasked_source as _real\n"
        "print('PROBE', '***' in source, '***' not in _real(source), len(_load(_real(source)).programs))"))
    path = folder / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def leaks(root: Path, *texts: str) -> list[str]:
    """Every file under ``root`` holding one of ``texts`` (as bytes)."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {t!r}" for t in texts if t.encode() in data]
    return found


@pytest.mark.slow
def test_a_database_password_is_never_written(tmp_path: Path, sample_dir: Path) -> None:
    import subprocess
    import sys

    import nbformat

    url, env = sqlite_source(tmp_path / "db", sample_dir)
    probe = str(probe_notebook(tmp_path))
    out = tmp_path / "out"
    secrets = (PASSWORD, "s3cr%40t-Pmo9", "s3cr%40t")
    cmd = [sys.executable, "-m", "pmo_nb.cli", "run", "--source", url, "--out", str(out), "--period", "2026-10",
           "--programs", "PRG-DCX", "--formats", "html", "--jobs", "1", "--quiet",
           "--program-notebook", probe, "--portfolio-notebook", probe]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert leaks(out, *secrets) == []
    assert not any(s in proc.stdout + proc.stderr for s in secrets)
    month = out / "2026-10"
    manifest = (month / "manifest.json").read_text(encoding="utf-8")
    assert manifest.count("sqlitepw://pmo:***@/") == 2  # in "source" and in "command"
    nb = nbformat.read(month / "notebooks" / "PRG-DCX.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters["source"] == url.replace("s3cr%40t-Pmo9", "***")
    printed = [o["text"] for c in nb.cells for o in c.get("outputs", []) if "PROBE" in o.get("text", "")]
    assert printed == ["PROBE True True 5\n"]  # masked parameter, real URL in the kernel: it read the 5 programs

    # a failing run (the URL names a database without the tables) says why without the password
    bad = url.replace("pmo.db", "empty.db")
    proc = subprocess.run([*cmd[:5], bad, *cmd[6:]], capture_output=True, text=True, timeout=300, check=False,
                          env=env)
    assert proc.returncode != 0 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert not any(s in proc.stdout + proc.stderr for s in secrets), proc.stderr
    assert leaks(out, *secrets) == []
