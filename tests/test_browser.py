"""A generated program report opened in a real headless Chromium (Debian's package, driven by Playwright).

One notebook execution serves the module: the program report on a small *hostile* portfolio, the sample's
first program with names, titles and comments rewritten to script tags, ``onerror`` images, ``javascript:``
links, Markdown/LaTeX control characters, right-to-left text, emoji, quotes, newlines and a 500-character
name. The page is opened from ``file://`` with every other request aborted and recorded, and the tests check
that it makes no request, logs no error, draws every chart with vega-embed, shows a tooltip on hover, runs
none of the hostile markup, shows it as text, and does not overflow horizontally.

Skipped where Chromium or Playwright is missing (the reason gives the install command); under ``CI=true`` a
missing browser fails instead, because ``.ci/run`` installs it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from browser_helpers import CHROMIUM_FLAGS

from pmo_nb.paths import NOTEBOOKS_DIR, SAMPLE_DIR
from pmo_nb.publish import exporters

pytestmark = pytest.mark.slow

GENERATED = "2026-11-03T07:30:00Z"
PROGRAM = "PRG-DCX"
PERIOD = "2026-10"
VIEWPORT = {"width": 1280, "height": 900}
OVERFLOW_TOLERANCE_PX = 2

# The hostile texts. Each must reach the page as visible text and never as markup.
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
JS_MD_LINK = "[details](javascript:window.__pwned=1)"
JS_HTML_LINK = '<a href="javascript:window.__pwned=1">open</a>'
MARKUP = r"Cost $5 * 2_000 `rm -rf` \ $$x^2$$ **b** _i_"
RTL = "مشروع التحول שלום \u202eevil"
EMOJI = "Launch 🚀 👩🏽‍💻 ✅"
QUOTES = "O'Brien said \"done\" ‘fine’"
NEWLINES = "line one\nline two\r\nline three"
LONG = ("Pneumonoultramicroscopicsilicovolcanoconiosis" * 12)[:500]  # 500 characters, no space to break at

# Shown untruncated somewhere in the report (title block, summary, tables' short columns).
SHOWN_AS_TEXT = (SCRIPT, IMG, JS_MD_LINK, MARKUP, RTL, EMOJI, QUOTES, NEWLINES, LONG[:40])


def normalise(text: str) -> str:
    """Whitespace as a browser's innerText shows it: runs of spaces and newlines become one space."""
    return " ".join(text.split())


# ----------------------------------------------------------------------------------------- the portfolio


def hostile_portfolio(folder: Path) -> Path:
    """Write the sample's first program, with hostile texts in every free-text field, as a CSV folder."""
    tables = {
        p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(SAMPLE_DIR.glob("*.csv"))
    }
    programs = tables["programs"]
    programs = programs[programs["program_id"] == PROGRAM].copy()
    programs["name"] = f"{SCRIPT} {EMOJI}"
    programs["sponsor"] = IMG
    programs["manager"] = f"{QUOTES} {RTL}"  # the title block prints " · October 2026" right after it
    programs["objective"] = JS_HTML_LINK
    projects = tables["projects"]
    projects = projects[projects["program_id"] == PROGRAM].reset_index(drop=True)
    names = [SCRIPT, IMG, JS_MD_LINK, MARKUP, RTL, EMOJI, NEWLINES, LONG]
    assert len(projects) >= len(names), "the sample's first program has fewer projects than hostile names"
    projects.loc[: len(names) - 1, "name"] = names
    projects["status_comment"] = f"{JS_HTML_LINK}\n{MARKUP}\n{IMG}"
    projects.loc[0, "manager"] = QUOTES
    ids = set(projects["project_id"])
    out = {"programs": programs, "projects": projects}
    for name, column in (("financials", None), ("milestones", "name"), ("risks", "title"), ("issues", "title")):
        frame = tables[name]
        frame = frame[frame["project_id"].isin(ids)].reset_index(drop=True)
        if column is not None:
            frame[column] = [names[i % len(names)] for i in range(len(frame))]
        if name in ("risks", "issues"):
            frame["owner"] = [(RTL, QUOTES, EMOJI)[i % 3] for i in range(len(frame))]
        out[name] = frame
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in out.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


# ----------------------------------------------------------------------------------------- the page


@dataclass
class Opened:
    """The report open in Chromium, with everything it tried to load and everything it logged."""

    page: object
    url: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Execute the program report once on the hostile portfolio and render it to an HTML file."""
    papermill = pytest.importorskip("papermill")
    work = tmp_path_factory.mktemp("browser")
    source = hostile_portfolio(work / "hostile")
    nb = papermill.execute_notebook(
        str(NOTEBOOKS_DIR / "program_report.ipynb"),
        str(work / "program_report.ipynb"),
        parameters={"program_id": PROGRAM, "period": PERIOD, "source": str(source)},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(work),
    )
    page = work / "program_report.html"
    page.write_text(exporters.render_html(nbformat.from_dict(nb), generated_at=GENERATED), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def opened(chromium: str, pw: Any, report_html: Path) -> Iterator[Opened]:
    """Open the report in headless Chromium with a fresh profile; abort and record any other request."""
    url = report_html.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="pmo-chromium-") as profile:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            state = Opened(page, url)

            def route(r: object) -> None:
                if r.request.url == url:  # type: ignore[attr-defined]
                    r.continue_()  # type: ignore[attr-defined]
                else:
                    state.blocked.append(r.request.url)  # type: ignore[attr-defined]
                    r.abort()  # type: ignore[attr-defined]

            context.route("**/*", route)
            page.on("request", lambda req: state.requests.append(req.url))
            page.on("console", lambda msg: state.console_errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: state.page_errors.append(str(exc)))
            page.goto(url, wait_until="load")
            # every chart either finishes embedding (pmo-chart-interactive) or vega-embed failed
            page.wait_for_function(
                "() => document.querySelectorAll('figure.pmo-chart:not(.pmo-chart-interactive)').length === 0",
                timeout=20_000,
            )
            yield state
        finally:
            context.close()


# ----------------------------------------------------------------------------------------- tests


def test_hostile_portfolio_loads(tmp_path: Path) -> None:
    from pmo_nb import load

    portfolio = load(hostile_portfolio(tmp_path / "p"))
    assert portfolio.programs.loc[0, "name"] == f"{SCRIPT} {EMOJI}"
    assert LONG in set(portfolio.projects["name"]) and len(LONG) == 500
    # quoted newlines survive the CSV round trip; a CR LF inside a cell becomes a newline (text normalised at ingest)
    assert NEWLINES.replace("\r\n", "\n") in set(portfolio.projects["name"])


def test_no_request_leaves_the_page(opened: Opened) -> None:
    assert opened.blocked == []
    assert [u for u in opened.requests if u != opened.url] == []


def test_no_console_or_page_error(opened: Opened) -> None:
    assert opened.console_errors == []
    assert opened.page_errors == []


def test_every_chart_is_drawn_by_vega_embed(opened: Opened) -> None:
    page = opened.page
    charts = page.evaluate(  # type: ignore[attr-defined]
        """() => Array.from(document.querySelectorAll('.pmo-chart')).map(f => ({
            live: f.querySelectorAll('.pmo-chart-live.vega-embed svg.marks, .pmo-chart-live.vega-embed canvas.marks')
                  .length,
            marks: f.querySelectorAll('.pmo-chart-live .role-mark').length,
            interactive: f.classList.contains('pmo-chart-interactive'),
        }))"""
    )
    assert len(charts) >= 5  # s-curve, quadrant, milestones, heat map, exposure, issues...
    for i, chart in enumerate(charts):
        assert chart == {"live": 1, "marks": chart["marks"], "interactive": True}, f"chart {i}: {chart}"
        assert chart["marks"] > 0, f"chart {i} has no marks"


def test_hover_over_a_mark_shows_the_vega_tooltip(opened: Opened) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = opened.page
    tooltip = page.locator("#vg-tooltip-element")  # type: ignore[attr-defined]
    # point and bar marks: the marks that carry tooltips in the pmo charts
    marks = page.locator(  # type: ignore[attr-defined]
        ".pmo-chart-live .mark-symbol path, .pmo-chart-live .mark-rect path, .pmo-chart-live .mark-bar path"
    )
    count = marks.count()
    assert count > 0
    for i in range(min(count, 40)):
        mark = marks.nth(i)
        mark.scroll_into_view_if_needed()
        box = mark.bounding_box()
        if not box or box["width"] == 0:
            continue
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # type: ignore[attr-defined]
        try:
            page.wait_for_function(  # type: ignore[attr-defined]
                "() => { const t = document.querySelector('#vg-tooltip-element');"
                " return t && t.classList.contains('visible'); }",
                timeout=1_000,
            )
        except PlaywrightTimeout:  # no tooltip on this mark: try the next one
            continue
        assert tooltip.is_visible()
        assert tooltip.inner_text().strip()
        assert page.evaluate("() => window.__pwned") is None  # type: ignore[attr-defined]
        return
    pytest.fail(f"no tooltip appeared over any of {min(count, 40)} chart marks")


def test_hostile_markup_never_runs(opened: Opened) -> None:
    page = opened.page
    assert page.evaluate("() => typeof window.__pwned") == "undefined"  # type: ignore[attr-defined]
    dom = page.evaluate(  # type: ignore[attr-defined]
        """() => ({
            scripts: document.querySelectorAll('script:not(.pmo-chart-spec)').length,
            js_links: document.querySelectorAll('[href^="javascript:" i], [src^="javascript:" i]').length,
            handlers: Array.from(document.querySelectorAll('*')).filter(
                e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
            images: Array.from(document.querySelectorAll('img')).filter(i => !i.src.startsWith('data:')).length,
        })"""
    )
    # the two scripts are the template's: the Vega bundle and the embedding code
    assert dom == {"scripts": 2, "js_links": 0, "handlers": 0, "images": 0}


def test_hostile_texts_show_as_text(opened: Opened) -> None:
    text = normalise(opened.page.inner_text("body"))  # type: ignore[attr-defined]
    for hostile in SHOWN_AS_TEXT:
        assert normalise(hostile) in text, f"{hostile[:60]!r} is not shown as text"
    assert normalise(opened.page.title()).startswith(normalise(SCRIPT))  # type: ignore[attr-defined]


def test_right_to_left_override_does_not_reverse_the_text_after_it(opened: Opened) -> None:
    # The manager's name ends in an unclosed U+202E; the title block prints "· October 2026" after it. Each
    # "October 2026" on the page must still run left to right on screen: its "O" left of its last "6".
    positions = opened.page.evaluate(  # type: ignore[attr-defined]
        """() => {
            const out = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            const box = (node, i) => { range.setStart(node, i); range.setEnd(node, i + 1);
                                       return range.getBoundingClientRect(); };
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (let i = node.data.indexOf('October 2026'); i >= 0; i = node.data.indexOf('October 2026', i + 1)) {
                    const first = box(node, i), last = box(node, i + 11);
                    if (first.width && Math.abs(first.top - last.top) < 2) {
                        out.push({parent: node.parentElement.className, first: first.left, last: last.left});
                    }
                }
            }
            return out;
        }"""
    )
    assert any(p["parent"] == "pmo-title-sub" for p in positions), positions
    reversed_ = [p for p in positions if p["first"] >= p["last"]]
    assert reversed_ == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a\u202eb", "a\u202eb\u202c"),  # RLO closed by PDF
        ("a\u202eb\u202c c", "a\u202eb\u202c c"),  # already closed
        ("a\u2067b", "a\u2067b\u2069"),  # RLI closed by PDI
        ("\u2067\u202eb\u2069c\u202e", "\u2067\u202eb\u2069c\u202e\u202c"),  # PDI closed the inner RLO
        ("\u202a\u2066b", "\u202a\u2066b\u2069\u202c"),  # innermost first
        ("\u202c\u2069x", "\u202c\u2069x"),  # stray closers change nothing
    ],
)
def test_close_bidi(text: str, expected: str) -> None:
    from pmo_nb.data.coerce import close_bidi

    assert close_bidi(text) == expected


def test_layout_does_not_overflow_horizontally(opened: Opened) -> None:
    page = opened.page
    widths = page.evaluate(  # type: ignore[attr-defined]
        "() => ({scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
        " viewport: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["viewport"] + OVERFLOW_TOLERANCE_PX, widths
    assert widths["body"] <= widths["viewport"] + OVERFLOW_TOLERANCE_PX, widths


# ----------------------------------------------------------------------------------------- words in tables

WORD_SPLIT_JS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll('table.pmo-table td, table.pmo-table th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.textContent.matchAll(/[^\\s-]+/g)) {  // a break at a hyphen is a normal break
        if (m[0].length > 18) continue;  // longer runs get break opportunities on purpose
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        if (tops.size > 1) split.push(m[0]);
      }
    }
  }
  return split;
}"""


@pytest.fixture(scope="module")
def sample_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's PRG-DCX program report (long names, comments and reasons) rendered to HTML."""
    papermill = pytest.importorskip("papermill")
    work = tmp_path_factory.mktemp("words")
    nb = papermill.execute_notebook(str(NOTEBOOKS_DIR / "program_report.ipynb"), str(work / "dcx.ipynb"),
                                    parameters={"program_id": "PRG-DCX"}, kernel_name="python3",
                                    progress_bar=False, cwd=str(work))
    page = work / "dcx.html"
    page.write_text(exporters.render_html(nbformat.from_dict(nb), generated_at=GENERATED), encoding="utf-8")
    return page


@pytest.mark.parametrize("width", [1280, 1600, 1920])
def test_table_words_never_break_mid_way(chromium: str, pw: Any, sample_html: Path, width: int) -> None:
    browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
    try:
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        page.goto(sample_html.resolve().as_uri(), wait_until="load")
        assert page.evaluate("() => document.querySelectorAll('table.pmo-table td').length") > 50
        assert page.evaluate(WORD_SPLIT_JS) == []
    finally:
        browser.close()
