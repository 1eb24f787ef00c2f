"""Send a published month: read its manifest, plan one message per recipient, deliver what the record lacks.

Only reports the run marked ok are sent, and only when the PDF still has the SHA-256 the manifest recorded (a file
changed after the run is not sent). A recipient refused by the server is reported with the reason and recorded as
failed for every attachment of their message, while the others' messages go out; the next run of ``pmo-nb send``
tries them again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal

from pmo_nb.config import Config, load_config
from pmo_nb.contract import PDF_MIMETYPE
from pmo_nb.exceptions import Finding, MailError, PmoError
from pmo_nb.periods import Period
from pmo_nb.publish.mail.plan import (
    Attachment,
    Contacts,
    Outgoing,
    Role,
    body_of,
    group_by_recipient,
    pack_attachment,
    program_attachments,
    subject_of,
)
from pmo_nb.publish.mail.record import SentRecord
from pmo_nb.publish.mail.transport import EmlFolder, SmtpTransport

__all__ = ["Delivery", "SendResult", "send_month", "month_folder", "build_message", "plan_month", "eml_name"]

MANIFEST = "manifest.json"
KPIS = "kpis.csv"


@dataclass(frozen=True)
class Delivery:
    """What happened to one recipient's message (``keys``: its attachments), or to one attachment already sent."""

    address: str
    keys: tuple[str, ...]
    status: Literal["sent", "failed", "skipped", "written"]
    reason: str = ""


@dataclass
class SendResult:
    """A send's outcome: every delivery, the findings (warnings) and, for a dry run, the files written."""

    period: Period
    folder: Path
    deliveries: list[Delivery] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    record: Path | None = None

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def messages(self) -> list[Delivery]:
        """The messages sent, written or refused (one per recipient), without the attachments skipped."""
        return [d for d in self.deliveries if d.status != "skipped"]


def month_folder(out: str | Path, period: Period | None) -> tuple[Path, Period]:
    """The published month to send: ``OUT/<period>``, or the latest month folder of ``OUT`` with a manifest."""
    root = Path(out)
    if period is None:
        months = []
        for child in root.iterdir() if root.is_dir() else ():
            try:
                months.append(Period.parse(child.name))
            except PmoError:
                continue
        months = [p for p in months if (root / p / MANIFEST).is_file()]
        if not months:
            raise MailError(f"no published month in {root.resolve()}: run `pmo-nb run` first, or pass --out with "
                            "the reports folder", path=str(root))
        period = max(months)
    folder = root / period
    if not (folder / MANIFEST).is_file():
        raise MailError(f"{folder.resolve()} has no published reports ({MANIFEST} missing): run `pmo-nb run "
                        f"--period {period}` first, or pass --out with the reports folder", path=str(folder))
    return folder, period


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("reports", []), list):
            raise ValueError("not a run manifest")
        return data
    except (OSError, ValueError) as exc:
        raise MailError(f"{folder / MANIFEST} cannot be read ({exc}): run the month again with `pmo-nb run`",
                        path=str(folder / MANIFEST)) from None


def _program_kpis(folder: Path) -> dict[str, dict[str, Any]]:
    from pmo_nb.metrics.changes import load_snapshot

    if not (folder / KPIS).is_file():
        return {}
    snap = load_snapshot(folder / KPIS)
    rows = snap[snap["level"] == "program"]
    return {str(r["id"]): {str(k): v for k, v in r.items()} for r in rows.to_dict("records")}


def _attachment(folder: Path, rel: str, expected: str, what: str) -> tuple[Path, str] | str:
    """The attachment's path and hash, or why it cannot be sent."""
    path = folder / rel
    if not path.is_file():
        return f"{what}: {path} is missing"
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if expected and actual != expected:
        return (f"{what}: {path} changed after the run (its SHA-256 differs from manifest.json): run the month again "
                "rather than send an altered file")
    return path, actual


def _reports(folder: Path, manifest: Mapping[str, Any]) -> tuple[list[tuple[str, Path, str]], list[str]]:
    sendable: list[tuple[str, Path, str]] = []
    notes: list[str] = []
    for entry in manifest.get("reports", []):
        if not isinstance(entry, dict) or entry.get("kind") != "program":
            continue
        name = str(entry.get("name"))
        if entry.get("status") != "ok":
            notes.append(f"{name}: its report failed in the run, so it is not sent (run the month again)")
            continue
        pdf = (entry.get("outputs") or {}).get("pdf")
        if not pdf:
            notes.append(f"{name}: the run made no PDF (run the month with --formats html,pdf)")
            continue
        got = _attachment(folder, str(pdf.get("path")), str(pdf.get("sha256") or ""), name)
        if isinstance(got, str):
            notes.append(got)
        else:
            sendable.append((name, *got))
    return sendable, notes


def build_message(item: Outgoing, sender: str, organisation: str, period: Period) -> EmailMessage:
    """The MIME message of ``item`` to its one recipient: plain-text body, each PDF attached byte for byte."""
    msg = EmailMessage()
    msg["Subject"] = subject_of(item, organisation, period)
    msg["From"] = sender
    msg["To"] = Address(display_name=item.name, addr_spec=item.address) if item.name else item.address
    msg["Date"] = formatdate(localtime=True)
    sender_domain = parseaddr(sender)[1].rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid("pmo-nb", domain=sender_domain)
    msg["X-PMO-NB-Period"] = str(period)
    msg.set_content(body_of(item, organisation, period))
    maintype, subtype = PDF_MIMETYPE.split("/")
    for attachment in item.attachments:
        msg.add_attachment(attachment.path.read_bytes(), maintype=maintype, subtype=subtype,
                           filename=attachment.filename(period))
    # Headers are written unfolded up to RFC 5322's 998 characters: the default 78 folds a subject of 70-odd
    # characters as "Subject:" then the whole text on the next line, which parsers read back with a leading space.
    # The parts were encoded above with the default policy (base64 lines of 76).
    msg.policy = msg.policy.clone(max_line_length=998)
    return msg


def eml_name(address: str) -> str:
    """The dry run's name for a recipient's message: their address in lower case, anything but letters, digits
    and ``.@+-_`` replaced (written as ``ana.lima@example.org.eml``)."""
    return re.sub(r"[^A-Za-z0-9.@+_-]", "_", address.casefold())


def plan_month(folder: Path, period: Period, *, source: str | None, config: Config,
               cc_sponsors: bool) -> tuple[list[Outgoing], list[Finding], list[str]]:
    """The month's messages (one per recipient), the findings about recipients, and notes on PDFs not sent."""
    from pmo_nb.data.ingest import load
    from pmo_nb.paths import SAMPLE_DIR

    manifest = _read_manifest(folder)
    if source is None:
        recorded = str(manifest.get("source") or "")
        source = recorded if recorded and "***" not in recorded else str(SAMPLE_DIR)
    portfolio = load(source, config=config)
    kpis = _program_kpis(folder)
    reports, notes = _reports(folder, manifest)
    findings: list[Finding] = []
    if "contacts" in portfolio.missing_tables:
        findings.append(Finding("contacts", portfolio.source, None, None, None,
                                "the source has no contacts table, so no program report has a recipient: add "
                                "contacts (name, email, role), see docs/sending.md"))
        contacts = Contacts({})
    else:
        contacts = Contacts.from_frame(portfolio.contacts, f"{portfolio.source} (contacts)")
        findings += contacts.findings
    addressed: list[tuple[Attachment, list[tuple[str, str, Role]]]]
    addressed, more = program_attachments(reports, portfolio.programs, kpis, contacts, cc_sponsors=cc_sponsors,
                                          source=portfolio.source)
    findings += more
    pack = manifest.get("pack")
    if isinstance(pack, dict) and pack.get("path") and pack.get("status", "ok") == "ok":
        got = _attachment(folder, str(pack["path"]), str(pack.get("sha256") or ""), "executive pack")
        if isinstance(got, str):
            notes.append(got)
        elif not config.email.pack_to:
            notes.append("executive pack: not sent, [email] pack_to lists nobody (add the executives' addresses)")
        else:
            addressed.append((pack_attachment(*got, kpis),
                              [(addr, parseaddr(addr)[0], "pack") for addr in config.email.pack_to]))
    else:
        notes.append("executive pack: the run built none, so it is not sent")
    return group_by_recipient(addressed, contacts), findings, notes


def send_month(
    out: str | Path = "reports",
    period: Period | None = None,
    *,
    source: str | None = None,
    config: Config | str | Path | None = None,
    cc_sponsors: bool = False,
    dry_run: str | Path | None = None,
    resend: bool = False,
    environ: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> SendResult:
    """Send (or, with ``dry_run``, write as ``.eml`` files) the month's messages, one per recipient.

    Parameters
    ----------
    out:
        The reports folder; the month is ``out/<period>``.
    period:
        The month; None for the latest published one in ``out``.
    source:
        The data with the programs and contacts; None for the source recorded in the month's manifest.
    dry_run:
        A folder to write the messages to instead of sending them (no server, no password, no record); ``""`` for
        ``out/outbox/<period>``.
    resend:
        Send everything again, including what the record has as sent.
    environ:
        Where the password is read (default ``os.environ``), under ``[email] password_env``.

    Raises
    ------
    MailError
        No published month, ``[email]`` incomplete, the password unset, the server unreachable or refusing AUTH.
    """
    cfg = load_config(config)
    folder, period = month_folder(out, period)
    messages, findings, notes = plan_month(folder, period, source=source, config=cfg, cc_sponsors=cc_sponsors)
    result = SendResult(period, folder, findings=findings, notes=notes)
    record = SentRecord.read(folder, period)
    todo: list[Outgoing] = []
    for item in messages:
        rest: list[str] = []
        for attachment in item.attachments:
            done = None if resend else record.sent(item.address, attachment.key)
            if done is None:
                rest.append(attachment.key)
                continue
            changed = " (the report has changed since: --resend sends the new one)" if done.get(
                "sha256") != attachment.sha256 else ""
            result.deliveries.append(Delivery(item.address, (attachment.key,), "skipped",
                                              f"on {done.get('at', '')}{changed}"))
        if rest:
            todo.append(item.only(rest))
    if not todo:
        return result
    org = cfg.organisation
    sender = cfg.email.from_ or ("pmo-nb <pmo-nb@localhost>" if dry_run is not None else "")
    if dry_run is not None:
        eml = EmlFolder(Path(dry_run) if str(dry_run) else Path(out) / "outbox" / period)
        with eml:
            for item in todo:
                failed = eml.deliver(build_message(item, sender, org, period), [item.address], eml_name(item.address))
                why = failed.get(item.address, "")
                result.deliveries.append(Delivery(item.address, item.keys, "failed" if why else "written", why))
        result.written = eml.written
        return result
    smtp = _smtp(cfg, os.environ if environ is None else environ)
    with smtp:
        for item in todo:
            message = build_message(item, sender, org, period)
            why = smtp.deliver(message, [item.address], item.key).get(item.address, "")
            at = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
            for attachment in item.attachments:
                record.note(item.address, attachment.key, file=attachment.filename(period),
                            subject=str(message["Subject"]), status="failed" if why else "sent", at=at,
                            sha256=attachment.sha256, error=why)
            result.deliveries.append(Delivery(item.address, item.keys, "failed" if why else "sent", why))
            result.record = record.write()
    return result


def _smtp(cfg: Config, environ: Mapping[str, str]) -> SmtpTransport:
    email = cfg.email
    where = f" in {cfg.path}" if cfg.path else " (pass --config pmo.toml)"
    if not email.host:
        raise MailError(f"[email] host is not set{where}: name the SMTP server, or use --dry-run DIR to review "
                        "the messages without sending")
    if not email.from_:
        raise MailError(f"[email] from is not set{where}: give the sender address, e.g. \"PMO <pmo@example.org>\"")
    password = None
    if email.username:
        password = environ.get(email.password_env)
        if not password:
            raise MailError(f"the environment variable {email.password_env} is not set: export the SMTP password "
                            f"of {email.username!r} in it (it is never read from pmo.toml)", host=email.host)
    return SmtpTransport(email, password)
