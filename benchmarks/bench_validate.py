"""Benchmark: validating a 200,000-row table full of duplicate keys (the check must stay linear).

Writes a small valid portfolio whose projects table has 200,000 rows, every one a copy of the same project (so
every row is a duplicate key with a finding), as a CSV folder in a temporary directory, times
``pmo_nb.data.ingest.check`` on it and prints the time next to the target.

Target: under 30 s on one core (a quadratic duplicate check takes hours at this size).

Run: ``.venv/bin/python benchmarks/bench_validate.py [--rows N]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from pmo_nb.data import sample
from pmo_nb.data.ingest import check

TARGET_S = 30.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args(argv)
    tables = sample.generate()
    projects = tables["projects"]
    tables["projects"] = pd.concat([projects, pd.concat([projects.iloc[[0]]] * args.rows, ignore_index=True)],
                                   ignore_index=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dup"
        sample.write(tables, folder, "csv")
        start = time.perf_counter()
        result = check(folder)
        elapsed = time.perf_counter() - start
    duplicates = sum(f.rule.startswith("duplicate project_id") for f in result.findings)
    print(f"rows in projects: {len(tables['projects']):,}; duplicate-key findings: {duplicates:,}")
    print(f"validate (pmo_nb.data.ingest.check): {elapsed:8.2f} s   target: < {TARGET_S:.0f} s")
    return 0 if elapsed < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
