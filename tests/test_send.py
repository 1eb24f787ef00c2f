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
from pmo_nb.publish.mail import Contacts, normalise_name, send_month

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

PROGRAMS = [  # id, name, sponsor, manager
    ("PRG-A", "Alpha Programme", "Sofia Ruiz", "Ana Lima"),
    ("PRG-B", "Beta Programme", "Sofia Ruiz", "Bo Chen"),
    ("PRG-C", "Gamma Programme", "Carl Weiss", "Cy Park"),
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
    """OUT/2026-10 with PRG-A/B/C reports (those in ``failed`` failed in the run), the pack, kpis.csv, manifest."""
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
    ], columns=["period", "level", "id", "name", "rag", "rag_reason"]).to_csv(month / "kpis.csv", index=False)
    return month


def write_config(path: Path, server: Server | None, **extra: str) -> Path:
    lines = ['organisation = "Acme PMO"', "[email]"]
    if server is not None:
        lines += ['host = "127.0.0.1"', f"port = {server.port}", f'cafile = "{server.cafile}"']
    lines += ['from = "Acme PMO <pmo@example.org>"', f'username = "{USER}"',
              'pack_to = ["ceo@example.org", "cfo@example.org"]']
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
        "Acme PMO <pmo@example.org>", 2525, False, ("ceo@example.org", "cfo@example.org"), "PMO_NB_SMTP_PASSWORD")


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


# ------------------------------------------------------------------------------------------- dry run


def test_dry_run_writes_one_eml_per_message(workspace: dict[str, Path]) -> None:
    cfg = write_config(workspace["root"] / "pmo.toml", None)
    outbox = workspace["root"] / "outbox"
    res = run_send(["--out", str(workspace["out"]), "--period", "2026-10", "--config", str(cfg), "--cc-sponsors",
                    "--dry-run", str(outbox)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in outbox.iterdir()) == ["PRG-A.eml", "PRG-B.eml", "executive-pack.eml"]
    a = email.message_from_bytes((outbox / "PRG-A.eml").read_bytes(), policy=email.policy.default)
    assert a["To"] == "ana.lima@example.org" and a["Cc"] == "sofia.ruiz@example.org"
    assert a["Subject"] == "Acme PMO: Alpha Programme report, October 2026"
    assert "Status: RED: CPI 0.81 < 0.90." in a.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    (part,) = list(a.iter_attachments())
    assert part.get_filename() == "PRG-A-2026-10.pdf" and part.get_content() == _pdf("PRG-A")
    pack = email.message_from_bytes((outbox / "executive-pack.eml").read_bytes(), policy=email.policy.default)
    assert pack["To"] == "ceo@example.org, cfo@example.org"
    assert "3 programs: 1 red, 1 amber, 1 green." in pack.get_body(("plain",)).get_content()  # type: ignore
    # PRG-C failed in the run: said once, not sent; the month folder is untouched (no record from a dry run)
    assert "PRG-C: its report failed in the run" in res.stderr
    assert not (workspace["month"] / "sent.json").exists()


def test_dry_run_defaults_to_the_latest_month_and_an_outbox(workspace: dict[str, Path]) -> None:
    cfg = write_config(workspace["root"] / "pmo.toml", None)
    (workspace["out"] / "2026-09").mkdir()  # no manifest: not a published month
    res = run_send(["--out", str(workspace["out"]), "--config", str(cfg), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (workspace["out"] / "outbox" / "2026-10").iterdir()) == [
        "PRG-A.eml", "PRG-B.eml", "executive-pack.eml"]


def test_dry_run_that_cannot_write_a_message_says_so(workspace: dict[str, Path]) -> None:
    outbox = workspace["root"] / "outbox"
    (outbox / "PRG-A.eml").mkdir(parents=True)  # a folder where the file would go
    res = run_send(["--out", str(workspace["out"]), "--dry-run", str(outbox)])
    assert res.exit_code == 1
    assert "not written: PRG-A to ana.lima@example.org: cannot write" in res.stderr
    assert (outbox / "PRG-B.eml").is_file()


def test_a_name_without_address_is_a_warning_and_the_others_still_get_it(workspace: dict[str, Path]) -> None:
    source = make_source(workspace["root"] / "data2", contacts=[c for c in CONTACTS if c[0] != " Bo Chen"])
    month = make_month(workspace["root"] / "r2", source, failed=())
    cfg = write_config(workspace["root"] / "pmo.toml", None)
    result = send_month(month.parent, PERIOD, config=cfg, cc_sponsors=True, dry_run=workspace["root"] / "o")
    text = [str(f) for f in result.findings]
    assert any("PRG-B manager ('Bo Chen') has no e-mail address" in t for t in text)
    assert any("PRG-C sponsor ('Carl Weiss') has no e-mail address" in t for t in text)
    by_key: dict[str, list[str]] = {}
    for d in result.deliveries:
        by_key.setdefault(d.key, []).append(d.address)
    assert by_key["PRG-B"] == ["sofia.ruiz@example.org"]  # the sponsor still gets it
    assert by_key["PRG-C"] == ["cy.park@example.org"]


def test_manager_also_sponsor_gets_one_copy_and_names_stay_on_one_line(workspace: dict[str, Path]) -> None:
    programs = [("PRG-A", "Alpha\nProgramme", "Ana Lima", "ana lima"), *PROGRAMS[1:]]
    contacts = [*CONTACTS, ("Carl Weiss", None, "Sponsor")]  # an empty address: a warning, never a load error
    source = make_source(workspace["root"] / "d5", contacts=contacts, programs=programs)
    result = send_month(workspace["out"], PERIOD, source=str(source), cc_sponsors=True,
                        dry_run=workspace["root"] / "o5")
    assert [(d.key, d.address) for d in result.deliveries if d.key == "PRG-A"] == [
        ("PRG-A", "ana.lima@example.org")]
    msg = email.message_from_bytes((workspace["root"] / "o5" / "PRG-A.eml").read_bytes(),
                                   policy=email.policy.default)
    assert msg["Subject"] == "PMO: Alpha Programme report, October 2026" and msg["Cc"] is None
    assert any(f.row == 6 and "no e-mail address for 'Carl Weiss'" in str(f) for f in result.findings)


def test_no_contacts_table_is_one_finding(workspace: dict[str, Path]) -> None:
    source = make_source(workspace["root"] / "data3", contacts=None)
    result = send_month(workspace["out"], PERIOD, source=str(source), config=None,
                        dry_run=workspace["root"] / "o3")
    assert any("no contacts table" in str(f) for f in result.findings)
    assert [d.key for d in result.deliveries] == []


def test_an_altered_pdf_is_not_sent(workspace: dict[str, Path]) -> None:
    (workspace["month"] / "PRG-A.pdf").write_bytes(b"%PDF-1.4 changed")
    result = send_month(workspace["out"], PERIOD, dry_run=workspace["root"] / "o4")
    assert any("PRG-A: " in n and "changed after the run" in n for n in result.notes)
    assert {d.key for d in result.deliveries} == {"PRG-B"}


def test_no_published_month_is_one_line(tmp_path: Path) -> None:
    res = run_send(["--out", str(tmp_path / "nothing"), "--dry-run", str(tmp_path / "o")])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1 and "run `pmo-nb run` first" in res.stderr
    res = run_send(["--out", str(tmp_path), "--period", "2026-13"])
    assert res.exit_code == 2 and "Traceback" not in res.output


# ------------------------------------------------------------------------------------------- over SMTP


def test_send_over_starttls_and_auth(workspace: dict[str, Path], smtp_server: Server,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cfg = write_config(workspace["root"] / "pmo.toml", smtp_server)
    env = {"PMO_NB_SMTP_PASSWORD": PASSWORD}
    res = run_send(["--out", str(workspace["out"]), "--period", "2026-10", "--config", str(cfg), "--cc-sponsors"],
                   env=env)
    assert res.exit_code == 0, res.output
    got = {r.message["Subject"]: r for r in smtp_server.handler.received}
    assert sorted(got) == ["Acme PMO: Alpha Programme report, October 2026",
                           "Acme PMO: Beta Programme report, October 2026", "Acme PMO: executive pack, October 2026"]
    assert all(r.tls and r.login == USER for r in got.values())
    assert smtp_server.handler.logins and {m for m, _ in smtp_server.handler.logins} <= {"LOGIN", "PLAIN"}
    alpha = got["Acme PMO: Alpha Programme report, October 2026"]
    assert alpha.mail_from == "pmo@example.org"
    assert alpha.rcpt_tos == ["ana.lima@example.org", "sofia.ruiz@example.org"]
    assert got["Acme PMO: executive pack, October 2026"].rcpt_tos == ["ceo@example.org", "cfo@example.org"]
    for name, r in (("PRG-A", alpha), ("pack", got["Acme PMO: executive pack, October 2026"])):
        (part,) = list(r.message.iter_attachments())
        assert hashlib.sha256(part.get_content()).hexdigest() == hashlib.sha256(_pdf(name)).hexdigest()
    record = json.loads((workspace["month"] / "sent.json").read_text(encoding="utf-8"))
    assert record["messages"]["PRG-A"]["recipients"]["ana.lima@example.org"]["status"] == "sent"
    assert record["messages"]["PRG-A"]["recipients"]["ana.lima@example.org"]["sha256"] == hashlib.sha256(
        _pdf("PRG-A")).hexdigest()
    assert "6 recipients sent for 2026-10" in res.stdout
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
    assert refused == ["refused: PRG-B to bo.chen@example.org: 550 5.1.1 mailbox unavailable"]
    assert "1 of 6 recipients refused for 2026-10" in res.stderr
    delivered = sorted(a for r in smtp_server.handler.received for a in r.rcpt_tos)
    assert delivered == ["ana.lima@example.org", "ceo@example.org", "cfo@example.org", "sofia.ruiz@example.org",
                         "sofia.ruiz@example.org"]
    record = json.loads((workspace["month"] / "sent.json").read_text(encoding="utf-8"))
    assert record["messages"]["PRG-B"]["recipients"]["bo.chen@example.org"]["status"] == "failed"
    # the mailbox works again: a re-run sends only what failed
    smtp_server.handler.refuse = set()
    smtp_server.handler.received.clear()
    res = run_send(args, env=env)
    assert res.exit_code == 0, res.output
    assert [(r.message["Subject"], r.rcpt_tos) for r in smtp_server.handler.received] == [
        ("Acme PMO: Beta Programme report, October 2026", ["bo.chen@example.org"])]
    assert "1 recipient sent for 2026-10, 5 already sent before" in res.stdout
    # once more: nothing left to send
    smtp_server.handler.received.clear()
    res = run_send(args, env=env)
    assert res.exit_code == 0 and smtp_server.handler.received == []
    assert "0 recipients sent for 2026-10, 6 already sent before" in res.stdout
    # --resend: everyone again
    res = run_send([*args, "--resend", "--quiet"], env=env)
    assert res.exit_code == 0 and res.stdout == ""
    assert len(smtp_server.handler.received) == 3
    assert PASSWORD.encode() not in _all_text(workspace["root"])


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


def test_the_record_survives_a_failed_recipient_in_the_middle(workspace: dict[str, Path], smtp_server: Server) -> None:
    """Every recipient refused: nothing delivered, the record says failed for each, exit 1."""
    cfg = write_config(workspace["root"] / "pmo.toml", smtp_server)
    smtp_server.handler.refuse = {"ana.lima@example.org"}
    result = send_month(workspace["out"], PERIOD, config=cfg, environ={"PMO_NB_SMTP_PASSWORD": PASSWORD})
    assert [(d.key, d.address) for d in result.failed] == [("PRG-A", "ana.lima@example.org")]
    assert {d.key for d in result.deliveries if d.status == "sent"} == {"PRG-B", "executive-pack"}


# ------------------------------------------------------------------------------------------- a real month


@pytest.fixture(scope="module")
def sample_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "reports"
    res = CliRunner().invoke(cli, ["run", "--out", str(out), "--period", "2026-10", "--quiet", "--jobs", "2"])
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.slow
def test_sample_month_dry_run_and_send(sample_month: Path, smtp_server: Server, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    res = run_send(["--out", str(sample_month), "--dry-run", str(outbox)])
    assert res.exit_code == 0, res.output
    manifest = json.loads((sample_month / "2026-10" / "manifest.json").read_text(encoding="utf-8"))
    programs = sorted(r["name"] for r in manifest["reports"] if r["kind"] == "program")
    assert sorted(p.stem for p in outbox.glob("*.eml")) == programs
    for pid in programs:
        msg = email.message_from_bytes((outbox / f"{pid}.eml").read_bytes(), policy=email.policy.default)
        (part,) = list(msg.iter_attachments())
        assert part.get_content() == (sample_month / "2026-10" / f"{pid}.pdf").read_bytes()
        assert msg["Subject"].startswith("PMO: ") and msg["Subject"].endswith(" report, October 2026")
    cfg = write_config(tmp_path / "pmo.toml", smtp_server)
    env = {"PMO_NB_SMTP_PASSWORD": PASSWORD}
    res = run_send(["--out", str(sample_month), "--config", str(cfg), "--cc-sponsors"], env=env)
    assert res.exit_code == 0, res.output
    assert len(smtp_server.handler.received) == len(programs) + 1
    from pmo_nb.run.manifest import verify

    assert verify(sample_month / "2026-10") == []  # sent.json is not a change to the run's files
    # running the month again (one program) keeps the record: nothing goes out twice
    smtp_server.handler.received.clear()
    res = CliRunner().invoke(cli, ["run", "--out", str(sample_month), "--period", "2026-10", "--programs", "PRG-NET",
                                   "--quiet", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert (sample_month / "2026-10" / "sent.json").is_file() and verify(sample_month / "2026-10") == []
    res = run_send(["--out", str(sample_month), "--config", str(cfg), "--cc-sponsors"], env=env)
    assert res.exit_code == 0 and smtp_server.handler.received == []
    assert "already sent: PRG-NET to daniel.oconnor@example.org (sent " in res.stdout
    record = json.loads((sample_month / "2026-10" / "sent.json").read_text(encoding="utf-8"))
    sent_sha = record["messages"]["PRG-NET"]["recipients"]["daniel.oconnor@example.org"]["sha256"]
    now_sha = hashlib.sha256((sample_month / "2026-10" / "PRG-NET.pdf").read_bytes()).hexdigest()
    changed = "(the report has changed since: --resend sends the new one)"
    assert (changed in res.stdout) == (sent_sha != now_sha)  # a new generated-at time changes the PDF
