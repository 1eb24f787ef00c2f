"""Where messages go: an SMTP server (STARTTLS, then AUTH) or, for ``--dry-run``, ``.eml`` files in a folder.

Each transport delivers one message to a list of envelope recipients and returns the refusals by address, so a
refused recipient never stops the others. The password is passed in, used for ``AUTH`` and never stored, printed or
put in an error message.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from types import TracebackType
from typing import Protocol

from pmo_nb.config import EmailConfig
from pmo_nb.exceptions import MailError

__all__ = ["Transport", "SmtpTransport", "EmlFolder"]


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}".strip()


class Transport(Protocol):
    def deliver(self, message: EmailMessage, recipients: list[str], name: str) -> dict[str, str]:
        """Send ``message`` to ``recipients``; return ``{address: why}`` for those refused."""
        ...


class SmtpTransport:
    """One SMTP session for a whole send: connect, EHLO, STARTTLS, EHLO, AUTH; QUIT when leaving the block."""

    def __init__(self, config: EmailConfig, password: str | None) -> None:
        self.config = config
        self._password = password
        self._smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def __enter__(self) -> SmtpTransport:
        cfg = self.config
        try:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"cannot reach the SMTP server {self.where}: {_why(exc)}; check [email] host and port",
                            host=cfg.host) from None
        self._smtp = smtp
        try:
            smtp.ehlo()
            if cfg.starttls:
                if not smtp.has_extn("starttls"):
                    raise MailError(f"the SMTP server {self.where} does not offer STARTTLS: use its submission "
                                    "port (usually 587), or set [email] starttls = false for a trusted relay",
                                    host=cfg.host)
                context = ssl.create_default_context(cafile=cfg.cafile or None)
                smtp.starttls(context=context)
                smtp.ehlo()
            if cfg.username:
                smtp.login(cfg.username, self._password or "")
        except MailError:
            self._close()
            raise
        except smtplib.SMTPAuthenticationError as exc:
            self._close()
            raise MailError(f"the SMTP server {self.where} refused the login of {cfg.username!r} "
                            f"({_reply(exc.smtp_code, exc.smtp_error)}): check [email] username and the password "
                            f"in the environment variable {cfg.password_env}", host=cfg.host) from None
        except ssl.SSLError as exc:
            self._close()
            raise MailError(f"TLS with the SMTP server {self.where} failed: {exc.reason or exc}; if the server "
                            "uses a private certificate authority, point [email] cafile at its certificate",
                            host=cfg.host) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            raise MailError(f"the SMTP server {self.where} failed before sending: {_why(exc)}", host=cfg.host) \
                from None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._close()

    def _close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def deliver(self, message: EmailMessage, recipients: list[str], name: str) -> dict[str, str]:
        if self._smtp is None:
            return {r: "the connection to the SMTP server was lost" for r in recipients}
        envelope = [parseaddr(r)[1] for r in recipients]
        back = dict(zip(envelope, recipients, strict=True))
        try:
            refused = self._smtp.send_message(message, to_addrs=envelope)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except smtplib.SMTPResponseException as exc:  # the sender or the message refused: nobody got it
            return {r: _reply(exc.smtp_code, exc.smtp_error) for r in recipients}
        except (OSError, smtplib.SMTPException) as exc:  # connection lost: the rest of the run fails fast
            self._close()
            return {r: _why(exc) for r in recipients}
        return {back.get(addr, addr): _reply(code, msg) for addr, (code, msg) in refused.items()}


class EmlFolder:
    """``--dry-run DIR``: each message written as ``DIR/<name>.eml``, nothing sent."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []

    def __enter__(self) -> EmlFolder:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MailError(f"cannot create the dry-run folder {self.folder}: {exc.strerror or exc}",
                            path=str(self.folder)) from None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def deliver(self, message: EmailMessage, recipients: list[str], name: str) -> dict[str, str]:
        path = self.folder / f"{name}.eml"
        try:
            path.write_bytes(message.as_bytes())
        except OSError as exc:
            return {r: f"cannot write {path}: {exc.strerror or exc}" for r in recipients}
        self.written.append(path)
        return {}


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
