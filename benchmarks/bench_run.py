"""Benchmark: `pmo-nb run` against the usual shell loop of `papermill` + `jupyter nbconvert` per report.

Generates a 12-program portfolio with ``pmo_nb.data.sample.generate`` (CSV folder in a temporary
directory), then runs the same report notebooks for the same programs (every program's report plus the
portfolio overview) in two ways, one after the other on this machine:

(a) the way most teams do it today: a shell loop that calls the ``papermill`` CLI, then
    ``jupyter nbconvert --to html --no-input``, once per report (a fresh Python and kernel each time);
(b) ``pmo-nb run --formats html`` (worker processes that import everything once, render in parallel,
    shared load/compute, each worker keeping its kernel between reports: the defaults);
(c) the same with ``--no-reuse-kernels`` (a fresh kernel per report).

It prints the wall times, the ratios (target: (b) at least 4x faster than (a) on 2 cores with 12
programs) and the per-report time breakdown (kernel start, execution, render) from (b)'s manifest.

Run: ``.venv/bin/python benchmarks/bench_run.py [--programs 12] [--jobs N] [--program-notebook PATH
--portfolio-notebook PATH]`` (the notebooks default to notebooks/program_report.ipynb and
notebooks/portfolio_overview.ipynb).
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

from pmo_nb.data import sample
from pmo_nb.run.monthly import PORTFOLIO_NOTEBOOK, PROGRAM_NOTEBOOK

BIN = Path(sys.executable).parent


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=None, help="pmo-nb run --jobs (default: CPUs)")
    parser.add_argument("--program-notebook", type=Path, default=PROGRAM_NOTEBOOK)
    parser.add_argument("--portfolio-notebook", type=Path, default=PORTFOLIO_NOTEBOOK)
    args = parser.parse_args()
    for nb in (args.program_notebook, args.portfolio_notebook):
        if not nb.is_file():
            sys.exit(f"{nb} not found: pass --program-notebook/--portfolio-notebook")

    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        root = Path(tmp)
        src = root / "source"
        extra = max(0, args.programs - 5)
        tables = sample.generate(programs=max(5, args.programs), projects=34 + 4 * extra)
        sample.write(tables, src, format="csv")
        period = sample.SAMPLE_PERIOD
        program_ids = tables["programs"]["program_id"].tolist()
        n = len(program_ids) + 1
        print(f"{len(program_ids)} programs + portfolio overview, period {period}, {os.cpu_count()} CPUs")

        loop_out = root / "loop"
        loop_out.mkdir()
        script = shell_loop(program_ids, src, period, args.program_notebook.resolve(),
                            args.portfolio_notebook.resolve(), loop_out)
        t0 = time.perf_counter()
        subprocess.run(["bash", "-c", script], check=False)
        t_loop = time.perf_counter() - t0
        html_loop = len(list(loop_out.glob("*.html")))

        runs = {}
        for label, extra in (("b", []), ("c", ["--no-reuse-kernels"])):
            run_out = root / f"reports-{label}"
            cmd = [str(BIN / "pmo-nb"), "run", "--source", str(src), "--period", period, "--formats", "html",
                   "--out", str(run_out), "--quiet", "--program-notebook", str(args.program_notebook),
                   "--portfolio-notebook", str(args.portfolio_notebook), *extra]
            if args.jobs:
                cmd += ["--jobs", str(args.jobs)]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, check=False)
            elapsed = time.perf_counter() - t0
            manifest = json.loads((run_out / period / "manifest.json").read_text(encoding="utf-8"))
            runs[label] = (elapsed, proc.returncode, manifest)

    print(f"(a) papermill + nbconvert shell loop:          {t_loop:7.1f} s  ({html_loop}/{n} HTML files)")
    for label, name in (("b", "pmo-nb run --formats html"), ("c", "pmo-nb run --formats html --no-reuse-kernels")):
        elapsed, rc, manifest = runs[label]
        ok = sum(r["status"] == "ok" for r in manifest["reports"])
        print(f"({label}) {name:<42} {elapsed:7.1f} s  (exit {rc}, {ok}/{n} ok, {manifest['jobs']} workers); "
              f"speed-up over (a): {t_loop / elapsed:.1f}x (target >= 4x)")
    for label in ("b", "c"):
        manifest = runs[label][2]
        print(f"per report in ({label}), seconds (mean / max):")
        for key in ("kernel_start", "execute", "render_html"):
            vals = [r["timings"].get(key, 0.0) for r in manifest["reports"]]
            print(f"  {key:<13} {statistics.mean(vals):6.2f} / {max(vals):6.2f}")
        vals = [r["duration"] for r in manifest["reports"]]
        print(f"  {'total':<13} {statistics.mean(vals):6.2f} / {max(vals):6.2f}")


if __name__ == "__main__":
    main()
