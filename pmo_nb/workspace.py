"""A PMO's own reporting folder (``pmo-nb init``): its ``pmo.toml``, notebooks, template override and data.

:class:`Workspace` answers where each of those is, falling back to the packaged file (:mod:`pmo_nb.paths`) for
anything the workspace lacks; :func:`init` creates a workspace and :func:`check` lists its notebooks and template
overrides that differ from the installed pmo-nb's (after an upgrade). A workspace is the folder given with
``--workspace`` (passed on to workers and kernels in ``PMO_NB_WORKSPACE``), else the current folder when it holds a
``pmo.toml``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmo_nb.config import Config
from pmo_nb.contract import WORKSPACE_ENV
from pmo_nb.exceptions import WorkspaceError
from pmo_nb.paths import NOTEBOOKS_DIR, SAMPLE_DIR, TEMPLATES_DIR
from pmo_nb.schema import TABLES

__all__ = ["CONFIG_FILE", "Workspace", "Difference", "init", "check", "config_text", "KEY_HELP"]

CONFIG_FILE = "pmo.toml"
NOTEBOOKS = "notebooks"
TEMPLATES = "templates"
DATA = "data"
MANIFEST = ".pmo-nb.json"
"""What ``init`` wrote and the packaged files' hashes at that time: ``check`` tells user edits from upgrades."""


@dataclass(frozen=True)
class Workspace:
    """Where a command finds its config, notebooks, template and data; ``root`` None means the packaged ones."""

    root: Path | None = None

    @classmethod
    def find(cls, explicit: str | os.PathLike[str] | None = None) -> Workspace:
        """The workspace of ``explicit``, else of ``$PMO_NB_WORKSPACE``, else the current folder if it holds a
        ``pmo.toml``, else none (everything packaged).

        Raises
        ------
        WorkspaceError
            ``explicit`` (or the environment variable) is not a folder.
        """
        given = explicit or os.environ.get(WORKSPACE_ENV) or None
        if given:
            root = Path(given).expanduser().resolve()
            if not root.is_dir():
                raise WorkspaceError(f"workspace {str(root)!r} is not a folder: create one with `pmo-nb init "
                                     f"{given}` or give an existing workspace", path=str(root))
            return cls(root)
        here = Path.cwd()
        return cls(here) if (here / CONFIG_FILE).is_file() else cls(None)

    @property
    def config_path(self) -> Path | None:
        """The workspace's ``pmo.toml``, or None (built-in defaults)."""
        if self.root is None:
            return None
        path = self.root / CONFIG_FILE
        return path if path.is_file() else None

    def notebook(self, name: str) -> Path:
        """``notebooks/<name>`` of the workspace when present, else the packaged report notebook."""
        if self.root is not None and (self.root / NOTEBOOKS / name).is_file():
            return self.root / NOTEBOOKS / name
        return NOTEBOOKS_DIR / name

    @property
    def template_dirs(self) -> list[Path]:
        """Template base folders to search before the packaged ones (the workspace's ``templates/``, if any)."""
        if self.root is not None and (self.root / TEMPLATES).is_dir():
            return [self.root / TEMPLATES]
        return []

    @property
    def data_dir(self) -> Path:
        """The workspace's ``data/`` when it holds any file, else the packaged sample portfolio."""
        if self.root is not None:
            data = self.root / DATA
            if data.is_dir() and any(p.is_file() for p in data.iterdir()):
                return data
        return SAMPLE_DIR


# ----------------------------------------------------------------------------------------------- pmo.toml

KEY_HELP: dict[str, str] = {
    "organisation": "shown in report headers and on the pack's cover",
    "currency": "ISO code printed next to amounts",
    "rag.green": "index >= green is green",
    "rag.amber": "amber <= index < green is amber; below amber is red",
    "rag.missed_key_milestone": "status when a key milestone is missed (green, amber, red or none)",
    "rag.missed_milestone": "status when any milestone is missed",
    "rag.critical_risk": 'status when an open critical risk exists ("none" to ignore)',
    "risks.bands": "score ranges (probability x impact, 1-25) of each band; every score needs one band",
    "risks.probability_scale": "probability of each level 1-5, for expected exposure",
    "risks.top_n": "risks listed in a report's top risks",
    "report.page_size": "A3, A4, A5, letter or legal",
    "report.orientation": "landscape or portrait",
    "report.stale_after_days": "a project whose last status is older is flagged stale",
    "report.upcoming_days": "horizon for upcoming milestones",
    "ingest.thousands_separator": 'e.g. "," to accept 1,200.50',
    "ingest.decimal": '"." or ","',
    "ingest.max_file_mb": "a CSV/Parquet/Excel file larger than this is refused",
    "ingest.max_rows": "records per table, counted before the table is loaded",
    "ingest.max_cells": "cells per workbook sheet",
    "ingest.date_format": 'besides YYYY-MM-DD: a strftime pattern ("%d/%m/%Y") or "dayfirst"',
    "ingest.financials": '"monthly" amounts, or "cumulative" running totals',
    "validation.invalid_rows": '"fail": any finding stops; "exclude": rows breaking a rule are left out',
    "import.program": "program id of imported projects when `pmo-nb import` has no --program",
    "import.key_milestone": 'a flag ("Flag1") or custom field marking key milestones',
    "branding.logo": "SVG or PNG file (relative to this file) on every report and the pack's cover",
    "branding.primary_colour": "titles, headings and rules (hex)",
    "branding.accent_colour": "links and the first chart series (hex)",
    "branding.font": "a font family installed on this machine, or a .ttf/.otf/.woff/.woff2 file",
    "columns": 'rename your headers: "Project Code" = "project_id" (every table), or [columns.risks]',
    "sheets": "the sheet, file or database table holding a table: projects = \"Project list\"",
    "values": 'your values to canonical ones: [values.risks.status] "Mitigated" = "open"',
    "scale": "multiply amounts: [scale.financials] planned_value = 1000 for kEUR",
    "guidelines": "the built-in guidelines apply; change one by id or add your own: docs/guidelines.md",
    "measures": "your own measures: docs/guidelines.md",
    "email.host": "SMTP server of `pmo-nb send` (docs/sending.md); not needed for --dry-run",
    "email.port": "the submission port (STARTTLS)",
    "email.from": 'sender address, e.g. "PMO <pmo@example.org>"',
    "email.username": "AUTH user; empty: no authentication",
    "email.starttls": "upgrade the connection before AUTH (false only on a trusted relay)",
    "email.password_env": "the environment variable holding the SMTP password (never in this file)",
    "email.pack_to": "who receives the executive pack",
    "email.timeout": "seconds per SMTP command",
    "email.cafile": "a CA certificate (PEM) for a server with a private certificate authority",
    "forecast.seed": "seed of the risk-adjusted forecast (the same seed gives the same P50/P80)",
    "forecast.draws": "Monte Carlo draws per project",
    "forecast.history_months": "months of each project's own index history the draws are spread by",
    "benefits.at_risk_tolerance": "a benefit this far (share of its change) behind its trajectory is at risk",
}
"""One line per key of ``pmo.toml``; tests/test_workspace.py checks every Config key has one."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_key(key: Any) -> str:
    text = str(key)
    return text if _BARE_KEY.fullmatch(text) else json.dumps(text)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _line(key: str, value: Any, help_key: str) -> str:
    entry = f"{_toml_key(key)} = {_toml_value(value)}"
    note = KEY_HELP.get(help_key, "")
    return f"{entry:<40} # {note}" if note else entry


def config_text(config: Config | None = None) -> str:
    """``pmo.toml`` with every key at its value in ``config`` (default: the defaults), each with a comment.

    Generated from the ``Config`` dataclasses, so a new key appears here with its default.
    """
    config = config or Config()
    head = ["# pmo.toml: the settings of this reporting workspace (docs/configuration.md in pmo-nb).",
            "# Every key is shown with its default; delete a line to keep the default.", ""]
    scalars: list[str] = []
    sections: list[str] = []
    examples: list[str] = []
    for f in dataclasses.fields(config):
        if f.name == "path":
            continue
        name = "import" if f.name == "import_" else f.name
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            sections += ["", f"[{name}]"] + [
                # a field named after a Python keyword (``from_``) is the TOML key without the underscore
                _line(sub.name.rstrip("_"), getattr(value, sub.name), f"{name}.{sub.name.rstrip('_')}")
                for sub in dataclasses.fields(value)
            ]
        elif isinstance(value, str | int | float):
            scalars.append(_line(name, value, name))
        else:  # tables and arrays of tables: empty by default, shown as a comment
            brackets = f"[[{name}]]" if isinstance(value, tuple) else f"[{name}]"  # arrays of tables vs tables
            examples.append(f"# {brackets}: {KEY_HELP.get(name, '')}")
    return "\n".join(head + scalars + sections + ["", *examples, ""])


# ----------------------------------------------------------------------------------------------- init

def _template_override(name: str) -> str:
    return f"""{{#- Your override of pmo-nb's `{name}` report template (HTML and PDF). It extends the packaged
    template: each block below is one meant for customising (CUSTOMISE); delete a block to keep the packaged
    one, `{{{{ super() }}}}` keeps the packaged content. Colours, logo and font are set in pmo.toml [branding].
    `pmo-nb init --check` tells you when a new pmo-nb changes the template this file extends. -#}}
{{%- extends '{name}/index.html.j2' -%}}

{{#- CUSTOMISE: extra <head> content, e.g. <style> rules for your house style. -#}}
{{%- block pmo_extra_head -%}}
{{{{ super() }}}}
{{%- endblock pmo_extra_head -%}}

{{#- CUSTOMISE: the logo in each report's header (from [branding] logo). -#}}
{{%- block pmo_logo -%}}
{{{{ super() }}}}
{{%- endblock pmo_logo -%}}

{{#- CUSTOMISE: a line under the report's title, e.g. a classification marking. -#}}
{{%- block pmo_header_extra -%}}
{{{{ super() }}}}
{{%- endblock pmo_header_extra -%}}

{{#- CUSTOMISE: text at the end of the footer, e.g. a contact address. -#}}
{{%- block pmo_footer_extra -%}}
{{{{ super() }}}}
{{%- endblock pmo_footer_extra -%}}
"""


README = """# {name}: monthly PMO reports

A pmo-nb workspace, created by `pmo-nb init`. Run the commands from this folder (or pass `--workspace {name}`):

    pmo-nb validate                 # check data/ against the data model
    pmo-nb run                      # this month's reports into reports/YYYY-MM/ (open index.html)
    pmo-nb init --check             # after upgrading pmo-nb: what changed in the packaged notebooks/template

- `pmo.toml`: settings, every key with its default; `[branding]` sets logo, colours and font.
- `data/`: the portfolio's tables (programs, projects, financials, milestones, risks, issues).
- `notebooks/`: the report notebooks; edit them to change the reports (a missing one falls back to pmo-nb's).
- `templates/pmo/index.html.j2`: the report page; blocks marked CUSTOMISE are the ones meant for changing.
- `reports/`: the output, not kept in version control (`.gitignore`).
"""


@dataclass(frozen=True)
class Difference:
    """One workspace file that differs from the installed pmo-nb's, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _packaged_files() -> Iterator[tuple[str, Path]]:
    """``(key, file)`` of each packaged file a workspace copies or extends."""
    for nb in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        yield f"{NOTEBOOKS}/{nb.name}", nb
    for template in sorted(p for p in TEMPLATES_DIR.iterdir() if p.is_dir()):
        for file in sorted(q for q in template.rglob("*") if q.is_file()):
            yield f"{TEMPLATES}/{file.relative_to(TEMPLATES_DIR).as_posix()}", file


def _workspace_files(empty: bool) -> dict[str, bytes]:
    files: dict[str, bytes] = {CONFIG_FILE: config_text().encode("utf-8"), ".gitignore": b"reports/\n"}
    for nb in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        files[f"{NOTEBOOKS}/{nb.name}"] = nb.read_bytes()
    for template in sorted(p for p in TEMPLATES_DIR.iterdir() if p.is_dir()):
        files[f"{TEMPLATES}/{template.name}/index.html.j2"] = _template_override(template.name).encode("utf-8")
    for name, table in TABLES.items():
        sample = SAMPLE_DIR / f"{name}.csv"
        if empty or not sample.is_file():
            files[f"{DATA}/{name}.csv"] = (",".join(table.column_names) + "\n").encode("utf-8")
        else:
            files[f"{DATA}/{name}.csv"] = sample.read_bytes()
    return files


def init(target: str | os.PathLike[str], *, empty: bool = False, version: str = "") -> list[Path]:
    """Create a workspace in ``target`` (a new or empty folder) and return the files written.

    ``version`` (pmo-nb's) is recorded with the packaged files' hashes for :func:`check`.

    Raises
    ------
    WorkspaceError
        ``target`` is a file or a folder that is not empty, or cannot be written.
    """
    root = Path(target).expanduser().absolute()
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} is a file: give a new or empty folder for the workspace", path=str(root))
    if root.is_dir() and any(root.iterdir()):
        names = sorted(p.name for p in root.iterdir())
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise WorkspaceError(f"{root} is not empty (it holds {shown}): give a new or empty folder; nothing was "
                             "written", path=str(root))
    files = _workspace_files(empty)
    files["README.md"] = README.format(name=root.name).encode("utf-8")
    manifest = {"pmo_nb": version, "created": {k: _sha(v) for k, v in files.items()},
                "packaged": {k: _sha(p.read_bytes()) for k, p in _packaged_files()}}
    files[MANIFEST] = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8")
    written: list[Path] = []
    try:
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("xb") as fh:  # never overwrite what pmo-nb did not create
                fh.write(data)
            written.append(path)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise WorkspaceError(f"cannot write the workspace in {root}: {exc.strerror or exc}", path=str(root)) from None
    return written


def _cells(data: bytes) -> list[tuple[str, str]]:
    """A notebook's content as it affects a report: each cell's type and source (outputs and ids ignored)."""
    try:
        nb = json.loads(data)
        return [(c.get("cell_type", ""), "".join(c.get("source", ""))) for c in nb.get("cells", [])]
    except (ValueError, AttributeError, TypeError):
        return [("unreadable", data.decode("utf-8", "replace"))]


def check(target: str | os.PathLike[str] | None = None) -> list[Difference]:
    """The workspace's notebooks and template overrides that differ from the installed pmo-nb's.

    A notebook differs when its cells differ from the packaged one (edited here, or changed by an upgrade); a
    template override is listed when the packaged template it extends changed since ``init`` (or it was edited).

    Raises
    ------
    WorkspaceError
        ``target`` is not a pmo-nb workspace (no ``pmo.toml``).
    """
    root = Path(target).expanduser().absolute() if target is not None else (Workspace.find().root or Path.cwd())
    if not (root / CONFIG_FILE).is_file():
        raise WorkspaceError(f"{root} is not a pmo-nb workspace (no {CONFIG_FILE}): run `pmo-nb init --check DIR` "
                             "on a folder made by `pmo-nb init`", path=str(root))
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    created: dict[str, str] = manifest.get("created", {})
    packaged_then: dict[str, str] = manifest.get("packaged", {})
    out: list[Difference] = []
    for nb in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        rel = f"{NOTEBOOKS}/{nb.name}"
        mine = root / rel
        if not mine.is_file():
            continue  # the packaged notebook is used
        data, new = mine.read_bytes(), nb.read_bytes()
        if _cells(data) == _cells(new):
            continue
        why = []
        if created.get(rel) and _sha(data) != created[rel]:
            why.append("edited in this workspace")
        if packaged_then.get(rel) and _sha(new) != packaged_then[rel]:
            why.append("the packaged version changed since init")
        out.append(Difference(rel, "differs from the packaged version" + (f" ({'; '.join(why)})" if why else "")))
    for template in sorted(p for p in TEMPLATES_DIR.iterdir() if p.is_dir()):
        rel = f"{TEMPLATES}/{template.name}/index.html.j2"
        mine = root / rel
        if not mine.is_file():
            continue
        changed = [k for k, p in _packaged_files() if k.startswith(f"{TEMPLATES}/{template.name}/")
                   and packaged_then.get(k) != _sha(p.read_bytes())]
        edited = created.get(rel) is not None and _sha(mine.read_bytes()) != created[rel]
        if changed:
            shown = ", ".join(k.split("/", 1)[1] for k in changed)
            out.append(Difference(rel, f"overrides a packaged template that changed since init ({shown})"
                                  + ("; review your edits against it" if edited else "")))
        elif edited:
            out.append(Difference(rel, "customised in this workspace (the packaged template is unchanged)"))
    return out

