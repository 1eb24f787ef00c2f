"""``sent.json``: what ``pmo-nb send`` delivered for a month, to whom, when, and each attachment's SHA-256.

The record sits in the month folder and is rewritten (through a temporary file and a rename) after every message,
so an interrupted send keeps what went out. It is kept per recipient and attachment::

    {"record_version": 2, "period": "2026-10",
     "recipients": {"ana.lima@example.org": {"attachments": {
         "PRG-A": {"file": "PRG-A-2026-10.pdf", "sha256": "...", "status": "sent", "at": "...", "subject": "..."}}}}}

An attachment counts as done for a recipient when the record has it ``sent``; a re-run sends each recipient one
message with the attachments still missing (failed or never tried), ``--resend`` everything again. A version 1
record (one entry per report, its recipients inside) is read as the same facts.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmo_nb.exceptions import MailError
from pmo_nb.publish.mail.plan import address_key

__all__ = ["SENT_NAME", "RECORD_VERSION", "SentRecord", "keep_record"]

SENT_NAME = "sent.json"
RECORD_VERSION = 2


def _from_version_1(messages: Any) -> dict[str, dict[str, Any]]:
    """``messages[report]["recipients"][address]`` (version 1) as ``recipients[address]["attachments"][report]``."""
    if not isinstance(messages, dict) or not all(isinstance(m, dict) for m in messages.values()):
        raise TypeError("messages is not a mapping of messages")
    recipients: dict[str, dict[str, Any]] = {}
    for key, message in messages.items():
        for address, outcome in (message.get("recipients") or {}).items():
            if isinstance(outcome, dict):
                entry = {"file": message.get("attachment", ""), "subject": message.get("subject", ""), **outcome}
                recipients.setdefault(address_key(address), {"attachments": {}})["attachments"][key] = entry
    return recipients


@dataclass
class SentRecord:
    """The record of one month: ``recipients[address]["attachments"][key]`` is one PDF's outcome for one person."""

    path: Path
    period: str
    recipients: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path, period: str) -> SentRecord:
        """The month's record (an empty one when nothing was sent yet)."""
        path = folder / SENT_NAME
        if not path.exists():
            return cls(path, period)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            if "recipients" not in data:
                recipients = _from_version_1(data["messages"])
            else:
                recipients = data["recipients"]
                if not isinstance(recipients, dict) or not all(
                        isinstance(r, dict) and isinstance(r.get("attachments", {}), dict)
                        for r in recipients.values()):
                    raise TypeError("recipients is not a mapping of recipients")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MailError(f"{path} is not a send record ({exc}): move it aside and pass --resend to send the "
                            "month again, or restore it", path=str(path)) from None
        return cls(path, period, {address_key(a): r for a, r in recipients.items()})

    def sent(self, address: str, key: str) -> dict[str, Any] | None:
        """The record of attachment ``key`` sent to ``address`` ({at, sha256, ...}), or None if it was not sent."""
        entry = self.recipients.get(address_key(address), {}).get("attachments", {}).get(key)
        return entry if isinstance(entry, dict) and entry.get("status") == "sent" else None

    def note(self, address: str, key: str, *, file: str, subject: str, status: str, at: str, sha256: str,
             error: str = "") -> None:
        """Record the outcome of attachment ``key`` for ``address``."""
        item: dict[str, Any] = {"file": file, "sha256": sha256, "status": status, "at": at, "subject": subject}
        if error:
            item["error"] = error
        self.recipients.setdefault(address_key(address), {}).setdefault("attachments", {})[key] = item

    def write(self) -> Path:
        """Write the record atomically (``.sent.json.part`` then a rename)."""
        data = {"record_version": RECORD_VERSION, "period": self.period,
                "recipients": {a: {"attachments": dict(sorted(self.recipients[a].get("attachments", {}).items()))}
                               for a in sorted(self.recipients)}}
        tmp = self.path.with_name(f".{SENT_NAME}.part")
        try:
            tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise MailError(f"cannot write the send record {self.path}: {exc.strerror or exc}; what was sent so "
                            "far went out, but a re-run would send it again", path=str(self.path)) from None
        return self.path


def keep_record(month: Path, staging: Path) -> None:
    """Copy a published month's record into the run about to replace it, so a re-run does not send it all again.

    It is not part of the run's manifest (``manifest.verify`` leaves it out): ``pmo-nb send`` rewrites it.
    """
    if (month / SENT_NAME).is_file():
        shutil.copy2(month / SENT_NAME, staging / SENT_NAME)
