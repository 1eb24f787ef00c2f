"""Builders for the adversarial cases: each bad source starts as a copy of the committed sample.

The tests in this folder call the command line as a user would (``pmo-nb validate``/``run``/``kpis``
through click's runner) and check the exact message, exit code and what is left on disk.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from pmo_nb.cli import cli
from pmo_nb.paths import SAMPLE_DIR

FINDINGS_HEADER = ["table", "file", "row", "column", "value", "rule"]


def sample_source(tmp_path: Path, name: str = "src") -> Path:
    """A writable copy of data/sample/ in ``tmp_path/name``."""
    dest = tmp_path / name
    shutil.copytree(SAMPLE_DIR, dest)
    return dest


def read_table(folder: Path, table: str) -> pd.DataFrame:
    """A table of a CSV folder as text (every cell a str, empty cells "")."""
    df = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    return df.astype(object)


def write_table(folder: Path, table: str, df: pd.DataFrame) -> None:
    df.to_csv(folder / f"{table}.csv", index=False)


def set_cell(folder: Path, table: str, row: int, column: str, value: str) -> str:
    """Set one cell; ``row`` counts like a spreadsheet (header 1, first record 2). Returns the old value."""
    df = read_table(folder, table)
    old = df.at[row - 2, column]
    df.at[row - 2, column] = value
    write_table(folder, table, df)
    return str(old)


def invoke(*args: str) -> tuple[int, str, str]:
    """Run ``pmo-nb ARGS`` in-process; fail the test if a Python exception escaped (a traceback)."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback leaked from pmo-nb {' '.join(args)}: {result.exception!r}")
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def validate(source: Path | str, *extra: str) -> tuple[int, str, str]:
    return invoke("validate", str(source), *extra)


def findings(out: str) -> list[list[str]]:
    """The rows of the findings table printed by ``pmo-nb validate`` (each split into its 6 cells)."""
    lines = out.splitlines()
    starts = [i for i, line in enumerate(lines) if line.split() == FINDINGS_HEADER]
    assert len(starts) == 1, f"no findings table in:\n{out}"
    header = lines[starts[0]]
    cuts = [header.index(name) for name in FINDINGS_HEADER] + [None]
    rows = []
    for line in lines[starts[0] + 2 :]:
        if not line.strip() or line.startswith(("... and", "Fix these", "note:")):
            break
        rows.append([line[a:b].strip() for a, b in zip(cuts, cuts[1:], strict=False)])
    return rows


def one_error_line(err: str) -> str:
    """The single ``error: ...`` line of a source error, checked to be one line."""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err[len("error: ") :].rstrip("\n")


def previous_month(out: Path) -> dict[str, bytes]:
    """Give OUT a published earlier month (OUT/2026-09/ with a report and a manifest); return a snapshot."""
    month = out / "2026-09"
    month.mkdir(parents=True)
    (month / "PRG-DCX.html").write_text("<html>September report</html>\n", encoding="utf-8")
    (month / "manifest.json").write_text('{"period": "2026-09"}\n', encoding="utf-8")
    (out / "README.txt").write_text("monthly reports\n", encoding="utf-8")
    return snapshot(out)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file and folder under ``folder`` (relative path -> bytes; folders map to b"<dir>")."""
    return {
        str(p.relative_to(folder)): (b"<dir>" if p.is_dir() else p.read_bytes())
        for p in sorted(folder.rglob("*"))
    }
