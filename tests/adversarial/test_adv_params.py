"""Parameter values with quotes, newlines and backslashes reach the report notebook intact and never run.

papermill writes the parameters as Python source in an ``injected-parameters`` cell. Each hostile
value must come out as one assignment of a string constant equal to the original.
"""

from __future__ import annotations

import ast
import html
import shutil
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from pmo_nb.paths import PROJ_ROOT

PROGRAM_NOTEBOOK = PROJ_ROOT / "notebooks" / "program_report.ipynb"

HOSTILE = [
    'x"; import os; os._exit(3) #\n',
    "x'; import os; os._exit(3) #\\n",
    "'''\n__import__('os')._exit(3)\n'''",
    '"""\n__import__("os")._exit(3)\n"""',
    "\\",
    "ends with a backslash \\",
    "\\'; raise SystemExit(3) #",
    "line one\r\nline two\u2028three",
    "nul\x00byte and tab\t",
    "{program_id} %s {{}} $HOME `id`",
    "/tmp/it's a \"quoted\" dir/data",
]


def injected_cell(nb: nbformat.NotebookNode) -> str:
    cells = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0].source


def constant_assignments(source: str) -> dict[str, object]:
    """The names the source assigns; fails unless every statement is ``name = <constant>``."""
    tree = ast.parse(source)
    compile(tree, "<injected-parameters>", "exec")
    values: dict[str, object] = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign), ast.dump(node)
        assert len(node.targets) == 1 and isinstance(node.targets[0], ast.Name), ast.dump(node)
        assert isinstance(node.value, ast.Constant), ast.dump(node)
        values[node.targets[0].id] = node.value.value
    return values


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_parameter_is_a_string_constant(value: str) -> None:
    nb = load_notebook_node(str(PROGRAM_NOTEBOOK))
    params = {"program_id": value, "period": value, "source": value, "config": value, "previous_snapshot": None}
    out = parameterize_notebook(nb, params)
    assigned = constant_assignments(injected_cell(out))
    assert assigned == params


def test_injected_cell_follows_the_parameters_cell() -> None:
    nb = parameterize_notebook(load_notebook_node(str(PROGRAM_NOTEBOOK)), {"program_id": HOSTILE[0]})
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    first = next(i for i, t in enumerate(tags) if "parameters" in t)
    assert "injected-parameters" in tags[first + 1]
    # the defaults cell is unchanged: the injected cell overrides it, nothing is spliced into it
    original = load_notebook_node(str(PROGRAM_NOTEBOOK))
    assert nb.cells[first].source == original.cells[first].source


@pytest.mark.slow
def test_report_runs_from_a_path_with_quotes_and_spaces(tmp_path: Path, sample_dir: Path) -> None:
    src = tmp_path / "it's a \"quoted\" dir" / "data"
    shutil.copytree(sample_dir, src)
    with (src / "programs.csv").open("a", encoding="utf-8") as fh:
        fh.write("PRG-EMPTY,Empty Program,Zed Sponsor,Zoe Manager,Nothing started yet\n")
    out = tmp_path / "out dir" / "PRG-EMPTY's report.ipynb"
    out.parent.mkdir()
    papermill.execute_notebook(
        str(PROGRAM_NOTEBOOK), str(out),
        parameters={"program_id": "PRG-EMPTY", "period": "2026-10", "source": str(src)},
        kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert constant_assignments(injected_cell(nb))["source"] == str(src)
    text = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    meta = [o["data"]["application/vnd.pmo-nb.report+json"] for o in outputs
            if "application/vnd.pmo-nb.report+json" in o.get("data", {})]
    assert [m["program_id"] for m in meta] == ["PRG-EMPTY"]
    assert "Empty Program" in text
    assert "No projects recorded for this program." in text  # a program with no projects says so
    assert f"Source: {html.escape(str(src))}; data fingerprint" in text  # the path arrived intact
