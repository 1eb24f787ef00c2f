"""One figure, one computation: every figure a report states in two places says the same thing.

Each report of the sample portfolio (and of a generated 40-program portfolio) is rendered section by section
to HTML (charts by their title and subtitle, as the SVG shows them). Labelled patterns pull out each stated
figure (upcoming and missed milestones, CPI, SPI(t), BAC, EAC, open and critical risks); the test fails when
one figure is stated with two values, and when a percentage is written with another rounding than the one rule.

The same check runs on the PDF text (pypdf) of the sample's month as ``pmo-nb run`` writes it (conftest's
``sample_month``): each report's PDF and its pages of the executive pack must state each figure as the HTML does.
PDF text has no markup: its lines are joined (a line that ends in a hyphen joins without a space, as the PDFs are
never hyphenated), the tiles are found by their printed labels, and the computed RAG reasons are taken out of it
by their text, as the HTML check leaves them out by their markup.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from pmo_nb.data import sample
from pmo_nb.data.ingest import load
from pmo_nb.reporting import display, sections
from pmo_nb.reporting.report import PortfolioReport, ProgramReport

# figure name -> patterns; each pattern's last group is the value
PATTERNS: dict[str, list[str]] = {
    "upcoming milestones": [r"(\d+) milestones? due in the next \d+ days",
                            r"Upcoming in the next \d+ days \((\d+)\)", r"(no) milestone due in the next"],
    "missed milestones": [r"(\d+) milestones? missed", r"(no) milestone missed", r"Missed \((\d+)\)",
                          r'pmo-tile-note">(\d+) missed<', r"; (\d+) missed"],
    "CPI": [r"\(CPI (\d+\.\d\d)\)", r'CPI</div><div class="pmo-tile-value">(\d+\.\d\d|n/a)'],
    "SPI(t)": [r"Schedule: SPI\(t\) (\d+\.\d\d)", r'SPI\(t\)</div><div class="pmo-tile-value">(\d+\.\d\d|n/a)'],
    "BAC": [r"against a budget of (\S+?)[,.;]? ", r'Budget \(BAC\)</div><div class="pmo-tile-value">([^<]+)<',
            r"BAC (\S+)$"],
    "EAC": [r"will cost (\S+) against", r'Forecast \(EAC\)</div><div class="pmo-tile-value">([^<]+)<',
            r"EAC (\S+)$"],
    "open risks": [r"(\d+) open risks? in all", r'pmo-tile-note">(\d+) open in all<',
                   r"risks?(?:, none critical,)? among (\d+) open",
                   r"(\d+) open risks?, none high"],
    "critical risks": [r"open risks? in all, (\d+) critical", r"(\d+) critical risks? among",
                       r'Open critical risks</div><div class="pmo-tile-value">(\d+)'],
}
ZERO = {"no": "0"}


def _text(out) -> list[str]:
    """What a section states: its HTML, or a chart's title and subtitle lines and reference labels."""
    if isinstance(out, alt.TopLevelMixin):
        spec = out.to_dict()
        texts = [display.chart_title(spec)]
        title = spec.get("title")
        if isinstance(title, dict):
            sub = title.get("subtitle") or []
            texts += [sub] if isinstance(sub, str) else list(sub)
        for data in spec.get("datasets", {}).values():
            texts += [str(r["label"]) for r in data if isinstance(r.get("label"), str) and r["label"][:4] in
                      ("BAC ", "EAC ")]
        return texts
    html = re.sub(r"<tbody>.*?</tbody>", "", str(out), flags=re.S)  # rows are other entities' figures
    # the computed RAG reason lists the rules that fired, worded by pmo_nb.metrics.rag (checked there)
    html = re.sub(r'<span class="pmo-title-reason">.*?</span>', "", html, flags=re.S)
    return [re.sub(r"(is (?:RED|AMBER|GREEN) for \w+ \d{4}): .*?</p>", r"\1.</p>", html, flags=re.S)]


def test_the_rag_reason_agrees_with_the_summary():
    report = PortfolioReport.build()
    reason = str(report.row["rag_reason"])
    stated = re.findall(r"(\d+) milestones? missed", reason)
    assert all(int(n) == int(report.row["ms_missed"]) for n in stated)


Figures = dict[str, dict[str, str]]  # figure -> {value: where it was stated}


def find_figures(found: Figures, patterns: dict[str, list[str]], text: str, where: str) -> None:
    """Add each figure ``patterns`` find in ``text`` to ``found``, the first place each value was stated kept."""
    for name, pats in patterns.items():
        for pattern in pats:
            for m in re.finditer(pattern, text, flags=re.M):
                value = ZERO.get(m.group(m.lastindex), m.group(m.lastindex))
                found[name].setdefault(value, f"{where}: …{text[max(m.start() - 60, 0):m.end()]}")


def section_text(report, section_id: str) -> list[str]:
    """:func:`_text` of one section of ``report``, built once per report: the figure check and the percentage
    check read some sections both (building a section is most of this module's time on 40 programs)."""
    texts = report.__dict__.setdefault("_test_section_texts", {})
    if section_id not in texts:
        texts[section_id] = _text(report.section(section_id))
    return texts[section_id]


def stated_figures(report) -> Figures:
    """figure -> {value: where it was stated} for one report."""
    found: Figures = defaultdict(dict)
    for sec in sections.for_kind(report.kind):
        if sec.id == "changes_section":  # last month's values are another month's figures
            continue
        for text in section_text(report, sec.id):
            find_figures(found, PATTERNS, text, sec.id)
    return found


PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)%")


def generated_text(report) -> list[str]:
    """Text the report writes itself (summary, tiles, chart titles): every percentage has one decimal."""
    return [t for sec in ("summary", "tiles", "s_curve", "quadrant") for t in section_text(report, sec)]


def assert_agree(where: str, figures: Figures) -> None:
    for name, values in figures.items():
        assert len(values) == 1, f"{where}: {name} stated as {sorted(values)}: " + " | ".join(values.values())


def check(report, figures: Figures | None = None) -> None:
    where = report.program_id or "portfolio"
    assert_agree(where, stated_figures(report) if figures is None else figures)
    for text in generated_text(report):
        for m in PERCENT.finditer(text):
            assert re.fullmatch(r"\d+\.\d", m.group(1)), f"{where}: percentage {m.group(0)} breaks the one-decimal " \
                                                         f"rule: …{text[max(m.start() - 60, 0):m.end()]}"


def share_month(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report of one source is built from one computed month, as a batch run shares it with its kernels
    (without this each of the 40 programs would load and compute the whole portfolio again)."""
    import pmo_nb.reporting.report as report_module

    computed: dict[tuple, object] = {}
    real = report_module.month_state

    def once(*args):
        key = tuple(str(a) for a in args)
        if key not in computed:
            computed[key] = real(*args)
        return computed[key]

    monkeypatch.setattr(report_module, "month_state", once)


@pytest.fixture(autouse=True)
def one_month_per_source(monkeypatch):
    share_month(monkeypatch)


def _reports(source: Path | None, every: int = 1):
    """The overview and every ``every``-th program's report (in program order, the first included)."""
    portfolio = load(source) if source else None
    ids = portfolio.program_ids if portfolio else load(sample.SAMPLE_DIR if hasattr(sample, "SAMPLE_DIR")
                                                      else None).program_ids
    yield PortfolioReport.build(source=source)
    for program_id in list(ids)[::every]:
        yield ProgramReport.build(program_id=program_id, source=source)


@pytest.fixture(scope="module")
def sample_figures() -> dict[str, tuple[object, Figures]]:
    """Report stem -> (report, the figures its HTML states) for each report of the sample, built once for the
    module (the HTML and the PDF checks read them)."""
    from pmo_nb.paths import SAMPLE_DIR

    with pytest.MonkeyPatch.context() as mp:
        share_month(mp)
        return {r.program_id or "portfolio": (r, stated_figures(r)) for r in _reports(SAMPLE_DIR)}


def test_every_figure_of_the_sample_reports_agrees(sample_figures):
    for report, figures in sample_figures.values():
        check(report, figures)


@pytest.mark.slow
def test_every_figure_of_a_40_program_portfolio_agrees(tmp_path):
    src = tmp_path / "big"
    sample.write(sample.generate(programs=40, projects=260, milestones=1600, risks=1300, issues=900), src)
    # the overview past the charts' row caps, and 10 of the 40 program reports (the sample's reports are all
    # checked above): a program's figures are computed as at any size, and 31 more reports took a minute
    for report in _reports(src, every=4):
        check(report)


def test_the_check_catches_two_values_for_one_figure():
    report = ProgramReport.build(program_id="PRG-DCX")
    figures = stated_figures(report)
    assert set(figures["upcoming milestones"]) and len(figures["upcoming milestones"]) == 1
    bad = str(report.summary()).replace(" due in the next", "X due in the next")
    text = re.sub(r"(\d+) milestones?X due", lambda m: f"{int(m.group(1)) + 1} milestones due", bad)
    found = [m.group(1) for m in re.finditer(PATTERNS["upcoming milestones"][0], text)]
    assert found and found[0] not in figures["upcoming milestones"]


# ----------------------------------------------------------------------------------------- the PDFs

MONEY = r"(-?(?:[€$£¥₹]|[A-Z]{3} )?\d[\d.]*(?:k|M|bn)?|n/a)"  # formatting.money, as the BAC/EAC chart labels print it
# What only the PDF text needs: the tiles by their labels (printed in capitals, so the tile's "SPI(T)" is not the
# text's "SPI(t)"), each followed by its value, and the charts' BAC/EAC labels (lines of their own in the HTML)
PDF_ONLY: dict[str, list[str]] = {
    "missed milestones": [r"(\d+) missed (?i:open critical risks)"],  # the on-time tile's note, then the next tile
    "CPI": [r"\bCPI (\d+\.\d\d|n/a) (?:Green|Amber|Red|[-+]?\d+\.\d\d [►▲▼]|n/a|no previous month)"],
    "SPI(t)": [r"\bSPI\(T\) (\d+\.\d\d|n/a)"],
    "BAC": [r"(?i:budget \(bac\)) (\S+)", rf"\bBAC {MONEY}(?!\S)"],
    "EAC": [r"(?i:forecast \(eac\)) (\S+)", rf"\bEAC {MONEY}(?!\S)"],
    "open risks": [r"(\d+) open in all"],
    "critical risks": [r"(?i:open critical risks) (\d+)"],
}
# the HTML's patterns that need no markup or line ends, and those
PDF_PATTERNS: dict[str, list[str]] = {
    name: [p for p in patterns if "<" not in p and not p.endswith("$")] + PDF_ONLY.get(name, [])
    for name, patterns in PATTERNS.items()
}
TILES = {"BAC", "EAC", "CPI", "SPI(t)", "missed milestones", "open risks", "critical risks"}
PACK = "executive-pack-2026-10.pdf"


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(raw: str, reasons: Iterable[str] = ()) -> str:
    """pypdf's text of a page as one line, without the RAG ``reasons`` (flattened).

    A line that ends in a hyphen joins the next without a space: the PDFs are not hyphenated, so such a hyphen
    is the text's own ("Go-live", "DCX-002-M7") and the line broke after it. A reason that holds a number is
    left out whole, or cut short with "…" as a narrow table column prints it (a reason without one, "closed",
    states no figure and is also a word of other sentences).
    """
    text = flat(re.sub(r"(?<=\w-)[ \t]*\n\s*(?=\w)", "", raw))
    reasons = sorted({flat(r) for r in reasons if re.search(r"\d", r)}, key=len, reverse=True)
    for reason in reasons:
        text = text.replace(reason, " ")
    for cut in reversed([m.start() for m in re.finditer("…", text)]):
        for reason in reasons:
            k = next((k for k in range(min(len(reason) - 1, cut), 11, -1) if text[cut - k:cut] == reason[:k]), 0)
            if k:
                text = text[:cut - k] + " " + text[cut + 1:]
                break
    return flat(text)


def pdf_figures(pages: Iterable[tuple[str, str]]) -> Figures:
    """figure -> {value: where} over ``(where, text)`` pages (text from :func:`pdf_text`)."""
    found: Figures = defaultdict(dict)
    for where, text in pages:
        find_figures(found, PDF_PATTERNS, text, where)
    return found


def merged(*sources: Figures) -> Figures:
    out: Figures = defaultdict(dict)
    for figures in sources:
        for name, values in figures.items():
            for value, where in values.items():
                out[name].setdefault(value, where)
    return out


def pack_stem(raw: str, program_ids: Iterable[str]) -> str:
    """Which report a page of the executive pack is about: a program's page opens with its name and id; the
    cover, contents and overview are the portfolio's."""
    first = raw.strip().splitlines()[0] if raw.strip() else ""
    pid = first.rsplit(" ", 1)[-1]
    return pid if pid in set(program_ids) and "Status:" in raw else "portfolio"


@pytest.fixture(scope="module")
def month_pdfs(sample_month: Path) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Report stem -> {"report": its PDF's pages, "pack": its pages of the executive pack}, each page as
    ``(where, text)``: the text of the month's PDFs, read once for the module."""
    import pypdf

    kpis = pd.read_csv(sample_month / "kpis.csv", dtype=str, keep_default_na=False)
    reasons = set(kpis["rag_reason"])  # the portfolio's, each program's and each project's
    ids = list(kpis.loc[kpis["level"] == "program", "id"])
    out: dict[str, dict[str, list[tuple[str, str]]]] = {s: {"report": [], "pack": []} for s in ["portfolio", *ids]}
    for stem, texts in out.items():
        pages = pypdf.PdfReader(sample_month / f"{stem}.pdf").pages
        texts["report"] = [(f"{stem}.pdf page {n}", pdf_text(p.extract_text(), reasons))
                           for n, p in enumerate(pages, start=1)]
    for n, page in enumerate(pypdf.PdfReader(sample_month / PACK).pages, start=1):
        raw = page.extract_text()
        out[pack_stem(raw, ids)]["pack"].append((f"{PACK} page {n}", pdf_text(raw, reasons)))
    return out


def test_pdf_text_joins_wrapped_lines_and_leaves_out_the_reasons() -> None:
    reason = "key milestone missed: Go-live (DCX-002-M7); 2 milestones missed in all; CPI 0.92 < 0.95"
    raw = ("Status: Red key milestone missed: Go-\nlive (DCX-002-\nM7); 2 milestones\nmissed in all; CPI 0.92 <\n"
           "0.95\nSchedule: 6 milestones missed (4 key) and\nRe-\nplan; a - b\nPRG-ERP 3 2 key milestone missed: "
           "Go-live (DCX-002-M7); 2\nmilestones missed in all; CPI 0.9…\nNetwork & Infrastructure R…")
    text = pdf_text(raw + "\n3 risks closed", [reason, "unrelated reason 1", "closed"])
    assert text == ("Status: Red Schedule: 6 milestones missed (4 key) and Re-plan; a - b PRG-ERP 3 2 "
                    "Network & Infrastructure R… 3 risks closed")
    assert pdf_figures([("p", text)])["missed milestones"] == {"6": "p: …Status: Red Schedule: 6 milestones missed"}
    assert pack_stem("Data & Analytics Platform PRG-DAP\nStatus: Red x", ["PRG-DAP"]) == "PRG-DAP"
    assert pack_stem("Portfolio overview\n5 programs", ["PRG-DAP"]) == "portfolio"


@pytest.mark.slow
def test_every_figure_of_the_sample_pdfs_agrees_with_the_html(month_pdfs, sample_figures) -> None:
    assert set(sample_figures) == set(month_pdfs)
    for stem, (_, html) in sample_figures.items():
        own, pack = pdf_figures(month_pdfs[stem]["report"]), pdf_figures(month_pdfs[stem]["pack"])
        assert set(html) <= set(own), f"{stem}.pdf does not state {sorted(set(html) - set(own))}"
        assert TILES <= set(pack), f"{stem}'s pages of the pack do not state {sorted(TILES - set(pack))}"
        assert_agree(stem, merged(html, own, pack))


# where the text is altered (a part of the PDFs, or both), what is replaced (the first on each page, or all: 0),
# and the figure that must then be found stated twice
ALTERATIONS = {
    "the pack's CPI tile": ("pack", r"(?<=\bCPI )\d+\.\d\d(?= (?:Green|Amber|Red)\b)", 1, "CPI"),
    "the report's summary, open risks": ("report", r"\d+(?= open risks? in all)", 1, "open risks"),
    "every CPI of both, the HTML alone right": ("both", r"(?<=\bCPI )\d+\.\d\d\b", 0, "CPI"),
}


@pytest.mark.slow
@pytest.mark.parametrize("alteration", list(ALTERATIONS))
def test_the_pdf_check_catches_a_figure_the_pdf_states_otherwise(month_pdfs, sample_figures, alteration) -> None:
    part, pattern, count, figure = ALTERATIONS[alteration]
    dcx_html = sample_figures["PRG-DCX"][1]
    pages = month_pdfs["PRG-DCX"]
    assert_agree("PRG-DCX", merged(dcx_html, pdf_figures(pages["report"]), pdf_figures(pages["pack"])))

    def other(m: re.Match[str]) -> str:  # 0.89 -> 0.90, 43 -> 44
        value = m.group(0)
        return f"{float(value) + 0.01:.2f}" if "." in value else str(int(value) + 1)

    altered = dict(pages)
    for p in ("report", "pack") if part == "both" else (part,):
        altered[p] = [(where, re.sub(pattern, other, text, count=count)) for where, text in pages[p]]
    assert altered != pages
    figures = merged(dcx_html, pdf_figures(altered["report"]), pdf_figures(altered["pack"]))
    with pytest.raises(AssertionError, match=rf"^PRG-DCX: {re.escape(figure)} stated as \["):
        assert_agree("PRG-DCX", figures)
    places = list(figures[figure].values())  # where each of the two values was first stated
    assert len(places) == 2 and any(".pdf page" in p for p in places), places
    if part == "both":  # the PDFs say one thing, the HTML alone the other
        assert [".pdf page" in p for p in places] == [False, True], places
