"""Two runs over the same data give the same bytes, apart from the fields in exporters.VOLATILE_FIELDS.

Three real ``pmo-nb run`` invocations (HTML + PDF, two programs of the sample plus the portfolio overview):

1. ``SOURCE_DATE_EPOCH=E1``, ``--jobs 1`` with kernel reuse (the second program runs in the first one's kernel);
2. no ``SOURCE_DATE_EPOCH`` (the clock and a random run id), ``--jobs 1 --no-reuse-kernels``, HTML only;
3. ``SOURCE_DATE_EPOCH=E1`` again, ``--jobs 2`` with reuse, after shuffling the rows of every CSV of the source
   in place (same folder, so the source path the data notes show is the same).

Run 1 and run 3 share their stamp, so every HTML, every PDF (reports and executive pack) and kpis.csv must be
byte-identical: this covers row order, --jobs and kernel reuse with nothing normalised. Run 1 and run 2 differ in
their stamp: HTML and kpis.csv must be byte-identical once each run's volatile strings (from its manifest,
``exporters.volatile_strings``) are replaced by a placeholder. Run 2 makes no PDF: a PDF's text is compressed, so
it cannot be compared byte for byte after normalising, and it is laid out from the same markup as the HTML
(the stamp reaches it only as the footer text and the ``dcterms.created`` metadata); leaving it out keeps the
test within about a minute on an idle 2-core machine.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pmo_nb.paths import SAMPLE_DIR
from pmo_nb.publish import exporters

pytestmark = pytest.mark.slow

PERIOD = "2026-10"
PROGRAMS = "PRG-DCX,PRG-ERP"
E1 = "1793520000"


def pmo_run(src: Path, out: Path, *extra: str, epoch: str | None) -> Path:
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "PMO_NB_SHARED", "PMO_NB_BATCH")}
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    formats = [] if "--formats" in extra else ["--formats", "html,pdf"]
    cmd = [sys.executable, "-m", "pmo_nb.cli", "run", "--source", str(src), "--out", str(out), "--period",
           PERIOD, "--programs", PROGRAMS, *formats, "--quiet", *extra]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / PERIOD


def shuffle_csv_rows(folder: Path, seed: int = 3) -> None:
    """Rewrite every CSV in ``folder`` with its data rows in another order (header first, values untouched)."""
    rng = random.Random(seed)
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            header, *rows = list(csv.reader(fh))
        before = list(rows)
        while len(rows) > 1 and rows == before:
            rng.shuffle(rows)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header, *rows])
        path.write_text(buf.getvalue(), encoding="utf-8")


def outputs(month: Path) -> dict[str, bytes]:
    files = sorted(p for p in month.iterdir() if p.suffix in (".html", ".pdf", ".csv"))
    return {p.name: p.read_bytes() for p in files}


def normalised(data: bytes, manifest: dict) -> bytes:
    text = data.decode("utf-8")
    for s in exporters.volatile_strings(manifest["generated_at"], manifest["run_id"]):
        text = text.replace(s, "<volatile>")
    return text.encode("utf-8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("determinism")
    src = root / "source"
    shutil.copytree(SAMPLE_DIR, src)
    first = pmo_run(src, root / "r1", "--jobs", "1", epoch=E1)
    second = pmo_run(src, root / "r2", "--jobs", "1", "--no-reuse-kernels", "--formats", "html", epoch=None)
    original = {p.name: p.read_bytes() for p in src.glob("*.csv")}
    shuffle_csv_rows(src)
    assert all(src.joinpath(n).read_bytes() != b for n, b in original.items() if b.count(b"\n") > 2)
    third = pmo_run(src, root / "r3", "--jobs", "2", epoch=E1)
    return {"first": first, "second": second, "third": third}


def manifest(month: Path) -> dict:
    return json.loads((month / "manifest.json").read_text(encoding="utf-8"))


def test_the_runs_cover_reuse_and_fresh_kernels(runs: dict[str, Path]) -> None:
    m1, m2 = manifest(runs["first"]), manifest(runs["second"])
    assert m1["kernel"]["reuse"] is True and m2["kernel"]["reuse"] is False
    reused = {r["name"]: r["kernel_reused"] for r in m1["reports"]}
    assert reused == {"portfolio": False, "PRG-DCX": False, "PRG-ERP": True}
    assert not any(r["kernel_reused"] for r in m2["reports"])
    assert m1["generated_at"] != m2["generated_at"] and m1["run_id"] != m2["run_id"]


def test_same_stamp_gives_identical_bytes_whatever_the_row_order_jobs_and_kernel_reuse(runs) -> None:
    first, third = outputs(runs["first"]), outputs(runs["third"])
    assert sorted(first) == ["PRG-DCX.html", "PRG-DCX.pdf", "PRG-ERP.html", "PRG-ERP.pdf",
                             f"executive-pack-{PERIOD}.pdf", "index.html", "kpis.csv", "portfolio.html",
                             "portfolio.pdf"]
    assert sorted(third) == sorted(first)
    differ = [name for name in first if first[name] != third[name]]
    assert differ == []
    # the stamp really is in the outputs (so the comparison with run 2 below normalises something)
    stamp = exporters.generated_label(manifest(runs["first"])["generated_at"]).encode()
    assert stamp in first["PRG-DCX.html"]


def test_other_stamp_differs_only_in_the_volatile_fields(runs: dict[str, Path]) -> None:
    m1, m2 = manifest(runs["first"]), manifest(runs["second"])
    first, second = outputs(runs["first"]), outputs(runs["second"])
    assert sorted(second) == ["PRG-DCX.html", "PRG-ERP.html", "index.html", "kpis.csv", "portfolio.html"]
    assert first["kpis.csv"] == second["kpis.csv"]
    for name in (n for n in second if n.endswith(".html")):
        assert first[name] != second[name]  # the stamps differ ...
        if name == "index.html":  # ... the index of an HTML-only run links no PDF and no pack ...
            pdf_links = re.compile(rb' \xc2\xb7 <a class="pmo-link" href="[^"]+\.pdf">PDF</a>'
                                   rb'|<p>Executive pack: .*?</p>')
            assert normalised(pdf_links.sub(b"", first[name]), m1) == normalised(second[name], m2)
            continue
        assert normalised(first[name], m1) == normalised(second[name], m2), name  # ... and nothing else


def test_normalising_is_not_blind(runs: dict[str, Path]) -> None:
    """The placeholder replaces the stamp only: a changed figure would still be caught."""
    m1 = manifest(runs["first"])
    html = outputs(runs["first"])["PRG-DCX.html"]
    assert normalised(html, m1).count(b"<volatile>") >= 1
    assert b"Digital Customer Experience" in normalised(html, m1)
    tampered = html.replace(b"Digital Customer Experience", b"Digital Customer Experiencf", 1)
    assert normalised(tampered, m1) != normalised(html, m1)
