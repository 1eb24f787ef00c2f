"""The wheel works where a PMO installs it: built from the checkout, installed into a fresh virtual environment
outside the checkout, and used from an empty folder.

It builds the wheel (``pip wheel``, the same backend as ``pip install .``), installs it with its dependencies into a
new virtual environment under a temporary folder, then from an empty folder runs ``pmo-nb sample``, ``pmo-nb run
--formats html,pdf`` on the sample it wrote, and ``jupyter nbconvert --to pmo-pdf`` on one executed notebook: the
notebooks, the nbconvert template, the stylesheets and the sample must all come from the installed package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from pmo_nb.paths import PROJ_ROOT

pytestmark = pytest.mark.slow

PERIOD = "2026-10"


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    tail = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}\n{tail}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel built from this checkout installed in it (not editable)."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(PROJ_ROOT)],
         cwd=root, env=env)
    wheels = sorted(dist.glob("pmo_nb-*.whl"))
    assert len(wheels) == 1, wheels
    prefix = root / "venv"
    venv.create(prefix, with_pip=True, clear=True)
    _run([str(prefix / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheels[0])], cwd=root, env=env)
    return prefix


def _env(prefix: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env["PATH"] = f"{prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(prefix)
    return env


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = _run([str(installed / "bin" / "python"), "-c", "import pmo_nb, pathlib; print(pmo_nb.__file__)"],
                 cwd=tmp_path, env=_env(installed)).stdout.strip()
    assert Path(where).is_relative_to(installed), where
    assert not Path(where).is_relative_to(PROJ_ROOT)


def test_sample_run_and_nbconvert_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    env = _env(installed)
    work = tmp_path / "empty"
    work.mkdir()
    bin_ = installed / "bin"

    _run([str(bin_ / "pmo-nb"), "sample", "--out", "portfolio"], cwd=work, env=env)
    assert (work / "portfolio" / "projects.csv").is_file()

    _run([str(bin_ / "pmo-nb"), "run", "--source", "portfolio", "--period", PERIOD, "--programs", "PRG-DCX",
          "--formats", "html,pdf", "--out", "reports", "--quiet"], cwd=work, env=env)
    month = work / "reports" / PERIOD
    for name in ("PRG-DCX.html", "PRG-DCX.pdf", "portfolio.html", "portfolio.pdf", "manifest.json"):
        assert (month / name).is_file(), f"{name} missing from {sorted(p.name for p in month.iterdir())}"
    assert (month / "PRG-DCX.pdf").read_bytes().startswith(b"%PDF")
    manifest = json.loads((month / "manifest.json").read_text(encoding="utf-8"))
    assert all(r["status"] == "ok" for r in manifest["reports"]), manifest["reports"]

    executed = month / "notebooks" / "PRG-DCX.ipynb"
    _run([str(bin_ / "jupyter"), "nbconvert", "--to", "pmo-pdf", "--output-dir", str(work / "converted"),
          str(executed)], cwd=work, env=env)
    pdf = work / "converted" / "PRG-DCX.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")


def test_workspace_from_the_wheel_customised_notebook_and_branding(installed: Path, tmp_path: Path) -> None:
    """`pmo-nb init pmo && cd pmo && pmo-nb run`: the workspace's notebook, pmo.toml and template make the report."""
    import nbformat

    env = _env(installed)
    pmo_nb = str(installed / "bin" / "pmo-nb")
    _run([pmo_nb, "init", "pmo"], cwd=tmp_path, env=env)
    ws = tmp_path / "pmo"
    notebook = ws / "notebooks" / "program_report.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("Prepared by the Northwind PMO: WORKSPACE-MARKER-5519"))
    nbformat.write(nb, notebook)
    (ws / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
                                 '<rect width="8" height="8" fill="#c21f6e"/></svg>', encoding="utf-8")
    config = (ws / "pmo.toml").read_text(encoding="utf-8")
    config = config.replace('logo = ""', 'logo = "logo.svg"').replace(
        'primary_colour = "#1f4e79"', 'primary_colour = "#c21f6e"')
    (ws / "pmo.toml").write_text(config, encoding="utf-8")

    _run([pmo_nb, "run", "--programs", "PRG-DCX", "--formats", "html", "--quiet"], cwd=ws, env=env)
    html = (ws / "reports" / PERIOD / "PRG-DCX.html").read_text(encoding="utf-8")
    assert "WORKSPACE-MARKER-5519" in html
    assert "--pmo-primary: #c21f6e" in html and 'src="data:image/svg+xml;base64,' in html
    assert "WORKSPACE-MARKER-5519" not in (ws / "reports" / PERIOD / "portfolio.html").read_text(encoding="utf-8")
    checked = _run([pmo_nb, "init", "--check"], cwd=ws, env=env).stdout
    assert checked.splitlines() == ["notebooks/program_report.ipynb: differs from the packaged version "
                                    "(edited in this workspace)"]
