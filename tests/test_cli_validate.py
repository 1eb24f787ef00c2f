"""`pmo-nb validate`: summary (exit 0), findings table (exit 1), one-line source errors (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from ingest_helpers import csv_folder, edit_csv, small_frames, write_csv, write_xlsx

from pmo_nb.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", *args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
        f"traceback leaked: {result.exception!r}"
    )
    return result.exit_code, result.stdout, result.stderr


def test_clean_source_prints_summary(tmp_path: Path) -> None:
    folder = write_csv(
        small_frames(), tmp_path / "csv", tables=("programs", "projects", "financials", "risks")
    )
    code, out, err = run(str(folder))
    assert code == 0 and err == ""
    assert f"source: {folder}" in out
    assert "  financials           9\n" in out
    assert "  milestones           0  (absent: optional)" in out
    assert "absent optional tables: milestones, issues" in out
    assert "  PRG-01  Digital Workplace: 2 projects" in out
    assert "  PRG-02  Data Platform: 1 project\n" in out
    assert "months covered: 2026-01 .. 2026-03 (3 months)" in out


def test_extra_columns_are_noted_in_the_summary(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    df = pd.read_csv(folder / "programs.csv", dtype=str, keep_default_na=False)
    df["Budget Holder"] = "x"
    df.to_csv(folder / "programs.csv", index=False)
    code, out, _ = run(str(folder))
    assert code == 0
    assert "note: programs.csv: column 'Budget Holder' not a column of the data model: ignored" in out


def test_invalid_data_prints_findings_table(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "projects", 3, "budget", "12%")
    edit_csv(folder, "risks", 2, "status", "Pending")
    code, out, _ = run(str(folder))
    assert code == 1
    lines = out.splitlines()
    assert "2 problems found:" in lines
    head = lines.index("2 problems found:")
    assert lines[head + 1].split() == ["table", "file", "row", "column", "value", "rule"]
    assert lines[head + 3].split(maxsplit=5) == [
        "projects",
        "projects.csv",
        "3",
        "budget",
        "'12%'",
        "must be an amount, not a percentage",
    ]
    assert lines[head + 4].split(maxsplit=5) == [
        "risks",
        "risks.csv",
        "2",
        "status",
        "'Pending'",
        "must be one of open or closed",
    ]


def test_more_than_50_findings_are_cut(tmp_path: Path) -> None:
    frames = small_frames()
    fin = pd.concat(
        [frames["financials"]] * 7, ignore_index=True
    )  # 63 rows, 54 duplicates of (project, period)
    frames["financials"] = fin
    folder = write_csv(frames, tmp_path / "csv")
    code, out, _ = run(str(folder))
    assert code == 1
    assert "63 problems found:" in out
    assert out.rstrip().splitlines()[-2] == "... and 13 more"


def test_source_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    (folder / "programs.csv").write_bytes("program_id,name\nPRG-01,Zoë\n".encode("latin-1"))
    empty = csv_folder(tmp_path / "e", projects="")
    bad_xlsx = tmp_path / "book.xlsx"
    bad_xlsx.write_text("a,b\n", encoding="utf-8")
    no_sheet = write_xlsx({k: v for k, v in small_frames().items() if k != "projects"}, tmp_path / "w.xlsx")
    no_column = csv_folder(tmp_path / "c", programs="program_id,name\nPRG-01,A\n")
    cases = {
        str(tmp_path / "missing"): "not found",
        str(folder): "programs.csv is not UTF-8: byte 25 (0xEB)",
        str(empty): "projects.csv is empty",
        str(bad_xlsx): "book.xlsx is not an Excel workbook",
        str(no_sheet): "looked for a sheet named projects in w.xlsx",
        str(no_column): "programs.csv has no column sponsor, manager",
        "nosuchdb://x/y": "no SQLAlchemy dialect",
    }
    for source, expected in cases.items():
        code, out, err = run(source)
        assert code == 2, (source, out, err)
        assert err.startswith("error: ") and expected in err, (source, err)
        assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_config_is_an_error(tmp_path: Path) -> None:
    toml = tmp_path / "pmo.toml"
    toml.write_text("[ingest]\nthousands = ','\n", encoding="utf-8")
    code, _, err = run(str(csv_folder(tmp_path)), "--config", str(toml))
    assert code == 1 and err.startswith("error: config key 'ingest.thousands'")


def test_config_option_maps_headers(tmp_path: Path) -> None:
    frames = small_frames()
    frames["projects"] = frames["projects"].rename(columns={"budget": "BAC (EUR)"})
    folder = write_csv(frames, tmp_path / "csv")
    toml = tmp_path / "pmo.toml"
    toml.write_text('[columns.projects]\n"BAC (EUR)" = "budget"\n', encoding="utf-8")
    assert run(str(folder))[0] == 2
    assert run(str(folder), "--config", str(toml))[0] == 0


def test_real_subprocess(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    ok = subprocess.run(
        [sys.executable, "-m", "pmo_nb.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "months covered: 2026-01 .. 2026-03" in ok.stdout
    edit_csv(folder, "projects", 2, "baseline_start", "31/12/2026")
    bad = subprocess.run(
        [sys.executable, "-m", "pmo_nb.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "projects.csv  2    baseline_start  '31/12/2026'" in bad.stdout
    assert "Traceback" not in bad.stderr
