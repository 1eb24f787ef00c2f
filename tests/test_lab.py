"""explore.ipynb run in a real JupyterLab (the ``lab`` extra) driven by Debian's Chromium through Playwright.

JupyterLab serves on 127.0.0.1 only, from a temporary folder holding a copy of the notebook, with its own settings
(no update check, no news) and the whole notebook in the page (windowing off). The browser opens the notebook,
clicks Run > Run All Cells, and the tests check that every cell ran without an error, that every chart was drawn
by JupyterLab's Vega renderer (not a static image, not "Error loading script") and that no request left the
machine: the page's requests are recorded, and any to another host is aborted and fails the test.

Skipped where JupyterLab, Playwright or Chromium is missing (never ``playwright install``). ``PMO_LAB_SHOTS=DIR``
saves screenshots of the page there, ``PMO_LAB_TIMEOUT_MS`` bounds the wait for Run All.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from pmo_nb.paths import NOTEBOOKS_DIR

pytestmark = pytest.mark.slow

NOTEBOOK = "explore.ipynb"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 90
RUN_TIMEOUT_MS = int(os.environ.get("PMO_LAB_TIMEOUT_MS", "240000"))


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)")
    pytest.skip(reason)


def _chromium() -> str:
    explicit = os.environ.get("PMO_CHROMIUM")
    found = explicit if explicit and Path(explicit).is_file() else shutil.which("chromium")
    if not found:
        _unavailable("Chromium not found: apt-get install chromium (or set PMO_CHROMIUM to its binary)")
    return str(found)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Lab:
    url: str
    origin: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    mimes: list[str | None] = field(default_factory=list)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """JupyterLab on 127.0.0.1 serving a folder with a copy of explore.ipynb: yields (origin, token)."""
    try:
        import jupyterlab  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        _unavailable(f"{exc.name} is not installed: pip install -e '.[dev]' (never run `playwright install`)")
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOKS_DIR / NOTEBOOK, root / NOTEBOOK)
    settings = root / ".settings"
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = _free_port(), secrets.token_hex(16)
    log = (root / "lab.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={root / '.workspaces'}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PMO_NB_BATCH": ""},
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{origin}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _unavailable(f"JupyterLab did not start: {(root / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield origin, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def ran(server: tuple[str, str]) -> Iterator[Lab]:
    """Open explore.ipynb in Lab, Run All Cells, wait for every cell, and collect what the page shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    origin, token = server
    lab = Lab(f"{origin}/lab/tree/{NOTEBOOK}?reset&token={token}", origin)
    with tempfile.TemporaryDirectory(prefix="pmo-lab-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(profile, executable_path=_chromium(), headless=True,
                                                        args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
        try:
            def route(r: object) -> None:
                url = r.request.url  # type: ignore[attr-defined]
                parts = urlsplit(url)
                if parts.scheme in ("data", "blob") or f"{parts.scheme}://{parts.netloc}" == origin:
                    r.continue_()  # type: ignore[attr-defined]
                else:
                    lab.blocked.append(url)
                    r.abort()  # type: ignore[attr-defined]

            context.route("**/*", route)
            page = context.pages[0] if context.pages else context.new_page()
            page.on("request", lambda req: lab.requests.append(req.url))
            page.on("pageerror", lambda exc: lab.page_errors.append(str(exc)))
            page.goto(lab.url, wait_until="domcontentloaded")
            page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90_000)
            # a fresh server may ask which kernel to start: the notebook's own (python3, this environment)
            accept = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
            try:
                accept.wait_for(state="visible", timeout=15_000)
                accept.click()
            except PlaywrightTimeout:
                pass
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000,
                                   state="attached")
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            shots = os.environ.get("PMO_LAB_SHOTS")
            if shots:
                page.wait_for_timeout(15_000)
                page.screenshot(path=f"{shots}/after-run-all.png")
                Path(f"{shots}/prompts.txt").write_text(repr(page.evaluate(
                    "() => Array.from(document.querySelectorAll('.jp-InputPrompt')).map(p => p.textContent)")))
            page.wait_for_function(
                """() => {
                    const prompts = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'));
                    return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
                }""",
                timeout=RUN_TIMEOUT_MS,
            )
            # charts finish embedding asynchronously after their cell ran
            page.wait_for_function(
                """() => Array.from(document.querySelectorAll('.jp-RenderedVegaCommon5'))
                        .every(c => c.querySelector('svg.marks, canvas.marks'))""",
                timeout=30_000,
            )
            lab.cells = page.evaluate(
                """() => Array.from(document.querySelectorAll('.jp-CodeCell')).map(c => ({
                    prompt: c.querySelector('.jp-InputPrompt').textContent.trim(),
                    errors: c.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
                            .length,
                    text: c.querySelector('.jp-OutputArea') ? c.querySelector('.jp-OutputArea').innerText : '',
                }))"""
            )
            lab.mimes = page.evaluate("""() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
                                           .map(o => o.getAttribute('data-mime-type') || o.className)""")
            if shots:
                page.screenshot(path=f"{shots}/after-charts.png", full_page=True)
            lab.charts = page.evaluate(
                """() => Array.from(document.querySelectorAll('.jp-OutputArea-output')).filter(o =>
                        o.matches('.jp-RenderedVegaCommon5, .jp-RenderedImage')
                        || o.querySelector('.jp-RenderedVegaCommon5, .vega-embed')).map(o => ({
                    vega: o.matches('.jp-RenderedVegaCommon5') || !!o.querySelector('.jp-RenderedVegaCommon5'),
                    drawn: o.querySelectorAll('svg.marks, canvas.marks').length,
                    size: Array.from(o.querySelectorAll('svg.marks, canvas.marks')).map(m => {
                        const r = m.getBoundingClientRect(); return [r.width, r.height]; })[0] || [0, 0],
                    text: o.innerText.slice(0, 200),
                }))"""
            )
            yield lab
        finally:
            context.close()


def _chart_cells() -> int:
    nb = nbformat.read(NOTEBOOKS_DIR / NOTEBOOK, as_version=4)
    return sum("charts." in c.source for c in nb.cells if c.cell_type == "code")


def test_run_all_executes_every_cell_without_an_error(ran: Lab) -> None:
    code = [c for c in nbformat.read(NOTEBOOKS_DIR / NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    assert len(ran.cells) == len(code)
    for i, cell in enumerate(ran.cells):
        assert cell["errors"] == 0, f"cell {i} wrote to stderr: {cell['text'][:500]}"
        assert "Traceback" not in cell["text"] and "Error" not in cell["text"][:200], cell["text"][:500]
    assert ran.page_errors == []


def test_every_chart_is_drawn_interactively_by_jupyterlab(ran: Lab) -> None:
    expected = _chart_cells()
    assert expected >= 2
    assert len(ran.charts) == expected, (ran.charts, ran.mimes)
    for chart in ran.charts:
        assert chart["vega"], chart  # drawn by Lab's Vega-Lite 5 renderer, not shown as the static SVG
        assert chart["drawn"] == 1 and chart["size"][0] > 200 and chart["size"][1] > 100, chart  # a drawn chart
        assert "Error loading script" not in chart["text"]


def test_no_request_leaves_the_machine(ran: Lab) -> None:
    assert ran.blocked == []
    outside = [u for u in ran.requests if urlsplit(u).scheme not in ("data", "blob")
               and not u.startswith(ran.origin + "/")]
    assert outside == []
    assert len(ran.requests) > 10  # the page did load through the recorder
