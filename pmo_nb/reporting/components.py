"""HTML building blocks for report notebooks: title block, KPI tiles, notes, "no data" messages.

Each function returns an ``HTML`` object: ``str()`` it for the fragment the report templates style with
``pmo_nb/reporting/static/pmo.css``, or ``display()`` it in a notebook: outside a batch run its ``_repr_html_``
wraps the fragment in ``<div class="pmo-nb">`` with the rules of pmo.css it uses, every selector prefixed with
``.pmo-nb`` (:func:`scoped_css`), so it is styled without ``report.title()`` and styles nothing else on the page.
Every value that comes from data is HTML-escaped here; callers pass plain text. CSS classes follow the display
contract: ``pmo-title``, ``pmo-tiles``, ``pmo-tile``, ``pmo-rag``, ``pmo-note``, ``pmo-empty``, ``pmo-summary``.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from pmo_nb.contract import BATCH_ENV
from pmo_nb.paths import COMPONENT_CSS
from pmo_nb.reporting.tables import Col, esc, html_table, rag_badge

Direction = Literal["good", "bad", "neutral"]

SCOPE = "pmo-nb"
"""The class of the element that wraps a fragment displayed in a notebook; every carried rule is under it."""

_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)
_CLASS_ATTR_RE = re.compile(r'class="([^"]*)"')
_SELECTOR_CLASS_RE = re.compile(r"\.([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Rule:
    """One rule of pmo.css: its selectors, declarations and the ``@media`` block it sits in (None: none)."""

    selectors: tuple[str, ...]
    body: str
    media: str | None = None


def parse_css(css: str) -> list[Rule]:
    """The rules of a flat stylesheet (rules and ``@media`` blocks of rules, as pmo.css is written)."""
    text = _COMMENT_RE.sub("", css)
    rules: list[Rule] = []
    pos = 0
    media: str | None = None
    while True:
        open_at = text.find("{", pos)
        close_at = text.find("}", pos)
        if close_at != -1 and (open_at == -1 or close_at < open_at):  # the end of an @media block
            media, pos = None, close_at + 1
            continue
        if open_at == -1:
            return rules
        prelude = text[pos:open_at].strip()
        if prelude.startswith("@media"):
            media, pos = prelude, open_at + 1
            continue
        end = text.index("}", open_at)
        selectors = tuple(s.strip() for s in prelude.split(",") if s.strip())
        rules.append(Rule(selectors, " ".join(text[open_at + 1:end].split()), media))
        pos = end + 1


@functools.cache
def _component_rules() -> tuple[Rule, ...]:
    return tuple(parse_css(COMPONENT_CSS.read_text(encoding="utf-8")))


def _scope(selector: str) -> str:
    if selector == ":root":
        return f".{SCOPE}"
    return f".{SCOPE} {selector}"


def scoped_css(html: str, rules: Sequence[Rule] | None = None) -> str:
    """The rules (pmo.css by default) that style ``html``, each selector under ``.pmo-nb``.

    A selector is kept when every class it names is used in ``html`` (``:root``, which sets the colours, becomes
    ``.pmo-nb``); a rule none of whose selectors is kept is left out.
    """
    used = {c for attr in _CLASS_ATTR_RE.findall(html) for c in attr.split()}
    out: list[str] = []
    media: str | None = None
    for rule in _component_rules() if rules is None else rules:
        kept = [_scope(s) for s in rule.selectors if set(_SELECTOR_CLASS_RE.findall(s)) <= used]
        if not kept:
            continue
        if rule.media != media:
            if media is not None:
                out.append("}")
            if rule.media is not None:
                out.append(rule.media + " {")
            media = rule.media
        out.append(f"{', '.join(kept)} {{ {rule.body} }}")
    if media is not None:
        out.append("}")
    return "\n".join(out)


def _batch_mode() -> bool:
    # the same test as pmo_nb.reporting.display.batch_mode, which imports Altair: keep this module light
    return os.environ.get(BATCH_ENV, "").strip().lower() not in ("", "0", "false", "no")


def styled(html: str) -> str:
    """``html`` wrapped for display in a notebook: ``<div class="pmo-nb">``, its scoped style, the fragment."""
    return f'<div class="{SCOPE}"><style>{scoped_css(html)}</style>{html}</div>'


class HTML:
    """An HTML fragment that notebooks can ``display()`` (``_repr_html_``) and code can ``str()``."""

    def __init__(self, html: str) -> None:
        self.html = str(html)

    def _repr_html_(self) -> str:
        """The fragment with the styles it needs, scoped to it; in a batch run the report template styles it."""
        return self.html if _batch_mode() else styled(self.html)

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
