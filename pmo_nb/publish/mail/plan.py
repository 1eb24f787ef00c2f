"""The month's messages: who gets which PDF, matched from the programs' manager and sponsor names to ``contacts``.

Names match ignoring case and runs of spaces (``" ana  LIMA "`` is ``Ana Lima``). A name without a usable address
is a finding (a warning): the message goes to the others, or is not sent when nobody is left to receive it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from pmo_nb.config import is_address
from pmo_nb.contract import RAG_WORST_FIRST
from pmo_nb.exceptions import Finding
from pmo_nb.periods import Period

__all__ = ["Contacts", "Outgoing", "normalise_name", "program_messages", "pack_message", "PACK_KEY"]

PACK_KEY = "executive-pack"
"""The key of the executive pack's message in the plan and in ``sent.json`` (never a program id)."""


def normalise_name(name: object) -> str:
    """How names are compared: case-folded, surrounding and repeated white space removed."""
    return " ".join(str(name).casefold().split())


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or not str(
        value).strip()


def _line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Contacts:
    """Addresses by normalised name, and the findings met reading the ``contacts`` table."""

    addresses: dict[str, str]
    findings: tuple[Finding, ...] = ()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str = "contacts") -> Contacts:
        """Read a ``contacts`` frame (name, email, role). Rows are numbered as in a CSV file (first record: 2).

        A row whose e-mail is not an address, and a name given twice with different addresses, are findings; such
        a name has no address (sending to one of two addresses at random would be worse than not sending).
        """
        addresses: dict[str, str] = {}
        findings: list[Finding] = []
        conflicting: set[str] = set()
        for row, (name, email) in enumerate(zip(frame["name"], frame["email"], strict=True), start=2):
            if _blank(name):
                continue
            key, text = normalise_name(name), "" if _blank(email) else str(email).strip()
            if not is_address(text):
                what = "not an e-mail address" if text else "no e-mail address"
                findings.append(Finding("contacts", source, row, "email", text or None,
                                        f"{what} for {str(name).strip()!r}: write it as name@example.org"))
                continue
            if key in addresses and addresses[key].casefold() != text.casefold():
                findings.append(Finding("contacts", source, row, "name", str(name).strip(),
                                        f"given twice with different addresses ({addresses[key]}, {text}): keep "
                                        "one row per person"))
                conflicting.add(key)
                continue
            addresses.setdefault(key, text)
        return cls({k: v for k, v in addresses.items() if k not in conflicting}, tuple(findings))

    def address(self, name: object) -> str | None:
        return None if _blank(name) else self.addresses.get(normalise_name(name))


@dataclass(frozen=True)
class Outgoing:
    """One message to send: a report (or the pack) and who receives it."""

    key: str
    kind: Literal["program", "pack"]
    attachment: Path
    sha256: str
    subject: str
    body: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # address -> the person's name, for the summary

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every address, To then Cc, without repeats (a manager who is also the sponsor gets it once)."""
        seen: dict[str, None] = {}
        for addr in (*self.to, *self.cc):
            seen.setdefault(addr, None)
        return tuple(seen)


def _status_line(row: Mapping[str, Any] | None) -> str:
    if row is None or _blank(row.get("rag")):
        return "Status: not rated this month."
    reason = "" if _blank(row.get("rag_reason")) else f": {str(row['rag_reason']).strip()}"
    return f"Status: {str(row['rag']).strip().upper()}{reason}."


def program_messages(
    reports: Iterable[tuple[str, Path, str]],
    programs: pd.DataFrame,
    kpis: Mapping[str, Mapping[str, Any]],
    contacts: Contacts,
    *,
    organisation: str,
    period: Period,
    cc_sponsors: bool,
    source: str,
) -> tuple[list[Outgoing], list[Finding]]:
    """The program reports' messages.

    Parameters
    ----------
    reports:
        ``(program id, PDF path, its SHA-256)`` of each program report to send.
    programs:
        The ``programs`` table (program_id, name, manager, sponsor).
    kpis:
        The month's program rows of ``kpis.csv`` by program id (``rag``, ``rag_reason``, ``name``).
    """
    by_id = {str(r["program_id"]): r for r in programs.to_dict("records")}
    out: list[Outgoing] = []
    findings: list[Finding] = []
    for program_id, pdf, sha in reports:
        program = by_id.get(program_id)
        if program is None:
            findings.append(Finding("programs", source, None, "program_id", program_id,
                                    "the month has a report for this program but the source has no such program: "
                                    "not sent (pass the --source the month was run on)"))
            continue
        name = " ".join(str(program.get("name") or program_id).split())  # one line: it goes in the subject
        people = [("manager", program.get("manager"))] + ([("sponsor", program.get("sponsor"))] if cc_sponsors
                                                          else [])
        to: list[str] = []
        cc: list[str] = []
        names: dict[str, str] = {}
        for role, person in people:
            addr = contacts.address(person)
            if addr is None:
                who = "no name" if _blank(person) else f"{str(person).strip()!r}"
                findings.append(Finding("contacts", source, None, "name", None if _blank(person) else
                                        str(person).strip(),
                                        f"{program_id} {role} ({who}) has no e-mail address: add a row (name, "
                                        "email, role) to the contacts table"))
                continue
            if addr not in to:  # a manager who is also the sponsor gets it once
                (to if role == "manager" else cc).append(addr)
            names.setdefault(addr, " ".join(str(person).split()))
        if not to and not cc:
            findings.append(Finding("contacts", source, None, None, program_id,
                                    f"{program_id}'s report is not sent: nobody to send it to"))
            continue
        greeting = names[to[0]] if to else names[cc[0]]
        body = (f"Dear {greeting},\n\n"
                f"Please find attached the {name} ({program_id}) report for {period.label}.\n\n"
                f"{_status_line(kpis.get(program_id))}\n\n"
                f"{organisation}\n")
        out.append(Outgoing(program_id, "program", pdf, sha, f"{_line(organisation)}: {name} report, {period.label}",
                            body, tuple(to), tuple(cc), names))
    return out, findings


def pack_message(pack: Path, sha: str, to: Iterable[str], kpis: Mapping[str, Mapping[str, Any]], *,
                 organisation: str, period: Period) -> Outgoing:
    """The executive pack's message to ``[email] pack_to``; the body counts the programs by status."""
    counts: dict[str, int] = {}
    for row in kpis.values():
        status = "not rated" if _blank(row.get("rag")) else str(row["rag"]).strip().lower()
        counts[status] = counts.get(status, 0) + 1
    order: list[str] = [*RAG_WORST_FIRST, "not rated"]
    mix = ", ".join(f"{counts[s]} {s}" for s in sorted(counts, key=lambda s: (order + [s]).index(s)))
    n = sum(counts.values())
    status = f"{n} program{'s' if n != 1 else ''}: {mix}." if n else "No program was rated this month."
    body = (f"Please find attached the executive pack for {period.label}.\n\n"
            f"{status}\n\n"
            f"{organisation}\n")
    return Outgoing(PACK_KEY, "pack", pack, sha, f"{_line(organisation)}: executive pack, {period.label}", body,
                    tuple(to))
