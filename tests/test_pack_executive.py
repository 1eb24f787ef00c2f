"""The executive pack's default layout: cover naming who needs attention, overview, one page per program.

Checked on the PDF text with pypdf: every program on exactly one page (name, status and reason in full), the
figures on it are the month's computed figures, no page holds only the running header/footer or a lone
heading, and the page budget (N + 8 pages for N programs) holds on the sample and on 40 programs.
"""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pandas as pd
import pypdf
import pytest

from pmo_nb.config import load_config
from pmo_nb.data import sample
from pmo_nb.data.ingest import load
from pmo_nb.metrics.month import SharedState, shared_state
from pmo_nb.paths import SAMPLE_DIR
from pmo_nb.publish import onepager, pack
from pmo_nb.reporting import formatting as fmt

GENERATED = "2026-11-03T07:30:00Z"
CHROME = re.compile(r"^(?:Generated \d\d \w{3} \d{4} \d\d:\d\d UTC ?)?(?:Page \d+ of \d+)?$|October 2026$")
HEADINGS = {"Project managers' commentary", "Top risks", "Next milestones", "Programs, worst first",
            "Needs a decision (open critical and high issues)", "Contents", "Needing attention"}


def month(source: Path | str) -> SharedState:
    cfg = load_config(None)
    portfolio = load(source, cfg)
    return shared_state(portfolio, cfg, "2026-10")


def entries(state: SharedState) -> list[pack.PackEntry]:
    rows = state.kpis.programs
    return [pack.PackEntry(None, "program", str(r.program_id), str(r.name), r.rag) for r in rows.itertuples()]


def build(state: SharedState, **kw) -> pypdf.PdfReader:
    data = pack.build_pack(entries(state), organisation="Northwind", period="2026-10", state=state,
                           generated_at=GENERATED, **kw)
    return pypdf.PdfReader(io.BytesIO(data))


def flat(text: str) -> str:
    return " ".join(text.split())


def texts(reader: pypdf.PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def body_lines(text: str) -> list[str]:
    """The page's text without its running header and footer."""
    return [line.strip() for line in text.splitlines() if line.strip() and not CHROME.search(line.strip())]


def program_pages(pages: list[str], state: SharedState) -> dict[str, list[int]]:
    """For each program id, the pages whose program title line names it."""
    found: dict[str, list[int]] = {}
    for index, text in enumerate(pages):
        titles = set(re.findall(r"^.+ (\S+)$", text, re.M)) if "Status:" in text else set()
        for pid in state.kpis.programs["program_id"]:
            if pid in titles:
                found.setdefault(pid, []).append(index)
    return found


def check_pack(reader: pypdf.PdfReader, state: SharedState) -> None:
    n = len(state.kpis.programs)
    assert len(reader.pages) <= n + 8
    total = len(reader.pages)
    pages = texts(reader)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text
        lines = body_lines(text)
        assert lines, f"page {number} holds only the header and footer"
        assert not (len(lines) == 1 and lines[0] in HEADINGS), f"page {number} holds only a heading"
        assert lines[-1] not in HEADINGS, f"page {number} ends with a heading: {lines[-1]!r}"
    found = program_pages(pages, state)
    order = onepager.program_ids(state)
    assert list(found) == order  # worst first, one page each, in the contents' order
    for _, row in state.kpis.programs.iterrows():
        where = found[row["program_id"]]
        assert len(where) == 1, f"{row['program_id']} on pages {where}"
        text = flat(pages[where[0]])
        assert row["name"] in text
        assert f"Status: {str(row['rag']).capitalize()} {flat(row['rag_reason'])}" in text
        assert f"CPI {fmt.ratio(row['cpi'])}" in text  # the tile shows the month's computed figure
        assert fmt.money(row["eac"], state.config.currency) in text
        if "decisions" not in state.portfolio.missing_tables:  # the decision log's block opens the page
            assert "Decisions needed" in text and text.index("Decisions needed") < text.index("Top risks")


@pytest.fixture(scope="module")
def sample_state() -> SharedState:
    return month(SAMPLE_DIR)


@pytest.fixture(scope="module")
def sample_pack(sample_state: SharedState) -> pypdf.PdfReader:
    return build(sample_state)


def test_sample_pack_layout(sample_pack: pypdf.PdfReader, sample_state: SharedState) -> None:
    check_pack(sample_pack, sample_state)
    outline = [b.title for b in sample_pack.outline if not isinstance(b, list)]
    assert outline[:3] == ["Cover", "Contents", "Portfolio overview"]
    assert len(outline) == 3 + len(sample_state.kpis.programs)


def test_cover_names_programs_needing_attention_with_their_reason(sample_pack, sample_state) -> None:
    cover = flat(sample_pack.pages[0].extract_text())
    rows = sample_state.kpis.programs
    for _, row in rows.iterrows():
        line = f"{row['name']} ({row['program_id']}) {str(row['rag']).capitalize()} {flat(row['rag_reason'])}"
        assert (line in cover) == (row["rag"] in ("red", "amber")), row["program_id"]
    counts = rows["rag"].value_counts()
    assert f"{len(rows)} programs: {counts.get('red', 0)} red, {counts.get('amber', 0)} amber" in cover


def test_program_page_shows_loaded_text(sample_pack, sample_state) -> None:
    pid = onepager.program_ids(sample_state)[0]
    page = [p for p in sample_pack.pages if f" {pid}\n" in p.extract_text()][0]
    text = flat(page.extract_text())
    objective = sample_state.portfolio.programs.set_index("program_id").loc[pid, "objective"]
    assert flat(objective) in text
    top = sample_state.kpis.program(pid).risks
    top = top[top["open"]].sort_values(["score", "emv", "risk_id"], ascending=[False, False, True]).head(3)
    for _, risk in top.iterrows():
        assert risk["risk_id"] in text and f"Response: {flat(risk['response'])}" in text


def test_every_program_page_carries_its_risk_adjusted_forecast(sample_pack, sample_state) -> None:
    currency = sample_state.config.currency
    pages = texts(sample_pack)
    for pid in onepager.program_ids(sample_state):
        page = flat([p for p in pages if f" {pid}\n" in p][0])
        row = sample_state.kpis.programs.set_index("program_id").loc[pid]
        if pd.isna(row["eac_p80"]):
            assert "No risk-adjusted forecast" in page, pid
            continue
        assert (f"{fmt.money(row['eac_p50'], currency)} at P50 and {fmt.money(row['eac_p80'], currency)} at P80"
                in page), pid
        assert f"{fmt.pct(row['p_within_budget'])} chance of finishing within budget" in page, pid


def test_long_text_wraps_and_lists_clamp_to_one_page(sample_state: SharedState) -> None:
    pid = onepager.program_ids(sample_state)[0]
    projects = sample_state.portfolio.projects.copy()
    long_comment = " ".join(f"Sentence {i} of a very long commentary about supplier delays." for i in range(18))
    projects["status_comment"] = projects["status_comment"].where(projects["program_id"] != pid, long_comment)
    state = dataclasses.replace(sample_state, portfolio=dataclasses.replace(sample_state.portfolio,
                                                                            projects=projects))
    data = pack.build_pack([e for e in entries(state) if e.id == pid], organisation="N", period="2026-10",
                           state=state, generated_at=GENERATED)
    pages = texts(pypdf.PdfReader(io.BytesIO(data)))
    assert len(pages) == 4  # cover and contents, overview, the program: its page did not spill
    text = flat(pages[3])
    shown = text.count("Sentence 0 of")
    assert 1 <= shown <= onepager.LIMITS["comments"]
    assert text.count(long_comment) == shown  # each comment shown is whole: wrapped, never cut
    n_projects = int((projects["program_id"] == pid).sum())
    assert f"+ {n_projects - shown} more comments in the program report." in text


@pytest.mark.slow
def test_forty_program_pack_fits_its_budget(tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("p40")
    sample.write(sample.generate(programs=40, projects=400), folder)
    state = month(folder)
    reader = build(state)
    check_pack(reader, state)
    assert len(reader.pages) <= 40 + 8


def test_a_pack_of_some_programs_names_only_those(sample_state: SharedState) -> None:
    ids = onepager.program_ids(sample_state)
    keep = [e for e in entries(sample_state) if e.id == ids[-1]]  # the best-rated program only
    data = pack.build_pack(keep, organisation="N", period="2026-10", state=sample_state, generated_at=GENERATED,
                           omitted=[(ids[0], "First", "report failed")])
    reader = pypdf.PdfReader(io.BytesIO(data))
    cover = flat(reader.pages[0].extract_text())
    assert "1 program: 0 red, 0 amber, 1 green." in cover
    assert "No program is rated red or amber this month." in cover  # the red program left out is not named
    assert ids[0] not in cover
    assert len(reader.pages) == 4


def test_same_month_same_pack_bytes(sample_state: SharedState, sample_pack: pypdf.PdfReader) -> None:
    one = sample_pack.stream.getvalue()  # built from the entries in the source's order
    two = pack.build_pack(list(reversed(entries(sample_state))), organisation="Northwind", period="2026-10",
                          state=sample_state, generated_at=GENERATED)
    assert one == two  # no temporary path, clock or input order in the bytes


def test_full_mode_appends_the_reports_after_the_one_pagers(sample_state: SharedState) -> None:
    import copy

    import nbformat
    from testdata import data_path

    from pmo_nb.contract import REPORT_META_MIMETYPE

    template = nbformat.read(data_path("notebooks", "no_charts.ipynb"), as_version=4)
    full = []
    for e in entries(sample_state)[:2]:
        nb = copy.deepcopy(template)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if REPORT_META_MIMETYPE in output.get("data", {}):
                    output["data"][REPORT_META_MIMETYPE].update(title=e.title, program_id=e.id, rag=e.rag)
        full.append(dataclasses.replace(e, notebook=nb))
    data = pack.build_pack(full, organisation="N", period="2026-10", state=sample_state, generated_at=GENERATED,
                           mode="full")
    reader = pypdf.PdfReader(io.BytesIO(data))
    top = [b.title for b in reader.outline if not isinstance(b, list)]
    ordered = [e.title for e in pack.order_entries(full)]
    assert top == ["Cover", "Contents", "Portfolio overview", *ordered, *(f"{t} (full report)" for t in ordered)]
    pages = texts(reader)
    assert all(f"Page {i} of {len(pages)}" in text for i, text in enumerate(pages, start=1))


def test_pages_laid_out_ahead_give_the_same_pack_and_are_not_laid_out_again(sample_state, monkeypatch) -> None:
    """The run lays the pack's pages out while its reports run (pack.PagesAhead): the pack then takes those pages
    instead of laying them out again, and its bytes are the same; a page whose entry differs from what was laid
    out ahead (here a program named otherwise by its report) is laid out again."""
    without = pack.build_pack(entries(sample_state), organisation="Northwind", period="2026-10", state=sample_state,
                              generated_at=GENERATED)
    ahead = pack.PagesAhead(sample_state, page_size="A4", orientation="landscape", period="2026-10",
                            generated_at=GENERATED).start()
    ahead.wait()  # (the pack stops it, taking what is laid out by then; here every page is waited for)
    n = len(sample_state.kpis.programs)
    assert len(ahead) == n + 1  # the overview and one page per program
    laid_out: list[str] = []
    real = pack.write_pdf
    monkeypatch.setattr(pack, "write_pdf", lambda markup, css, *, where: laid_out.append(where) or real(
        markup, css, where=where))
    data = pack.build_pack(entries(sample_state), organisation="Northwind", period="2026-10", state=sample_state,
                           generated_at=GENERATED, ahead=ahead)
    assert data == without
    assert laid_out == ["executive pack: Cover", "executive pack: Contents"] and len(ahead) == 0

    renamed = [dataclasses.replace(e, title=f"{e.title} (renamed)") if i == 0 else e
               for i, e in enumerate(entries(sample_state))]
    ahead = pack.PagesAhead(sample_state, page_size="A4", orientation="landscape", period="2026-10",
                            generated_at=GENERATED).start()
    laid_out.clear()
    again = pack.build_pack(renamed, organisation="Northwind", period="2026-10", state=sample_state,
                            generated_at=GENERATED, ahead=ahead)
    monkeypatch.undo()
    assert again == pack.build_pack(renamed, organisation="Northwind", period="2026-10", state=sample_state,
                                    generated_at=GENERATED)
    assert f"executive pack: {renamed[0].title}" in laid_out
