"""The wheel works where a PMO installs it: built from the checkout, installed into a fresh virtual environment
outside the checkout, and used from an empty folder.

It builds the wheel (``pip wheel``, the same backend as ``pip install .``), installs it with its dependencies into a
new virtual environment under a temporary folder, then from an empty folder runs ``pmo-nb sample``, ``pmo-nb run
--formats html,pdf`` on the sample it wrote, and ``jupyter nbconvert --to pmo-pdf`` on one executed notebook: the
notebooks, the nbconvert template, the stylesheets and the sample must all come from the installed package. Then the
newcomer's path of issue 14: ``pmo-nb init pmo && cd pmo && pmo-nb run && pmo-nb send --dry-run`` with a customised
notebook and branding (two programs, to keep it short).
"""

from __future__ import annotations

import csv
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
    # --no-compile: pip would byte-compile every file of every dependency (about half the install's time); the
    # interpreter compiles what the tests import as they import it, from the same installed files
    _run([str(prefix / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile", str(wheels[0])],
         cwd=root, env=env)
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


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


def _expected_messages(ws: Path, programs: list[str], pack_to: list[str]) -> dict[str, list[str]]:
    """Who gets which PDF, from the workspace's programs.csv and contacts.csv: each selected program's manager
    gets the PDFs of the programs they manage, each pack_to address the pack, one message per address."""
    with (ws / "data" / "contacts.csv").open(encoding="utf-8", newline="") as f:
        address = {_norm(r["name"]): r["email"].strip() for r in csv.DictReader(f)}
    with (ws / "data" / "programs.csv").open(encoding="utf-8", newline="") as f:
        managers = {r["program_id"]: r["manager"] for r in csv.DictReader(f)}
    expected: dict[str, list[str]] = {}
    for pid in programs:
        expected.setdefault(address[_norm(managers[pid])].lower(), []).append(f"{pid}-{PERIOD}.pdf")
    for addr in pack_to:
        expected.setdefault(addr.lower(), []).append(f"executive-pack-{PERIOD}.pdf")
    return expected


def test_workspace_from_the_wheel_run_send_customised_notebook_and_branding(installed: Path, tmp_path: Path) -> None:
    """`pmo-nb init pmo && cd pmo && pmo-nb run && pmo-nb send --dry-run`, as a newcomer does, from the wheel: the
    workspace's notebook, pmo.toml and template make branded reports, and the dry run writes one message per
    recipient with the PDFs addressed to them."""
    import email
    import email.policy

    import nbformat
    from pypdf import PdfReader

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
    with (ws / "data" / "programs.csv").open(encoding="utf-8", newline="") as f:
        programs = [r["program_id"] for r in csv.DictReader(f)][:2]  # two programs keep the run short
    expected = _expected_messages(ws, programs, [])
    # the pack to an executive and to the first program's manager: that manager gets one message with both PDFs
    pack_to = ["ceo@example.org", next(iter(expected))]
    config = (ws / "pmo.toml").read_text(encoding="utf-8")
    branded = config.replace('logo = ""', 'logo = "logo.svg"').replace(
        'primary_colour = "#1f4e79"', 'primary_colour = "#c21f6e"').replace(
        "pack_to = []", f"pack_to = {json.dumps(pack_to)}")
    assert branded.count("c21f6e") == 1 and "ceo@example.org" in branded and "logo.svg" in branded, branded
    (ws / "pmo.toml").write_text(branded, encoding="utf-8")

    _run([pmo_nb, "run", "--programs", ",".join(programs), "--formats", "html,pdf", "--quiet"], cwd=ws, env=env)
    month = ws / "reports" / PERIOD
    html = (month / f"{programs[0]}.html").read_text(encoding="utf-8")
    assert "WORKSPACE-MARKER-5519" in html
    assert "--pmo-primary: #c21f6e" in html and 'src="data:image/svg+xml;base64,' in html
    assert "WORKSPACE-MARKER-5519" not in (month / "portfolio.html").read_text(encoding="utf-8")
    pdf_text = " ".join(page.extract_text() for page in PdfReader(month / f"{programs[1]}.pdf").pages[:2])
    assert "WORKSPACE-MARKER-5519" in pdf_text  # the customised notebook reaches the PDF too

    sent = _run([pmo_nb, "send", "--dry-run"], cwd=ws, env=env)
    outbox = ws / "reports" / "outbox" / PERIOD
    expected = _expected_messages(ws, programs, pack_to)
    assert any(len(pdfs) == 2 for pdfs in expected.values())  # the manager on pack_to: one message, both PDFs
    assert sorted(p.name for p in outbox.iterdir()) == sorted(f"{a}.eml" for a in expected), sent.stdout
    for address, pdfs in expected.items():
        msg = email.message_from_bytes((outbox / f"{address}.eml").read_bytes(), policy=email.policy.default)
        assert msg["To"].addresses[0].addr_spec.lower() == address
        attached = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
        assert sorted(attached) == sorted(pdfs)
        for name, data in attached.items():
            on_disk = month / (name if name.startswith("executive-pack") else name.replace(f"-{PERIOD}", ""))
            assert data == on_disk.read_bytes()
    n_pdfs = sum(len(pdfs) for pdfs in expected.values())
    assert f"{len(expected)} messages (one per recipient, {n_pdfs} PDFs attached) for {PERIOD} written to" in \
        sent.stdout
    assert not (month / "sent.json").exists()  # a dry run records nothing

    checked = _run([pmo_nb, "init", "--check"], cwd=ws, env=env).stdout
    assert checked.splitlines() == ["notebooks/program_report.ipynb: differs from the packaged version "
                                    "(edited in this workspace)"]
