"""The month a ``pmo-nb run`` writes, clicked through in a real headless Chromium (Debian's, driven by Playwright).

The session's ``sample_month`` (tests/conftest.py: one real run of the sample portfolio, HTML and PDF, 2026-10)
serves the module. From the month's ``index.html`` each link to a report is clicked as a user clicks it, the
report it opens must be the one the link names (page title and visible heading), and the report's "All reports"
link must lead back to the index. From ``portfolio.html`` each link to a program is clicked, the program's report
must open, and its "← Portfolio overview" link must land on ``portfolio.html`` again.

Pages are opened from ``file://``. Any request outside the month folder is aborted and recorded; a test fails on
one, on a console or page error, on a failed request, and on a link of any page it opened that leads to a file
the month does not have. The PDFs the index links to are checked as files, not opened: Chromium shows a PDF in
its own viewer, whose requests (``chrome-extension://``) are the browser's, not the report's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

import pandas as pd
import pytest
from browser_helpers import CHROMIUM_FLAGS

pytestmark = pytest.mark.slow

MONTH = "October 2026"
VIEWPORT = {"width": 1280, "height": 900}
# every chart either finished embedding (pmo-chart-interactive) or vega-embed failed (a console error)
CHARTS_DRAWN = "() => document.querySelectorAll('figure.pmo-chart:not(.pmo-chart-interactive)').length === 0"


@dataclass
class Walk:
    """One browser tab on the month folder, with everything it requested, logged or could not load."""

    page: Any
    folder: Path
    outside: list[str] = field(default_factory=list)
    requests_failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    drawn: set[str] = field(default_factory=set)

    @property
    def prefix(self) -> str:
        return self.folder.as_uri() + "/"

    def name_of(self, url: str) -> str:
        """The file name in the month folder that ``url`` points to ('' when it points elsewhere)."""
        url = urldefrag(url).url
        return unquote(url[len(self.prefix):]) if url.startswith(self.prefix) else ""

    def here(self) -> str:
        return self.name_of(self.page.url)

    def open(self, name: str) -> None:
        self.page.goto(self.prefix + name, wait_until="load")
        self.settle()

    def click(self, link: Any, expected: str) -> None:
        """Click ``link`` as a user does and wait until the page ``expected`` (a file name) has loaded."""
        href = link.evaluate("a => a.href")
        assert self.name_of(href) == expected, f"{self.here()}: link {link.inner_text()!r} goes to {href}"
        assert (self.folder / expected).is_file(), f"{self.here()}: link {link.inner_text()!r} leads to no file"
        link.scroll_into_view_if_needed()
        link.click()
        self.page.wait_for_url(href, wait_until="load")
        self.settle()

    def settle(self) -> None:
        """On a page's first visit: wait for its charts, and record each of its links to a missing file."""
        here = self.here()
        if here in self.drawn:
            return
        self.drawn.add(here)
        self.page.wait_for_function(CHARTS_DRAWN, timeout=20_000)
        for href in self.page.evaluate("() => Array.from(document.links, a => a.href)"):
            name = self.name_of(href)
            if not name or not (self.folder / name).is_file():
                self.broken_links.append(f"{here}: {href}")

    def nav_link(self, name: str) -> Any:
        """The link called ``name`` in the report's "Reports" navigation (under its title)."""
        return self.page.get_by_role("navigation", name="Reports").get_by_role("link", name=name, exact=True)

    def assert_clean(self) -> None:
        assert self.outside == [], "requests left the month folder"
        assert self.requests_failed == []
        assert self.console_errors == []
        assert self.page_errors == []
        assert self.broken_links == [], "links to files the month does not have"


@pytest.fixture(scope="module")
def walk(chromium: str, pw: Any, sample_month: Path) -> Iterator[Walk]:
    """A fresh headless Chromium, one tab, every request outside the month folder aborted and recorded."""
    browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
    try:
        context = browser.new_context(viewport=VIEWPORT)
        state = Walk(context.new_page(), sample_month.resolve())

        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(state.prefix) else r.abort())
        page = state.page
        page.on("request", lambda req: None if req.url.startswith(state.prefix) else state.outside.append(req.url))
        page.on("requestfailed", lambda req: state.requests_failed.append(f"{req.url}: {req.failure}"))
        page.on("console", lambda msg: state.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: state.page_errors.append(str(exc)))
        yield state
    finally:
        browser.close()


@pytest.fixture(scope="module")
def programs(sample_month: Path) -> dict[str, str]:
    """Program id -> name, from the month's kpis.csv."""
    kpis = pd.read_csv(sample_month / "kpis.csv", dtype=str, keep_default_na=False)
    rows = kpis[kpis["level"] == "program"]
    return dict(zip(rows["id"], rows["name"], strict=True))


def expect_report(walk: Walk, stem: str, programs: dict[str, str]) -> None:
    """The open page is the report ``stem`` (``portfolio`` or a program id): its title and visible heading."""
    name = "Portfolio overview" if stem == "portfolio" else programs[stem]
    assert walk.here() == f"{stem}.html"
    assert walk.page.title() == f"{name} · {MONTH}"
    heading = walk.page.locator("h1.pmo-report-title")
    assert heading.is_visible() and heading.inner_text() == name
    assert walk.page.locator(".pmo-report-month").first.inner_text() == MONTH


def test_index_opens_every_report_and_each_leads_back(walk: Walk, programs: dict[str, str]) -> None:
    walk.open("index.html")
    assert walk.page.title() == f"PMO · reports for {MONTH}"
    links = walk.page.locator("a[href]")
    targets = [walk.name_of(h) for h in walk.page.evaluate("() => Array.from(document.links, a => a.href)")]
    reports = {"portfolio", *programs}
    assert {t for t in targets if t.endswith(".html")} == {f"{s}.html" for s in reports}
    assert {t for t in targets if t.endswith(".pdf")} == {f"{s}.pdf" for s in reports} | {
        "executive-pack-2026-10.pdf"}
    for i, target in enumerate(targets):
        if target.endswith(".pdf"):
            assert (walk.folder / target).read_bytes()[:5] == b"%PDF-", target
            continue
        walk.click(links.nth(i), target)  # the report's title, then its "HTML" link
        expect_report(walk, target.removesuffix(".html"), programs)
        walk.click(walk.nav_link(f"All reports of {MONTH}"), "index.html")
    walk.assert_clean()


def test_portfolio_links_each_program_and_each_links_back(walk: Walk, programs: dict[str, str]) -> None:
    walk.open("portfolio.html")
    expect_report(walk, "portfolio", programs)
    shown = walk.page.evaluate("() => Array.from(document.links, a => [a.href, a.innerText.trim()])")
    to_programs = [(walk.name_of(h), text) for h, text in shown if walk.name_of(h).removesuffix(".html") in programs]
    assert {target for target, _ in to_programs} == {f"{pid}.html" for pid in programs}
    assert all(text == target.removesuffix(".html") for target, text in to_programs)  # the link says which program
    for pid in programs:
        links = walk.page.get_by_role("link", name=pid, exact=True)  # every table row that names the program
        count = links.count()
        assert count == sum(t == f"{pid}.html" for t, _ in to_programs)
        for k in range(count):
            walk.click(links.nth(k), f"{pid}.html")
            expect_report(walk, pid, programs)
            back = walk.nav_link("← Portfolio overview")
            assert back.is_visible()
            walk.click(back, "portfolio.html")
            expect_report(walk, "portfolio", programs)
    walk.assert_clean()
