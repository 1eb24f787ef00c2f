"""The report sections: one registry saying what each section is called, which tables it needs and how it is built.

A :class:`Section` is ``Section(id, title, build, needs=(...), kinds=(...))``: ``build(report)`` returns what the
notebook displays (a ``components.HTML`` fragment or an Altair chart) from a report object of
:mod:`pmo_nb.reporting.report` (its ``portfolio``, ``config``, ``period``, ``kpis``, ``all_kpis`` and ``changes``);
``needs`` names the data-model tables it reads (``"risks"``, ``"issues"``, ``"milestones"``, ...); ``kinds`` the
reports that show it (``"program"``, ``"portfolio"``). ``report.section(id)`` applies the one rule for absent
tables: the first section of a report that needs a table the source lacks shows one short note, later ones show
nothing, and the data notes do not repeat it. A plug-in adds sections with :func:`register`, or through the
entry-point group ``pmo_nb.sections`` (each entry point loads a :class:`Section` or a callable returning an
iterable of them), read the first time the registry is consulted.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pmo_nb.exceptions import PmoError

__all__ = ["ENTRY_POINT_GROUP", "Section", "SectionError", "register", "get", "all_sections", "for_kind",
           "first_needing", "missing_note", "called_in", "reads_past_months"]

ENTRY_POINT_GROUP = "pmo_nb.sections"
ReportKind = Literal["program", "portfolio"]

# How a report says that a table is absent, in one short note.
MISSING_NOTES: dict[str, str] = {
    "risks": "No risk register was provided.",
    "issues": "No issue log was provided.",
    "milestones": "No milestone plan was provided.",
    "financials": "No cost data: the source has no financials table, so there is no S-curve, EAC, CPI or SPI.",
    "changes": "No change log was provided.",
    "benefits": "No benefits register was provided.",
    "decisions": "No decision log was provided.",
    "dependencies": "No dependency register was provided.",
    "actions": "No action log was provided.",
    "assumptions": "No assumptions log was provided.",
}


class SectionError(PmoError):
    """A section id that is not registered, or a registration that clashes with one."""

    def __init__(self, message: str, *, section: str) -> None:
        super().__init__(message)
        self.section = section


@dataclass(frozen=True)
class Section:
    """One report section.

    Parameters
    ----------
    id:
        The name notebooks call it by (``report.section("top_risks")`` or ``report.top_risks()``).
    title:
        A short human title ("Top risks").
    build:
        ``build(report)`` returns the displayable (HTML fragment or Altair chart); it runs only when every
        table in ``needs`` was provided.
    needs:
        The data-model tables the section reads; an absent one replaces the section by the missing-table rule.
    kinds:
        The report kinds that show it.
    past_months:
        Whether it reads the past months (the trends: the history store, or months recomputed from the source).
        A run computes those months once for all its reports when a notebook shows such a section.
    """

    id: str
    title: str
    build: Callable[[Any], Any]
    needs: tuple[str, ...] = ()
    kinds: tuple[ReportKind, ...] = ("program", "portfolio")
    past_months: bool = False


_REGISTRY: dict[str, Section] = {}
_entry_points_loaded = False


def register(section: Section, *, replace: bool = False) -> Section:
    """Add ``section`` to the registry (``replace=True`` to redefine an existing id); returns it."""
    if section.id in _REGISTRY and not replace and _REGISTRY[section.id] != section:
        raise SectionError(f"report section {section.id!r} is already registered; pass replace=True to redefine "
                           "it or choose another id", section=section.id)
    _REGISTRY[section.id] = section
    return section


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        loaded = ep.load()
        items: Iterable[Any] = [loaded] if isinstance(loaded, Section) else loaded()
        for item in items:
            if not isinstance(item, Section):
                raise SectionError(f"entry point {ep.name!r} of group {ENTRY_POINT_GROUP!r} gave "
                                   f"{type(item).__name__}, not a pmo_nb.reporting.sections.Section", section=ep.name)
            register(item)


def get(section_id: str) -> Section:
    """The registered section ``section_id``; raises :class:`SectionError` listing the known ids."""
    _load_entry_points()
    try:
        return _REGISTRY[section_id]
    except KeyError:
        raise SectionError(f"no report section {section_id!r}; the sections are {sorted(_REGISTRY)}",
                           section=section_id) from None


def all_sections() -> list[Section]:
    """Every registered section, in registration order."""
    _load_entry_points()
    return list(_REGISTRY.values())


def for_kind(kind: str) -> list[Section]:
    """The sections a ``kind`` report shows, in registration order (the order the notebooks show them)."""
    return [s for s in all_sections() if kind in s.kinds]


def first_needing(kind: str, table: str) -> str | None:
    """The id of the first section of a ``kind`` report that needs ``table`` (where its absence is said)."""
    return next((s.id for s in for_kind(kind) if table in s.needs), None)


_CALL = re.compile(r"""\.section\(\s*["']([A-Za-z_]\w*)["']|\.([A-Za-z_]\w*)\(""")


def called_in(code: str) -> list[Section]:
    """The registered sections that ``code`` (a notebook's code cells) calls, as ``report.section("top_risks")``
    or ``report.top_risks()``, in registration order."""
    named = {a or b for a, b in _CALL.findall(code)}
    return [s for s in all_sections() if s.id in named]


def reads_past_months(code: str) -> bool:
    """Whether ``code`` calls a section that reads the past months (:attr:`Section.past_months`)."""
    return any(s.past_months for s in called_in(code))


def missing_note(table: str) -> str:
    """The one short note that says ``table`` was not provided."""
    return MISSING_NOTES.get(table, f"No {table} table was provided.")
