"""pmo_nb.workspace and `pmo-nb init`: the generated pmo.toml, the files written, finding a workspace, the
fallbacks to the packaged files, `init --check`, and the workspace's template reaching the exporters."""

from __future__ import annotations

import copy
import dataclasses
import json
import tomllib
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from testdata import data_path

from pmo_nb.cli import cli
from pmo_nb.config import Config, RagConfig, RiskConfig, parse_config
from pmo_nb.contract import WORKSPACE_ENV
from pmo_nb.exceptions import WorkspaceError
from pmo_nb.paths import NOTEBOOKS_DIR, SAMPLE_DIR
from pmo_nb.publish import exporters
from pmo_nb.schema import TABLES
from pmo_nb.workspace import KEY_HELP, MANIFEST, Workspace, check, config_text, init

GENERATED = "2026-11-03T07:30:00Z"
NOTEBOOK_NAMES = tuple(sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")))  # every packaged notebook


@pytest.fixture(autouse=True)
def no_ambient_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKSPACE_ENV, raising=False)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    init(tmp_path / "pmo", version="test")
    return tmp_path / "pmo"


# ---------------------------------------------------------------------------------------------- pmo.toml


def _keys(obj: object, prefix: str = "") -> list[str]:
    out = []
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        if f.name == "path":
            continue
        name = prefix + f.name.rstrip("_")  # a Python keyword field (import_, from_) is the TOML key
        value = getattr(obj, f.name)
        out += _keys(value, name + ".") if dataclasses.is_dataclass(value) else [name]
    return out


def test_every_config_key_has_a_line_of_help() -> None:
    keys = _keys(Config())
    assert "branding.logo" in keys and "rag.green" in keys and "import.program" in keys
    assert [k for k in keys if not KEY_HELP.get(k)] == []


def test_generated_config_parses_to_the_defaults() -> None:
    text = config_text()
    assert dataclasses.replace(parse_config(tomllib.loads(text)), path=None) == Config()
    for key in _keys(Config()):  # every key is written (tables without default as a commented example)
        section, _, name = key.rpartition(".")
        assert (f"\n{name} = " in text and f"[{section}]" in text) if section else (
            f"\n{name} = " in text or f"# [{name}]: " in text or f"# [[{name}]]: " in text), key
    assert "# [[guidelines]]: " in text and "# [columns]: " in text


def test_generated_config_round_trips_other_values() -> None:
    config = Config(organisation='Acme "North" PMO — Zürich', currency="CHF",
                    rag=RagConfig(green=0.97, amber=0.8, critical_risk="none"),
                    risks=RiskConfig(bands={"low": (1, 3), "medium": (4, 9), "high": (10, 15), "critical": (16, 25)},
                                     top_n=5))
    assert dataclasses.replace(parse_config(tomllib.loads(config_text(config))), path=None) == config


# ---------------------------------------------------------------------------------------------- init


def test_init_writes_the_workspace(ws: Path) -> None:
    assert {"portfolio_overview.ipynb", "program_report.ipynb"} <= set(NOTEBOOK_NAMES)
    names = sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*") if p.is_file())
    assert names == sorted([".gitignore", MANIFEST, "README.md", "pmo.toml", "templates/pmo/index.html.j2",
                            *(f"notebooks/{n}" for n in NOTEBOOK_NAMES), *(f"data/{t}.csv" for t in TABLES)])
    for name in NOTEBOOK_NAMES:
        assert (ws / "notebooks" / name).read_bytes() == (NOTEBOOKS_DIR / name).read_bytes()
    for table in TABLES:
        assert (ws / "data" / f"{table}.csv").read_bytes() == (SAMPLE_DIR / f"{table}.csv").read_bytes()
    assert (ws / ".gitignore").read_text().splitlines() == ["reports/"]
    override = (ws / "templates" / "pmo" / "index.html.j2").read_text()
    assert "{%- extends 'pmo/index.html.j2' -%}" in override
    assert override.count("{#- CUSTOMISE:") == 4
    assert (ws / "pmo.toml").read_text() == config_text()


def test_init_empty_writes_headers_only(tmp_path: Path) -> None:
    init(tmp_path / "w", empty=True)
    assert (tmp_path / "w" / "data" / "programs.csv").read_text() == "program_id,name,sponsor,manager,objective\n"
    for name, table in TABLES.items():
        assert (tmp_path / "w" / "data" / f"{name}.csv").read_text().splitlines() == [",".join(table.column_names)]


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "pmo.toml").write_text("organisation = 'mine'\n")
    with pytest.raises(WorkspaceError, match="is not empty \\(it holds pmo.toml\\)") as info:
        init(tmp_path / "w")
    assert info.value.path == str(tmp_path / "w")
    assert (tmp_path / "w" / "pmo.toml").read_text() == "organisation = 'mine'\n"
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["pmo.toml"]
    (tmp_path / "f").write_text("x")
    with pytest.raises(WorkspaceError, match="is a file"):
        init(tmp_path / "f")


def test_cli_init_and_refusal_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["init", str(tmp_path / "pmo"), "--empty"])
    assert first.exit_code == 0, first.output
    assert "empty tables" in first.output and (tmp_path / "pmo" / "pmo.toml").is_file()
    again = runner.invoke(cli, ["init", str(tmp_path / "pmo")])
    assert again.exit_code == 1
    assert again.output.count("\n") == 1 and again.output.startswith("error: ") and "not empty" in again.output
    assert "Traceback" not in again.output
    missing = runner.invoke(cli, ["init"])
    assert missing.exit_code == 2 and "give the folder to create" in missing.output


# ---------------------------------------------------------------------------------------------- finding it


def test_find_workspace(ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Workspace.find().root is None  # no pmo.toml here
    assert Workspace.find(ws).root == ws.resolve()
    monkeypatch.chdir(ws / "notebooks")
    assert Workspace.find().root is None  # only the folder holding pmo.toml is a workspace
    monkeypatch.chdir(ws)
    assert Workspace.find().root == ws.resolve()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(WORKSPACE_ENV, str(ws))
    assert Workspace.find().root == ws.resolve()
    with pytest.raises(WorkspaceError, match="is not a folder"):
        Workspace.find(tmp_path / "nowhere")


def test_workspace_files_fall_back_to_the_packaged_ones(ws: Path) -> None:
    space = Workspace(ws)
    assert space.config_path == ws / "pmo.toml"
    assert space.notebook("program_report.ipynb") == ws / "notebooks" / "program_report.ipynb"
    assert space.data_dir == ws / "data"
    assert space.template_dirs == [ws / "templates"]
    (ws / "notebooks" / "program_report.ipynb").unlink()
    for f in (ws / "data").iterdir():
        f.unlink()
    (ws / "pmo.toml").unlink()
    (ws / "templates" / "pmo" / "index.html.j2").unlink()
    (ws / "templates" / "pmo").rmdir()
    (ws / "templates").rmdir()
    assert space.notebook("program_report.ipynb") == NOTEBOOKS_DIR / "program_report.ipynb"
    assert space.notebook("portfolio_overview.ipynb") == ws / "notebooks" / "portfolio_overview.ipynb"
    assert (space.data_dir, space.config_path, space.template_dirs) == (SAMPLE_DIR, None, [])
    assert Workspace(None).notebook("program_report.ipynb") == NOTEBOOKS_DIR / "program_report.ipynb"


def test_commands_use_the_workspace_config_and_data(ws: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    with (ws / "data" / "programs.csv").open("a") as fh:
        fh.write(",Nameless program,A Sponsor,A Manager,An objective\n")
    bad = runner.invoke(cli, ["--workspace", str(ws), "validate"])
    assert bad.exit_code == 1
    assert f"source: {ws.resolve() / 'data'}" in bad.output and "programs.csv" in bad.output
    (ws / "pmo.toml").write_text("[branding]\nprimary_colour = 'pink'\n")
    config = runner.invoke(cli, ["--workspace", str(ws), "kpis", "--level", "portfolio"])
    assert config.exit_code == 1
    assert "branding.primary_colour" in config.output and str(ws.resolve() / "pmo.toml") in config.output
    nowhere = runner.invoke(cli, ["--workspace", str(tmp_path / "nowhere"), "validate"])
    assert nowhere.exit_code == 1 and "is not a folder" in nowhere.output


# ---------------------------------------------------------------------------------------------- init --check


def test_check_a_fresh_workspace_finds_nothing(ws: Path) -> None:
    assert check(ws) == []
    result = CliRunner().invoke(cli, ["init", "--check", str(ws)])
    assert result.exit_code == 0 and "match the installed pmo-nb" in result.output


def test_check_lists_an_edited_notebook_but_not_an_executed_copy(ws: Path) -> None:
    path = ws / "notebooks" / "program_report.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # outputs and execution counts do not change what the report shows
        if cell.cell_type == "code":
            cell.execution_count = 3
            cell.outputs = [nbformat.v4.new_output("stream", text="x")]
    nbformat.write(nb, path)
    assert check(ws) == []
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("Our own introduction"))
    nbformat.write(nb, path)
    [difference] = check(ws)
    assert str(difference) == ("notebooks/program_report.ipynb: differs from the packaged version "
                               "(edited in this workspace)")


def test_check_names_what_an_upgrade_changed(ws: Path) -> None:
    manifest = json.loads((ws / MANIFEST).read_text())
    # as if the workspace had been made by an older pmo-nb: its packaged notebook and template were different
    manifest["packaged"]["notebooks/portfolio_overview.ipynb"] = "0" * 64
    manifest["packaged"]["templates/pmo/static/report.css"] = "0" * 64
    (ws / MANIFEST).write_text(json.dumps(manifest))
    old = nbformat.read(ws / "notebooks" / "portfolio_overview.ipynb", as_version=4)
    old.cells.pop()
    nbformat.write(old, ws / "notebooks" / "portfolio_overview.ipynb")
    manifest["created"]["notebooks/portfolio_overview.ipynb"] = __import__("hashlib").sha256(
        (ws / "notebooks" / "portfolio_overview.ipynb").read_bytes()).hexdigest()
    (ws / MANIFEST).write_text(json.dumps(manifest))
    assert [str(d) for d in check(ws)] == [
        "notebooks/portfolio_overview.ipynb: differs from the packaged version (the packaged version changed "
        "since init)",
        "templates/pmo/index.html.j2: overrides a packaged template that changed since init (pmo/static/report.css)",
    ]


def test_check_lists_a_customised_template_and_refuses_a_non_workspace(ws: Path, tmp_path: Path) -> None:
    override = ws / "templates" / "pmo" / "index.html.j2"
    override.write_text(override.read_text().replace("{{ super() }}\n{%- endblock pmo_footer_extra",
                                                     "Contact: pmo@example.org\n{%- endblock pmo_footer_extra"))
    assert [str(d) for d in check(ws)] == [
        "templates/pmo/index.html.j2: customised in this workspace (the packaged template is unchanged)"]
    with pytest.raises(WorkspaceError, match="is not a pmo-nb workspace"):
        check(tmp_path)
    result = CliRunner().invoke(cli, ["init", "--check", str(tmp_path)])
    assert result.exit_code == 1 and result.output.startswith("error: ") and result.output.count("\n") == 1


# ---------------------------------------------------------------------------------------------- template


def test_workspace_template_override_reaches_the_exporter(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = copy.deepcopy(nbformat.read(data_path("notebooks", "program_report.ipynb"), as_version=4))
    override = ws / "templates" / "pmo" / "index.html.j2"
    override.write_text(override.read_text().replace(
        "{%- block pmo_header_extra -%}\n{{ super() }}",
        '{%- block pmo_header_extra -%}\n<p class="classification">OFFICIAL-SENSITIVE</p>'))
    assert "OFFICIAL-SENSITIVE" not in exporters.render_html(nb, generated_at=GENERATED)
    monkeypatch.setenv(WORKSPACE_ENV, str(ws))
    html = exporters.render_html(nb, generated_at=GENERATED)
    assert '<p class="classification">OFFICIAL-SENSITIVE</p>' in html
    assert 'class="pmo-report-title"' in html  # the rest is the packaged template
    monkeypatch.delenv(WORKSPACE_ENV)
    assert "OFFICIAL-SENSITIVE" not in exporters.render_html(nb, generated_at=GENERATED)


def test_untouched_override_renders_like_the_packaged_template(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = nbformat.read(data_path("notebooks", "program_report.ipynb"), as_version=4)
    packaged = exporters.render_html(nb, generated_at=GENERATED)
    monkeypatch.setenv(WORKSPACE_ENV, str(ws))
    assert exporters.render_html(nb, generated_at=GENERATED) == packaged
