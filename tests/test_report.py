"""The report objects behind the notebooks: every section for every sample program, and the no-data case."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import papermill as pm
import pytest

from pmo_nb.data.ingest import load
from pmo_nb.data.sample import SAMPLE_PERIOD
from pmo_nb.paths import NOTEBOOKS_DIR, SAMPLE_DIR
from pmo_nb.reporting import components
from pmo_nb.reporting import formatting as fmt
from pmo_nb.reporting.report import PortfolioReport, ProgramReport

PROGRAM_SECTIONS = ["title", "summary", "tiles", "projects_table", "s_curve", "quadrant", "milestone_timeline",
                    "milestone_lists", "risk_heatmap", "top_risks", "exposure_trend", "issues_by_severity",
                    "issue_ageing", "oldest_issues", "changes_section", "data_notes"]
PORTFOLIO_SECTIONS = ["title", "summary", "tiles", "rag_counts", "programs_table", "s_curve", "quadrant",
                      "mismatch_table", "risk_heatmap", "top_risks", "changes_section", "data_notes"]


def _html(out) -> str:
    if isinstance(out, components.HTML):
        return str(out)
    assert isinstance(out, alt.TopLevelMixin), type(out)
    return ""


@pytest.mark.parametrize("program_id", load(SAMPLE_DIR).program_ids)
def test_every_section_of_every_sample_program(program_id):
    report = ProgramReport.build(program_id=program_id)
    assert report.period == SAMPLE_PERIOD
    for section in PROGRAM_SECTIONS:
        _html(getattr(report, section)())
    summary = str(report.summary())
    assert str(report.program["name"]).split()[0] in summary
    assert f"Program {program_id} · Sponsor " in str(report.title())  # the id the portfolio's links show
    assert "October 2026" in summary


def test_defaults_report_the_first_program_for_the_latest_complete_month():
    report = ProgramReport.build()
    assert report.program_id == load(SAMPLE_DIR).program_ids[0]
    assert report.period == "2026-10"
    assert report.changes.available and report.changes.previous_period == "2026-09"


def test_portfolio_sections():
    report = PortfolioReport.build()
    for section in PORTFOLIO_SECTIONS:
        _html(getattr(report, section)())
    assert "reported green" in str(report.mismatch_table()).lower() or "Green" in str(report.mismatch_table())
    # the portfolio views and the benefits roll-up on the sample (docs/kpis.md "Portfolio views", "Benefits")
    ahead = str(report.section("key_milestones"))
    assert "key milestones due from 31 Oct 2026 to 29 Jan 2027" in ahead
    assert report.section("roadmap").to_dict()["facet"]["row"]["field"] == "program"
    assert report.section("compliance_trend").to_dict()["layer"][0]["mark"]["type"] == "line"
    benefits = str(report.section("benefits_rollup"))
    assert "11 benefits: 4 at risk, 1 not measured yet, 5 on track, 1 achieved." in benefits
    assert "Benefits at risk (4)" in benefits and "BEN-DCX-02" in benefits and "53.1%" in benefits  # ERP by value


def test_projects_table_lists_worst_first_and_flags_mismatch():
    report = ProgramReport.build(program_id="PRG-DCX")
    html = str(report.projects_table())
    proj = report.kpis.projects
    reds = proj.loc[proj["rag"] == "red", "project_id"].tolist()
    greens = proj.loc[proj["rag"] == "green", "project_id"].tolist()
    assert reds and greens
    assert max(html.index(p) for p in reds) < min(html.index(p) for p in greens)
    assert "Reported better than the figures show. PM: " in html


def test_stored_snapshot_gives_the_same_changes_as_recomputing(tmp_path):
    from pmo_nb.metrics.kpis import compute

    portfolio = load(SAMPLE_DIR)
    snap = tmp_path / "kpis.csv"
    compute(portfolio, "2026-09").snapshot().to_csv(snap, index=False)
    stored = ProgramReport.build(program_id="PRG-ERP", previous_snapshot=snap)
    recomputed = ProgramReport.build(program_id="PRG-ERP")
    assert stored._change() == recomputed._change()
    assert str(stored.tiles()) == str(recomputed.tiles())
    assert "stored snapshot kpis.csv" in str(stored.changes_section())


def test_first_month_has_no_comparison():
    report = ProgramReport.build(program_id="PRG-ERP", period="2024-11")
    assert not report.changes.available
    assert "No comparison with the previous month" in str(report.changes_section())
    assert "no previous month" in str(report.tiles())


def _bare_source(tmp_path: Path) -> Path:
    """One program with one project that has no financials, no milestones, risks or issues tables;
    a second program keeps the data's months."""
    src = tmp_path / "bare"
    src.mkdir()
    pd.DataFrame({"program_id": ["PRG-NEW", "PRG-OLD"], "name": ["New Program", "Old Program"],
                  "sponsor": ["A. Sponsor", "B. Sponsor"], "manager": ["C. Manager", "D. Manager"]}
                 ).to_csv(src / "programs.csv", index=False)
    pd.DataFrame({"project_id": ["NEW-1", "OLD-1"], "program_id": ["PRG-NEW", "PRG-OLD"],
                  "name": ["Greenfield", "Legacy"], "manager": ["E. Pm", "F. Pm"],
                  "baseline_start": ["2026-09-01", "2026-01-01"], "baseline_finish": ["2027-06-30", "2026-12-31"],
                  "budget": [500000, 120000]}).to_csv(src / "projects.csv", index=False)
    pd.DataFrame({"project_id": ["OLD-1", "OLD-1"], "period": ["2026-09", "2026-10"],
                  "planned_value": [10000, 10000], "earned_value": [9000, 9500], "actual_cost": [10000, 10000]}
                 ).to_csv(src / "financials.csv", index=False)
    return src


def test_program_without_risks_milestones_or_financials_says_no_data(tmp_path):
    report = ProgramReport.build(program_id="PRG-NEW", source=_bare_source(tmp_path))
    for section in PROGRAM_SECTIONS:
        _html(getattr(report, section)())
    assert "No financials recorded" in str(report.s_curve())
    assert "No risk register was provided" in str(report.risk_heatmap())
    assert "No milestone plan was provided" in str(report.milestone_timeline())
    assert "No issue log was provided" in str(report.issues_by_severity())
    assert "no financials yet" in str(report.summary()).lower()
    notes = str(report.data_notes())
    assert "No financials yet for 1 project: Greenfield (NEW-1)" in notes


@pytest.mark.slow
def test_notebook_runs_with_papermill_on_a_program_with_no_data(tmp_path):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / "program_report.ipynb"), str(out),
                        parameters={"program_id": "PRG-NEW", "source": str(_bare_source(tmp_path))},
                        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    nb = nbformat.read(out, as_version=4)
    text = "\n".join(str(o.get("data", {}).get("text/html", "")) for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    assert "New Program" in text
    assert "No risk register was provided" in text
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))


def test_notebooks_are_committed_without_outputs():
    for path in NOTEBOOKS_DIR.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, f"{path.name} has outputs: clear them before committing"
                assert cell.execution_count is None, f"{path.name} has execution counts"


def test_notebooks_have_a_tagged_parameters_cell_and_hidden_code():
    for path in (NOTEBOOKS_DIR / "program_report.ipynb", NOTEBOOKS_DIR / "portfolio_overview.ipynb"):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", [])
        for cell in code:
            tags = cell.metadata.get("tags", [])
            assert "hide-input" in tags or "remove-cell" in tags, cell.source
            assert len(cell.source.splitlines()) <= 6, "keep notebook cells short: logic belongs in pmo_nb"


def test_title_carries_its_scoped_style_outside_batch_runs(monkeypatch):
    report = ProgramReport.build(program_id="PRG-ERP")
    monkeypatch.delenv("PMO_NB_BATCH", raising=False)
    shown = report.title()._repr_html_()
    assert shown.startswith('<div class="pmo-nb"><style>')
    assert ".pmo-nb .pmo-title-main {" in shown
    assert "<style" not in str(report.title())  # the fragment the templates style
    monkeypatch.setenv("PMO_NB_BATCH", "1")
    assert "<style" not in report.title()._repr_html_()


def test_an_index_tile_names_the_open_projects_index_that_sets_its_badge():
    # PRG-DAP in the sample: CPI 0.90 over all its projects, 0.87 over the open ones (what its RAG rates)
    report = ProgramReport.build(program_id="PRG-DAP")
    row = report.row
    assert fmt.ratio(row["cpi"]) == "0.90" and fmt.ratio(row["cpi_open"]) == "0.87"
    tiles = str(report.tiles())
    assert "0.87 for open projects (rated)" in tiles
    if fmt.ratio(row["spi_t"]) == fmt.ratio(row["spi_t_open"]):
        assert f"{fmt.ratio(row['spi_t'])} for open projects" not in tiles
