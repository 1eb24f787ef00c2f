"""Pack benchmark: build the executive pack for N generated programs and print its time and memory.

Generates a portfolio with ``pmo_nb.data.sample.generate`` (``--programs`` programs, ten projects each by
default) in a temporary folder, computes the month once (as a run's parent does), then builds the pack with
:func:`pmo_nb.publish.pack.build_pack` in this process and prints the figures against the targets of issue 11:
a default pack of N programs has at most N + 8 pages (N <= 40; N + 20 at 200), the pack takes at most 15% of
the run's wall time (give the run's time with ``--run-seconds`` to compare) and the parent stays under 1 GB.

Run: ``.venv/bin/python benchmarks/bench_pack.py [--programs 40] [--mode executive|full] [--run-seconds S]``.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

GB = 1024**3


def peak_rss() -> int:
    """Peak resident memory of this process, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=40)
    parser.add_argument("--projects", type=int, default=None, help="default: 10 per program")
    parser.add_argument("--mode", choices=("executive", "full"), default="executive")
    parser.add_argument("--run-seconds", type=float, default=None, help="wall time of the run the pack belongs to")
    args = parser.parse_args(argv)

    import pypdf

    from pmo_nb.config import load_config
    from pmo_nb.data import sample
    from pmo_nb.data.ingest import load
    from pmo_nb.metrics.month import shared_state
    from pmo_nb.publish.pack import PackEntry, build_pack

    n = args.programs
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as tmp:
        started = time.perf_counter()
        sample.write(sample.generate(programs=n, projects=args.projects or 10 * n), Path(tmp))
        cfg = load_config(None)
        state = shared_state(load(Path(tmp), cfg), cfg, sample.SAMPLE_PERIOD)
        prepared = time.perf_counter() - started
    before = peak_rss()
    entries = [PackEntry(None, "program", str(r.program_id), str(r.name), str(r.rag) if r.rag else None)
               for r in state.kpis.programs.itertuples()]
    started = time.perf_counter()
    data = build_pack(entries, organisation="Bench", period=state.period, state=state, mode=args.mode)
    seconds = time.perf_counter() - started
    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    rss = peak_rss()

    budget = n + (8 if n <= 40 else 20)
    print(f"pack of {n} programs ({args.mode}): data and month {prepared:.1f} s (not counted)")
    print(f"  pages        {pages:6d}       target <= {budget} ({'ok' if pages <= budget else 'OVER'})"
          + ("" if args.mode == "executive" else " (the budget is for the default pack)"))
    print(f"  seconds      {seconds:8.1f}     {seconds / n:.2f} s per program")
    if args.run_seconds:
        share = seconds / args.run_seconds
        print(f"  share of run {share:8.1%}     target <= 15% ({'ok' if share <= 0.15 else 'OVER'})")
    else:
        print("  share of run     n/a     target <= 15% of the run's wall time (pass --run-seconds)")
    print(f"  parent RSS   {rss / 2**20:8.0f} MB  target <= 1024 MB ({'ok' if rss <= GB else 'OVER'}); "
          f"{(rss - before) / 2**20:.0f} MB above the peak before the pack")
    print(f"  size         {len(data) / 1e6:8.1f} MB")
    return 0 if pages <= budget or args.mode == "full" else 1


if __name__ == "__main__":
    sys.exit(main())
