"""Benchmark: the risk-adjusted Monte Carlo (``pmo_nb.metrics.forecast.simulate``) at portfolio scale.

Builds the simulation's inputs for N projects (default 4,000) in 200 programs with three open risks each (cost
and schedule impacts), runs ``--draws`` draws (default 10,000) summed per program and for the portfolio, and
prints the time, the draws per second and the peak memory against the target.

Target: 10,000 draws for 4,000 projects in under 10 seconds, peak traced memory under 500 MB.

Run: ``.venv/bin/python benchmarks/bench_forecast.py [--projects N] [--draws N]``
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from dataclasses import replace

import numpy as np
import pandas as pd

from pmo_nb.config import Config, ForecastConfig
from pmo_nb.metrics import forecast

TARGET_SECONDS = 10.0
TARGET_MB = 500.0


def synthetic(n: int, seed: int = 1) -> tuple[forecast.Inputs, pd.DataFrame, pd.Series]:
    """Inputs of ``n`` projects part-way through, 3 open risks each, and their program ids (20 per program)."""
    rng = np.random.default_rng(seed)
    bac = rng.uniform(1e5, 2e7, n)
    done = rng.uniform(0.05, 1.0, n)
    cpi, spi_t = rng.uniform(0.75, 1.15, n), rng.uniform(0.7, 1.1, n)
    pdur = rng.integers(6, 48, n).astype("float64")
    es = done * pdur
    first = 2024 * 12 + rng.integers(0, 24, n).astype("float64")
    inp = forecast.Inputs(
        ids=pd.Index([f"P{i:05d}" for i in range(n)]), ac=done * bac / cpi, ev=done * bac, bac=bac, cpi=cpi,
        cpi_sd=rng.uniform(0.0, 0.15, n), es=es, pd=pdur, spi_t=spi_t, spi_sd=rng.uniform(0.0, 0.2, n),
        now=first + es / spi_t, baseline=first + pdur, first_month=first, finished=done >= 0.999,
        fixed_finish=first + pdur, cost_reason=np.full(n, "", dtype=object), time_reason=np.full(n, "", dtype=object),
    )
    k = 3 * n
    risks = pd.DataFrame({
        "risk_id": [f"R{i:06d}" for i in range(k)], "project_id": np.repeat(inp.ids.to_numpy(), 3),
        "probability": rng.integers(1, 6, k), "cost_impact": rng.uniform(1e4, 1e6, k), "open": True,
        forecast.SCHEDULE_IMPACT: rng.integers(0, 90, k).astype("float64"),
    })
    programs = pd.Series([f"PRG-{i // 20:03d}" for i in range(n)])
    return inp, risks, programs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=4000)
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args()
    inp, risks, programs = synthetic(args.projects)
    config = replace(Config(), forecast=ForecastConfig(draws=args.draws))
    groups = {"program_id": programs, "portfolio": pd.Series(["portfolio"] * args.projects)}
    tracemalloc.start()
    start = time.perf_counter()
    result = forecast.simulate(inp, risks, config, groups)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    total = args.projects * args.draws
    print(f"forecast: {args.draws:,} draws x {args.projects:,} projects ({len(risks):,} risks, "
          f"{programs.nunique()} programs) in {seconds:.2f} s ({total / seconds / 1e6:.1f} M project-draws/s), "
          f"peak traced memory {peak:.0f} MB")
    print(f"target: under {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB -> "
          f"{'met' if seconds < TARGET_SECONDS and peak < TARGET_MB else 'MISSED'}")
    pf = result.groups["portfolio"].iloc[0]
    print(f"portfolio P50 {pf['eac_p50']:,.0f}, P80 {pf['eac_p80']:,.0f}, within budget {pf['p_within_budget']:.1%}")


if __name__ == "__main__":
    main()
