"""``sent.json``: what ``pmo-nb send`` delivered for a month, to whom, when, and the attachment's SHA-256.

The record sits in the month folder and is rewritten (through a temporary file and a rename) after every message,
so an interrupted send keeps what went out. A recipient counts as done when the record has them ``sent`` for that
message; a re-run sends to everyone else (failed or never tried), ``--resend`` to everyone.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmo_nb.exceptions import MailError

__all__ = ["SENT_NAME", "RECORD_VERSION", "SentRecord", "keep_record"]

SENT_NAME = "sent.json"
RECORD_VERSION = 1


@dataclass
class SentRecord:
    """The record of one month: ``messages[key]`` has the attachment, its hash, subject and recipients."""

    path: Path
    period: str
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path, period: str) -> SentRecord:
        """The month's record (an empty one when nothing was sent yet)."""
        path = folder / SENT_NAME
        if not path.exists():
            return cls(path, period)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            messages = data["messages"]
            if not isinstance(messages, dict) or not all(isinstance(m, dict) for m in messages.values()):
                raise TypeError("messages is not a mapping of messages")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MailError(f"{path} is not a send record ({exc}): move it aside and pass --resend to send the "
                            "month again, or restore it", path=str(path)) from None
        return cls(path, period, messages)

    def sent_to(self, key: str) -> dict[str, dict[str, Any]]:
        """Recipients of message ``key`` recorded as sent: address -> {at, sha256}."""
        recipients = self.messages.get(key, {}).get("recipients", {})
        return {a: r for a, r in recipients.items() if isinstance(r, dict) and r.get("status") == "sent"}

    def note(self, key: str, *, attachment: str, subject: str, address: str, status: str, at: str, sha256: str,
             error: str = "") -> None:
        """Record one recipient's outcome for message ``key``."""
        entry = self.messages.setdefault(key, {"attachment": attachment, "recipients": {}})
        entry["attachment"], entry["subject"] = attachment, subject
        item: dict[str, Any] = {"status": status, "at": at, "sha256": sha256}
        if error:
            item["error"] = error
        entry.setdefault("recipients", {})[address] = item

    def write(self) -> Path:
        """Write the record atomically (``.sent.json.part`` then a rename)."""
        data = {"record_version": RECORD_VERSION, "period": self.period,
                "messages": {k: self.messages[k] for k in sorted(self.messages)}}
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
