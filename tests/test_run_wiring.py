"""The run wired to publishing: formats from the registry, links between the month's reports, the month's
index.html, the executive pack drawn from the month the run computed (``--pack``), and the rows that
``[validation] invalid_rows = "exclude"`` leaves out (attributed, listed in the reports' data notes, counted
in the summary, exit 0 with a warning).

The fast tests call the run's steps directly; the slow ones run ``pmo-nb run`` on the three-program portfolio of
test_batch with the real report notebooks (or the small batch notebooks where only the wiring is under test).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from test_batch import write_source
from testdata import data_path

from pmo_nb.cli import cli
from pmo_nb.config import Config, load_config
from pmo_nb.contract import REPORT_META_MIMETYPE
from pmo_nb.data.ingest import load
from pmo_nb.data.model import ExcludedRow
from pmo_nb.exceptions import ConfigError, Finding, ReportError
from pmo_nb.publish import formats, navigation
from pmo_nb.run import linking, packing, rendering
from pmo_nb.run.jobs import ReportResult
from pmo_nb.run.manifest import build_manifest, read_manifest, verify
from pmo_nb.run.staging import Staging
from pmo_nb.run.summary import excluded_line

NOTEBOOKS = data_path("notebooks")
GENERATED = "2026-11-01T08:00:00Z"
EXCLUDE = '[validation]\ninvalid_rows = "exclude"\n'
MD = formats.OutputFormat("md", ".md", "text/markdown", "markdown")  # nbconvert's own markdown exporter


def register_md() -> None:
    """Worker set-up hook: a plug-in format, registered in each worker as an entry point would be."""
    formats.register(MD, replace=True)


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith("#"):
            self.hrefs.append(href)


def hrefs(path: Path) -> list[str]:
    parser = _Hrefs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.hrefs


def text_of(path: Path) -> str:
    """The visible text of an HTML report (scripts and styles dropped)."""
    import html

    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def with_bad_risk(src: Path) -> Path:
    """``src`` plus a risk register whose row 3 (B-001's risk) has probability 9 (allowed: 1 to 5)."""
    (src / "risks.csv").write_text(
        "risk_id,project_id,title,probability,impact,owner,status,raised_date\n"
        "A-R1,A-001,Vendor late,3,3,Al Manager,open,2026-09-01\n"
        "B-R1,B-001,Scope creep,9,4,Bea Manager,open,2026-09-02\n"
        "C-R1,C-001,Key person leaves,2,2,Cy Manager,open,2026-09-03\n", encoding="utf-8")
    return src


# --- formats from the registry ------------------------------------------------------------------------


def test_formats_are_checked_against_the_registry() -> None:
    assert rendering.check_formats([" PDF", "html", "pdf"]) == ("pdf", "html")
    with pytest.raises(ConfigError, match=r"unknown format md: choose from html, pdf \(comma-separated"):
        rendering.check_formats(["md"])
    formats.register(MD)
    try:
        assert rendering.check_formats(["html", "md"]) == ("html", "md")
        assert rendering.file_name("PRG-A", "md") == "PRG-A.md"
        res = CliRunner().invoke(cli, ["run", "--formats", "html,docx", "--out", "/nonexistent/x"])
        assert (res.exit_code, res.stderr) == (
            2, "error: Invalid value for '--formats': docx: use html, pdf, md (comma-separated, e.g. html,pdf)\n")
    finally:
        formats.unregister("md")


def test_links_only_when_html_is_written() -> None:
    assert rendering.links_for(["PRG-A"], ("pdf",)) == {}
    assert rendering.links_for(["PRG-A"], ("html", "pdf")) == {
        "portfolio": "portfolio.html", "index": "index.html", "PRG-A": "PRG-A.html"}


@pytest.mark.parametrize("value", ["summary", ""])
def test_a_bad_pack_mode_is_one_line_exit_2(tmp_path: Path, value: str) -> None:
    res = CliRunner().invoke(cli, ["run", "--source", str(write_source(tmp_path / "src")), "--out",
                                   str(tmp_path / "r"), "--pack", value])
    assert res.exit_code == 2 and res.stderr.startswith("error: Invalid value for '--pack': ")
    assert "executive" in res.stderr and "full" in res.stderr and res.stderr.count("\n") == 1
    assert not (tmp_path / "r").exists()


# --- the month's listing, index and links ---------------------------------------------------------------


def executed(meta: dict | None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    outputs = [nbformat.v4.new_output("display_data", data={REPORT_META_MIMETYPE: meta, "text/plain": ""})]
    nb.cells.append(nbformat.v4.new_code_cell("meta", outputs=outputs if meta else []))
    return nb


@pytest.fixture
def staged(tmp_path: Path):
    """A staging folder with the executed notebooks of portfolio, PRG-A (red), PRG-C (ok) and a failed PRG-B."""
    base = {"organisation": "PMO", "period": "2026-10"}
    staging = Staging(tmp_path, "2026-10", "run1").open()
    nbformat.write(executed({**base, "kind": "program", "title": "Alpha", "program_id": "PRG-A", "rag": "red"}),
                   staging.path("notebooks/PRG-A.ipynb"))
    nbformat.write(executed({**base, "kind": "program", "title": "Gamma", "program_id": "PRG-C",
                             "rag": "green"}), staging.path("notebooks/PRG-C.ipynb"))
    nbformat.write(executed({**base, "kind": "portfolio", "title": "Portfolio overview", "program_id": None}),
                   staging.path("notebooks/portfolio.ipynb"))
    results = [ReportResult(n, k, "ok", 1.0, notebook=f"notebooks/{n}.ipynb",
                            outputs={"html": {"path": f"{n}.html", "sha256": ""}})
               for n, k in (("portfolio", "portfolio"), ("PRG-A", "program"), ("PRG-C", "program"))]
    results.append(ReportResult("PRG-B", "program", "failed", 1.0,
                                error=ReportError(ename="ValueError", evalue="boom", program="PRG-B")))
    yield staging, results
    staging.discard()


def test_the_listing_names_failed_and_never_run_programs(staged) -> None:
    import pandas as pd

    staging, results = staged
    programs = pd.DataFrame({"program_id": ["PRG-A", "PRG-B", "PRG-C", "PRG-D"],
                             "name": ["Alpha", "Beta", "Gamma", "Delta"]})
    listing = packing.month_entries(staging, results, programs, GENERATED,
                                    expected=["PRG-A", "PRG-B", "PRG-C", "PRG-D"])
    assert [(e["kind"], e["id"], e["title"], e["rag"]) for e in listing.entries] == [
        ("portfolio", None, "Portfolio overview", None), ("program", "PRG-A", "Alpha", "red"),
        ("program", "PRG-C", "Gamma", "green")]
    assert all("notebook" not in e for e in listing.entries)  # the parent keeps no notebook in memory
    assert listing.omitted == [
        {"id": "PRG-B", "name": "Beta", "reason": "report failed: ValueError: boom"},
        {"id": "PRG-D", "name": "Delta", "reason": "no report for this month yet: run `pmo-nb run --programs PRG-D`"}]


def test_the_index_lists_each_report_worst_first_with_its_files_and_the_missing_ones(staged) -> None:
    staging, results = staged
    listing = packing.month_entries(staging, results, None, GENERATED)
    name = linking.write_index(staging, listing, organisation="PMO", period="2026-10", generated_at=GENERATED,
                               formats=("html", "pdf"), pack="executive-pack-2026-10.pdf")
    index = staging.path(name)
    assert name == "index.html"
    assert hrefs(index) == ["executive-pack-2026-10.pdf", "portfolio.html", "portfolio.html", "portfolio.pdf",
                            "PRG-A.html", "PRG-A.html", "PRG-A.pdf", "PRG-C.html", "PRG-C.html", "PRG-C.pdf"]
    text = text_of(index)
    assert "Reports for October 2026" in text and "Red" in text and "Green" in text
    assert "Programs without a report Program Name Reason PRG-B PRG-B report failed: ValueError: boom" in text


def test_the_overview_is_rendered_again_when_a_linked_report_failed(staged, monkeypatch) -> None:
    staging, results = staged
    staging.path("portfolio.html").write_text("first rendering")
    seen = {}

    def render(nb, fmt, generated_at, path=None, links=None):
        seen.update(fmt=fmt, links=links, path=path)
        return b"<html>relinked</html>"

    monkeypatch.setattr(rendering, "render", render)
    # the run passes the links the overview was rendered with: the navigation's own and the programs'
    linked = navigation.month_links(["PRG-A", "PRG-C"])
    assert linking.relink_overview(staging, results, GENERATED, linked) is False  # all there: not rendered again
    assert not seen
    assert linking.relink_overview(staging, results, GENERATED, navigation.month_links(["PRG-A", "PRG-B", "PRG-C"]))
    assert seen["fmt"] == "html" and Path(seen["path"]).name == "portfolio.ipynb"
    assert seen["links"] == {"portfolio": "portfolio.html", "index": "index.html", "PRG-A": "PRG-A.html",
                             "PRG-C": "PRG-C.html"}
    assert staging.path("portfolio.html").read_bytes() == b"<html>relinked</html>"
    import hashlib

    assert results[0].outputs["html"]["sha256"] == hashlib.sha256(b"<html>relinked</html>").hexdigest()


def test_the_pack_gets_the_computed_month_and_the_mode(staged, monkeypatch) -> None:
    staging, results = staged
    listing = packing.month_entries(staging, results, None, GENERATED)
    seen = {}

    def fake(entries, **kw):
        seen.update(entries=entries, **kw)
        return b"%PDF-1.7"

    monkeypatch.setattr("pmo_nb.publish.pack.build_pack", fake)

    class State:  # what the pack reads of a SharedState: the month's programs
        period = "2026-10"

        class kpis:  # noqa: N801
            import pandas as pd

            programs = pd.DataFrame({"program_id": ["PRG-A"]})

    state = State()
    info, error = packing.make_pack(staging, listing, Config(), "2026-10", GENERATED, mode="full", state=state)
    assert error is None and info["status"] == "ok" and info["mode"] == "full"
    assert seen["state"] is state and seen["mode"] == "full"
    assert [e.notebook for e in seen["entries"]] == [None, None]  # read from their path only when needed
    # PRG-C is not a program of the computed month (carried over from older data): left out, with the reason
    assert [(e.id, e.title) for e in seen["entries"]] == [(None, "Portfolio overview"), ("PRG-A", "Alpha")]
    assert info["omitted"][-1] == {"id": "PRG-C", "name": "Gamma", "reason": "not a program of the 2026-10 data"}


# --- rows left out in exclude mode ----------------------------------------------------------------------


def test_excluded_rows_name_the_program_they_belong_to(tmp_path: Path) -> None:
    src = with_bad_risk(write_source(tmp_path / "src"))
    (src / "milestones.csv").write_text(
        "milestone_id,project_id,name,baseline_date,status\n"
        "A-M1,A-001,Design,2026-09-30,achieved\n"
        "Z-M1,Z-999,Orphan,2026-09-30,planned\n", encoding="utf-8")  # a project nobody has
    projects = (src / "projects.csv").read_text(encoding="utf-8").replace("C-001,PRG-C,Gamma One,Cy Manager,"
                                                                          "execution,2026-08-01,2026-12-31",
                                                                          "C-001,PRG-C,Gamma One,Cy Manager,"
                                                                          "execution,2026-08-01,2026-02-31")
    (src / "projects.csv").write_text(projects, encoding="utf-8")  # 31 February: C-001 goes, and its months
    (tmp_path / "pmo.toml").write_text(EXCLUDE, encoding="utf-8")
    portfolio = load(src, load_config(tmp_path / "pmo.toml"))
    where = {(f.source, f.row, f.column): f.program_id for f in portfolio.excluded if isinstance(f, ExcludedRow)}
    assert len(where) == len(portfolio.excluded)
    assert where[("risks.csv", 3, "probability")] == "PRG-B"  # via its project
    assert where[("milestones.csv", 3, "project_id")] is None  # an unknown project: no program to name
    assert where[("projects.csv", 4, "baseline_finish")] == "PRG-C"  # its own program_id
    assert {(s, c) for (s, _, c), p in where.items() if p == "PRG-C"} >= {("financials.csv", "project_id")}
    assert [f.row for f in portfolio.excluded_for("PRG-B")] == [3]
    assert portfolio.excluded_for("PRG-A") == []
    assert [f.row for f in portfolio.excluded_for(None)] == [3]


def test_the_warning_line_counts_rows_and_names_file_row_and_rule() -> None:
    findings = [Finding("risks", "risks.csv", 3, "probability", "9", "must be a whole number from 1 to 5"),
                Finding("risks", "risks.csv", 3, "impact", "0", "must be a whole number from 1 to 5"),
                Finding("issues", "issues.csv", 7, "severity", "urgent", "must be one of low, medium, high")]
    assert excluded_line([]) == ""
    assert excluded_line(findings) == (
        '2 source rows were left out for breaking a rule ([validation] invalid_rows = "exclude"): risks.csv row '
        "3: must be a whole number from 1 to 5; risks.csv row 3: must be a whole number from 1 to 5; issues.csv "
        "row 7: must be one of low, medium, high. The data notes of the reports they concern list them; fix the "
        "source to bring them back")
    assert excluded_line(findings[:1]).startswith("1 source row was left out")
    assert excluded_line(findings * 2, shown=1).endswith("; and 5 more. The data notes of the reports they "
                                                         "concern list them; fix the source to bring them back")


def test_the_manifest_lists_the_excluded_rows(tmp_path: Path) -> None:
    import datetime as dt

    rows = [Finding("risks", "risks.csv", 3, "probability", "9", "must be a whole number from 1 to 5").as_dict(),
            Finding("issues", "issues.xlsx", 4, "opened_date", dt.date(2999, 1, 1), "too far").as_dict()]
    m = build_manifest(folder=tmp_path, run_id="r", generated_at=GENERATED, period="2026-10", command="pmo-nb run",
                       source="src", source_fingerprint="f", config={}, formats=["html"], reports=[],
                       excluded_rows=rows)
    assert m["excluded_rows"][0] == rows[0]
    assert m["excluded_rows"][1]["value"] == "2999-01-01"
    json.dumps(m, allow_nan=False)


def test_program_reports_list_their_own_excluded_rows_and_the_overview_all(tmp_path: Path) -> None:
    from pmo_nb.reporting.report import PortfolioReport, ProgramReport

    src = with_bad_risk(write_source(tmp_path / "src"))
    (tmp_path / "pmo.toml").write_text(EXCLUDE, encoding="utf-8")
    args = {"period": "2026-10", "source": src, "config": tmp_path / "pmo.toml"}
    beta = str(ProgramReport.build("PRG-B", **args).data_notes())
    alpha = str(ProgramReport.build("PRG-A", **args).data_notes())
    overview = str(PortfolioReport.build(**args).data_notes())
    for notes in (beta, overview):
        assert ("1 row of the source was left out for breaking a rule ([validation] invalid_rows = "
                "&quot;exclude&quot;): the figures are computed without it.") in notes
        assert "Rows left out (1)" in notes
        cells = re.findall(r"<td[^>]*>(.*?)</td>", notes)
        assert cells[:5] == ["risks.csv", "3", "probability", "9", "must be a whole number from 1 to 5"]
    assert "left out" not in alpha and "risks.csv" not in alpha


# --- end to end -----------------------------------------------------------------------------------------


def month_of(out: Path) -> Path:
    return out / "2026-10"


@pytest.mark.slow
def test_exclude_mode_end_to_end_reports_lists_counts_and_exits_0(tmp_path: Path, monkeypatch) -> None:
    """The real reports: B's risk row 3 breaks a rule; everything else reports, the pack is drawn from the
    month the run computed (the parent never recomputes it), the overview links to each program and back."""
    import pmo_nb.metrics.month as month_module

    def no_recompute(*a, **kw):
        raise AssertionError("the pack recomputed the month")

    monkeypatch.setattr(month_module, "month_state", no_recompute)  # in this (the parent) process only
    src = with_bad_risk(write_source(tmp_path / "src"))
    (tmp_path / "pmo.toml").write_text(EXCLUDE, encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", "--source", str(src), "--out", str(out), "--config",
                                   str(tmp_path / "pmo.toml"), "--period", "2026-10", "--quiet"])
    assert res.exit_code == 0, res.output + res.stderr
    assert res.stderr.startswith("warning: 1 source row was left out for breaking a rule ([validation] "
                                 'invalid_rows = "exclude"): risks.csv row 3: must be a whole number from 1 to 5.')
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.output
    assert re.fullmatch(r"4 reports for 2026-10 in [\d.]+ s; 1 source row left out: .*\n", res.stdout)
    month = month_of(out)
    assert verify(month) == []
    m = read_manifest(month)
    assert [(r["source"], r["row"], r["column"]) for r in m["excluded_rows"]] == [("risks.csv", 3, "probability")]
    # the published month is kept in the history store the next months' trends read, and the notebooks know it
    assert (out / "history" / "2026-10.parquet").is_file()
    import nbformat

    params = nbformat.read(month / "notebooks" / "PRG-A.ipynb", as_version=4).metadata.papermill.parameters
    assert params["reports_dir"] == str(out.resolve())
    assert m["pack"]["status"] == "ok" and m["pack"]["mode"] == "executive"
    beta, alpha = text_of(month / "PRG-B.html"), text_of(month / "PRG-A.html")
    assert "Rows left out (1) File Row Column Value Rule broken risks.csv 3 probability 9 must be a whole number " \
           "from 1 to 5" in beta
    assert "left out" not in alpha
    assert "Rows left out (1)" in text_of(month / "portfolio.html")
    # links: the overview to each program, each program back to the overview and the index
    assert {"PRG-A.html", "PRG-B.html", "PRG-C.html"} <= set(hrefs(month / "portfolio.html"))
    for pid in ("PRG-A", "PRG-B", "PRG-C"):
        assert {"portfolio.html", "index.html"} <= set(hrefs(month / f"{pid}.html"))
    index = set(hrefs(month / "index.html"))
    assert {"executive-pack-2026-10.pdf", "portfolio.pdf", "PRG-B.html", "PRG-B.pdf"} <= index
    import pypdf

    pack = pypdf.PdfReader(month / "executive-pack-2026-10.pdf")
    assert not any("(full report)" in str(item.title) for item in pack.outline if not isinstance(item, list))
    # --programs on the published month: that program's files change, the index, overview and pack are rebuilt
    before = {p.name: p.read_bytes() for p in month.iterdir() if p.is_file()}
    res = CliRunner().invoke(cli, ["run", "--source", str(src), "--out", str(out), "--config",
                                   str(tmp_path / "pmo.toml"), "--period", "2026-10", "--programs", "PRG-A",
                                   "--formats", "html,pdf", "--pack", "full", "--quiet"])
    assert res.exit_code == 0, res.output + res.stderr
    after = {p.name: p.read_bytes() for p in month.iterdir() if p.is_file()}
    assert after["PRG-B.html"] == before["PRG-B.html"] and after["PRG-C.pdf"] == before["PRG-C.pdf"]
    # the index is written again by this run (its bytes may well be the same: same reports, same minute)
    assert verify(month) == [] and "index.html" in json.dumps(read_manifest(month))
    assert {"PRG-A.html", "PRG-B.html", "PRG-C.html"} <= set(hrefs(month / "index.html"))
    assert read_manifest(month)["pack"]["mode"] == "full"
    full = pypdf.PdfReader(month / "executive-pack-2026-10.pdf")
    titles = [str(item.title) for item in full.outline if not isinstance(item, list)]
    assert {"Alpha Programme (full report)", "Beta Programme (full report)", "Gamma Programme (full report)"} <= \
        set(titles)
    assert len(full.pages) > len(pack.pages)


@pytest.mark.slow
@pytest.mark.parametrize("cut", ["no-financials", "no-actual-cost"])
def test_a_portfolio_without_cost_data_renders_every_report(tmp_path: Path, cut: str) -> None:
    src = write_source(tmp_path / "src")
    if cut == "no-financials":
        (src / "financials.csv").unlink()
    else:
        lines = (src / "financials.csv").read_text(encoding="utf-8").splitlines()
        (src / "financials.csv").write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n",
                                            encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", "--source", str(src), "--out", str(out), "--formats", "html,pdf",
                                   "--period", "2026-10", "--quiet"])
    assert res.exit_code == 0, res.output + res.stderr
    month = month_of(out)
    m = read_manifest(month)
    assert m["status"] == "ok" and m["pack"]["status"] == "ok" and verify(month) == []
    assert sorted(r["name"] for r in m["reports"] if set(r["outputs"]) == {"html", "pdf"}) == [
        "PRG-A", "PRG-B", "PRG-C", "portfolio"]
    for name in ("portfolio", "PRG-A", "PRG-B", "PRG-C"):
        text = text_of(month / f"{name}.html")
        if cut == "no-financials":
            assert text.count("No cost data") == 1, name  # said once, by the first cost section
            assert "No financials" not in text and "financials sections are empty" not in text
            assert "Cost: not tracked (the source has no financials); budget €" in text
        else:
            assert "no actual cost is recorded, so CPI and the forecast (EAC) are unavailable" in text
            assert "no actual cost recorded: CPI unavailable" in text


@pytest.mark.slow
def test_a_plugin_format_is_written_by_the_run(tmp_path: Path) -> None:
    from pmo_nb.run.monthly import run

    formats.register(MD, replace=True)
    try:
        result = run(write_source(tmp_path / "src"), period="2026-10", programs="PRG-A", formats=("html", "md"),
                     out=tmp_path / "out", jobs=1, progress=False, worker_setup="test_run_wiring:register_md",
                     notebooks={"program": NOTEBOOKS / "batch_ok.ipynb",
                                "portfolio": NOTEBOOKS / "batch_ok.ipynb"})
    finally:
        formats.unregister("md")
    assert result.ok, [r.error for r in result.reports]
    month = result.folder
    assert (month / "PRG-A.md").read_text(encoding="utf-8").startswith("```python") or \
        "The report ran to the end." in (month / "PRG-A.md").read_text(encoding="utf-8")
    assert {r.name: sorted(r.outputs) for r in result.reports} == {"portfolio": ["html", "md"],
                                                                   "PRG-A": ["html", "md"]}
    assert {"PRG-A.md", "portfolio.md"} <= set(hrefs(month / "index.html"))
    assert not (month / "executive-pack-2026-10.pdf").exists()  # no pdf asked for


def test_a_month_without_a_manifest_does_not_count_its_index_as_a_report(tmp_path: Path) -> None:
    from pmo_nb.run.published import published_reports

    for name in ("portfolio.html", "PRG-A.html", "PRG-A.pdf", "index.html", "executive-pack-2026-10.pdf"):
        (tmp_path / name).write_text("x")
    assert sorted((r.name, sorted(r.outputs)) for r in published_reports(tmp_path)) == [
        ("PRG-A", ["html", "pdf"]), ("portfolio", ["html"])]


def test_without_actual_cost_the_s_curve_draws_no_cost_line_at_zero(tmp_path: Path) -> None:
    from pmo_nb.reporting.report import ProgramReport

    src = write_source(tmp_path / "src")
    lines = (src / "financials.csv").read_text(encoding="utf-8").splitlines()
    (src / "financials.csv").write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    chart = ProgramReport.build("PRG-A", period="2026-10", source=src).s_curve().to_dict()
    assert chart["title"]["text"] == "No actual cost recorded: earned value against plan"  # not "100.0% under plan"
    values = [row for data in chart.get("datasets", {}).values() for row in data if row.get("series") == "AC"]
    assert values == []
