"""The executive pack: one PDF per month, rendered in parts and joined with pypdf.

Default (``mode="executive"``): a cover naming the programs that need attention and why, the contents with page
numbers, the portfolio overview, then one page per program worst first (:mod:`pmo_nb.publish.onepager`, drawn
from the month's computed figures). ``mode="full"``: the portfolio report and every program report in full, as
before. Each part is laid out alone (WeasyPrint) into a temporary file and the parts are joined with pypdf, so
the parent's memory does not grow with the number of programs; page numbers ("Page X of Y") are stamped on the
joined document, the contents carries each part's first page and links to it, and the bookmarks are the parts'
own outlines.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple

import nbformat
from nbformat import NotebookNode

from pmo_nb.contract import ORIENTATIONS, PAGE_SIZES, RAG_WORST_FIRST
from pmo_nb.exceptions import PeriodError, PmoError, RenderError
from pmo_nb.periods import Period
from pmo_nb.publish.exporters import body_fragment
from pmo_nb.publish.joining import link_pages, page_number_css, stamp_page_numbers
from pmo_nb.publish.pdf import normalise_page_size, page_css, write_pdf, write_pdf_plain
from pmo_nb.publish.stamp import generated_label, run_stamp

__all__ = ["PackEntry", "Omitted", "PackMode", "PagesAhead", "order_entries", "build_pack"]

PackMode = Literal["executive", "full"]
#: Sort rank of a program's RAG in the pack: worst first, unknown last.
_PACK_RANK: dict[str, int] = {rag: rank for rank, rag in enumerate(RAG_WORST_FIRST)}
_UNKNOWN_RANK = len(_PACK_RANK)
_LINK_SCHEME = "pmo-pack:"


@dataclass(frozen=True)
class PackEntry:
    """One report going into the pack (built by the run from the report metadata the kernel emitted).

    Parameters
    ----------
    notebook:
        The executed report notebook, or None to read it from ``path`` when needed (full mode), so that the
        run need not hold every notebook in memory.
    kind:
        "portfolio" for the overview (placed first), "program" for a program report.
    id:
        Program id (None for the portfolio overview).
    title:
        Name shown on the contents page.
    rag:
        "red", "amber", "green" or None (unknown), used for ordering.
    path:
        The notebook's file, for reading it and for error messages.
    """

    notebook: NotebookNode | None
    kind: Literal["program", "portfolio"]
    id: str | None
    title: str
    rag: str | None = None
    path: str | None = None

    def load(self) -> NotebookNode:
        """The notebook, read from ``path`` when it was not given."""
        if self.notebook is not None:
            return self.notebook
        if not self.path:
            raise RenderError(f"pack entry {self.id or self.title!r} has neither a notebook nor a path.")
        try:
            return nbformat.read(self.path, as_version=4)
        except (OSError, ValueError) as exc:
            raise RenderError(f"{self.path}: cannot read the executed notebook for the pack ({exc}).",
                              path=self.path) from None


class Omitted(NamedTuple):
    """A program left out of the pack, listed after the contents. Plain ``(id, name, reason)`` tuples work."""

    id: str
    name: str
    reason: str


def _rank(entry: PackEntry) -> tuple[int, str, str]:
    return (_PACK_RANK.get(entry.rag or "", _UNKNOWN_RANK), entry.title.casefold(), str(entry.id or ""))


def order_entries(entries: Iterable[PackEntry]) -> list[PackEntry]:
    """Portfolio overview(s) first, then programs worst RAG first (red, amber, green, unknown), then by name.

    Raises
    ------
    RenderError
        An entry has a kind other than "portfolio" or "program", or a RAG outside red/amber/green/None.
    """
    checked = []
    for entry in entries:
        if entry.kind not in ("portfolio", "program"):
            raise RenderError(
                f"pack entry {entry.id or entry.title!r}: kind {entry.kind!r} is not 'portfolio' or 'program'.",
                path=entry.path,
            )
        rag = entry.rag.strip().lower() if isinstance(entry.rag, str) else entry.rag
        if rag is not None and rag not in _PACK_RANK:
            raise RenderError(
                f"pack entry {entry.id or entry.title!r}: rag {entry.rag!r} is not red, amber, green or None.",
                path=entry.path,
            )
        checked.append(replace(entry, rag=rag))
    portfolio = sorted((e for e in checked if e.kind == "portfolio"), key=lambda e: e.title.casefold())
    programs = sorted((e for e in checked if e.kind == "program"), key=_rank)
    return portfolio + programs


def _period(period: str) -> Period:
    try:
        return Period.parse(period)
    except PeriodError:
        raise PeriodError(f"pack period {period!r} is not a month like 2026-10; pass period='YYYY-MM'.") from None


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


class _Part(NamedTuple):
    title: str
    rag: str | None
    file: Path
    pages: int
    id: str | None = None
    outline: str | None = None  # a bookmark to nest the part's own bookmarks under (appended full reports)


class _Writer:
    """Lays out the parts one at a time into ``folder`` with one page setup and running header/footer.

    ``ahead``: parts already laid out (:class:`PagesAhead`), taken instead of laying the same part out again;
    ``record``: where to keep each part laid out here (the thread laying pages out ahead)."""

    def __init__(self, folder: Path, page_setup: str, month: str, stamp: str, *, ahead: PagesAhead | None = None,
                 record: dict[bytes, bytes] | None = None) -> None:
        self.folder, self.page_setup, self.month, self.stamp = folder, page_setup, month, stamp
        self.ahead, self.record = ahead, record
        self.count = 0

    def part(self, title: str, rag: str | None, body: str, *, kind: str, running: str | None = None,
             id: str | None = None) -> _Part:
        markup = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head>'
                  f'<body class="pmo-body pmo-target-pdf pmo-pack pmo-pack-{kind} {self.page_setup.split()[-1]}">'
                  f"{body}</body></html>")
        running_css = "" if running is None else (
            f"@page {{ @top-left {{ content: {_css_string(running)}; }} "
            f"@top-right {{ content: {_css_string(self.month)}; }} }}")
        extra = (f"@page {{ size: {self.page_setup}; @bottom-left {{ content: {_css_string(self.stamp)}; }} "
                 "@bottom-right { content: none; } }" + running_css)
        key = hashlib.sha256(f"{markup}\0{extra}".encode()).digest()  # everything the layout depends on
        data = self.ahead.take(key) if self.ahead is not None else None
        if data is None:
            data = write_pdf(markup, extra, where=f"executive pack: {title}")
        if self.record is not None:
            self.record[key] = data
        self.count += 1
        file = self.folder / f"part-{self.count:05d}.pdf"
        file.write_bytes(data)
        import pypdf

        return _Part(title, rag, file, len(pypdf.PdfReader(file).pages), id)


class _Setup(NamedTuple):
    """The page setup, month and footer stamp of every part of one pack."""

    page_setup: str
    month: str
    stamp: str


def _setup(page_size: str, orientation: str, period: str, generated_at: str) -> _Setup:
    size = normalise_page_size(page_size) or page_size
    return _Setup(f"{size} {orientation}", _period(period).label, f"Generated {generated_label(generated_at)}")


class PagesAhead:
    """The executive pack's overview and program pages, laid out in a background thread while the reports run.

    The pack's pages are drawn from the month the run computed, not from the reports, so they can be laid out
    before the reports are done; the pack then takes each page laid out ahead whose markup and CSS are exactly
    the ones it needs (a page it would draw otherwise, e.g. for a program whose report named it differently,
    is laid out again as usual), instead of laying the pages out one after another once the reports are done.
    The thread stops at the next page when :meth:`stop` is called; a page that fails here is only left out (the
    pack lays it out itself and reports its error).
    """

    def __init__(self, state: Any, *, page_size: str, orientation: str, period: str, generated_at: str) -> None:
        self._state = state
        self._setup = _setup(page_size, orientation, period, generated_at)
        self._parts: dict[bytes, bytes] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._lay_out, name="pmo-pack-ahead", daemon=True)

    def start(self) -> PagesAhead:
        self._thread.start()
        return self

    def wait(self) -> None:
        """Wait until every page is laid out."""
        self._thread.join()

    def stop(self) -> None:
        """Stop laying pages out (after the page under way) and wait for the thread."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def take(self, key: bytes) -> bytes | None:
        """The part laid out ahead for ``key`` (its markup and CSS), once."""
        return self._parts.pop(key, None)

    def __len__(self) -> int:
        return len(self._parts)

    def _lay_out(self) -> None:
        with contextlib.suppress(Exception):  # whatever is not laid out here, the pack lays out itself
            self._pages()

    def _pages(self) -> None:
        from pmo_nb.publish import onepager

        state = self._state
        # each program as its report names and rates it (report.ProgramReport: title_text, meta's rag), worst first
        entries = order_entries([
            PackEntry(None, "program", str(row.program_id), str(row.name),
                      row.rag if isinstance(row.rag, str) and row.rag in _PACK_RANK else None)
            for row in state.kpis.programs.itertuples(index=False)])
        with tempfile.TemporaryDirectory(prefix="pmo-pack-ahead-") as tmp:
            writer = _Writer(Path(tmp), *self._setup, record=self._parts)
            with contextlib.suppress(Exception):
                writer.part("Portfolio overview", None, onepager.overview_page(state), kind="overview",
                            running="Portfolio overview")
            for entry in entries:
                if self._stopping.is_set():
                    return
                with contextlib.suppress(Exception):
                    _program_part(writer, entry, state)


def build_pack(
    entries: Iterable[PackEntry],
    *,
    organisation: str,
    period: str,
    omitted: Iterable[Omitted | tuple[str, str, str]] = (),
    generated_at: str | None = None,
    page_size: str = "A4",
    orientation: Literal["landscape", "portrait"] = "landscape",
    mode: PackMode = "executive",
    state: Any = None,
    ahead: PagesAhead | None = None,
) -> bytes:
    """Build the executive pack PDF.

    Parameters
    ----------
    entries:
        The reports of the month (:class:`PackEntry`); order does not matter, the pack sorts them. In the
        executive mode they say which programs are in the pack (the pages are drawn from ``state``).
    organisation:
        Shown on the cover.
    period:
        Reporting month, "YYYY-MM".
    omitted:
        Programs left out, as ``(id, name, reason)``; listed after the contents.
    generated_at:
        Generation time for the page footers; None means :func:`pmo_nb.publish.stamp.run_stamp`.
    page_size, orientation:
        One page setup for the whole pack (A4 landscape by default).
    mode:
        "executive" (default: cover, overview, one page per program) or "full" (the same, then every report
        in full; only the reports when the month's figures cannot be had).
    state:
        The month's :class:`~pmo_nb.metrics.month.SharedState` the run computed. None: recomputed from the
        parameters papermill recorded in the entries' notebooks.
    ahead:
        Pages laid out ahead from the same ``state`` and settings (:class:`PagesAhead`, started by the run before
        its reports): stopped here, and each of its pages the pack needs is taken instead of laid out again.

    Raises
    ------
    RenderError
        No entries, a bad entry, a bad page setup or mode, or a part that cannot be rendered (named).
    PeriodError
        ``period`` is not "YYYY-MM".
    """
    month = _period(period)
    size = normalise_page_size(page_size) or page_size
    if size not in PAGE_SIZES or orientation not in ORIENTATIONS:
        raise RenderError(
            f"pack page setup {page_size!r} {orientation!r} not supported; use one of {', '.join(PAGE_SIZES)} "
            "and landscape or portrait."
        )
    if mode not in ("executive", "full"):
        raise RenderError(f"pack mode {mode!r} is not 'executive' or 'full'.")
    page_css(size, orientation)  # validates once more, same message as the reports
    ordered = order_entries(entries)
    if not ordered:
        raise RenderError(f"the executive pack for {period} has no reports to include; run the program reports first.")
    omitted_rows = [Omitted(*(str(v) for v in o)) for o in omitted]
    generated_at = generated_at or run_stamp().generated_at
    if state is None:
        try:
            state = _state_from(ordered, month)
        except RenderError:
            if mode == "executive":
                raise

    if ahead is not None:
        ahead.stop()
    with tempfile.TemporaryDirectory(prefix="pmo-pack-") as tmp:
        writer = _Writer(Path(tmp), *_setup(size, orientation, str(month), generated_at), ahead=ahead)
        parts = [] if state is None else _executive_parts(writer, ordered, state)
        if mode == "full":
            parts += _full_parts(writer, ordered, generated_at, appended=bool(parts))
        return _join(writer, parts, organisation=organisation, state=state, ordered=ordered,
                     omitted=omitted_rows, size=size, orientation=orientation, generated_at=generated_at)


def _state_from(ordered: Sequence[PackEntry], month: Period) -> Any:
    """The month recomputed from the parameters papermill recorded in a report (the run normally passes it)."""
    from pmo_nb.metrics.month import month_state

    for entry in ordered:
        if entry.notebook is None and not entry.path:
            continue
        try:
            params = (entry.load().get("metadata", {}).get("papermill", {}) or {}).get("parameters") or {}
        except RenderError:
            continue
        if params:
            try:
                return month_state(params.get("source"), params.get("config"), str(month),
                                   params.get("previous_snapshot"), None)
            except PmoError as exc:
                raise RenderError(f"the executive pack cannot recompute {month}: {exc}") from None
    raise RenderError(
        f"the executive pack for {month} needs the month's figures: pass state=SharedState from the run, or "
        "entries whose notebooks were executed by papermill."
    )


def _executive_parts(writer: _Writer, ordered: Sequence[PackEntry], state: Any) -> list[_Part]:
    from pmo_nb.publish import onepager

    known = set(str(p) for p in state.kpis.programs["program_id"])
    parts = [writer.part("Portfolio overview", None, onepager.overview_page(state), kind="overview",
                         running="Portfolio overview")]
    for entry in (e for e in ordered if e.kind == "program"):
        if str(entry.id) not in known:
            raise RenderError(f"pack entry {entry.id!r} is not a program of {state.period}.", path=entry.path)
        parts.append(_program_part(writer, entry, state))
    return parts


def _program_part(writer: _Writer, entry: PackEntry, state: Any) -> _Part:
    """A program's one page: clamped lists and wrapped text fit; very long text gets fewer items."""
    from pmo_nb.publish import onepager

    page = writer.part(entry.title, entry.rag, onepager.program_page(state, str(entry.id)), kind="program",
                       running=entry.title, id=entry.id)
    for limits in onepager.TIGHTER:
        if page.pages == 1:
            break
        page.file.unlink()
        page = writer.part(entry.title, entry.rag, onepager.program_page(state, str(entry.id), limits),
                           kind="program pmo-pack-dense", running=entry.title, id=entry.id)
    return page


def _full_parts(writer: _Writer, ordered: Sequence[PackEntry], generated_at: str, *, appended: bool) -> list[_Part]:
    parts = []
    for i, entry in enumerate(ordered):
        body, _ = body_fragment(entry.load(), generated_at=generated_at, path=entry.path, id_prefix=f"p{i}-")
        title = f"{entry.title} (full report)" if appended else entry.title
        part = writer.part(title, entry.rag if entry.kind == "program" else None,
                           f'<section class="pmo-pack-section pmo-pack-{entry.kind}">{body}</section>',
                           kind=entry.kind, id=entry.id)
        parts.append(part._replace(outline=title) if appended else part)
    return parts


def _join(writer: _Writer, parts: list[_Part], *, organisation: str, state: Any, ordered: Sequence[PackEntry],
          omitted: Sequence[Omitted], size: str, orientation: str, generated_at: str) -> bytes:
    import io

    import pypdf

    def front(contents: list[tuple[str, str | None, int, str | None]]) -> tuple[str, str]:
        markup = _front(state, organisation, contents, omitted, ordered)
        cut = markup.index('<section class="pmo-pack-contents">')
        return markup[:cut], markup[cut:]

    cover = writer.part("Cover", None, front([])[0], kind="front", running="Executive pack")
    contents_pages = max(1, len(parts) // 45)
    for _ in range(4):  # the contents' own length shifts every page number after it: settle it
        contents, page = [], cover.pages + contents_pages + 1
        for part in parts:
            contents.append((part.title, part.rag, page, part.id))
            page += part.pages
        listing = writer.part("Contents", None, front(contents)[1], kind="front", running="Executive pack")
        if listing.pages == contents_pages:
            break
        contents_pages = listing.pages

    out = pypdf.PdfWriter()
    for part in (cover, listing, *parts):
        out.append(str(part.file), outline_item=part.outline, import_outline=True)
    starts = [c[2] - 1 for c in contents]
    link_pages(out, range(cover.pages, cover.pages + listing.pages), _LINK_SCHEME, lambda key: starts[int(key)])
    stamp_page_numbers(out, lambda body: write_pdf_plain(f"<html>{body}</html>", page_number_css(size, orientation),
                                                         where="executive pack page numbers"))
    out.add_metadata({"/Title": f"Executive pack · {organisation} · {writer.month}", "/Author": organisation,
                      "/Creator": "pmo-nb", "/Producer": "pmo-nb", "/CreationDate": _pdf_date(generated_at)})
    buffer = io.BytesIO()
    out.write(buffer)
    return buffer.getvalue()


def _front(state: Any, organisation: str, contents: list[tuple[str, str | None, int, str | None]],
           omitted: Sequence[Omitted], ordered: Sequence[PackEntry]) -> str:
    if state is not None:
        from pmo_nb.publish.onepager import cover_page

        only = [str(e.id) for e in ordered if e.kind == "program"]
        return cover_page(state, organisation=organisation, contents=contents, omitted=omitted, only=only)
    e = html.escape
    counts = {rag: sum(1 for x in ordered if x.kind == "program" and x.rag == rag) for rag in RAG_WORST_FIRST}
    unrated = sum(1 for x in ordered if x.kind == "program" and x.rag is None)
    tally = ", ".join(f"{n} {rag}" for rag, n in counts.items()) + (f", {unrated} not rated" if unrated else "")
    toc = "".join(f'<li><a href="{_LINK_SCHEME}{i}" data-page="{p}">{e(t)}{f" ({e(pid)})" if pid else ""}</a></li>'
                  for i, (t, _, p, pid) in enumerate(contents))
    rows = "".join(f"<li>{e(o.id)} {e(o.name)}: {e(o.reason)}</li>" for o in omitted)
    return (f'<section class="pmo-pack-cover"><div class="pmo-pack-org">{e(organisation)}</div>'
            f'<h1 class="pmo-pack-title">Executive pack</h1><p class="pmo-pack-tally">{e(tally)}</p></section>'
            f'<section class="pmo-pack-contents"><h1>Contents</h1><ol class="pmo-pack-toc">{toc}</ol>'
            + (f"<h2>Programs left out of this pack</h2><ul>{rows}</ul>" if rows else "") + "</section>")


def _pdf_date(generated_at: str) -> str:
    digits = "".join(ch for ch in generated_at if ch.isdigit())[:14]
    return f"D:{digits}Z" if len(digits) == 14 else ""
