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


def no_budget_column(src: Path) -> None:
    text = (src / "projects.csv").read_text(encoding="utf-8")
    (src / "projects.csv").write_text(text.replace(",budget,", ",Budjet,", 1), encoding="utf-8")


def no_financial_rows(src: Path) -> None:
    header = (src / "financials.csv").read_text(encoding="utf-8").splitlines()[0]
    (src / "financials.csv").write_text(header + "\n", encoding="utf-8")


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
        (no_financial_rows, [], 1, "has no financials, so there is no reporting month"),
    ],
    ids=["bad-cell", "latin-1", "missing-column", "period-before-data", "period-not-a-month",
         "no-financial-rows"],
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
