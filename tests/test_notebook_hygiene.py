"""Notebooks are committed without outputs: nbstripout, installed by ``make setup``, strips them as git stages them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from pmo_nb.paths import NOTEBOOKS_DIR, PROJ_ROOT

NBSTRIPOUT = [sys.executable, "-m", "nbstripout"]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _executed_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2", "image/svg+xml": "<svg/>" * 500},
                                           execution_count=3)]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    return nb


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_staging_a_notebook_with_outputs_stores_it_without_them(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    shutil.copy(PROJ_ROOT / ".gitattributes", repo / ".gitattributes")
    # what `make setup` runs (the Makefile's recipe, with this interpreter)
    subprocess.run([*NBSTRIPOUT, "--install", "--attributes", ".gitattributes"], cwd=repo, check=True)
    _git(repo, "config", "filter.nbstripout.clean", f'"{sys.executable}" -m nbstripout --keep-id')
    assert (repo / ".gitattributes").read_text() == (PROJ_ROOT / ".gitattributes").read_text()  # idempotent
    nbformat.write(_executed_notebook(), repo / "report.ipynb")
    _git(repo, "add", "report.ipynb")
    staged = nbformat.reads(_git(repo, "show", ":report.ipynb"), as_version=4)
    code = staged.cells[1]
    assert code.outputs == [] and code.execution_count is None
    assert code.source == "1 + 1" and staged.cells[0].source == "# Title"
    assert [c.id for c in staged.cells] == [c.id for c in nbformat.read(repo / "report.ipynb", as_version=4).cells]
    assert json.loads((repo / "report.ipynb").read_text())["cells"][1]["outputs"]  # the working copy keeps them


def test_make_setup_installs_the_filter_and_the_attributes_name_it():
    makefile = (PROJ_ROOT / "Makefile").read_text()
    recipe = makefile.split("$(STAMP): ", 1)[1].split("\n\n", 1)[0]
    assert "nbstripout --install --attributes .gitattributes" in recipe
    assert "-m nbstripout --keep-id" in recipe
    assert "*.ipynb filter=nbstripout" in (PROJ_ROOT / ".gitattributes").read_text().splitlines()


def test_the_shipped_notebooks_are_committed_stripped(tmp_path: Path):
    notebooks = sorted(str(p) for p in NOTEBOOKS_DIR.glob("*.ipynb"))
    assert len(notebooks) >= 3
    # one nbstripout for all of them (each start costs a second); --verify exits 1 and names any it would strip
    done = subprocess.run([*NBSTRIPOUT, "--keep-id", "--verify", *notebooks], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # and the check can fail: a notebook with an execution count is one it would strip
    executed = tmp_path / "executed.ipynb"
    nbformat.write(_executed_notebook(), executed)
    done = subprocess.run([*NBSTRIPOUT, "--keep-id", "--verify", str(executed), *notebooks], capture_output=True,
                          text=True)
    assert done.returncode == 1 and "executed.ipynb" in done.stdout and "program_report" not in done.stdout
