"""Formatted HTML tables for reports (plain HTML styled by ``pmo_nb/reporting/static/pmo.css``).

``html_table(df, columns=[...])`` writes a ``<table class="pmo-table">`` in which every value is
formatted by ``pmo_nb.reporting.formatting`` and HTML-escaped, so a project named
``<script>alert(1)</script>`` shows as that text. Each column is described by a ``Col``
(or a dict with the same keys)::

    html_table(
        kpis.projects,
        columns=[
            Col("name", "Project", max_chars=40),
            Col("rag", "RAG", kind="rag"),
            Col("cpi", "CPI", kind="ratio"),
            Col("eac", "EAC", kind="money"),
            Col("finish_slip_days", "Finish slip", kind="int", unit="days"),
        ],
        highlight="mismatch",
        highlight_title="Reported status is better than the computed RAG",
    )

Kinds: ``text``, ``id`` (never wrapped), ``money``, ``money_full``, ``pct`` (a fraction), ``ratio``, ``int``, ``days``,
``date``, ``month``, ``rag`` (a badge with a text label), ``bool`` ("yes"/"no"), ``delta_ratio``,
``delta_money``, ``delta_pct``. Numbers are right-aligned (``pmo-num``); undefined values read
"n/a"; text longer than ``max_chars`` is cut with "…" and the full value kept in ``title`` (report tables pass
``max_chars=None``: their cells wrap, never cut; a word longer than ``LONG_WORD`` gets break opportunities).
In print the header row repeats on every page and rows never split (see pmo.css).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import pandas as pd

from pmo_nb.reporting import formatting as fmt

Kind = Literal[
    "text",
    "id",
    "money",
    "money_full",
    "pct",
    "ratio",
    "int",
    "days",
    "date",
    "month",
    "rag",
    "bool",
    "delta_ratio",
    "delta_money",
    "delta_pct",
]
NUMERIC_KINDS = frozenset(
    {"money", "money_full", "pct", "ratio", "int", "days", "delta_ratio", "delta_money", "delta_pct"}
)
RAG_LABELS = {"red": "Red", "amber": "Amber", "green": "Green"}


@dataclass(frozen=True)
class Col:
    """One table column: the frame column ``key`` shown under ``label`` as ``kind``."""

    key: str
    label: str | None = None
    kind: Kind = "text"
    unit: str | None = None
    max_chars: int | None = None


def esc(value: Any) -> str:
    """HTML-escape any value as text (quotes included, safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


LONG_WORD = 18
"""A run of more characters than this without a space gets break opportunities (``<wbr>``) every
``LONG_WORD`` characters, so it wraps inside its cell; shorter words never break mid-way."""


def breakable(text: str) -> str:
    """``text`` HTML-escaped, with ``<wbr>`` inside runs longer than :data:`LONG_WORD` characters."""
    parts = re.split(rf"(\S{{{LONG_WORD + 1},}})", text)
    return "".join(
        "<wbr>".join(esc(part[k:k + LONG_WORD]) for k in range(0, len(part), LONG_WORD)) if i % 2 else esc(part)
        for i, part in enumerate(parts)
    )


def rag_badge(rag: Any) -> str:
    """A RAG badge: colour AND a text label, ``<span class="pmo-rag pmo-rag-red">Red</span>``.

    Missing or unknown values give the neutral "n/a" badge (``pmo-rag-na``).
    """
    key = "" if fmt.is_missing(rag) else str(rag).strip().lower()
    if key not in RAG_LABELS:
        return '<span class="pmo-rag pmo-rag-na">n/a</span>'
    return f'<span class="pmo-rag pmo-rag-{key}">{RAG_LABELS[key]}</span>'


def _formatter(kind: str, currency: str) -> Callable[[Any], str]:
    table: dict[str, Callable[[Any], str]] = {
        "text": lambda v: "" if isinstance(v, str) and v == "" else (fmt.NA if fmt.is_missing(v) else str(v)),
        "id": lambda v: fmt.NA if fmt.is_missing(v) else str(v),
        "money": lambda v: fmt.money(v, currency),
        "money_full": lambda v: fmt.money_full(v, currency),
        "pct": fmt.pct,
        "ratio": fmt.ratio,
        "int": fmt.integer,
        "days": fmt.days,
        "date": fmt.date,
        "month": fmt.month,
        "bool": lambda v: fmt.NA if fmt.is_missing(v) else ("yes" if bool(v) else "no"),
        "delta_ratio": lambda v: fmt.delta(v, "ratio"),
        "delta_money": lambda v: fmt.delta(v, "money", currency=currency),
        "delta_pct": lambda v: fmt.delta(v, "pct"),
    }
    return table[kind]


def _as_col(spec: Col | Mapping[str, Any] | str) -> Col:
    if isinstance(spec, Col):
        col = spec
    elif isinstance(spec, str):
        col = Col(spec)
    elif isinstance(spec, Mapping):
        known = {f.name for f in fields(Col)}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise ValueError(f"table column spec {dict(spec)!r} has unknown key(s) {unknown}; use {sorted(known)}")
        col = Col(**spec)
    else:
        raise TypeError(f"table column spec must be a Col, a dict or a column name, not {type(spec).__name__}")
    if col.kind not in NUMERIC_KINDS | {"text", "id", "date", "month", "rag", "bool"}:
        raise ValueError(
            f"table column {col.key!r} has unknown kind {col.kind!r}; use one of "
            f"{sorted(NUMERIC_KINDS | {'text', 'id', 'date', 'month', 'rag', 'bool'})}"
        )
    return col


def _auto_kind(series: pd.Series) -> Kind:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "ratio"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    return "text"


def _truthy(value: Any) -> bool:
    return False if fmt.is_missing(value) else bool(value)


def html_table(
    df: pd.DataFrame,
    columns: Sequence[Col | Mapping[str, Any] | str] | None = None,
    *,
    currency: str = "EUR",
    highlight: str | None = None,
    highlight_title: str = "",
    caption: str | None = None,
    max_chars: int | None = 80,
    empty_text: str = "Nothing to show.",
    css_class: str | None = None,
) -> str:
    """Render ``df`` as a formatted, escaped HTML table.

    Parameters
    ----------
    df:
        The rows, in the order they are to appear (sort before calling).
    columns:
        Column specs (``Col``, dicts with the same keys, or bare column names shown as text).
        None shows every column with a kind guessed from its dtype.
    currency:
        ISO code for money kinds.
    highlight:
        Name of a boolean column; rows where it is true get ``pmo-row-flag`` (e.g. ``mismatch``).
    highlight_title:
        Tooltip and screen-reader text for highlighted rows.
    caption:
        Optional caption above the table.
    max_chars:
        Default cut-off for text columns (a column's own ``max_chars`` wins); None never cuts.
    empty_text:
        What to show for a frame with no rows (a ``pmo-empty`` paragraph instead of a table).
    css_class:
        Extra class for the ``<table>``.

    Raises
    ------
    KeyError
        A column spec or ``highlight`` names a column that ``df`` lacks (the message lists them).
    """
    if columns is None:
        specs = [Col(str(c), str(c), _auto_kind(df[c])) for c in df.columns]
    else:
        specs = [_as_col(c) for c in columns]
    missing = [c.key for c in specs if c.key not in df.columns]
    if highlight is not None and highlight not in df.columns:
        missing.append(highlight)
    if missing:
        raise KeyError(f"html_table: column(s) {missing} not in the data; available: {[str(c) for c in df.columns]}")
    if len(df) == 0:
        return f'<p class="pmo-empty">{esc(empty_text)}</p>'

    classes = "pmo-table" + (f" {esc(css_class)}" if css_class else "")
    out = [f'<table class="{classes}">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>")
    for c in specs:
        label = esc(c.label if c.label is not None else c.key)
        unit = f' <span class="pmo-unit">({esc(c.unit)})</span>' if c.unit else ""
        cls = ' class="pmo-num"' if c.kind in NUMERIC_KINDS else ""
        out.append(f'<th scope="col"{cls}>{label}{unit}</th>')
    out.append("</tr></thead><tbody>")

    formatters = {c.key: _formatter(c.kind, currency) for c in specs if c.kind != "rag"}
    flags = df[highlight].map(_truthy).tolist() if highlight else [False] * len(df)
    columns_data = {c.key: df[c.key].tolist() for c in specs}
    for i in range(len(df)):
        if flags[i]:
            title = f' title="{esc(highlight_title)}"' if highlight_title else ""
            out.append(f'<tr class="pmo-row-flag"{title}>')
        else:
            out.append("<tr>")
        for c in specs:
            value = columns_data[c.key][i]
            if c.kind == "rag":
                out.append(f'<td class="pmo-rag-cell">{rag_badge(value)}</td>')
                continue
            text = formatters[c.key](value)
            classes_td = []
            if c.kind in NUMERIC_KINDS:
                classes_td.append("pmo-num")
            elif c.kind in ("id", "date"):
                classes_td.append("pmo-nowrap")
            if text == fmt.NA:
                classes_td.append("pmo-na")
            limit = c.max_chars if c.max_chars is not None else (max_chars if c.kind == "text" else None)
            attrs = ""
            if limit is not None and len(text) > limit:
                attrs = f' title="{esc(text)}"'
                text = text[: max(limit - 1, 1)].rstrip() + "…"
                classes_td.append("pmo-wrap")
            elif c.kind == "text":
                classes_td.append("pmo-wrap")
            cls = f' class="{" ".join(classes_td)}"' if classes_td else ""
            out.append(f"<td{cls}{attrs}>{breakable(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)
