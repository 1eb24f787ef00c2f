"""The month's messages: one per recipient, with every PDF addressed to them.

A program's PDF is addressed to its manager (and, with ``--cc-sponsors``, its sponsor), matched by name to the
``contacts`` table; the executive pack to ``[email] pack_to``. The messages are then grouped by address: a manager of
two programs gets one message with both PDFs, a sponsor who is also on the pack list gets their programs' PDFs and the
pack in one message, and nobody gets the same PDF twice.

Names match ignoring case and runs of spaces (``" ana  LIMA "`` is ``Ana Lima``), addresses ignoring case. A name
without a usable address is a finding (a warning): the PDF goes to the others, or is not sent when nobody is left to
receive it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from pmo_nb.config import is_address
from pmo_nb.contract import RAG_WORST_FIRST
from pmo_nb.exceptions import Finding
from pmo_nb.periods import Period

__all__ = ["Contacts", "Attachment", "Outgoing", "normalise_name", "address_key", "program_attachments",
           "pack_attachment", "group_by_recipient", "subject_of", "body_of", "PACK_KEY"]

PACK_KEY = "executive-pack"
"""The key of the executive pack in the plan and in ``sent.json`` (never a program id)."""

Role = Literal["manager", "sponsor", "pack"]

SUBJECT_NAMES = 3
"""At most this many attachments are named in a subject; the body lists them all."""


def normalise_name(name: object) -> str:
    """How names are compared: case-folded, surrounding and repeated white space removed."""
    return " ".join(str(name).casefold().split())


def address_key(address: str) -> str:
    """How addresses are compared: the bare address (``Name <a@b.org>`` is ``a@b.org``), case-folded."""
    return parseaddr(address)[1].casefold()


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or not str(
        value).strip()


def _line(text: object) -> str:
    return " ".join(str(text).split())


@dataclass(frozen=True)
class Contacts:
    """Addresses by normalised name, names by address, and the findings met reading the ``contacts`` table."""

    addresses: dict[str, str]
    findings: tuple[Finding, ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # address_key -> the name as the contacts table has it

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str = "contacts") -> Contacts:
        """Read a ``contacts`` frame (name, email, role). Rows are numbered as in a CSV file (first record: 2).

        A row whose e-mail is not an address, and a name given twice with different addresses, are findings; such
        a name has no address (sending to one of two addresses at random would be worse than not sending).
        """
        addresses: dict[str, str] = {}
        names: dict[str, str] = {}
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
            if key in addresses and address_key(addresses[key]) != address_key(text):
                findings.append(Finding("contacts", source, row, "name", str(name).strip(),
                                        f"given twice with different addresses ({addresses[key]}, {text}): keep "
                                        "one row per person"))
                conflicting.add(key)
                continue
            addresses.setdefault(key, text)
            names.setdefault(address_key(text), _line(name))
        return cls({k: v for k, v in addresses.items() if k not in conflicting}, tuple(findings), names)

    def address(self, name: object) -> str | None:
        return None if _blank(name) else self.addresses.get(normalise_name(name))

    def name_of(self, address: str) -> str:
        """The contacts table's name for ``address`` ("" when it has none)."""
        return self.names.get(address_key(address), "")


@dataclass(frozen=True)
class Attachment:
    """One PDF of the month: a program's report or the executive pack."""

    key: str
    kind: Literal["program", "pack"]
    path: Path
    sha256: str
    title: str  # one line: "Alpha Programme (PRG-A)", "the executive pack"
    status: str  # one sentence on the month: "Status: RED: CPI 0.81 < 0.90."
    short: str = ""  # for the subject: "Alpha Programme", "executive pack"

    def filename(self, period: Period) -> str:
        """The attachment's name in the message: the run's file name when it carries the month."""
        return self.path.name if str(period) in self.path.name else f"{self.key}-{period}.pdf"


@dataclass(frozen=True)
class Outgoing:
    """One message: everything the month has for one recipient, each PDF once, with the recipient's roles."""

    address: str  # as the contacts table or pack_to write it (the bare address when given as "Name <...>")
    name: str  # "" when unknown
    attachments: tuple[Attachment, ...]
    roles: dict[str, tuple[Role, ...]] = field(default_factory=dict)  # attachment key -> roles

    @property
    def key(self) -> str:
        return address_key(self.address)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.attachments)

    def only(self, keys: Iterable[str]) -> Outgoing:
        """The same message with only the attachments ``keys`` (what a re-run still has to send)."""
        wanted = set(keys)
        return replace(self, attachments=tuple(a for a in self.attachments if a.key in wanted))


def _status_line(row: Mapping[str, Any] | None) -> str:
    if row is None or _blank(row.get("rag")):
        return "Status: not rated this month."
    reason = "" if _blank(row.get("rag_reason")) else f": {_line(row['rag_reason'])}"
    return f"Status: {str(row['rag']).strip().upper()}{reason}."


def program_attachments(
    reports: Iterable[tuple[str, Path, str]],
    programs: pd.DataFrame,
    kpis: Mapping[str, Mapping[str, Any]],
    contacts: Contacts,
    *,
    cc_sponsors: bool,
    source: str,
) -> tuple[list[tuple[Attachment, list[tuple[str, str, Role]]]], list[Finding]]:
    """The program reports and who each is addressed to: ``(attachment, [(address, name, role), ...])``.

    Parameters
    ----------
    reports:
        ``(program id, PDF path, its SHA-256)`` of each program report to send.
    programs:
        The ``programs`` table (program_id, name, manager, sponsor).
    kpis:
        The month's program rows of ``kpis.csv`` by program id (``rag``, ``rag_reason``).
    """
    by_id = {str(r["program_id"]): r for r in programs.to_dict("records")}
    out: list[tuple[Attachment, list[tuple[str, str, Role]]]] = []
    findings: list[Finding] = []
    for program_id, pdf, sha in reports:
        program = by_id.get(program_id)
        if program is None:
            findings.append(Finding("programs", source, None, "program_id", program_id,
                                    "the month has a report for this program but the source has no such program: "
                                    "not sent (pass the --source the month was run on)"))
            continue
        name = _line(program.get("name") or program_id)  # one line: it goes in the subject
        roles: list[Role] = ["manager", "sponsor"] if cc_sponsors else ["manager"]
        to: list[tuple[str, str, Role]] = []
        for role in roles:
            person = program.get(role)
            addr = contacts.address(person)
            if addr is None:
                who = "no name" if _blank(person) else f"{str(person).strip()!r}"
                findings.append(Finding("contacts", source, None, "name", None if _blank(person) else
                                        str(person).strip(),
                                        f"{program_id} {role} ({who}) has no e-mail address: add a row (name, "
                                        "email, role) to the contacts table"))
                continue
            to.append((addr, _line(person), role))
        if not to:
            findings.append(Finding("contacts", source, None, None, program_id,
                                    f"{program_id}'s report is not sent: nobody to send it to"))
            continue
        out.append((Attachment(program_id, "program", pdf, sha, f"{name} ({program_id})",
                               _status_line(kpis.get(program_id)), name), to))
    return out, findings


def pack_attachment(pack: Path, sha: str, kpis: Mapping[str, Mapping[str, Any]]) -> Attachment:
    """The executive pack; its status sentence counts the programs by status."""
    counts: dict[str, int] = {}
    for row in kpis.values():
        status = "not rated" if _blank(row.get("rag")) else str(row["rag"]).strip().lower()
        counts[status] = counts.get(status, 0) + 1
    order: list[str] = [*RAG_WORST_FIRST, "not rated"]
    mix = ", ".join(f"{counts[s]} {s}" for s in sorted(counts, key=lambda s: (order + [s]).index(s)))
    n = sum(counts.values())
    status = f"{n} program{'s' if n != 1 else ''}: {mix}." if n else "No program was rated this month."
    return Attachment(PACK_KEY, "pack", pack, sha, "the executive pack", status, "executive pack")


def group_by_recipient(addressed: Iterable[tuple[Attachment, Iterable[tuple[str, str, Role]]]],
                       contacts: Contacts) -> list[Outgoing]:
    """One message per address (compared with ``address_key``), in the order addresses first appear.

    Each message has every attachment addressed to that person once, in the order given, with their roles for it
    (a manager who is also the sponsor of a program gets its PDF once). A recipient's name is the one the program
    or ``pack_to`` gives, else the contacts table's.
    """
    people: dict[str, dict[str, Any]] = {}
    for attachment, recipients in addressed:
        for address, name, role in recipients:
            entry = people.setdefault(address_key(address), {"address": parseaddr(address)[1] or address,
                                                             "name": "", "attachments": {}, "roles": {}})
            entry["name"] = entry["name"] or name or contacts.name_of(address)
            entry["attachments"].setdefault(attachment.key, attachment)
            roles = entry["roles"].setdefault(attachment.key, [])
            if role not in roles:
                roles.append(role)
    return [Outgoing(e["address"], e["name"], tuple(e["attachments"].values()),
                     {k: tuple(v) for k, v in e["roles"].items()}) for e in people.values()]


def _listing(names: list[str]) -> str:
    if len(names) > SUBJECT_NAMES + 1:
        names = [*names[:SUBJECT_NAMES], f"{len(names) - SUBJECT_NAMES} more"]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def subject_of(item: Outgoing, organisation: str, period: Period) -> str:
    """``Acme PMO: Alpha Programme report, October 2026``; several PDFs: ``Acme PMO: Alpha Programme, Beta
    Programme and executive pack, October 2026`` (after three names, ``and N more``)."""
    org = _line(organisation)
    names = [a.short or a.key for a in item.attachments]
    if len(item.attachments) == 1 and item.attachments[0].kind == "program":
        return f"{org}: {names[0]} report, {period.label}"
    return f"{org}: {_listing(names)}, {period.label}"


_ROLE_TEXT = {("manager",): "which you manage", ("sponsor",): "which you sponsor",
              ("manager", "sponsor"): "which you manage and sponsor"}


def body_of(item: Outgoing, organisation: str, period: Period) -> str:
    """The plain-text body: a greeting, the month, and one line per attachment (file, what it is, its status)."""
    n = len(item.attachments)
    lines = [f"Dear {item.name}," if item.name else "Hello,", "",
             f"Your PMO report{'s' if n != 1 else ''} for {period.label} {'are' if n != 1 else 'is'} attached:", ""]
    for a in item.attachments:
        roles = tuple(r for r in ("manager", "sponsor") if r in item.roles.get(a.key, ()))
        why = f", {_ROLE_TEXT[roles]}" if roles else ""
        lines.append(f"- {a.filename(period)}: {a.title}{why}. {a.status}")
    return "\n".join([*lines, "", f"{organisation}", ""])
