"""The section registry: one rule for absent tables, plug-in sections, and notebooks checked against it."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from pmo_nb.paths import NOTEBOOKS_DIR
from pmo_nb.reporting import components, sections
from pmo_nb.reporting.report import PortfolioReport, ProgramReport
from pmo_nb.reporting.sections import Section, SectionError

NOTEBOOK_KIND = {"program_report.ipynb": "program", "portfolio_overview.ipynb": "portfolio"}
NOT_SECTIONS = {"meta", "build"}  # report methods a notebook calls that are not sections
ANALYST_NOTEBOOKS = {"explore.ipynb"}  # shipped notebooks that are not reports (they call no section)


def _called_sections(path: Path) -> list[str]:
    """Section ids a notebook calls: ``report.<id>()`` or ``report.section("<id>")``."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "report"):
                continue
            name = node.func.attr
            if name == "section":
                arg = node.args[0]
                assert isinstance(arg, ast.Constant), f"{path.name}: report.section() needs a literal id"
                found.append(str(arg.value))
            elif name not in NOT_SECTIONS:
                found.append(name)
    return found


def test_every_notebook_is_known():
    assert sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")) == sorted({*NOTEBOOK_KIND, *ANALYST_NOTEBOOKS})


@pytest.mark.parametrize("name,kind", sorted(NOTEBOOK_KIND.items()))
def test_notebook_calls_exactly_the_registered_sections_in_order(name, kind):
    called = _called_sections(NOTEBOOKS_DIR / name)
    registered = [s.id for s in sections.for_kind(kind)]
    unknown = [c for c in called if c not in registered]
    assert not unknown, f"{name} calls section(s) {unknown} that no {kind} section registers"
    missing = [r for r in registered if r not in called]
    assert not missing, f"registered {kind} section(s) {missing} are shown by no notebook"
    assert called == registered, "the notebook shows the sections in registry order"


def test_the_check_catches_a_notebook_calling_an_unknown_section(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('report.top_risks()\nreport.section("nope")')])
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    assert _called_sections(path) == ["top_risks", "nope"]
    with pytest.raises(SectionError, match="no report section 'nope'"):
        sections.get("nope")


def test_section_of_the_wrong_kind_is_refused():
    with pytest.raises(SectionError, match="portfolio report, not a program report"):
        ProgramReport.build(program_id="PRG-ERP").section("programs_table")


def test_register_refuses_a_clash_and_lists_known_ids():
    with pytest.raises(SectionError, match="already registered"):
        sections.register(Section("top_risks", "Other", lambda r: None))


def test_a_plugin_section_is_built_and_needs_its_table(monkeypatch):
    sec = Section("headcount", "Headcount", lambda r: components.HTML(f"<p>{len(r.kpis.projects)} projects</p>"),
                  needs=("risks",), kinds=("program",))
    monkeypatch.setitem(sections._REGISTRY, "headcount", sec)
    report = ProgramReport.build(program_id="PRG-ERP")
    assert str(report.section("headcount")) == f"<p>{len(report.kpis.projects)} projects</p>"
    bare = report.portfolio.__class__(**{**report.portfolio.__dict__, "missing_tables": ("risks",)})
    monkeypatch.setattr(report, "portfolio", bare)
    # risk_heatmap comes first among the sections needing risks: it says so, the plug-in shows nothing
    assert "No risk register was provided." in str(report.section("risk_heatmap"))
    assert str(report.section("headcount")) == ""


def test_entry_point_sections_are_loaded_lazily(monkeypatch):
    class EP:
        name = "extra"

        def load(self):
            return lambda: [Section("ep_section", "From a plug-in", lambda r: "x", kinds=("portfolio",))]

    monkeypatch.setattr(sections, "_entry_points_loaded", False)
    monkeypatch.setattr(sections.importlib.metadata, "entry_points", lambda group: [EP()])
    monkeypatch.setattr(sections, "_REGISTRY", dict(sections._REGISTRY))
    assert sections.get("ep_section").title == "From a plug-in"
    assert "ep_section" in [s.id for s in sections.for_kind("portfolio")]


def test_entry_point_of_the_wrong_type_is_a_clear_error(monkeypatch):
    class EP:
        name = "broken"

        def load(self):
            return lambda: ["not a section"]

    monkeypatch.setattr(sections, "_entry_points_loaded", False)
    monkeypatch.setattr(sections.importlib.metadata, "entry_points", lambda group: [EP()])
    monkeypatch.setattr(sections, "_REGISTRY", dict(sections._REGISTRY))
    with pytest.raises(SectionError, match="entry point 'broken'.*gave str"):
        sections.all_sections()


def _no_risks_issues_or_benefits(tmp_path: Path) -> Path:
    from pmo_nb.paths import SAMPLE_DIR
    src = tmp_path / "src"
    src.mkdir()
    for f in SAMPLE_DIR.glob("*.csv"):
        if f.stem not in ("risks", "issues", "benefits"):
            (src / f.name).write_bytes(f.read_bytes())
    # the last three months of cost data only: the trends then recompute two past months, not eleven
    financials = pd.read_csv(src / "financials.csv", dtype=str, keep_default_na=False)
    financials[financials["period"] >= "2026-08"].to_csv(src / "financials.csv", index=False)
    return src


def test_a_missing_table_is_said_once_per_report(tmp_path):
    src = _no_risks_issues_or_benefits(tmp_path)
    program = ProgramReport.build(program_id="PRG-ERP", source=src)
    text = "".join(str(program.section(s.id)) for s in sections.for_kind("program"))
    assert text.count("No risk register was provided.") == 1
    assert text.count("No issue log was provided.") == 1
    assert text.count("No benefits register was provided.") == 1
    assert "register was provided" not in str(program.summary()).lower()
    assert "no risks table" not in text and "no issues table" not in text
    portfolio = PortfolioReport.build(source=src)
    text = "".join(str(portfolio.section(s.id)) for s in sections.for_kind("portfolio"))
    assert text.count("No risk register was provided.") == 1
    assert text.count("No benefits register was provided.") == 1
    assert "No risk register" in str(portfolio.risk_heatmap()) and str(portfolio.top_risks()) == ""


def test_the_sections_a_notebooks_code_calls():
    code = 'report.title()\nreport.section("index_trend")\nx = report.top_risks( )\nprint("summary")\n'
    assert [s.id for s in sections.called_in(code)] == ["title", "index_trend", "top_risks"]  # registry order
    assert sections.reads_past_months(code)
    assert not sections.reads_past_months("report.title()\nreport.section('top_risks')")
    assert not sections.reads_past_months("index_trend = 3  # a name, not a call")


def test_the_report_notebooks_read_past_months_and_the_run_prepares_them_only_for_those(tmp_path):
    from pmo_nb.run.monthly import shows_past_months

    assert shows_past_months([NOTEBOOKS_DIR / "program_report.ipynb"])
    assert shows_past_months([NOTEBOOKS_DIR / "portfolio_overview.ipynb"])
    small = Path(__file__).parent / "data" / "notebooks" / "batch_ok.ipynb"
    assert not shows_past_months([small])  # a notebook without trends: the run does not recompute past months
    broken = tmp_path / "broken.ipynb"
    broken.write_text("not a notebook", encoding="utf-8")
    assert shows_past_months([small, broken])  # unknown: prepared, as before
