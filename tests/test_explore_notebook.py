"""explore.ipynb: each step explained in a sentence, the calls it makes exist, no outputs; the report notebooks open
with a cell saying what they show and where to change it. (nbval executes the notebooks: `make test`.)"""

from __future__ import annotations

import nbformat
import pytest

from pmo_nb.paths import NOTEBOOKS_DIR

EXPLORE = NOTEBOOKS_DIR / "explore.ipynb"


def test_explore_alternates_a_sentence_and_short_code():
    nb = nbformat.read(EXPLORE, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for before, cell in zip(nb.cells, nb.cells[1:], strict=False):
        if cell.cell_type == "code" and cell is not code[0]:
            assert before.cell_type == "markdown" and before.source.strip(), cell.source  # a sentence first
            assert len(cell.source.splitlines()) <= 6, "keep cells short: logic belongs in pmo_nb"
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.parametrize("step", ["pmo_nb.load(", "pmo_nb.compute(", ".view(", ".describe(", ".program(",
                                  "charts.s_curve(", "charts.rag_counts(", "pmo_nb.compare(", ".previous()"])
def test_explore_covers_each_step(step):
    source = "\n".join(c.source for c in nbformat.read(EXPLORE, as_version=4).cells if c.cell_type == "code")
    assert step in source


def test_explore_needs_no_setup_call_for_its_charts():
    source = "\n".join(c.source for c in nbformat.read(EXPLORE, as_version=4).cells)
    assert "setup()" not in source and "alt.renderers" not in source


@pytest.mark.parametrize("name", ["program_report.ipynb", "portfolio_overview.ipynb"])
def test_report_notebooks_open_with_what_they_show_and_where_to_change_it(name):
    first = nbformat.read(NOTEBOOKS_DIR / name, as_version=4).cells[0]
    assert first.cell_type == "markdown" and "remove-cell" in first.metadata.tags  # not in the reports
    assert "**Where to change it**" in first.source
    for place in ("pmo.toml", "pmo_nb.reporting.sections", "pmo_nb/reporting/report.py", "explore.ipynb"):
        assert place in first.source
