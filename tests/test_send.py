"""pmo-nb send against a real SMTP server on loopback (aiosmtpd with STARTTLS and AUTH), and its dry run.

The fast tests build a month folder by hand (small PDFs, a manifest, kpis.csv) and a small source with contacts;
the slow test sends a month that ``pmo-nb run`` built from the sample.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import logging
import os
import shutil
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from pmo_nb.cli import cli
from pmo_nb.config import load_config
from pmo_nb.exceptions import ConfigError, MailError
from pmo_nb.periods import Period
from pmo_nb.publish.mail import Attachment, Contacts, Outgoing, normalise_name, send_month
from pmo_nb.publish.mail.plan import subject_of

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

PASSWORD = "s3cret-Pa55-xyzzy"
USER = "pmo-bot"
PERIOD = Period("2026-10")


# ------------------------------------------------------------------------------------------- the SMTP server


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made with ``openssl req``."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, crt = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(crt), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return crt, key


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Handler:
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data if session.authenticated else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content),
                                      session.ssl is not None, login))
        return "250 Message accepted"


class Authenticator:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.handler.logins.append((mechanism, login))
        ok = login == USER and password == PASSWORD
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)


@dataclass
class Server:
    handler: Handler
    port: int
    cafile: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server(cert: tuple[Path, Path]):
    crt, key = cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(crt, key)
    handler = Handler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=Authenticator(handler), auth_required=True, auth_require_tls=True)
    controller.start()
    try:
        yield Server(handler, port, crt)
    finally:
        controller.stop()


# ------------------------------------------------------------------------------------------- a month by hand

PROGRAMS = [  # id, name, sponsor, manager: Ana manages A and D, Bo manages B and sponsors D, Sofia sponsors A and B
    ("PRG-A", "Alpha Programme", "Sofia Ruiz", "Ana Lima"),
    ("PRG-B", "Beta Programme", "Sofia Ruiz", "Bo Chen"),
    ("PRG-C", "Gamma Programme", "Carl Weiss", "Cy Park"),
    ("PRG-D", "Delta Programme", "Bo Chen", "Ana Lima"),
]
CONTACTS: list[tuple[str, str | None, str]] = [  # as a PMO might type them: other case, extra spaces
    ("ana  LIMA", "ana.lima@example.org", "Program manager"),
    (" Bo Chen", "bo.chen@example.org", "Program manager"),
    ("Sofia Ruiz", "sofia.ruiz@example.org", "Sponsor"),
    ("Cy Park", "cy.park@example.org", "Program manager"),
]  # Carl Weiss (PRG-C's sponsor) has no address


def _pdf(seed: str) -> bytes:
    """A small PDF-like file with every byte value (an attachment that a lossy encoding would break)."""
    return b"%PDF-1.4\n" + bytes(range(256)) * 3 + hashlib.sha256(seed.encode()).digest() + b"\n%%EOF\n"


def make_source(folder: Path, contacts: list[tuple[str, str | None, str]] | None = CONTACTS,
                programs: list[tuple[str, str, str, str]] = PROGRAMS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(programs, columns=["program_id", "name", "sponsor", "manager"]).to_csv(folder / "programs.csv",
                                                                                       index=False)
    pd.DataFrame([(f"P-{p[0][-1]}", p[0], f"Project {p[0][-1]}", "Pat Doe", "2026-01-01", "2027-06-30", 1000.0)
                  for p in PROGRAMS],
                 columns=["project_id", "program_id", "name", "manager", "baseline_start", "baseline_finish",
                          "budget"]).to_csv(folder / "projects.csv", index=False)
    if contacts is not None:
        pd.DataFrame(contacts, columns=["name", "email", "role"]).to_csv(folder / "contacts.csv", index=False)
    return folder


def make_month(out: Path, source: Path, *, failed: tuple[str, ...] = ("PRG-C",)) -> Path:
    """OUT/2026-10 with PRG-A/B/C/D reports (those in ``failed`` failed in the run), the pack, kpis.csv, manifest."""
    month = out / PERIOD
    month.mkdir(parents=True)
    reports: list[dict[str, Any]] = []
    for pid, *_ in PROGRAMS:
        if pid in failed:
            reports.append({"name": pid, "kind": "program", "status": "failed", "outputs": {}})
            continue
        (month / f"{pid}.pdf").write_bytes(_pdf(pid))
        reports.append({"name": pid, "kind": "program", "status": "ok",
                        "outputs": {"pdf": {"path": f"{pid}.pdf",
                                            "sha256": hashlib.sha256(_pdf(pid)).hexdigest()}}})
    (month / "portfolio.pdf").write_bytes(_pdf("portfolio"))
    reports.insert(0, {"name": "portfolio", "kind": "portfolio", "status": "ok",
                       "outputs": {"pdf": {"path": "portfolio.pdf", "sha256": ""}}})
    pack = f"executive-pack-{PERIOD}.pdf"
    (month / pack).write_bytes(_pdf("pack"))
    manifest = {"period": PERIOD, "source": str(source), "reports": reports,
                "pack": {"path": pack, "status": "ok", "sha256": hashlib.sha256(_pdf("pack")).hexdigest()}}
    (month / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    pd.DataFrame([
        (PERIOD, "portfolio", "portfolio", "PMO", "red", "2 programs red"),
        (PERIOD, "program", "PRG-A", "Alpha Programme", "red", "CPI 0.81 < 0.90"),
        (PERIOD, "program", "PRG-B", "Beta Programme", "green", ""),
        (PERIOD, "program", "PRG-C", "Gamma Programme", "amber", "1 milestone missed"),
        (PERIOD, "program", "PRG-D", "Delta Programme", "amber", "SPI 0.88 < 0.95"),
    ], columns=["period", "level", "id", "name", "rag", "rag_reason"]).to_csv(month / "kpis.csv", index=False)
    return month


def write_config(path: Path, server: Server | None, **extra: str) -> Path:
    lines = ['organisation = "Acme PMO"', "[email]"]
    if server is not None:
        lines += ['host = "127.0.0.1"', f"port = {server.port}", f'cafile = "{server.cafile}"']
    lines += ['from = "Acme PMO <pmo@example.org>"', f'username = "{USER}"',
              'pack_to = ["CEO <ceo@example.org>", "Sofia.Ruiz@example.org"]']  # Sofia also sponsors A and B
    lines += [f"{k} = {v}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, Path]:
    source = make_source(tmp_path / "data")
    month = make_month(tmp_path / "reports", source)
    return {"root": tmp_path, "source": source, "out": tmp_path / "reports", "month": month}


def run_send(args: list[str], env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, ["send", *args], env=env, catch_exceptions=False)


def _all_text(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def _eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _attached(msg: email.message.EmailMessage) -> dict[str, bytes]:
    return {str(part.get_filename()): part.get_content() for part in msg.iter_attachments()}


def _body(msg: email.message.EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def _sent(result: Any) -> dict[str, tuple[str, ...]]:
    """Address -> attachment keys of each message sent or written (one per recipient)."""
    return {d.address: d.keys for d in result.messages}


# With --cc-sponsors and PRG-C failed in the run, worked out by hand from PROGRAMS and pack_to:
#   Ana manages A and D; Sofia sponsors A and B and is on pack_to; Bo manages B and sponsors D; the CEO gets the pack.
#   Each person one message, in the order they first appear (A's manager, A's sponsor, B's manager, ..., pack_to).
WITH_SPONSORS = {
    "ana.lima@example.org": ("PRG-A", "PRG-D"),
    "sofia.ruiz@example.org": ("PRG-A", "PRG-B", "executive-pack"),
    "bo.chen@example.org": ("PRG-B", "PRG-D"),
    "ceo@example.org": ("executive-pack",),
}
MANAGERS_ONLY = {  # without --cc-sponsors: Sofia gets only the pack, Bo only B
    "ana.lima@example.org": ("PRG-A", "PRG-D"),
    "bo.chen@example.org": ("PRG-B",),
    "ceo@example.org": ("executive-pack",),
    "Sofia.Ruiz@example.org": ("executive-pack",),  # as pack_to writes it
}


# ------------------------------------------------------------------------------------------- units


@pytest.mark.parametrize(("raw", "expected"), [
    ("Ana Lima", "ana lima"), ("  ana   LIMA ", "ana lima"), ("ANA\tLima", "ana lima"), ("Zoë  Ørsted", "zoë ørsted"),
])
def test_names_match_ignoring_case_and_spaces(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_contacts_bad_address_and_a_name_given_twice_are_findings() -> None:
    frame = pd.DataFrame({"name": ["Ana Lima", "Bo Chen", "bo  chen", "Cy Park", "Di Roy"],
                          "email": ["ana@example.org", "bo@example.org", "bo.other@example.org", "not-an-address",
                                    None]})
    contacts = Contacts.from_frame(frame, "contacts.csv")
    assert contacts.address("ANA lima") == "ana@example.org"
    assert contacts.address("Bo Chen") is None  # two addresses: neither is used
    assert contacts.address("Cy Park") is None and contacts.address("Di Roy") is None
    rows = sorted((f.row, f.column) for f in contacts.findings)
    assert rows == [(4, "name"), (5, "email"), (6, "email")]
    assert "bo@example.org, bo.other@example.org" in str(contacts.findings[0])


@pytest.mark.parametrize(("toml", "key", "words"), [
    ('[email]\npassword = "x"', "email.password", "PMO_NB_SMTP_PASSWORD"),
    ('[email]\nfrom = "nobody"', "email.from", "not an e-mail address"),
    ('[email]\npack_to = ["ceo@example.org", "cfo"]', "email.pack_to[1]", "not an e-mail address"),
    ('[email]\nport = 70000', "email.port", "outside"),
    ('[email]\nstarttls = "yes"', "email.starttls", "true or false"),
    ('[email]\ncafile = "/nonexistent/ca.pem"', "email.cafile", "not a file"),
    ('[email]\nhots = "smtp"', "email.hots", "unknown key"),
])
def test_email_config_errors_name_the_key(tmp_path: Path, toml: str, key: str, words: str) -> None:
    path = tmp_path / "pmo.toml"
    path.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == key and words in str(info.value)


def test_email_config_defaults_and_values(tmp_path: Path) -> None:
    assert load_config(None).email.port == 587 and load_config(None).email.starttls is True
    cfg = load_config(write_config(tmp_path / "pmo.toml", None, port="2525", starttls="false"))
    assert (cfg.email.from_, cfg.email.port, cfg.email.starttls, cfg.email.pack_to, cfg.email.password_env) == (
        "Acme PMO <pmo@example.org>", 2525, False, ("CEO <ceo@example.org>", "Sofia.Ruiz@example.org"),
        "PMO_NB_SMTP_PASSWORD")


def test_sample_contacts_cover_every_manager_and_sponsor() -> None:
    from pmo_nb.data import sample

    tables = sample.generate()
    contacts = Contacts.from_frame(tables["contacts"])
    assert contacts.findings == ()
    for program in tables["programs"].itertuples():
        assert contacts.address(program.manager) is not None and contacts.address(program.sponsor) is not None
    assert contacts.address("Jana Dvořák") is None  # not a program's manager or sponsor in the sample
    assert sample.catalogue.email_of("Jana Dvořák") == "jana.dvorak@example.org"
    assert sample.catalogue.email_of("Daniel O'Connor") == "daniel.oconnor@example.org"


# ------------------------------------------------------------------------------------------- subjects


def _attachment(key: str, short: str, kind: str = "program") -> Attachment:
    return Attachment(key, kind, Path(f"{key}.pdf"), "0" * 64, short, "", short)  # type: ignore[arg-type]


@pytest.mark.parametrize(("shorts", "expected"), [
    (["Alpha"], "Acme PMO: Alpha report, October 2026"),
    (["executive pack"], "Acme PMO: executive pack, October 2026"),
    (["Alpha", "Beta"], "Acme PMO: Alpha and Beta, October 2026"),
    (["Alpha", "Beta", "Gamma", "executive pack"], "Acme PMO: Alpha, Beta, Gamma and executive pack, October 2026"),
    (["A1", "A2", "A3", "A4", "executive pack"], "Acme PMO: A1, A2, A3 and 2 more, October 2026"),
])
def test_subject_names_the_month_and_what_is_attached(shorts: list[str], expected: str) -> None:
    attachments = tuple(_attachment(f"K{i}", s, "pack" if s == "executive pack" else "program")
                        for i, s in enumerate(shorts))
    assert subject_of(Outgoing("x@example.org", "", attachments), "Acme  PMO", PERIOD) == expected


# ------------------------------------------------------------------------------------------- dry run


def test_dry_run_writes_one_eml_per_recipient_with_everything_addressed_to_them(workspace: dict[str, Path]) -> None:
    cfg = write_config(workspace["root"] / "pmo.toml", None)
    outbox = workspace["root"] / "outbox"
    res = run_send(["--out", str(workspace["out"]), "--period", "2026-10", "--config", str(cfg), "--cc-sponsors",
                    "--dry-run", str(outbox)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in outbox.iterdir()) == sorted(f"{a}.eml" for a in WITH_SPONSORS)
    files = {"PRG-A": "PRG-A-2026-10.pdf", "PRG-B": "PRG-B-2026-10.pdf", "PRG-D": "PRG-D-2026-10.pdf",
             "executive-pack": "executive-pack-2026-10.pdf"}
    content = {"PRG-A": _pdf("PRG-A"), "PRG-B": _pdf("PRG-B"), "PRG-D": _pdf("PRG-D"), "executive-pack": _pdf("pack")}
    for address, keys in WITH_SPONSORS.items():
        msg = _eml(outbox / f"{address}.eml")
        assert msg["To"].addresses[0].addr_spec == address
        assert _attached(msg) == {files[k]: content[k] for k in keys}  # each PDF once, byte for byte
    sofia = _eml(outbox / "sofia.ruiz@example.org.eml")
    assert sofia["To"] == "Sofia Ruiz <sofia.ruiz@example.org>"
    assert sofia["Subject"] == "Acme PMO: Alpha Programme, Beta Programme and executive pack, October 2026"
    assert _body(sofia) == (
        "Dear Sofia Ruiz,\n\n"
        "Your PMO reports for October 2026 are attached:\n\n"
        "- PRG-A-2026-10.pdf: Alpha Programme (PRG-A), which you sponsor. Status: RED: CPI 0.81 < 0.90.\n"
        "- PRG-B-2026-10.pdf: Beta Programme (PRG-B), which you sponsor. Status: GREEN.\n"
        "- executive-pack-2026-10.pdf: the executive pack. 4 programs: 1 red, 2 amber, 1 green.\n\n"
        "Acme PMO\n")
    ana = _eml(outbox / "ana.lima@example.org.eml")
    assert ana["Subject"] == "Acme PMO: Alpha Programme and Delta Programme, October 2026"
    assert "- PRG-D-2026-10.pdf: Delta Programme (PRG-D), which you manage. Status: AMBER: SPI 0.88 < 0.95.\n" in \
        _body(ana)
    bo = _eml(outbox / "bo.chen@example.org.eml")
    assert "Beta Programme (PRG-B), which you manage." in _body(bo)
    assert "Delta Programme (PRG-D), which you sponsor." in _body(bo)
    ceo = _eml(outbox / "ceo@example.org.eml")
    assert ceo["To"] == "CEO <ceo@example.org>" and ceo["Subject"] == "Acme PMO: executive pack, October 2026"
    assert _body(ceo).startswith("Dear CEO,\n\nYour PMO report for October 2026 is attached:\n\n")
    assert ("4 messages (one per recipient, 8 PDFs attached) for 2026-10 written to "
            f"{outbox}; nothing was sent") in res.stdout
    # PRG-C failed in the run: said once, not sent; the month folder is untouched (no record from a dry run)
    assert "PRG-C: its report failed in the run" in res.stderr
    assert not (workspace["month"] / "sent.json").exists()


def test_dry_run_defaults_to_the_latest_month_and_an_outbox(workspace: dict[str, Path]) -> None:
    cfg = write_config(workspace["root"] / "pmo.toml", None)
    (workspace["out"] / "2026-09").mkdir()  # no manifest: not a published month
    res = run_send(["--out", str(workspace["out"]), "--config", str(cfg), "--dry-run"])
    assert res.exit_code == 0, res.output
    outbox = workspace["out"] / "outbox" / "2026-10"
    assert sorted(p.name for p in outbox.iterdir()) == sorted(f"{a.lower()}.eml" for a in MANAGERS_ONLY)
    for address, keys in MANAGERS_ONLY.items():
        assert len(_attached(_eml(outbox / f"{address.lower()}.eml"))) == len(keys)


def test_dry_run_that_cannot_write_a_message_says_so(workspace: dict[str, Path]) -> None:
    outbox = workspace["root"] / "outbox"
    (outbox / "ana.lima@example.org.eml").mkdir(parents=True)  # a folder where the file would go
    res = run_send(["--out", str(workspace["out"]), "--dry-run", str(outbox)])
    assert res.exit_code == 1
    assert "not written: ana.lima@example.org (PRG-A, PRG-D): cannot write" in res.stderr
    assert (outbox / "bo.chen@example.org.eml").is_file()


def test_a_name_without_address_is_a_warning_and_the_others_still_get_it(workspace: dict[str, Path]) -> None:
    source = make_source(workspace["root"] / "data2", contacts=[c for c in CONTACTS if c[0] != " Bo Chen"])
    month = make_month(workspace["root"] / "r2", source, failed=())
    cfg = write_config(workspace["root"] / "pmo.toml", None)
    result = send_month(month.parent, PERIOD, config=cfg, cc_sponsors=True, dry_run=workspace["root"] / "o")
    text = [str(f) for f in result.findings]
    assert sum("has no e-mail address" in t for t in text) == 3
    assert any("PRG-B manager ('Bo Chen') has no e-mail address" in t for t in text)
    assert any("PRG-D sponsor ('Bo Chen') has no e-mail address" in t for t in text)
    assert any("PRG-C sponsor ('Carl Weiss') has no e-mail address" in t for t in text)
    assert _sent(result) == {  # B still goes to its sponsor, C to its manager
        "ana.lima@example.org": ("PRG-A", "PRG-D"),
        "sofia.ruiz@example.org": ("PRG-A", "PRG-B", "executive-pack"),
        "cy.park@example.org": ("PRG-C",),
        "ceo@example.org": ("executive-pack",),
    }


def test_manager_also_sponsor_gets_each_pdf_once_and_names_stay_on_one_line(workspace: dict[str, Path]) -> None:
    programs = [("PRG-A", "Alpha\nProgramme", "Ana Lima", "ana lima"), *PROGRAMS[1:]]
    contacts = [*CONTACTS, ("Carl Weiss", None, "Sponsor")]  # an empty address: a warning, never a load error
    source = make_source(workspace["root"] / "d5", contacts=contacts, programs=programs)
    result = send_month(workspace["out"], PERIOD, source=str(source), cc_sponsors=True,
                        dry_run=workspace["root"] / "o5")
    assert _sent(result) == {"ana.lima@example.org": ("PRG-A", "PRG-D"), "sofia.ruiz@example.org": ("PRG-B",),
                             "bo.chen@example.org": ("PRG-B", "PRG-D")}  # no pack_to without a config
    msg = _eml(workspace["root"] / "o5" / "ana.lima@example.org.eml")
    assert msg["Subject"] == "PMO: Alpha Programme and Delta Programme, October 2026"
    assert list(_attached(msg)) == ["PRG-A-2026-10.pdf", "PRG-D-2026-10.pdf"]
    assert "- PRG-A-2026-10.pdf: Alpha Programme (PRG-A), which you manage and sponsor. Status: RED" in _body(msg)
    assert any(f.row == 6 and "no e-mail address for 'Carl Weiss'" in str(f) for f in result.findings)


def test_no_contacts_table_is_one_finding(workspace: dict[str, Path]) -> None:
    source = make_source(workspace["root"] / "data3", contacts=None)
    result = send_month(workspace["out"], PERIOD, source=str(source), config=None,
                        dry_run=workspace["root"] / "o3")
    assert any("no contacts table" in str(f) for f in result.findings)
    assert result.deliveries == []


def test_an_altered_pdf_is_not_sent(workspace: dict[str, Path]) -> None:
    (workspace["month"] / "PRG-A.pdf").write_bytes(b"%PDF-1.4 changed")
    result = send_month(workspace["out"], PERIOD, dry_run=workspace["root"] / "o4")
    assert any("PRG-A: " in n and "changed after the run" in n for n in result.notes)
    assert _sent(result) == {"ana.lima@example.org": ("PRG-D",), "bo.chen@example.org": ("PRG-B",)}


def test_a_version_1_record_is_read_per_recipient_and_attachment(workspace: dict[str, Path]) -> None:
    """A sent.json written before messages were grouped by recipient (one entry per report) still counts."""
    old = {"record_version": 1, "period": PERIOD, "messages": {"PRG-A": {
        "attachment": "PRG-A.pdf", "subject": "Acme PMO: Alpha Programme report, October 2026",
        "recipients": {"Ana.Lima@example.org": {"status": "sent", "at": "2026-11-02T07:00:00+00:00",
                                                "sha256": hashlib.sha256(_pdf("PRG-A")).hexdigest()},
                       "sofia.ruiz@example.org": {"status": "failed", "at": "2026-11-02T07:00:00+00:00",
                                                  "sha256": "", "error": "550 no"}}}}}
    (workspace["month"] / "sent.json").write_text(json.dumps(old), encoding="utf-8")
    result = send_month(workspace["out"], PERIOD, cc_sponsors=True, dry_run=workspace["root"] / "o6")
    assert _sent(result) == {"ana.lima@example.org": ("PRG-D",), "sofia.ruiz@example.org": ("PRG-A", "PRG-B"),
                             "bo.chen@example.org": ("PRG-B", "PRG-D")}
    assert [(d.address, d.keys, d.reason) for d in result.deliveries if d.status == "skipped"] == [
        ("ana.lima@example.org", ("PRG-A",), "on 2026-11-02T07:00:00+00:00")]


def test_no_published_month_is_one_line(tmp_path: Path) -> None:
    res = run_send(["--out", str(tmp_path / "nothing"), "--dry-run", str(tmp_path / "o")])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1 and "run `pmo-nb run` first" in res.stderr
    res = run_send(["--out", str(tmp_path), "--period", "2026-13"])
    assert res.exit_code == 2 and "Traceback" not in res.output


# ------------------------------------------------------------------------------------------- over SMTP


def test_send_over_starttls_and_auth_one_message_per_recipient(workspace: dict[str, Path], smtp_server: Server,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cfg = write_config(workspace["root"] / "pmo.toml", smtp_server)
    env = {"PMO_NB_SMTP_PASSWORD": PASSWORD}
    res = run_send(["--out", str(workspace["out"]), "--period", "2026-10", "--config", str(cfg), "--cc-sponsors"],
                   env=env)
    assert res.exit_code == 0, res.output
    received = smtp_server.handler.received
    assert [r.rcpt_tos for r in received] == [[a] for a in WITH_SPONSORS]  # one message each, in order
    assert all(r.tls and r.login == USER and r.mail_from == "pmo@example.org" for r in received)
    assert smtp_server.handler.logins and {m for m, _ in smtp_server.handler.logins} <= {"LOGIN", "PLAIN"}
    names = {"PRG-A": "PRG-A-2026-10.pdf", "PRG-B": "PRG-B-2026-10.pdf", "PRG-D": "PRG-D-2026-10.pdf",
             "executive-pack": "executive-pack-2026-10.pdf"}
    seeds = {"PRG-A": "PRG-A", "PRG-B": "PRG-B", "PRG-D": "PRG-D", "executive-pack": "pack"}
    for r in received:
        keys = WITH_SPONSORS[r.rcpt_tos[0]]
        got = {name: hashlib.sha256(data).hexdigest() for name, data in _attached(r.message).items()}
        assert got == {names[k]: hashlib.sha256(_pdf(seeds[k])).hexdigest() for k in keys}  # intact, each once
    assert received[1].message["Subject"] == (
        "Acme PMO: Alpha Programme, Beta Programme and executive pack, October 2026")
    record = json.loads((workspace["month"] / "sent.json").read_text(encoding="utf-8"))
    assert record["record_version"] == 2
    assert {a: tuple(r["attachments"]) for a, r in record["recipients"].items()} == {
        a: tuple(sorted(k)) for a, k in WITH_SPONSORS.items()}
    pack = record["recipients"]["sofia.ruiz@example.org"]["attachments"]["executive-pack"]
    assert (pack["status"], pack["file"], pack["sha256"]) == (
        "sent", "executive-pack-2026-10.pdf", hashlib.sha256(_pdf("pack")).hexdigest())
    assert "4 messages sent for 2026-10 (one per recipient, 8 PDFs attached)" in res.stdout
    # the password is in no output and no file written
    assert PASSWORD not in res.output and PASSWORD not in caplog.text
    assert PASSWORD.encode() not in _all_text(workspace["root"])


def test_a_refused_recipient_is_reported_while_the_others_go_out_then_retried(
        workspace: dict[str, Path], smtp_server: Server) -> None:
    cfg = write_config(workspace["root"] / "pmo.toml", smtp_server)
    env = {"PMO_NB_SMTP_PASSWORD": PASSWORD}
    args = ["--out", str(workspace["out"]), "--config", str(cfg), "--cc-sponsors"]
    smtp_server.handler.refuse = {"bo.chen@example.org"}
    res = run_send(args, env=env)
    assert res.exit_code == 1
    refused = [line for line in res.stderr.splitlines() if line.startswith("refused:")]
    assert refused == ["refused: bo.chen@example.org (PRG-B, PRG-D): 550 5.1.1 mailbox unavailable"]
    assert "1 of 4 recipients refused for 2026-10" in res.stderr
    assert sorted(a for r in smtp_server.handler.received for a in r.rcpt_tos) == [
        "ana.lima@example.org", "ceo@example.org", "sofia.ruiz@example.org"]
    record = json.loads((workspace["month"] / "sent.json").read_text(encoding="utf-8"))
    bo = record["recipients"]["bo.chen@example.org"]["attachments"]
    assert {k: (v["status"], v["error"]) for k, v in bo.items()} == {
        "PRG-B": ("failed", "550 5.1.1 mailbox unavailable"), "PRG-D": ("failed", "550 5.1.1 mailbox unavailable")}
    # the mailbox works again: a re-run sends only what failed, in one message
    smtp_server.handler.refuse = set()
    smtp_server.handler.received.clear()
    res = run_send(args, env=env)
    assert res.exit_code == 0, res.output
    assert [(r.message["Subject"], r.rcpt_tos, sorted(_attached(r.message))) for r in smtp_server.handler.received] \
        == [("Acme PMO: Beta Programme and Delta Programme, October 2026", ["bo.chen@example.org"],
             ["PRG-B-2026-10.pdf", "PRG-D-2026-10.pdf"])]
    assert ("1 message sent for 2026-10 (one per recipient, 2 PDFs attached); 6 PDFs already sent before "
            "(--resend sends again)") in res.stdout
    # once more: nothing left to send
    smtp_server.handler.received.clear()
    res = run_send(args, env=env)
    assert res.exit_code == 0 and smtp_server.handler.received == []
    assert "0 messages sent for 2026-10 (one per recipient, 0 PDFs attached); 8 PDFs already sent before" in res.stdout
    # --resend: everyone again
    res = run_send([*args, "--resend", "--quiet"], env=env)
    assert res.exit_code == 0 and res.stdout == ""
    assert len(smtp_server.handler.received) == 4
    assert PASSWORD.encode() not in _all_text(workspace["root"])


def test_a_report_added_later_goes_alone_to_those_who_had_the_rest(workspace: dict[str, Path],
                                                                  smtp_server: Server) -> None:
    """PRG-D failed in the first run and was sent later: its manager and sponsor get it alone, nobody gets A twice."""
    shutil.rmtree(workspace["month"])
    month = make_month(workspace["out"], workspace["source"], failed=("PRG-C", "PRG-D"))
    cfg = write_config(workspace["root"] / "pmo.toml", smtp_server)
    env = {"PMO_NB_SMTP_PASSWORD": PASSWORD}
    first = send_month(workspace["out"], PERIOD, config=cfg, cc_sponsors=True, environ=env)
    assert _sent(first) == {"ana.lima@example.org": ("PRG-A",),
                            "sofia.ruiz@example.org": ("PRG-A", "PRG-B", "executive-pack"),
                            "bo.chen@example.org": ("PRG-B",), "ceo@example.org": ("executive-pack",)}
    record = (month / "sent.json").read_bytes()
    shutil.rmtree(month)  # the month run again with PRG-D fixed; the run keeps sent.json
    make_month(workspace["out"], workspace["source"], failed=("PRG-C",))
    (month / "sent.json").write_bytes(record)
    smtp_server.handler.received.clear()
    second = send_month(workspace["out"], PERIOD, config=cfg, cc_sponsors=True, environ=env)
    assert _sent(second) == {"ana.lima@example.org": ("PRG-D",), "bo.chen@example.org": ("PRG-D",)}
    ana = smtp_server.handler.received[0].message
    assert ana["Subject"] == "Acme PMO: Delta Programme report, October 2026"
    assert list(_attached(ana)) == ["PRG-D-2026-10.pdf"] and "PRG-A" not in _body(ana)
    assert len([d for d in second.deliveries if d.status == "skipped"]) == 6


def test_wrong_password_is_one_line_without_the_password(workspace: dict[str, Path], smtp_server: Server) -> None:
    cfg = write_config(workspace["root"] / "pmo.toml", smtp_server)
    res = run_send(["--out", str(workspace["out"]), "--config", str(cfg)], env={"PMO_NB_SMTP_PASSWORD": "wrong-pw-42"})
    assert res.exit_code == 1
    assert res.stderr.startswith("error: the SMTP server 127.0.0.1:") and "refused the login of 'pmo-bot'" in res.stderr
    assert "wrong-pw-42" not in res.output and smtp_server.handler.received == []
    assert not (workspace["month"] / "sent.json").exists()


def test_missing_password_or_host_is_one_line(workspace: dict[str, Path], smtp_server: Server) -> None:
    cfg = write_config(workspace["root"] / "pmo.toml", smtp_server)
    env = {k: v for k, v in os.environ.items() if k != "PMO_NB_SMTP_PASSWORD"}
    with pytest.raises(MailError, match="PMO_NB_SMTP_PASSWORD is not set"):
        send_month(workspace["out"], PERIOD, config=cfg, environ=env)
    res = run_send(["--out", str(workspace["out"]), "--config", str(write_config(workspace["root"] / "b.toml", None))],
                   env={"PMO_NB_SMTP_PASSWORD": PASSWORD})
    assert res.exit_code == 1 and "[email] host is not set" in res.stderr and res.stderr.count("\n") == 1


def test_the_workspace_config_is_used_without_config(workspace: dict[str, Path], smtp_server: Server,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from a workspace (a folder with pmo.toml), `pmo-nb send` takes its [email] as `pmo-nb run` does."""
    from pmo_nb.contract import WORKSPACE_ENV

    write_config(workspace["root"] / "pmo.toml", smtp_server)
    monkeypatch.chdir(workspace["root"])
    monkeypatch.setenv(WORKSPACE_ENV, "")  # found from the current folder; the CLI sets it, monkeypatch undoes it
    res = run_send(["--out", "reports"], env={"PMO_NB_SMTP_PASSWORD": PASSWORD})
    assert res.exit_code == 0, res.output
    assert sorted(a for r in smtp_server.handler.received for a in r.rcpt_tos) == sorted(MANAGERS_ONLY)


def test_one_refused_recipient_among_many(workspace: dict[str, Path], smtp_server: Server) -> None:
    cfg = write_config(workspace["root"] / "pmo.toml", smtp_server)
    smtp_server.handler.refuse = {"ana.lima@example.org"}
    result = send_month(workspace["out"], PERIOD, config=cfg, environ={"PMO_NB_SMTP_PASSWORD": PASSWORD})
    assert [(d.address, d.keys) for d in result.failed] == [("ana.lima@example.org", ("PRG-A", "PRG-D"))]
    assert {d.address: d.keys for d in result.deliveries if d.status == "sent"} == {
        a: k for a, k in MANAGERS_ONLY.items() if a != "ana.lima@example.org"}


# ------------------------------------------------------------------------------------------- a real month


@pytest.fixture
def reports(sample_month: Path, tmp_path: Path) -> Path:
    """A reports folder holding a copy of the session's real sample month (conftest.sample_month): send writes
    sent.json into it and the test runs a program of the month again."""
    out = tmp_path / "reports"
    shutil.copytree(sample_month, out / sample_month.name)
    return out


@pytest.mark.slow
def test_sample_month_dry_run_and_send(reports: Path, smtp_server: Server, tmp_path: Path) -> None:
    from pmo_nb.data import sample

    outbox = tmp_path / "outbox"
    res = run_send(["--out", str(reports), "--dry-run", str(outbox)])
    assert res.exit_code == 0, res.output
    manifest = json.loads((reports / "2026-10" / "manifest.json").read_text(encoding="utf-8"))
    programs = sorted(r["name"] for r in manifest["reports"] if r["kind"] == "program")
    tables = sample.generate()
    contacts = Contacts.from_frame(tables["contacts"])
    managed: dict[str, list[str]] = {}  # each manager's address -> the programs they manage, from the sample's tables
    for row in tables["programs"].itertuples():
        if row.program_id in programs:
            managed.setdefault(str(contacts.address(row.manager)), []).append(str(row.program_id))
    assert sorted(p.stem for p in outbox.glob("*.eml")) == sorted(managed)
    for address, pids in managed.items():
        msg = _eml(outbox / f"{address}.eml")
        assert _attached(msg) == {f"{pid}-2026-10.pdf": (reports / "2026-10" / f"{pid}.pdf").read_bytes()
                                  for pid in pids}
        assert msg["Subject"].startswith("PMO: ") and msg["Subject"].endswith(", October 2026")
    cfg = write_config(tmp_path / "pmo.toml", smtp_server)
    env = {"PMO_NB_SMTP_PASSWORD": PASSWORD}
    res = run_send(["--out", str(reports), "--config", str(cfg), "--cc-sponsors"], env=env)
    assert res.exit_code == 0, res.output
    sponsors = {str(contacts.address(r.sponsor)) for r in tables["programs"].itertuples() if r.program_id in programs}
    everyone = {*managed, *sponsors, "ceo@example.org", "sofia.ruiz@example.org"}
    assert sorted(a.lower() for r in smtp_server.handler.received for a in r.rcpt_tos) == sorted(everyone)
    from pmo_nb.run.manifest import verify

    assert verify(reports / "2026-10") == []  # sent.json is not a change to the run's files
    # running the month again (one program) keeps the record: nothing goes out twice
    smtp_server.handler.received.clear()
    res = CliRunner().invoke(cli, ["run", "--out", str(reports), "--period", "2026-10", "--programs", "PRG-NET",
                                   "--quiet", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert (reports / "2026-10" / "sent.json").is_file() and verify(reports / "2026-10") == []
    res = run_send(["--out", str(reports), "--config", str(cfg), "--cc-sponsors"], env=env)
    assert res.exit_code == 0 and smtp_server.handler.received == []
    assert "already sent: daniel.oconnor@example.org (PRG-NET) on " in res.stdout
    record = json.loads((reports / "2026-10" / "sent.json").read_text(encoding="utf-8"))
    sent_sha = record["recipients"]["daniel.oconnor@example.org"]["attachments"]["PRG-NET"]["sha256"]
    now_sha = hashlib.sha256((reports / "2026-10" / "PRG-NET.pdf").read_bytes()).hexdigest()
    changed = "(the report has changed since: --resend sends the new one)"
    assert (changed in res.stdout) == (sent_sha != now_sha)  # a new generated-at time changes the PDF
