"""Configuration: an optional ``pmo.toml`` read with the standard library's ``tomllib``.

Every key has a default (``Config()`` is the default configuration); an unknown key or a bad value
raises ``ConfigError`` naming the key. docs/configuration.md documents each key::

    organisation = "Acme PMO"          # shown in report headers and on the pack's cover
    currency = "EUR"                   # ISO code printed next to amounts

    [rag]
    green = 0.95                       # index >= green is green
    amber = 0.90                       # amber <= index < green is amber; below amber is red
    missed_key_milestone = "red"       # status when a key milestone is missed
    missed_milestone = "amber"         # status when any milestone is missed
    critical_risk = "amber"            # status when an open critical risk exists ("none" to ignore)

    [risks]
    bands = { low = [1, 4], medium = [5, 9], high = [10, 16], critical = [20, 25] }
    probability_scale = { 1 = 0.10, 2 = 0.30, 3 = 0.50, 4 = 0.70, 5 = 0.90 }
    top_n = 10

    [report]
    page_size = "A4"                   # A3, A4, A5, letter or legal (pmo_nb.contract.PAGE_SIZES)
    orientation = "landscape"          # landscape or portrait
    stale_after_days = 35              # a project whose last status is older is flagged stale
    upcoming_days = 90                 # horizon for upcoming milestones

    [forecast]
    seed = 20260101                    # the Monte Carlo's seed (fixed: reproducible P50/P80)
    draws = 10000

    [benefits]
    at_risk_tolerance = 0.10           # a benefit this far (share of its change) behind its trajectory is at risk

    [ingest]
    thousands_separator = ""           # e.g. "," to accept 1,200.50
    decimal = "."
    max_file_mb = 100                  # a CSV/Parquet/Excel file larger than this is refused

    [email]                            # pmo-nb send (docs/sending.md)
    host = ""                          # SMTP server; required to send (not for --dry-run)
    port = 587                         # the submission port (STARTTLS)
    from = ""                          # sender address, e.g. "PMO <pmo@example.org>"
    username = ""                      # AUTH user; empty: no authentication
    starttls = true                    # upgrade the connection before AUTH (false only on a trusted relay)
    password_env = "PMO_NB_SMTP_PASSWORD"  # the environment variable holding the password (never in this file)
    pack_to = []                       # who receives the executive pack
    timeout = 60                       # seconds per SMTP command
    cafile = ""                        # a CA certificate (PEM) for a server with a private certificate authority
    [branding]
    logo = "brand/logo.svg"            # SVG or PNG, relative to this file; embedded in reports and the pack cover
    primary_colour = "#1f4e79"         # titles, headings, rules, chart titles
    accent_colour = "#1f5fa8"          # links, the first chart series
    font = ""                          # an installed family, or a .ttf/.otf/.woff/.woff2 file

    [columns]                          # rename a user's headers to canonical ones
    "Project Code" = "project_id"      # applies to every table
    [columns.risks]
    "Likelihood" = "probability"       # applies to one table
"""

from __future__ import annotations

import base64
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pmo_nb.contract import ORIENTATIONS, PAGE_SIZES, SMTP_PASSWORD_ENV
from pmo_nb.exceptions import ConfigError
from pmo_nb.rules import DEFAULT_GUIDELINES, Guideline, Measure, parse_guidelines, parse_measures
from pmo_nb.schema import TABLES

STATUS_CHOICES = ("green", "amber", "red", "none")
DEFAULT_BANDS: dict[str, tuple[int, int]] = {
    "low": (1, 4),
    "medium": (5, 9),
    "high": (10, 16),
    "critical": (20, 25),
}
DEFAULT_PROBABILITY_SCALE: dict[int, float] = {1: 0.10, 2: 0.30, 3: 0.50, 4: 0.70, 5: 0.90}


@dataclass(frozen=True)
class RagConfig:
    green: float = 0.95
    amber: float = 0.90
    missed_key_milestone: str = "red"
    missed_milestone: str = "amber"
    critical_risk: str = "amber"


@dataclass(frozen=True)
class RiskConfig:
    bands: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(DEFAULT_BANDS))
    probability_scale: dict[int, float] = field(default_factory=lambda: dict(DEFAULT_PROBABILITY_SCALE))
    top_n: int = 10


@dataclass(frozen=True)
class ReportConfig:
    page_size: str = "A4"
    orientation: str = "landscape"
    stale_after_days: int = 35
    upcoming_days: int = 90


@dataclass(frozen=True)
class IngestConfig:
    thousands_separator: str = ""
    decimal: str = "."
    max_file_mb: int = 100  # a bigger file is refused before reading: it would not fit in memory
    max_rows: int = 1_000_000  # records per table, counted before the table is loaded
    max_cells: int = 2_000_000  # cells per workbook sheet, counted from its XML before it is loaded
    date_format: str = ""  # besides YYYY-MM-DD: a strftime pattern ("%d/%m/%Y") or "dayfirst"
    financials: str = "monthly"  # "monthly" amounts, or "cumulative" running totals (differenced at ingest)


@dataclass(frozen=True)
class ValidationConfig:
    invalid_rows: str = "fail"  # "fail": any finding stops; "exclude": rows breaking a rule are left out


@dataclass(frozen=True)
class ImportConfig:
    """``[import]``: defaults of ``pmo-nb import`` (docs/importing.md)."""

    program: str = ""  # program id for imported projects when --program is not given
    key_milestone: str = ""  # a flag ("Flag1") or custom field name marking key milestones


LOGO_TYPES: dict[str, str] = {".svg": "image/svg+xml", ".png": "image/png"}
FONT_TYPES: dict[str, str] = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class BrandingConfig:
    """``[branding]``: the organisation's identity on reports, the pack cover and charts (docs/configuration.md)."""

    logo: str = ""  # SVG or PNG file, relative to pmo.toml; kept as an absolute path once parsed
    primary_colour: str = "#1f4e79"  # titles, headings, the header rule
    accent_colour: str = "#1f5fa8"  # links, the first chart series
    font: str = ""  # a font family installed on the system, or a .ttf/.otf/.woff/.woff2 file relative to pmo.toml

    @property
    def font_file(self) -> str:
        """The font file path when ``font`` names a file, else ""."""
        return self.font if Path(self.font).suffix.lower() in FONT_TYPES else ""

    def logo_data_uri(self) -> str:
        """The logo as a ``data:`` URI (embedded, never linked), or "" without a logo."""
        return _data_uri(self.logo, LOGO_TYPES, "branding.logo") if self.logo else ""

    def font_data_uri(self) -> str:
        """The font file as a ``data:`` URI, or "" when ``font`` is a family name or empty."""
        return _data_uri(self.font_file, FONT_TYPES, "branding.font") if self.font_file else ""

    def as_meta(self) -> dict[str, str]:
        """What a report's metadata carries to the template: colours, font family, logo and font as data URIs."""
        return {"primary_colour": self.primary_colour, "accent_colour": self.accent_colour,
                "font": "" if self.font_file else self.font, "font_data": self.font_data_uri(),
                "logo": self.logo_data_uri()}


def _data_uri(path: str, types: Mapping[str, str], key: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"config key {key!r}: cannot read {path} ({exc.strerror}); fix the path in pmo.toml",
                          key=key, path=path) from None
    return f"data:{types[Path(path).suffix.lower()]};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True)
class EmailConfig:
    """``[email]``: how ``pmo-nb send`` reaches the SMTP server (docs/sending.md). No password: see ``password_env``."""

    host: str = ""
    port: int = 587
    from_: str = ""
    username: str = ""
    starttls: bool = True
    password_env: str = SMTP_PASSWORD_ENV
    pack_to: tuple[str, ...] = ()
    timeout: int = 60
    cafile: str = ""  # a CA certificate (PEM) to trust besides the system's, for a server with a private CA


@dataclass(frozen=True)
class ForecastConfig:
    """``[forecast]``: the risk-adjusted Monte Carlo (docs/kpis.md, "Risk-adjusted forecasts")."""

    seed: int = 20260101  # fixed: the same data gives the same P50/P80 on every run
    draws: int = 10_000
    history_months: int = 12  # months of monthly CPI and SPI(t) whose spread the draws take


@dataclass(frozen=True)
class BenefitsConfig:
    """``[benefits]``: when a benefit is at risk (docs/kpis.md, "Benefits")."""

    at_risk_tolerance: float = 0.10  # realised share behind the planned share by more than this: at risk


@dataclass(frozen=True)
class Config:
    organisation: str = "PMO"
    currency: str = "EUR"
    rag: RagConfig = field(default_factory=RagConfig)
    risks: RiskConfig = field(default_factory=RiskConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    import_: ImportConfig = field(default_factory=ImportConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    branding: BrandingConfig = field(default_factory=BrandingConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    benefits: BenefitsConfig = field(default_factory=BenefitsConfig)
    # table name -> {user header (normalised) -> canonical column}; "*" applies to every table
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    # table name -> the sheet, file stem or database table that holds it
    sheets: dict[str, str] = field(default_factory=dict)
    # table -> column -> {user value (normalised: stripped, lower case) -> canonical value}
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # table -> column -> factor every amount is multiplied by (budget = 1000 for kEUR)
    scale: dict[str, dict[str, float]] = field(default_factory=dict)
    # [[guidelines]] (the built-in set, changed by id, then the PMO's own) and [[measures]]: docs/guidelines.md
    guidelines: tuple[Guideline, ...] = DEFAULT_GUIDELINES
    measures: tuple[Measure, ...] = ()
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view (used in the run manifest)."""
        d = asdict(self)
        d["risks"]["bands"] = {k: list(v) for k, v in self.risks.bands.items()}
        d["risks"]["probability_scale"] = {str(k): v for k, v in self.risks.probability_scale.items()}
        d["guidelines"], d["measures"] = _jsonable(d["guidelines"]), _jsonable(d["measures"])
        return d

    def band_of(self, score: int) -> str:
        for name, (lo, hi) in self.risks.bands.items():
            if lo <= score <= hi:
                return name
        raise ConfigError(f"risk score {score} falls in no band of [risks].bands", key="risks.bands")


def _jsonable(value: Any) -> Any:
    """Tuples as lists and dates as ISO text (guideline conditions may compare with a date)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def normalise_header(name: object) -> str:
    """Header matching is case- and whitespace-insensitive: ' Project ID ' -> 'project_id'."""
    return "_".join(str(name).replace("\ufeff", "").strip().lower().split())


def _err(key: str, msg: str, path: str | None) -> ConfigError:
    where = f" in {path}" if path else ""
    return ConfigError(f"config key {key!r}{where}: {msg}", key=key, path=path)


def _check_keys(section: Mapping[str, Any], allowed: set[str], prefix: str, path: str | None) -> None:
    for key in section:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise _err(f"{prefix}{key}", f"unknown key; known keys here are: {known}", path)


def _number(value: Any, key: str, path: str | None, *, lo: float | None = None, hi: float | None = None,
            integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _err(key, f"expected a number, got {value!r}", path)
    if integer and not float(value).is_integer():
        raise _err(key, f"expected a whole number, got {value!r}", path)
    if lo is not None and value < lo or hi is not None and value > hi:
        raise _err(key, f"{value!r} is outside {lo}..{hi}", path)
    return int(value) if integer else float(value)


def _choice(value: Any, key: str, choices: tuple[str, ...], path: str | None) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise _err(key, f"expected one of {', '.join(choices)}, got {value!r}", path)
    return value.lower()


def _text(value: Any, key: str, path: str | None) -> str:
    if not isinstance(value, str):
        raise _err(key, f"expected text, got {value!r}", path)
    return value


def _parse_rag(raw: Mapping[str, Any], path: str | None) -> RagConfig:
    _check_keys(raw, set(RagConfig.__dataclass_fields__), "rag.", path)
    out = RagConfig()
    vals: dict[str, Any] = {}
    for k in ("green", "amber"):
        if k in raw:
            vals[k] = _number(raw[k], f"rag.{k}", path, lo=0, hi=10)
    for k in ("missed_key_milestone", "missed_milestone", "critical_risk"):
        if k in raw:
            vals[k] = _choice(raw[k], f"rag.{k}", STATUS_CHOICES, path)
    out = replace(out, **vals)
    if out.amber > out.green:
        raise _err("rag.amber", f"must not exceed rag.green ({out.amber} > {out.green})", path)
    return out


def _parse_risks(raw: Mapping[str, Any], path: str | None) -> RiskConfig:
    _check_keys(raw, set(RiskConfig.__dataclass_fields__), "risks.", path)
    vals: dict[str, Any] = {}
    if "bands" in raw:
        bands_raw = raw["bands"]
        if not isinstance(bands_raw, Mapping) or not bands_raw:
            raise _err("risks.bands", "expected a table such as { low = [1, 4], ... }", path)
        bands: dict[str, tuple[int, int]] = {}
        for name, rng in bands_raw.items():
            key = f"risks.bands.{name}"
            if name not in DEFAULT_BANDS:
                raise _err(key, f"unknown band; bands are {', '.join(DEFAULT_BANDS)}", path)
            if not isinstance(rng, list) or len(rng) != 2:
                raise _err(key, f"expected [lowest, highest] score, got {rng!r}", path)
            lo, hi = (_number(v, key, path, lo=1, hi=25, integer=True) for v in rng)
            if lo > hi:
                raise _err(key, f"lowest score {lo} is above highest {hi}", path)
            bands[name] = (int(lo), int(hi))
        covered = sorted(s for lo, hi in bands.values() for s in range(lo, hi + 1))
        possible = sorted({p * i for p in range(1, 6) for i in range(1, 6)})
        missing = [s for s in possible if s not in covered]
        if missing:
            raise _err("risks.bands", f"scores {missing} fall in no band; every score 1-25 needs one", path)
        if len(covered) != len(set(covered)):
            raise _err("risks.bands", "bands overlap", path)
        vals["bands"] = dict(sorted(bands.items(), key=lambda kv: kv[1][0]))
    if "probability_scale" in raw:
        scale_raw = raw["probability_scale"]
        if not isinstance(scale_raw, Mapping):
            raise _err("risks.probability_scale", "expected a table such as { 1 = 0.1, ... }", path)
        scale: dict[int, float] = {}
        for k, v in scale_raw.items():
            key = f"risks.probability_scale.{k}"
            if str(k) not in {"1", "2", "3", "4", "5"}:
                raise _err(key, "probability levels are 1 to 5", path)
            scale[int(k)] = _number(v, key, path, lo=0, hi=1)
        if sorted(scale) != [1, 2, 3, 4, 5]:
            raise _err("risks.probability_scale", "give a fraction for each level 1 to 5", path)
        vals["probability_scale"] = scale
    if "top_n" in raw:
        vals["top_n"] = _number(raw["top_n"], "risks.top_n", path, lo=1, hi=1000, integer=True)
    return replace(RiskConfig(), **vals)


def _parse_report(raw: Mapping[str, Any], path: str | None) -> ReportConfig:
    _check_keys(raw, set(ReportConfig.__dataclass_fields__), "report.", path)
    vals: dict[str, Any] = {}
    if "page_size" in raw:
        size = _text(raw["page_size"], "report.page_size", path)
        by_key = {name.lower(): name for name in PAGE_SIZES}
        if size.strip().lower() not in by_key:
            raise _err("report.page_size", f"expected one of {', '.join(PAGE_SIZES)}, got {size!r}", path)
        vals["page_size"] = by_key[size.strip().lower()]
    if "orientation" in raw:
        vals["orientation"] = _choice(raw["orientation"], "report.orientation", ORIENTATIONS, path)
    for k in ("stale_after_days", "upcoming_days"):
        if k in raw:
            vals[k] = _number(raw[k], f"report.{k}", path, lo=1, hi=3650, integer=True)
    return replace(ReportConfig(), **vals)


def _parse_branding(raw: Mapping[str, Any], path: str | None) -> BrandingConfig:
    _check_keys(raw, set(BrandingConfig.__dataclass_fields__), "branding.", path)
    base = Path(path).parent if path else Path.cwd()
    vals: dict[str, Any] = {}

    def existing_file(key: str, types: Mapping[str, str], what: str) -> str:
        text = _text(raw[key.split(".")[1]], key, path).strip()
        file = (base / text).resolve()
        if file.suffix.lower() not in types:
            raise _err(key, f"{text!r} is not {what} ({', '.join(types)} file)", path)
        if not file.is_file():
            raise _err(key, f"file {str(file)!r} not found (paths are relative to the config file's folder)",
                       path)
        return str(file)

    if "logo" in raw and str(raw["logo"]).strip():
        vals["logo"] = existing_file("branding.logo", LOGO_TYPES, "an SVG or PNG image")
    for k in ("primary_colour", "accent_colour"):
        if k in raw:
            colour = _text(raw[k], f"branding.{k}", path).strip()
            if not _HEX_COLOUR.fullmatch(colour):
                raise _err(f"branding.{k}", f'expected a hex colour such as "#1f4e79", got {raw[k]!r}', path)
            vals[k] = colour.lower()
    if "font" in raw:
        font = _text(raw["font"], "branding.font", path).strip()
        if Path(font).suffix.lower() in FONT_TYPES:
            font = existing_file("branding.font", FONT_TYPES, "a font file")
        elif font and not re.fullmatch(r"[\w \-.]+", font):
            raise _err("branding.font", f"{font!r} is neither a font family name (letters, digits, spaces, "
                       f"hyphens) nor a font file ({', '.join(FONT_TYPES)})", path)
        vals["font"] = font
    return replace(BrandingConfig(), **vals)


def _parse_import(raw: Mapping[str, Any], path: str | None) -> ImportConfig:
    _check_keys(raw, set(ImportConfig.__dataclass_fields__), "import.", path)
    return ImportConfig(**{k: _text(v, f"import.{k}", path).strip() for k, v in raw.items()})


def is_address(text: str) -> bool:
    """A plain check of an e-mail address (``name@domain.tld``, optionally as ``Name <name@domain.tld>``)."""
    from email.utils import parseaddr

    _, addr = parseaddr(text)
    local, at, domain = addr.partition("@")
    return bool(at and local and "." in domain.strip(".") and not any(c.isspace() for c in addr)
                and "@" not in domain and addr.strip() == addr)


def _parse_email(raw: Mapping[str, Any], path: str | None) -> EmailConfig:
    if "password" in raw:
        raise _err("email.password", "a password is never read from the config file: remove the key and set the "
                   f"environment variable named by email.password_env (default {SMTP_PASSWORD_ENV}) when running "
                   "pmo-nb send", path)
    allowed = {"host", "port", "from", "username", "starttls", "password_env", "pack_to", "timeout", "cafile"}
    _check_keys(raw, allowed, "email.", path)
    vals: dict[str, Any] = {}
    for key in ("host", "username", "password_env"):
        if key in raw:
            vals[key] = _text(raw[key], f"email.{key}", path).strip()
    if "password_env" in vals and not vals["password_env"].replace("_", "").isalnum():
        raise _err("email.password_env", f"expected an environment variable name such as {SMTP_PASSWORD_ENV}, "
                   f"got {raw['password_env']!r}", path)
    if "from" in raw:
        sender = _text(raw["from"], "email.from", path).strip()
        if sender and not is_address(sender):
            raise _err("email.from", f"{sender!r} is not an e-mail address: write it as pmo@example.org or "
                       '"PMO <pmo@example.org>"', path)
        vals["from_"] = sender
    if "cafile" in raw:
        cafile = _text(raw["cafile"], "email.cafile", path).strip()
        if cafile and not Path(cafile).is_file():
            raise _err("email.cafile", f"{cafile!r} is not a file: give the path of a PEM certificate", path)
        vals["cafile"] = cafile
    if "port" in raw:
        vals["port"] = _number(raw["port"], "email.port", path, lo=1, hi=65535, integer=True)
    if "timeout" in raw:
        vals["timeout"] = _number(raw["timeout"], "email.timeout", path, lo=1, hi=3600, integer=True)
    if "starttls" in raw:
        if not isinstance(raw["starttls"], bool):
            raise _err("email.starttls", f"expected true or false, got {raw['starttls']!r}", path)
        vals["starttls"] = raw["starttls"]
    if "pack_to" in raw:
        value = raw["pack_to"]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise _err("email.pack_to", f'expected a list of addresses such as ["ceo@example.org"], got {value!r}',
                       path)
        addresses = []
        for i, item in enumerate(value):
            text = _text(item, f"email.pack_to[{i}]", path).strip()
            if not is_address(text):
                raise _err(f"email.pack_to[{i}]", f"{text!r} is not an e-mail address", path)
            addresses.append(text)
        vals["pack_to"] = tuple(addresses)
    return replace(EmailConfig(), **vals)


def _parse_ingest(raw: Mapping[str, Any], path: str | None) -> IngestConfig:
    _check_keys(raw, set(IngestConfig.__dataclass_fields__), "ingest.", path)
    vals: dict[str, Any] = {}
    if "thousands_separator" in raw:
        sep = _text(raw["thousands_separator"], "ingest.thousands_separator", path)
        if sep not in {"", ",", ".", " ", "'", "\u00a0", "_"}:
            raise _err("ingest.thousands_separator", f"unsupported separator {sep!r}", path)
        vals["thousands_separator"] = sep
    if "decimal" in raw:
        dec = _text(raw["decimal"], "ingest.decimal", path)
        if dec not in {".", ","}:
            raise _err("ingest.decimal", f"expected '.' or ',', got {dec!r}", path)
        vals["decimal"] = dec
    if "max_file_mb" in raw:
        vals["max_file_mb"] = _number(raw["max_file_mb"], "ingest.max_file_mb", path, lo=1, hi=1_000_000,
                                      integer=True)
    for k, hi in (("max_rows", 100_000_000), ("max_cells", 2_000_000_000)):
        if k in raw:
            vals[k] = _number(raw[k], f"ingest.{k}", path, lo=1, hi=hi, integer=True)
    if "date_format" in raw:
        fmt = _text(raw["date_format"], "ingest.date_format", path).strip()
        if fmt and fmt != "dayfirst" and "%" not in fmt:
            raise _err("ingest.date_format", f'expected a strftime pattern such as "%d/%m/%Y" or "dayfirst", '
                       f"got {fmt!r}", path)
        vals["date_format"] = fmt
    if "financials" in raw:
        vals["financials"] = _choice(raw["financials"], "ingest.financials", ("monthly", "cumulative"), path)
    out = replace(IngestConfig(), **vals)
    if out.thousands_separator and out.thousands_separator == out.decimal:
        raise _err("ingest.thousands_separator", "must differ from ingest.decimal", path)
    return out


def _parse_columns(raw: Mapping[str, Any], path: str | None) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}

    def add(table: str, header: Any, target: Any) -> None:
        key = f"columns.{header}" if table == "*" else f"columns.{table}.{header}"
        canon = _text(target, key, path)
        names = {c for t in TABLES.values() for c in t.column_names} if table == "*" else set(
            TABLES[table].column_names
        )
        if normalise_header(canon) not in names:
            raise _err(key, f"{canon!r} is not a column of the data model (see docs/data-model.md)", path)
        out.setdefault(table, {})[normalise_header(header)] = normalise_header(canon)

    for header, target in raw.items():
        if isinstance(target, Mapping):
            if header not in TABLES:
                raise _err(f"columns.{header}", f"unknown table; tables are {', '.join(TABLES)}", path)
            for h, t in target.items():
                add(header, h, t)
        else:
            add("*", header, target)
    return out


def _parse_validation(raw: Mapping[str, Any], path: str | None) -> ValidationConfig:
    _check_keys(raw, set(ValidationConfig.__dataclass_fields__), "validation.", path)
    vals: dict[str, Any] = {}
    if "invalid_rows" in raw:
        vals["invalid_rows"] = _choice(raw["invalid_rows"], "validation.invalid_rows", ("fail", "exclude"), path)
    return replace(ValidationConfig(), **vals)


def _parse_sheets(raw: Mapping[str, Any], path: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for table, name in raw.items():
        if table not in TABLES:
            raise _err(f"sheets.{table}", f"unknown table; tables are {', '.join(TABLES)}", path)
        text = _text(name, f"sheets.{table}", path).strip()
        if not text:
            raise _err(f"sheets.{table}", "expected the name of a sheet, file or database table", path)
        out[table] = text
    return out


def normalise_value(value: object) -> str:
    """How a user's value is matched under ``[values]``: stripped and case-insensitive."""
    return " ".join(str(value).split()).lower()


def _parse_values(raw: Mapping[str, Any], path: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for table, columns in raw.items():
        if table not in TABLES:
            raise _err(f"values.{table}", f"unknown table; tables are {', '.join(TABLES)}", path)
        if not isinstance(columns, Mapping):
            raise _err(f"values.{table}", "expected [values.<table>.<column>] tables", path)
        for column, mapping in columns.items():
            key = f"values.{table}.{column}"
            if column not in TABLES[table].column_names:
                raise _err(key, f"not a column of {table}; its columns are "
                           f"{', '.join(TABLES[table].column_names)}", path)
            if not isinstance(mapping, Mapping) or not mapping:
                raise _err(key, 'expected a table of user value = canonical value, e.g. "Mitigated" = "open"', path)
            for user, canon in mapping.items():
                if isinstance(canon, Mapping | list) or (isinstance(canon, float) and not math.isfinite(canon)):
                    raise _err(f"{key}.{user}", f"expected a single value, got {canon!r}", path)
            out.setdefault(table, {})[column] = {normalise_value(k): v for k, v in mapping.items()}
    return out


def _parse_scale(raw: Mapping[str, Any], path: str | None) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for table, columns in raw.items():
        if table not in TABLES:
            raise _err(f"scale.{table}", f"unknown table; tables are {', '.join(TABLES)}", path)
        if not isinstance(columns, Mapping):
            raise _err(f"scale.{table}", "expected a table such as { budget = 1000 }", path)
        for column, factor in columns.items():
            key = f"scale.{table}.{column}"
            col = next((c for c in TABLES[table].columns if c.name == column), None)
            if col is None or col.kind != "money":
                amounts = ", ".join(c.name for c in TABLES[table].columns if c.kind == "money") or "none"
                raise _err(key, f"not an amount column of {table} (its amounts are: {amounts})", path)
            out.setdefault(table, {})[column] = _number(factor, key, path, lo=1e-9, hi=1e12)
    return out


def _parse_forecast(raw: Mapping[str, Any], path: str | None) -> ForecastConfig:
    _check_keys(raw, set(ForecastConfig.__dataclass_fields__), "forecast.", path)
    limits = {"seed": (0, 2**63 - 1), "draws": (100, 1_000_000), "history_months": (2, 120)}
    return ForecastConfig(**{k: int(_number(v, f"forecast.{k}", path, lo=limits[k][0], hi=limits[k][1],
                                            integer=True)) for k, v in raw.items()})


def _parse_benefits(raw: Mapping[str, Any], path: str | None) -> BenefitsConfig:
    _check_keys(raw, set(BenefitsConfig.__dataclass_fields__), "benefits.", path)
    return BenefitsConfig(**{k: _number(v, f"benefits.{k}", path, lo=0.0, hi=1.0) for k, v in raw.items()})


def parse_config(raw: Mapping[str, Any], path: str | None = None) -> Config:
    """Build a ``Config`` from a parsed TOML mapping, checking every key."""
    _check_keys(raw, {"organisation", "currency", "rag", "risks", "report", "ingest", "columns", "validation",
                      "sheets", "values", "scale", "import", "branding", "guidelines", "measures", "email",
                      "forecast", "benefits"}, "", path)
    vals: dict[str, Any] = {"path": path}
    if "organisation" in raw:
        vals["organisation"] = _text(raw["organisation"], "organisation", path).strip() or "PMO"
    if "currency" in raw:
        cur = _text(raw["currency"], "currency", path).strip().upper()
        if not (len(cur) == 3 and cur.isalpha()):
            raise _err("currency", f"expected a three-letter ISO code such as EUR, got {raw['currency']!r}", path)
        vals["currency"] = cur
    parsers = {"rag": _parse_rag, "risks": _parse_risks, "report": _parse_report, "ingest": _parse_ingest,
               "columns": _parse_columns, "validation": _parse_validation, "sheets": _parse_sheets,
               "values": _parse_values, "scale": _parse_scale, "import": _parse_import,
               "email": _parse_email, "branding": _parse_branding, "forecast": _parse_forecast,
               "benefits": _parse_benefits}
    for section, parser in parsers.items():
        if section in raw:
            if not isinstance(raw[section], Mapping):
                raise _err(section, "expected a [table]", path)
            vals["import_" if section == "import" else section] = parser(raw[section], path)
    if "guidelines" in raw:
        vals["guidelines"] = parse_guidelines(raw["guidelines"], path)
    if "measures" in raw:
        vals["measures"] = parse_measures(raw["measures"], path)
    return Config(**vals)


def load_config(path: str | Path | Config | None = None) -> Config:
    """Read ``pmo.toml`` (or return the defaults when ``path`` is None).

    Raises
    ------
    ConfigError
        The file is missing, is not valid TOML, or has an unknown key or a bad value.
    """
    if path is None or path == "":
        return Config()
    if isinstance(path, Config):
        return path
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} not found: check the path or omit --config for defaults",
                          path=str(p))
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8-sig"))  # a BOM (Windows Notepad) is not an error
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p} is not valid TOML: {exc}", path=str(p)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p} is not UTF-8 text: save it as UTF-8", path=str(p)) from None
    return parse_config(raw, str(p))
