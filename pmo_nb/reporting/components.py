"""HTML building blocks for report notebooks: title block, KPI tiles, notes, "no data" messages.

Each function returns an ``HTML`` object: ``display()`` it in a notebook (it has ``_repr_html_``,
so the output is a ``text/html`` display_data the templates style with ``pmo_nb/reporting/static/pmo.css``),
or ``str()`` it. Every value that comes from data is HTML-escaped here; callers pass plain text.
CSS classes follow the display contract: ``pmo-title``, ``pmo-tiles``, ``pmo-tile``, ``pmo-rag``,
``pmo-note``, ``pmo-empty``, ``pmo-summary``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from pmo_nb.reporting.tables import Col, esc, html_table, rag_badge

Direction = Literal["good", "bad", "neutral"]


class HTML:
    """An HTML fragment that notebooks can ``display()`` (``_repr_html_``) and code can ``str()``."""

    def __init__(self, html: str) -> None:
        self.html = str(html)

    def _repr_html_(self) -> str:
        return self.html

    def __html__(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"HTML({self.html[:60]!r}{'...' if len(self.html) > 60 else ''})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HTML) and other.html == self.html

    def __hash__(self) -> int:
        return hash(self.html)

    def __add__(self, other: HTML) -> HTML:
        if not isinstance(other, HTML):
            return NotImplemented
        return HTML(self.html + other.html)


@dataclass(frozen=True)
class Tile:
    """One KPI tile: ``label`` ("CPI"), ``value`` ("0.93"), ``change`` ("-0.02 ▼ since Sep 2026"),
    ``direction`` of the change for the reader (good/bad/neutral), optional ``note`` and ``rag``."""

    label: str
    value: str
    change: str = ""
    direction: Direction = "neutral"
    note: str = ""
    rag: str | None = None


def _tile(spec: Tile | Mapping[str, Any]) -> Tile:
    if isinstance(spec, Tile):
        tile = spec
    else:
        known = sorted(Tile.__dataclass_fields__)
        unknown = sorted(set(spec) - set(known))
        if unknown:
            raise ValueError(f"KPI tile {dict(spec)!r} has unknown key(s) {unknown}; use {known}")
        if "label" not in spec or "value" not in spec:
            raise ValueError(f"KPI tile {dict(spec)!r} needs at least 'label' and 'value'")
        tile = Tile(**spec)
    if tile.direction not in ("good", "bad", "neutral"):
        raise ValueError(f"KPI tile {tile.label!r} has direction {tile.direction!r}; use 'good', 'bad' or 'neutral'")
    return tile


def title_block(
    title: str,
    subtitle: str | None = None,
    *,
    period_label: str | None = None,
    organisation: str | None = None,
    rag: str | None = None,
    rag_reason: str | None = None,
    objective: str | None = None,
) -> HTML:
    """The report's title block: organisation, title, objective, subtitle/period and the overall RAG badge.

    ``title`` is set as a styled ``div`` rather than a heading so that the template's table of
    contents (built from the notebook's ``## `` markdown headings) is not disturbed.
    """
    parts = ['<div class="pmo-title">']
    if organisation:
        parts.append(f'<div class="pmo-title-org">{esc(organisation)}</div>')
    parts.append(f'<div class="pmo-title-main">{esc(title)}</div>')
    if objective is not None:
        parts.append(f'<div class="pmo-title-objective">Objective: {esc(objective)}</div>')
    meta = [s for s in (subtitle, period_label) if s]
    if meta:
        parts.append(f'<div class="pmo-title-sub">{" · ".join(esc(s) for s in meta)}</div>')
    if rag is not None or rag_reason:
        reason = f' <span class="pmo-title-reason">{esc(rag_reason)}</span>' if rag_reason else ""
        parts.append(f'<div class="pmo-title-rag">Overall status: {rag_badge(rag)}{reason}</div>')
    parts.append("</div>")
    return HTML("".join(parts))


def kpi_tiles(tiles: Iterable[Tile | Mapping[str, Any]]) -> HTML:
    """A row of KPI tiles; each shows label, value, change text and whether the change is good or bad.

    The change's meaning is carried by text as well as colour: good and bad changes get a
    visually-hidden "(better)"/"(worse)" for screen readers and a distinct border in print.
    """
    items = [_tile(t) for t in tiles]
    if not items:
        return empty("KPIs", text="No KPIs to show.")
    out = ['<div class="pmo-tiles">']
    for t in items:
        out.append(f'<div class="pmo-tile pmo-tile-{t.direction}">')
        out.append(f'<div class="pmo-tile-label">{esc(t.label)}</div>')
        rag = f" {rag_badge(t.rag)}" if t.rag is not None else ""
        out.append(f'<div class="pmo-tile-value">{esc(t.value)}{rag}</div>')
        if t.change:
            hint = {"good": " (better)", "bad": " (worse)"}.get(t.direction, "")
            sr = f'<span class="pmo-sr">{hint}</span>' if hint else ""
            out.append(f'<div class="pmo-tile-change pmo-change-{t.direction}">{esc(t.change)}{sr}</div>')
        if t.note:
            out.append(f'<div class="pmo-tile-note">{esc(t.note)}</div>')
        out.append("</div>")
    out.append("</div>")
    return HTML("".join(out))


def note(text: str) -> HTML:
    """A short explanatory note (``pmo-note``), e.g. how a figure is computed."""
    return HTML(f'<p class="pmo-note">{esc(text)}</p>')


def empty(section: str, scope: str = "program", *, text: str | None = None) -> HTML:
    """A "no data" message for a section: ``empty("risks")`` -> "No risks recorded for this program."."""
    message = text if text is not None else f"No {section} recorded for this {scope}."
    return HTML(f'<p class="pmo-empty">{esc(message)}</p>')


def summary(paragraphs: str | Sequence[str], *, heading: str | None = None) -> HTML:
    """An executive summary box (``pmo-summary``) of plain-text paragraphs or bullet points.

    A paragraph starting with "- " becomes a list item.
    """
    if isinstance(paragraphs, str):
        paragraphs = [paragraphs]
    out = ['<div class="pmo-summary">']
    if heading:
        out.append(f'<div class="pmo-summary-heading">{esc(heading)}</div>')
    bullets: list[str] = []

    def flush() -> None:
        if bullets:
            out.append("<ul>" + "".join(f"<li>{esc(b)}</li>" for b in bullets) + "</ul>")
            bullets.clear()

    for p in paragraphs:
        if p.startswith("- "):
            bullets.append(p[2:])
            continue
        flush()
        out.append(f"<p>{esc(p)}</p>")
    flush()
    out.append("</div>")
    return HTML("".join(out))


def table(
    df: pd.DataFrame,
    columns: Sequence[Col | Mapping[str, Any] | str] | None = None,
    *,
    empty_section: str | None = None,
    scope: str = "program",
    **kwargs: Any,
) -> HTML:
    """``tables.html_table`` wrapped for display; ``empty_section`` words the empty message."""
    if empty_section is not None:
        kwargs.setdefault("empty_text", f"No {empty_section} recorded for this {scope}.")
    return HTML(html_table(df, columns, **kwargs))


def rag(value: Any) -> HTML:
    """A RAG badge with its text label, for inline use."""
    return HTML(rag_badge(value))
