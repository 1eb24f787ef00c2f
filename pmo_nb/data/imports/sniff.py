"""Recognise a schedule file (Microsoft Project, Primavera, GanttProject) from its first bytes, without Java."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SCHEDULE_FORMATS", "SCHEDULE_SUFFIXES", "schedule_hint", "sniff_schedule"]

MPP = "Microsoft Project (.mpp)"
MSPDI = "MSPDI XML"
XER = "Primavera XER"
PMXML = "Primavera PMXML"
GAN = "GanttProject"

SCHEDULE_FORMATS: tuple[str, ...] = (MPP, MSPDI, XER, PMXML, GAN)
"""The formats ``pmo-nb import`` reads, by the names messages use."""

SCHEDULE_SUFFIXES: tuple[str, ...] = (".mpp", ".mpt", ".xml", ".xer", ".gan")

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound document: .mpp (and old .xls/.doc)
_HEAD = 4096


def _text_head(data: bytes) -> str:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="ignore")
    return data.decode("utf-8", errors="ignore")


def sniff_schedule(path: str | Path) -> str | None:
    """The schedule format of ``path`` (one of :data:`SCHEDULE_FORMATS`), or None when it is not one.

    Reads at most the first 4 KiB. Content decides where it can (an OLE2 compound file with a ``.mpp``
    or ``.mpt`` name, an ``ERMHDR`` line, a ``<Project xmlns=".../project">`` or ``<APIBusinessObjects>``
    root, a GanttProject ``<project>`` root); a missing or unreadable file gives None.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        with p.open("rb") as fh:
            data = fh.read(_HEAD)
    except OSError:
        return None
    if data.startswith(_OLE2):
        # .mpp is an OLE2 compound file like .xls/.doc: only the name tells them apart without parsing
        return MPP if suffix in (".mpp", ".mpt") else None
    text = _text_head(data).lstrip()
    if text.startswith("ERMHDR"):
        return XER
    lower = text.lower()
    if "<apibusinessobjects" in lower:
        return PMXML
    if "schemas.microsoft.com/project" in lower and "<project" in lower:
        return MSPDI
    if "<project" in lower and (suffix == ".gan" or "ganttproject" in lower or "view-date=" in lower):
        return GAN
    return None


_NOUN = {MPP: "Microsoft Project", MSPDI: "Microsoft Project XML (MSPDI)", XER: "Primavera P6 (XER)",
         PMXML: "Primavera P6 XML (PMXML)", GAN: "GanttProject"}


def schedule_hint(path: str | Path) -> str | None:
    """The one-line hint for a schedule given where tables are expected, or None when ``path`` is not one.

    >>> schedule_hint("plan.mpp")  # doctest: +SKIP
    'plan.mpp is a Microsoft Project file: run `pmo-nb import plan.mpp --into DIR`'
    """
    fmt = sniff_schedule(path)
    if fmt is None:
        return None
    return f"{Path(path).name} is a {_NOUN[fmt]} file: run `pmo-nb import {path} --into DIR`"
