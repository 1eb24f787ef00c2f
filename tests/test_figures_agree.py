"""One figure, one computation: every figure a report states in two places says the same thing.

Each report of the sample portfolio (and of a generated 40-program portfolio) is rendered section by section
to HTML (charts by their title and subtitle, as the SVG shows them). Labelled patterns pull out each stated
figure (upcoming and missed milestones, CPI, SPI(t), BAC, EAC, open and critical risks); the test fails when
one figure is stated with two values, and when a percentage is written with another rounding than the one rule.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import altair as alt
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


def stated_figures(report) -> dict[str, dict[str, str]]:
    """figure -> {value: where it was stated} for one report."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for sec in sections.for_kind(report.kind):
        if sec.id == "changes_section":  # last month's values are another month's figures
            continue
        for text in _text(report.section(sec.id)):
            for name, patterns in PATTERNS.items():
                for pattern in patterns:
                    for m in re.finditer(pattern, text, flags=re.M):
                        value = ZERO.get(m.group(m.lastindex), m.group(m.lastindex))
                        found[name].setdefault(value, f"{sec.id}: …{text[max(m.start() - 60, 0):m.end()]}")
    return found


PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)%")


def generated_text(report) -> list[str]:
    """Text the report writes itself (summary, tiles, chart titles): every percentage has one decimal."""
    return [t for sec in ("summary", "tiles", "s_curve", "quadrant") for t in _text(report.section(sec))]


def check(report) -> None:
    where = report.program_id or "portfolio"
    for name, values in stated_figures(report).items():
        assert len(values) == 1, f"{where}: {name} stated as {sorted(values)}: " + " | ".join(values.values())
    for text in generated_text(report):
        for m in PERCENT.finditer(text):
            assert re.fullmatch(r"\d+\.\d", m.group(1)), f"{where}: percentage {m.group(0)} breaks the one-decimal " \
                                                         f"rule: …{text[max(m.start() - 60, 0):m.end()]}"


@pytest.fixture(autouse=True)
def one_month_per_source(monkeypatch):
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


def _reports(source: Path | None):
    portfolio = load(source) if source else None
    ids = portfolio.program_ids if portfolio else load(sample.SAMPLE_DIR if hasattr(sample, "SAMPLE_DIR")
                                                      else None).program_ids
    yield PortfolioReport.build(source=source)
    for program_id in ids:
        yield ProgramReport.build(program_id=program_id, source=source)


def test_every_figure_of_the_sample_reports_agrees():
    from pmo_nb.paths import SAMPLE_DIR
    for report in _reports(SAMPLE_DIR):
        check(report)


@pytest.mark.slow
def test_every_figure_of_a_40_program_portfolio_agrees(tmp_path):
    src = tmp_path / "big"
    sample.write(sample.generate(programs=40, projects=260, milestones=1600, risks=1300, issues=900), src)
    for report in _reports(src):
        check(report)


def test_the_check_catches_two_values_for_one_figure():
    report = ProgramReport.build(program_id="PRG-DCX")
    figures = stated_figures(report)
    assert set(figures["upcoming milestones"]) and len(figures["upcoming milestones"]) == 1
    bad = str(report.summary()).replace(" due in the next", "X due in the next")
    text = re.sub(r"(\d+) milestones?X due", lambda m: f"{int(m.group(1)) + 1} milestones due", bad)
    found = [m.group(1) for m in re.finditer(PATTERNS["upcoming milestones"][0], text)]
    assert found and found[0] not in figures["upcoming milestones"]
