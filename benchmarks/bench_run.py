"""Benchmark: `pmo-nb run` against the usual shell loop of `papermill` + `nbconvert` (+ `weasyprint`) per report.

Generates a portfolio of ``--programs`` programs (12 by default) with ``pmo_nb.data.sample.generate`` (CSV folder in a
temporary directory), then makes the same reports (every program's report plus the portfolio overview) in these
ways, one after the other on this machine:

(a) the way most teams do it today: a shell loop that calls the ``papermill`` CLI, then
    ``jupyter nbconvert --to html --no-input``, once per report (a fresh Python and kernel each time);
(a+pdf) then, for the full job, the usual PDF step on each of those HTML files: the ``weasyprint`` CLI (a fresh
    Python each time); the naive full job is (a) plus this step;
(b) ``pmo-nb run --formats html`` (worker processes that import everything once, render in parallel, shared
    load/compute, each worker keeping its kernel between reports: the defaults);
(c) ``pmo-nb run --formats html,pdf``: the full job, the reports in both formats plus the executive pack;
(d) with ``--no-reuse-kernels``: (b) with a fresh kernel per report (only with ``--also-no-reuse``).

It prints each figure with its target (issue 15): (b) at least 8x faster than (a), and (c) at least 8x faster than
(a) + (a+pdf), on 2 cores with 12 programs; and, per report, the time beyond the notebook's own cells (kernel
start and parameter injection, papermill's bookkeeping and the save of the executed notebook, rendering and
writing each format) against the target of under 15% of the report's time, from the runs' manifests (``timings``:
``kernel_start``, ``execute``, ``cells``, ``render_<fmt>``). It is a measurement, not a timed test: the machine's
load average is printed at the start and the end, since the figures follow it.

Run: ``.venv/bin/python benchmarks/bench_run.py [--programs 12] [--jobs N] [--html-only] [--also-no-reuse]
[--program-notebook PATH --portfolio-notebook PATH]`` (the notebooks default to the packaged report notebooks).

Measured on the development machine (2 CPUs, nothing else running), 12 programs, load average 1.05 2.88 3.33 at
the start and 2.52 2.15 2.80 at the end: loop 246.0 s (+ 32.9 s weasyprint); html 30.1 s, 8.2x (met); html,pdf
48.8 s, 5.7x (NOT met); overhead beyond the cells 27.9% (html), 57.0% (html,pdf), NOT met. On 2026-12-07 (load average
0.86 at the start, 1.88 at the end): loop 254.2 s (+ 34.3 s); html 32.3 s, 7.9x; html,pdf 52.8 s, 5.5x; overhead 28.5%,
56.9%: none met. Later that day (load average 1.79 at the start, 2.78 at the end): loop 259.0 s (+ 36.0 s); html
34.7 s, 7.5x; html,pdf 52.1 s, 5.7x; overhead 23.6%, 53.7%: none met. Before the speed-ups
(5 programs, load average about 7): 3.0x and 2.4x. Details and why: docs/scaling.md, "How fast a month runs".
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pmo_nb.data import sample
from pmo_nb.run.monthly import PORTFOLIO_NOTEBOOK, PROGRAM_NOTEBOOK

BIN = Path(sys.executable).parent
SPEED_UP_TARGET = 8.0
OVERHEAD_TARGET = 0.15


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def shell_loop(program_ids: list[str], src: Path, period: str, program_nb: Path, portfolio_nb: Path,
               out: Path) -> str:
    """The bash script of approach (a)."""
    lines = ["set -u"]
    runs = [(portfolio_nb, "portfolio", [])]
    runs += [(program_nb, pid, ["-p", "program_id", pid]) for pid in program_ids]
    for nb, name, extra in runs:
        executed = out / f"{name}.ipynb"
        papermill = [str(BIN / "papermill"), str(nb), str(executed), "-k", "python3", "--no-progress-bar",
                     "-p", "period", period, "-p", "source", str(src), *extra]
        nbconvert = [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)]
        lines.append(f"{shlex.join(papermill)} 2>/dev/null && {shlex.join(nbconvert)} 2>/dev/null")
    return "\n".join(lines) + "\n"


def pdf_loop(html_files: list[Path]) -> str:
    """The bash script of the naive PDF step: the weasyprint CLI on each nbconvert HTML file."""
    lines = ["set -u"]
    for html in html_files:
        cmd = [str(BIN / "weasyprint"), str(html), str(html.with_suffix(".pdf"))]
        lines.append(f"{shlex.join(cmd)} 2>/dev/null")
    return "\n".join(lines) + "\n"


def timed(script: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(["bash", "-c", script], check=False)
    return time.perf_counter() - t0


def pmo_run(src: Path, period: str, out: Path, formats: str, args: argparse.Namespace, *extra: str
            ) -> tuple[float, int, dict[str, Any]]:
    cmd = [str(BIN / "pmo-nb"), "run", "--source", str(src), "--period", period, "--formats", formats,
           "--out", str(out), "--quiet", "--program-notebook", str(args.program_notebook),
           "--portfolio-notebook", str(args.portfolio_notebook), *extra]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, check=False)
    elapsed = time.perf_counter() - t0
    manifest = json.loads((out / period / "manifest.json").read_text(encoding="utf-8"))
    return elapsed, proc.returncode, manifest


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def speed_up_line(label: str, name: str, elapsed: float, rc: int, manifest: dict[str, Any], naive: float,
                  naive_name: str, n: int) -> str:
    ok = sum(r["status"] == "ok" for r in manifest["reports"])
    ratio = naive / elapsed
    return (f"({label}) {name:<40} {elapsed:7.1f} s  (exit {rc}, {ok}/{n} ok, {manifest['jobs']} workers)\n"
            f"    speed-up over {naive_name}: {ratio:.1f}x (target >= {SPEED_UP_TARGET:g}x: "
            f"{verdict(ratio >= SPEED_UP_TARGET)})")


def overhead(manifest: dict[str, Any]) -> list[str]:
    """The per-report breakdown of a run's manifest and the overhead's share of the reports' time."""
    reports = [r for r in manifest["reports"] if r["status"] == "ok"]
    if not reports:
        return ["  no report succeeded"]
    fmts = [f"render_{f}" for f in manifest["formats"]]

    def col(key: str) -> list[float]:
        return [r["timings"].get(key, 0.0) for r in reports]

    rows: dict[str, list[float]] = {
        "kernel start, parameters": col("kernel_start"),
        "papermill, save": [r["timings"].get("execute", 0.0) - r["timings"].get("cells", 0.0) for r in reports],
        **{f"{key.replace('_', ' ')}, write": col(key) for key in fmts},
    }
    accounted = [sum(v) for v in zip(*rows.values(), col("cells"), strict=True)]
    rows["other (worker)"] = [r["duration"] - a for r, a in zip(reports, accounted, strict=True)]
    lines = ["  per report, seconds (mean / max):"]
    for name, vals in [("cells (the notebook's own)", col("cells")), *rows.items()]:
        lines.append(f"    {name:<28} {statistics.mean(vals):6.2f} / {max(vals):6.2f}")
    total = [r["duration"] for r in reports]
    lines.append(f"    {'total':<28} {statistics.mean(total):6.2f} / {max(total):6.2f}")
    share = 1 - sum(col("cells")) / sum(total)
    lines.append(f"  overhead beyond the cells: {share:.1%} of the reports' time (target < {OVERHEAD_TARGET:.0%}: "
                 f"{verdict(share < OVERHEAD_TARGET)})")
    if manifest.get("pack"):
        lines.append(f"  executive pack: {manifest['pack'].get('duration', 0.0):.2f} s (in the run, after the reports)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=None, help="pmo-nb run --jobs (default: CPUs)")
    parser.add_argument("--html-only", action="store_true", help="leave out the full job (PDF, pack)")
    parser.add_argument("--also-no-reuse", action="store_true", help="also run (b) with --no-reuse-kernels")
    parser.add_argument("--program-notebook", type=Path, default=PROGRAM_NOTEBOOK)
    parser.add_argument("--portfolio-notebook", type=Path, default=PORTFOLIO_NOTEBOOK)
    args = parser.parse_args()
    for nb in (args.program_notebook, args.portfolio_notebook):
        if not nb.is_file():
            sys.exit(f"{nb} not found: pass --program-notebook/--portfolio-notebook")

    load_start = loadavg()
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        root = Path(tmp)
        src = root / "source"
        extra = max(0, args.programs - 5)
        tables = sample.generate(programs=max(5, args.programs), projects=34 + 4 * extra)
        sample.write(tables, src, format="csv")
        period = sample.SAMPLE_PERIOD
        program_ids = tables["programs"]["program_id"].tolist()
        n = len(program_ids) + 1
        print(f"{len(program_ids)} programs + portfolio overview, period {period}, {os.cpu_count()} CPUs, "
              f"load average at the start {load_start}", flush=True)

        loop_out = root / "loop"
        loop_out.mkdir()
        t_loop = timed(shell_loop(program_ids, src, period, args.program_notebook.resolve(),
                                  args.portfolio_notebook.resolve(), loop_out))
        html_files = sorted(loop_out.glob("*.html"))
        t_pdf = None
        if not args.html_only:
            t_pdf = timed(pdf_loop(html_files))
        pdf_loop_files = len(list(loop_out.glob("*.pdf")))

        runs = {"b": pmo_run(src, period, root / "reports-b", "html", args)}
        if not args.html_only:
            runs["c"] = pmo_run(src, period, root / "reports-c", "html,pdf", args)
        if args.also_no_reuse:
            runs["d"] = pmo_run(src, period, root / "reports-d", "html", args, "--no-reuse-kernels")
    load_end = loadavg()

    print(f"(a) papermill + nbconvert shell loop:          {t_loop:7.1f} s  ({len(html_files)}/{n} HTML files)")
    if t_pdf is not None:
        print(f"(a+pdf) weasyprint CLI on each HTML of (a):     {t_pdf:7.1f} s  ({pdf_loop_files}/{n} PDF files); "
              f"naive full job {t_loop + t_pdf:.1f} s")
    print("HTML only:")
    print(speed_up_line("b", "pmo-nb run --formats html", *runs["b"], t_loop, "(a)", n))
    if "c" in runs and t_pdf is not None:
        print("Full job (reports in HTML and PDF, executive pack):")
        print(speed_up_line("c", "pmo-nb run --formats html,pdf", *runs["c"], t_loop + t_pdf, "(a) + (a+pdf)", n))
    if "d" in runs:
        print(speed_up_line("d", "pmo-nb run --formats html --no-reuse-kernels", *runs["d"], t_loop, "(a)", n))
    for label in runs:
        manifest = runs[label][2]
        print(f"({label}) {', '.join(manifest['formats'])}: the run's own duration {manifest['duration_s']:.1f} s")
        print("\n".join(overhead(manifest)))
    print(f"load average at the start {load_start}, at the end {load_end}")


if __name__ == "__main__":
    main()
