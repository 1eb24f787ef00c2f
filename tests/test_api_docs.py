"""docs/api.md: its ``python`` blocks run in order in one namespace, and it documents the public API."""

from __future__ import annotations

import re

import pytest

from pmo_nb.paths import PROJ_ROOT
from pmo_nb.reporting import charts

API_MD = PROJ_ROOT / "docs" / "api.md"
BLOCK_RE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[str]:
    return BLOCK_RE.findall(API_MD.read_text(encoding="utf-8"))


def test_the_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as from a notebook folder: nothing may depend on the checkout's cwd
    monkeypatch.delenv("PMO_NB_BATCH", raising=False)
    blocks = _blocks()
    assert len(blocks) >= 8
    namespace: dict[str, object] = {"__name__": "api_md"}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"docs/api.md block {number}", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # name the block in the failure
            pytest.fail(f"docs/api.md python block {number} failed: {type(exc).__name__}: {exc}\n{block}")


def test_the_extraction_sees_a_failing_example(tmp_path):
    with pytest.raises(AssertionError):
        exec(compile(BLOCK_RE.findall("```python\nassert 1 == 2\n```\n")[0], "x", "exec"), {})  # noqa: S102


@pytest.mark.parametrize("name", ["pmo_nb.load(", "pmo_nb.compute(", "pmo_nb.compare(", "kpis.view(",
                                  "kpis.describe(", "kpis.program(", "ProgramReport.build(", "sections.for_kind(",
                                  "PortfolioReport.build("])
def test_the_public_calls_are_documented(name):
    assert name in API_MD.read_text(encoding="utf-8")


@pytest.mark.parametrize("builder", [n for n in charts.__all__ if n[0].islower() and n not in
                                     ("register_theme", "theme")])
def test_every_chart_builder_is_documented(builder):
    assert f"`{builder}(" in API_MD.read_text(encoding="utf-8")


@pytest.mark.parametrize("table", ["portfolio", "programs", "projects", "milestones", "risks", "issues",
                                   "financials"])
def test_every_kpis_table_is_documented(table):
    assert f"| `{table}` |" in API_MD.read_text(encoding="utf-8")
