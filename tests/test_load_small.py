"""benchmarks/bench_load.py, small: the real report notebooks on a generated 8-program / 60-project portfolio.

The same checks as the load benchmark (``check_run``): every report ok, no kernel start that failed for good,
the manifest matches the files; plus kpis.csv holds every program and project of the source. The PDF pack
check (one bookmark per program, the contents page lists each program with its bookmark's page) runs on
two programs to keep the test short.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pmo_nb.cli import cli
from pmo_nb.data import sample
from pmo_nb.paths import PROJ_ROOT
from pmo_nb.run.kernels import KERNEL_START_ATTEMPTS
from pmo_nb.run.manifest import read_manifest

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location("bench_load", PROJ_ROOT / "benchmarks" / "bench_load.py")
bench_load = sys.modules.setdefault("bench_load", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(bench_load)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Path, dict[str, pd.DataFrame]]:
    tables = sample.generate(programs=8, projects=60)
    folder = tmp_path_factory.mktemp("load") / "source"
    sample.write(tables, folder, format="csv")
    return folder, tables


def run(src: Path, out: Path, *extra: str):
    res = CliRunner().invoke(cli, ["run", "--source", str(src), "--out", str(out), "--period",
                                   sample.SAMPLE_PERIOD, "--quiet", *extra])
    assert res.exit_code == 0, res.output + res.stderr
    return out / sample.SAMPLE_PERIOD


def test_every_report_of_a_generated_portfolio_runs_and_matches_its_manifest(source, tmp_path: Path) -> None:
    src, tables = source
    month = run(src, tmp_path / "reports", "--formats", "html")
    facts, problems = bench_load.check_run(month, formats=("html",))
    assert problems == []
    assert (facts["reports"], facts["ok"]) == (9, 9)  # 8 programs + the overview
    assert facts["kernel_max_attempts"] < KERNEL_START_ATTEMPTS
    kpis = pd.read_csv(month / "kpis.csv", dtype=str, keep_default_na=False)
    levels = kpis.groupby("level")["id"].apply(set).to_dict()
    assert levels["program"] == set(tables["programs"]["program_id"])
    assert levels["project"] == set(tables["projects"]["project_id"])
    assert len(kpis[kpis["level"] == "portfolio"]) == 1
    assert {r["name"] for r in read_manifest(month)["reports"]} == {"portfolio", *tables["programs"]["program_id"]}


def test_the_pack_has_a_bookmark_and_a_contents_line_per_program(source, tmp_path: Path) -> None:
    src, tables = source
    two = tables["programs"]["program_id"].tolist()[:2]
    month = run(src, tmp_path / "reports", "--formats", "pdf", "--programs", ",".join(two))
    facts, problems = bench_load.check_run(month, formats=("pdf",))
    assert problems == []
    assert facts["pack_bookmarks"] == 2 and facts["pack_contents_pages"] == 1
    assert facts["pack_pages"] > 4  # cover, contents, overview, two programs


def test_check_pack_reports_a_missing_program(source, tmp_path: Path) -> None:
    """The pack check can fail: a program the pack does not hold is named."""
    pdf = tmp_path / "tiny.pdf"
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(3):
        writer.add_blank_page(100, 100)
    for title, page in (("Cover", 0), ("Contents", 1), ("Portfolio overview", 2)):
        writer.add_outline_item(title=title, page_number=page)
    with open(pdf, "wb") as fh:
        writer.write(fh)
    facts, problems = bench_load.check_pack(pdf, {"PRG-X": "Ghost Programme"})
    assert facts["bookmarks"] == 0
    assert problems == ["pack: 0 program bookmarks for 1 programs",
                        "pack: 1 programs missing from the contents, e.g. ['PRG-X']"]


def test_the_scale_targets_name_the_largest_process_and_the_wall_time_only_at_full_size() -> None:
    line, met = bench_load.scale_targets({"parent": [900], "worker": [480, 612], "kernel": [500]}, 700.0,
                                         full_size=True)
    assert not met and "largest worker or kernel 612 MB (target <= 600 MB: NOT met)" in line
    assert "wall 700.0 s (target <= 647 s: NOT met)" in line
    line, met = bench_load.scale_targets({"parent": [1500], "worker": [480], "kernel": [590]}, 9999.0,
                                         full_size=False)
    assert met and "590 MB (target <= 600 MB: met)" in line and "wall 9999" not in line  # the parent has its own
