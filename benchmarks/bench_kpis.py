"""Benchmark: compute() on a large portfolio against reading the same data back from CSV.

Generates 10,000 projects x 60 months (600,000 financial rows), 20,000 milestones, 100,000 risks and
50,000 issues with ``pmo_nb.data.sample.generate`` (every project then gets a row for each of the 60 months,
PV/EV/AC 0 where the sample books nothing), writes them as a CSV folder in a temporary directory, times
``pmo_nb.data.ingest.load`` reading them back (parse + validate), times ``pmo_nb.metrics.kpis.compute`` for the
reporting month, and prints both times, their ratio and the peak memory.

Targets: compute faster than reading; peak resident memory under 1.5 GB.

Run: ``.venv/bin/python benchmarks/bench_kpis.py [--projects N] [--months N]``
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from pmo_nb.data import sample
from pmo_nb.data.ingest import load
from pmo_nb.metrics.kpis import compute
from pmo_nb.periods import Period


def dense_financials(financials: pd.DataFrame, project_ids: pd.Series, periods: list[str]) -> pd.DataFrame:
    """One row per project and month of ``periods`` (amounts 0 where the input has no row)."""
    grid = pd.MultiIndex.from_product([project_ids.to_numpy(dtype=object), periods],
                                      names=["project_id", "period"])
    amounts = ["planned_value", "earned_value", "actual_cost"]
    dense = financials.set_index(["project_id", "period"])[amounts].reindex(grid, fill_value=0.0)
    return dense.reset_index()


def generate(projects: int, months: int, milestones: int, risks: int, issues: int) -> dict[str, pd.DataFrame]:
    tables = sample.generate(programs=max(5, projects // 50), projects=projects, months=months,
                             milestones=milestones, risks=risks, issues=issues)
    last = Period.parse(sample.SAMPLE_PERIOD)
    periods = [last.shift(-k) for k in range(months - 1, -1, -1)]
    tables["financials"] = dense_financials(tables["financials"], tables["projects"]["project_id"], periods)
    return tables


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--milestones", type=int, default=20_000)
    parser.add_argument("--risks", type=int, default=100_000)
    parser.add_argument("--issues", type=int, default=50_000)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    tables = generate(args.projects, args.months, args.milestones, args.risks, args.issues)
    counts = {name: len(frame) for name, frame in tables.items()}
    sizes = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    print(f"generated in {time.perf_counter() - t0:.1f}s: {sizes}")

    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        folder = Path(tmp) / "portfolio"
        sample.write(tables, folder, "csv")
        size_mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        del tables
        gc.collect()

        t0 = time.perf_counter()
        portfolio = load(folder)
        read_s = time.perf_counter() - t0
        rss_after_read = peak_rss_mb()

    period = portfolio.latest_complete_period()
    t0 = time.perf_counter()
    kpis = compute(portfolio, period)
    compute_s = time.perf_counter() - t0
    rss_peak = peak_rss_mb()

    # Python-level allocations of compute alone (tracemalloc slows it, so it is a separate run).
    del kpis
    gc.collect()
    tracemalloc.start()
    compute(portfolio, period)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"CSV folder: {size_mb:.0f} MB; reporting month {period}")
    print(f"read (pmo_nb.data.ingest.load): {read_s:8.2f} s")
    print(f"compute():                 {compute_s:8.2f} s")
    print(f"compute / read:            {compute_s / read_s:8.2f}  (target < 1)")
    print(f"peak RSS after read:       {rss_after_read:8.0f} MB")
    print(f"peak RSS overall:          {rss_peak:8.0f} MB  (target < 1536)")
    print(f"compute() traced peak:     {traced_peak / 2**20:8.0f} MB (tracemalloc)")
    ok = compute_s < read_s and rss_peak < 1536
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
