"""The ``--into`` folder: a ledger of imported snapshots and the canonical tables rebuilt from it.

Every import adds (or replaces) one snapshot per project and month in ``.pmo-nb-import.json``; the tables are then
rebuilt from the whole ledger, so re-importing a month is idempotent and the order of imports does not matter.
Files pmo-nb import did not write are never overwritten (the ledger keeps a checksum of each table it wrote).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from pmo_nb.config import normalise_header
from pmo_nb.data.imports.errors import TargetFolderError
from pmo_nb.data.imports.snapshot import Snapshot
from pmo_nb.periods import Period
from pmo_nb.schema import TABLES

LEDGER = ".pmo-nb-import.json"
WRITTEN_TABLES: tuple[str, ...] = ("programs", "projects", "financials", "milestones")
"""The tables an import writes; risks and issues in the same folder are the user's and are left alone."""

_FIX = "import into a new folder, or one that only pmo-nb import has written"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Store:
    """The target folder; :meth:`open` checks it holds nothing pmo-nb import would overwrite by mistake."""

    def __init__(self, folder: Path, ledger: dict[str, Any], user_programs: pd.DataFrame | None) -> None:
        self.folder = folder
        self.ledger = ledger
        self.user_programs = user_programs

    @classmethod
    def open(cls, folder: str | Path) -> Store:
        root = Path(folder)
        if root.exists() and not root.is_dir():
            raise TargetFolderError(f"--into {root} is a file: give a folder (created if missing)", path=str(root))
        ledger: dict[str, Any] = {"version": 1, "written": {}, "projects": {}}
        ledger_path = root / LEDGER
        if ledger_path.is_file():
            try:
                ledger = json.loads(ledger_path.read_text(encoding="utf-8"))
                ledger.setdefault("written", {})
                ledger.setdefault("projects", {})
            except (ValueError, UnicodeDecodeError):
                raise TargetFolderError(f"{ledger_path} is damaged (not JSON): restore it from a backup or "
                                        f"{_FIX}", path=str(ledger_path)) from None
        user_programs = None
        if root.is_dir():
            for p in sorted(root.iterdir()):
                if p.name == LEDGER:
                    continue
                table = normalise_header(p.stem) if p.suffix.lower() in (".csv", ".parquet") else None
                if table not in TABLES or not p.is_file():
                    raise TargetFolderError(f"--into {root} holds {p.name}, which is not a pmo-nb table: {_FIX}",
                                            path=str(p))
                if table not in WRITTEN_TABLES:
                    continue  # risks.csv, issues.csv: the user's registers, kept as they are
                mine = ledger["written"].get(p.name)
                if mine is not None and mine == _sha(p):
                    continue
                if table == "programs" and mine is None and p.suffix.lower() == ".csv":
                    user_programs = pd.read_csv(p, dtype=str, keep_default_na=False)
                    continue
                why = "was changed since pmo-nb import wrote it" if mine else "was not written by pmo-nb import"
                raise TargetFolderError(f"--into {root}: {p.name} {why} and would be overwritten: {_FIX} (or move "
                                        f"{p.name} away and import every month again)", path=str(p))
        return cls(root, ledger, user_programs)

    # ------------------------------------------------------------------------------------------ snapshots
    def add(self, snap: Snapshot) -> bool:
        """Record ``snap``; True when it replaces an earlier import of the same project and month."""
        entry = self.ledger["projects"].setdefault(snap.project_id, {"snapshots": {}})
        replaced = str(snap.period) in entry["snapshots"]
        entry["snapshots"][str(snap.period)] = snap.as_dict()
        return replaced

    def program_of(self, project_id: str) -> str | None:
        snaps = self.ledger["projects"].get(project_id, {}).get("snapshots", {})
        return snaps[max(snaps)]["program_id"] if snaps else None

    # ------------------------------------------------------------------------------------------ tables
    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables rebuilt from every snapshot in the ledger."""
        projects, financials, milestones = [], [], []
        for pid in sorted(self.ledger["projects"]):
            snaps = self.ledger["projects"][pid]["snapshots"]
            months = sorted(snaps)
            last = snaps[months[-1]]
            projects.append({
                "project_id": pid, "program_id": last["program_id"], "name": last["name"],
                "manager": last["manager"] or "unknown", "phase": None,
                "baseline_start": last["baseline_start"], "baseline_finish": last["baseline_finish"],
                "forecast_finish": last["forecast_finish"], "budget": round(last["bac"], 2),
                "reported_status": None, "status_comment": last["comment"] or None,
                "last_updated": last["status_date"], "status_date": last["status_date"],
            })
            # EV and AC: the increase between successive snapshots, booked in each snapshot's month
            booked: dict[str, tuple[float, float]] = {}
            prev_ev = prev_ac = 0.0
            for m in months:
                ev, ac = round(snaps[m]["ev"], 2), round(snaps[m]["ac"], 2)
                booked[m] = (round(ev - prev_ev, 2), round(ac - prev_ac, 2))
                prev_ev, prev_ac = ev, ac
            curve = {k: round(v, 2) for k, v in last["pv_curve"].items()}
            for m in sorted(set(curve) | set(booked)):
                ev_m, ac_m = booked.get(m, (0.0, 0.0))
                financials.append({"project_id": pid, "period": str(Period.parse(m)),
                                   "planned_value": curve.get(m, 0.0), "earned_value": ev_m, "actual_cost": ac_m})
            milestones.extend(last["milestones"])
        program_ids = sorted({p["program_id"] for p in projects})
        programs = pd.DataFrame([{"program_id": p, "name": p, "sponsor": "unknown", "manager": "unknown",
                                  "objective": None} for p in program_ids], columns=TABLES["programs"].column_names)
        cols = {name: TABLES[name].column_names for name in WRITTEN_TABLES}
        return {
            "programs": programs,
            "projects": pd.DataFrame(projects, columns=cols["projects"]),
            "financials": pd.DataFrame(financials, columns=cols["financials"]),
            "milestones": pd.DataFrame(milestones, columns=cols["milestones"]),
        }

    def missing_programs(self, program_ids: set[str]) -> list[str]:
        """Program ids the user's own programs.csv lacks (empty when pmo-nb writes programs.csv)."""
        if self.user_programs is None:
            return []
        have = {normalise_header(c): c for c in self.user_programs.columns}
        col = have.get("program_id")
        known = set(self.user_programs[col].str.strip()) if col else set()
        return sorted(program_ids - known)

    def write(self) -> list[Path]:
        """Write the tables and the ledger (each file replaced atomically); returns the files written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tables = self.tables()
        written = []
        for name, df in tables.items():
            if name == "programs" and self.user_programs is not None:
                continue
            path = self.folder / f"{name}.csv"
            _atomic_write(path, df.to_csv(index=False, lineterminator="\n", float_format="%.2f"))
            self.ledger["written"][path.name] = _sha(path)
            written.append(path)
        _atomic_write(self.folder / LEDGER, json.dumps(self.ledger, indent=1, sort_keys=True) + "\n")
        return written


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
