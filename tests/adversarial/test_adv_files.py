"""Whole files that are wrong: empty, header only, wrong encoding, not what the suffix says, too big.

A file that cannot be read is one `error:` line and exit 2; data that can be read unambiguously
(a UTF-8 BOM, UTF-16 with its BOM) is accepted as if it were plain UTF-8.
"""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from adversarial_sources import findings, one_error_line, sample_source, set_cell, validate
from ingest_helpers import small_frames, write_xlsx

from pmo_nb.config import load_config
from pmo_nb.data.ingest import load
from pmo_nb.exceptions import ConfigError

# data/sample/programs.csv with one accented name (the sponsor of PRG-DCX, row 2)
PROGRAMS_ACCENT = ("Amelia Hartley", "Amélie Hartley")


def accented_programs(src: Path) -> str:
    text = (src / "programs.csv").read_text(encoding="utf-8")
    assert PROGRAMS_ACCENT[0] in text
    return text.replace(*PROGRAMS_ACCENT)


def test_empty_file_is_unreadable(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    (src / "financials.csv").write_bytes(b"")
    code, out, err = validate(src)
    assert code == 2 and out == ""
    assert one_error_line(err) == "financials.csv is empty: it needs at least a header row (see docs/data-model.md)"


def test_blank_lines_only_count_as_empty(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    (src / "risks.csv").write_bytes(b"\r\n  \r\n")
    code, _, err = validate(src)
    assert code == 2
    assert one_error_line(err) == "risks.csv is empty: it needs at least a header row (see docs/data-model.md)"


def test_header_only_required_table_says_it_has_no_rows(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    header = (src / "projects.csv").read_text(encoding="utf-8").splitlines()[0]
    (src / "projects.csv").write_text(header + "\n", encoding="utf-8")
    code, out, _ = validate(src)
    assert code == 1
    assert findings(out)[0] == [
        "projects", "projects.csv", "", "", "", "no rows: projects needs at least one record under the header"
    ]


def test_header_only_optional_table_is_an_empty_register(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    header = (src / "issues.csv").read_text(encoding="utf-8").splitlines()[0]
    (src / "issues.csv").write_text(header + "\n", encoding="utf-8")
    code, out, _ = validate(src)
    assert code == 0
    assert [line.split() for line in out.splitlines() if line.startswith("  issues ")] == [["issues", "0"]]
    assert len(load(src).issues) == 0


def test_latin1_is_refused_with_the_byte_offset(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    text = accented_programs(src)
    data = text.encode("latin-1")
    (src / "programs.csv").write_bytes(data)
    # "program_id,name,sponsor,manager,objective\n" is 42 bytes; row 2 "PRG-DCX,Digital Customer
    # Experience," is 36 more, then "Am" puts the é at byte 42 + 36 + 2 = 80
    assert data.index(b"\xe9") == 80
    code, out, err = validate(src)
    assert code == 2 and out == ""
    assert one_error_line(err) == (
        "programs.csv is not UTF-8: byte 80 (0xE9) is not valid UTF-8, probably Latin-1 or Windows-1252: "
        "save the file as UTF-8 (in Excel: Save As > CSV UTF-8)"
    )


def test_utf16_with_bom_is_accepted(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    (src / "programs.csv").write_bytes(accented_programs(src).replace("\n", "\r\n").encode("utf-16"))
    assert validate(src)[0] == 0
    programs = load(src).programs.set_index("program_id")
    assert programs.at["PRG-DCX", "sponsor"] == "Amélie Hartley"


def test_utf16_without_bom_is_refused(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    (src / "programs.csv").write_bytes(accented_programs(src).encode("utf-16-le"))
    code, _, err = validate(src)
    assert code == 2
    assert one_error_line(err) == "programs.csv looks like UTF-16 text without a byte-order mark: save it as UTF-8"


def test_utf8_bom_is_accepted_and_the_first_header_matches(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    (src / "programs.csv").write_bytes(codecs.BOM_UTF8 + accented_programs(src).encode("utf-8"))
    (src / "projects.csv").write_bytes(codecs.BOM_UTF8 + (src / "projects.csv").read_bytes())
    code, out, _ = validate(src)
    assert code == 0 and "note:" not in out  # the BOM did not turn program_id into an unknown column
    portfolio = load(src)
    assert portfolio.programs["program_id"].iloc[0] == "PRG-DCX"
    assert portfolio.projects["project_id"].iloc[0] == "DCX-001"
    assert portfolio.programs.set_index("program_id").at["PRG-DCX", "sponsor"] == "Amélie Hartley"


def test_excel_file_that_is_really_a_csv(tmp_path: Path, sample_dir: Path) -> None:
    book = tmp_path / "portfolio.xlsx"
    book.write_bytes((sample_dir / "projects.csv").read_bytes())
    code, _, err = validate(book)
    assert code == 2
    assert one_error_line(err) == (
        "portfolio.xlsx is not an Excel workbook (it looks like a text file, e.g. CSV renamed .xlsx): "
        "save it from Excel as .xlsx, or put it in a folder as a .csv"
    )


def test_password_protected_workbook(tmp_path: Path) -> None:
    # Excel saves an encrypted .xlsx as an OLE2 compound file (EncryptionInfo + EncryptedPackage)
    book = tmp_path / "locked.xlsx"
    book.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4088)
    code, _, err = validate(book)
    assert code == 2
    assert one_error_line(err) == (
        "locked.xlsx is password-protected or an old .xls workbook: remove the password and save it as .xlsx"
    )


@pytest.mark.parametrize(
    ("damage", "cause"),
    [
        ("truncated", "File is not a zip file"),
        ("not_a_workbook", "\"There is no item named '[Content_Types].xml' in the archive\""),
    ],
)
def test_corrupt_workbook(tmp_path: Path, damage: str, cause: str) -> None:
    book = tmp_path / "book.xlsx"
    if damage == "truncated":  # a download cut short
        data = write_xlsx(small_frames(), tmp_path / "whole.xlsx").read_bytes()
        book.write_bytes(data[: len(data) // 2])
    else:  # a zip of CSV files renamed .xlsx
        with zipfile.ZipFile(book, "w") as zf:
            zf.writestr("projects.csv", "project_id\nP-1\n")
    code, _, err = validate(book)
    assert code == 2
    assert one_error_line(err) == (
        f"book.xlsx is not a readable Excel workbook ({cause}): open it in Excel and save it again as .xlsx"
    )


# --------------------------------------------------------------------------------------------
# Size limit: [ingest] max_file_mb
# --------------------------------------------------------------------------------------------


def test_max_file_mb_default_and_setting(tmp_path: Path) -> None:
    assert load_config(None).ingest.max_file_mb == 100
    toml = tmp_path / "pmo.toml"
    toml.write_text("[ingest]\nmax_file_mb = 500\n", encoding="utf-8")
    assert load_config(toml).ingest.max_file_mb == 500


@pytest.mark.parametrize("value", ["0", "1.5", "'big'", "-3", "true"])
def test_bad_max_file_mb_names_the_key(tmp_path: Path, value: str) -> None:
    toml = tmp_path / "pmo.toml"
    toml.write_text(f"[ingest]\nmax_file_mb = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    assert info.value.key == "ingest.max_file_mb"
    assert str(info.value).startswith(f"config key 'ingest.max_file_mb' in {toml}: ")


def grow_csv(path: Path, megabytes: float) -> int:
    """Append copies of the file's own records until it is larger than ``megabytes`` MiB."""
    lines = path.read_bytes().splitlines(keepends=True)
    chunk = b"".join(lines[1:]) * 8  # about 160 KB
    with path.open("ab") as fh:
        while fh.tell() <= megabytes * 2**20:
            fh.write(chunk)
        return fh.tell()


def test_file_above_the_configured_limit_is_refused(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    size = grow_csv(src / "financials.csv", 1.5)
    toml = tmp_path / "pmo.toml"
    toml.write_text("[ingest]\nmax_file_mb = 1\n", encoding="utf-8")
    code, out, err = validate(src, "--config", str(toml))
    assert code == 2 and out == ""
    assert one_error_line(err) == (
        f"financials.csv is {size / 2**20:,.1f} MB, above the 1 MB limit ([ingest] max_file_mb): load large "
        "data from a database (e.g. sqlite:///pmo.db), or raise max_file_mb in pmo.toml if this machine has "
        "several times that much memory free"
    )
    # the same file within a raised limit is read (it is only duplicated months: a data finding, exit 1)
    toml.write_text("[ingest]\nmax_file_mb = 2\n", encoding="utf-8")
    assert validate(src, "--config", str(toml))[0] == 1


def test_xlsx_above_the_limit_is_refused(tmp_path: Path) -> None:
    book = write_xlsx(small_frames(), tmp_path / "big.xlsx")
    with zipfile.ZipFile(book, "a", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("xl/media/padding.bin", b"\0" * (2**20 + 1))  # ignored by openpyxl, counts in size
    toml = tmp_path / "pmo.toml"
    toml.write_text("[ingest]\nmax_file_mb = 1\n", encoding="utf-8")
    code, _, err = validate(book, "--config", str(toml))
    assert code == 2
    assert one_error_line(err).startswith("big.xlsx is 1.0 MB, above the 1 MB limit ([ingest] max_file_mb)")


MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from pmo_nb.cli import cli
    import pandas, pandera.pandas, pyarrow  # what a load needs, imported before the baseline
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        cli(["validate", sys.argv[1]])
    except SystemExit as exc:
        code = exc.code
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"code": code, "peak_mb": peak, "growth_mb": peak - base}))
    """
)


def test_200_mb_csv_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    size = grow_csv(src / "financials.csv", 200)
    assert size > 200 * 2**20
    try:
        proc = subprocess.run(
            [sys.executable, "-c", MEASURE, str(src)], capture_output=True, text=True, timeout=60
        )
    finally:
        (src / "financials.csv").unlink()  # pytest keeps recent tmp folders: do not leave 200 MB behind
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] == 2, proc.stderr
    assert one_error_line(proc.stderr).startswith(
        f"financials.csv is {size / 2**20:,.1f} MB, above the 100 MB limit ([ingest] max_file_mb): "
    )
    # reading the file at all would add at least its 200 MB of bytes to the peak after the imports
    assert result["growth_mb"] < 100, result


# --------------------------------------------------------------------------------------------
# Quotes and title rows: a file that parses into the wrong shape is refused, not misreported
# --------------------------------------------------------------------------------------------


def test_stray_quote_that_swallows_records_is_refused(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    text = (src / "projects.csv").read_text(encoding="utf-8")
    # row 2's name gets an opening quote; the next quote in the file opens row 8's status_comment
    (src / "projects.csv").write_text(text.replace(",Customer Portal Redesign,", ',"Customer Portal Redesign,', 1),
                                      encoding="utf-8")
    code, out, err = validate(src)
    assert code == 2 and out == ""
    assert one_error_line(err) == (
        "projects.csv is not valid CSV: a quote (\") at the start of row 2, column 'name' is closed only 6 lines "
        "further down, so whole records ended up in one cell: remove the stray quote, or double it (\"\") inside "
        "a quoted value"
    )


def test_quote_never_closed_names_the_row(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    with (src / "projects.csv").open("a", encoding="utf-8") as fh:
        fh.write('X-1,PRG-DCX,"Broken name\n')  # row 36, after the 34 projects
    code, _, err = validate(src)
    assert code == 2
    assert one_error_line(err) == (
        "projects.csv is not valid CSV: a quote (\") opens a cell in row 36 and is never closed: remove the "
        "stray quote, or double it (\"\") inside a quoted value"
    )


def test_multi_line_quoted_comment_is_fine(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    set_cell(src, "projects", 2, "status_comment", "Line one.\nLine two, with a comma, and another, and more.")
    assert validate(src)[0] == 0
    comment = load(src).projects.set_index("project_id").at["DCX-001", "status_comment"]
    assert comment == "Line one.\nLine two, with a comma, and another, and more."


def test_title_line_above_the_csv_header(tmp_path: Path) -> None:
    src = sample_source(tmp_path)
    text = (src / "projects.csv").read_text(encoding="utf-8")
    (src / "projects.csv").write_text("Project list March 2026\r\n\r\n" + text, encoding="utf-8")
    code, _, err = validate(src)
    assert code == 2
    assert one_error_line(err) == (
        "projects.csv is not valid CSV: its first row 'Project list March 2026' has one cell but row 3 has 13: "
        "the header must be the first row, so delete any title or blank rows above it"
    )


def test_title_row_above_the_sheet_header(tmp_path: Path) -> None:
    import openpyxl

    book = write_xlsx(small_frames(), tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["Projects"].insert_rows(1, 2)
    wb["Projects"]["A1"] = "Project list"
    wb.save(book)
    code, _, err = validate(book)
    assert code == 2
    assert one_error_line(err).startswith(
        "book.xlsx[Projects] has no column project_id, program_id, name, manager, baseline_start, "
        "baseline_finish, budget (its columns are: 'Project list'; the header must be the first row): "
    )


# ---------------------------------------------------------------- bounded work (issue 13, item 7)


def _workbook_with_sheet_xml(tmp_path: Path, sheet: str, xml: bytes) -> Path:
    """The small portfolio as a workbook whose sheet ``sheet`` is replaced by the raw XML ``xml``."""
    book = write_xlsx(small_frames(), tmp_path / "book.xlsx", extra_sheet=False)
    order = [name.capitalize() for name in small_frames()]
    member = f"xl/worksheets/sheet{order.index(sheet) + 1}.xml"
    out = tmp_path / "crafted.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, xml if info.filename == member else src.read(info.filename))
    return out


def _rows_xml(header: list[str], rows: int, row: list[str], dimension: str | None = None) -> bytes:
    """Sheet XML with a header and ``rows`` copies of ``row`` (rows and cells without ``r``: as valid, and the
    million-row case is then built and zipped in a moment, a few hundred KB like the issue's file)."""

    def cells(values: list[str]) -> bytes:
        return "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values).encode()

    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + dim + b"<sheetData><row>" + cells(header) + b"</row>" + (b"<row>" + cells(row) + b"</row>") * rows
            + b"</sheetData></worksheet>")


def test_an_xlsx_of_a_million_rows_is_refused_by_the_row_limit(tmp_path: Path) -> None:
    # one column, so that the row limit (not the cell limit) is the one met
    book = _workbook_with_sheet_xml(tmp_path, "Programs", _rows_xml(["program_id"], 1_048_575, ["P"]))
    assert book.stat().st_size < 2**20  # small on disk: the zipped size says nothing
    code, _, err = validate(book)  # (reading all the rows first would take minutes and gigabytes)
    assert code == 2
    assert one_error_line(err) == ("crafted.xlsx[Programs] has more than 1,000,000 rows, the limit ([ingest] "
                                   "max_rows): split the data, or raise max_rows in pmo.toml if it really is one "
                                   "table of that size")


def test_the_cell_limit_names_its_setting(tmp_path: Path) -> None:
    header = ["program_id", "name", "sponsor", "manager"]
    book = _workbook_with_sheet_xml(tmp_path, "Programs", _rows_xml(header, 300, ["P", "N", "S", "M"]))
    toml = tmp_path / "pmo.toml"
    toml.write_text("[ingest]\nmax_cells = 1000\n", encoding="utf-8")
    code, _, err = validate(book, "--config", str(toml))
    assert code == 2
    assert one_error_line(err) == ("crafted.xlsx[Programs] has more than 1,000 cells, the limit ([ingest] "
                                   "max_cells): delete unused columns and rows, or raise max_cells in pmo.toml")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "sqlite"])
def test_the_row_limit_holds_for_every_format(tmp_path: Path, fmt: str) -> None:
    from ingest_helpers import write_csv, write_parquet, write_sqlite

    frames = small_frames()
    writers = {"csv": lambda: write_csv(frames, tmp_path / "c"),
               "parquet": lambda: write_parquet(frames, tmp_path / "p"),
               "sqlite": lambda: write_sqlite(frames, tmp_path / "db.sqlite")}
    source = writers[fmt]()
    toml = tmp_path / "pmo.toml"
    toml.write_text("[ingest]\nmax_rows = 8\n", encoding="utf-8")  # financials has 9 rows, every other table fewer
    code, _, err = validate(source, "--config", str(toml))
    assert code == 2
    assert "has 9 rows, above the 8 limit ([ingest] max_rows)" in one_error_line(err)


def test_a_declared_dimension_of_the_whole_sheet_does_not_hang(tmp_path: Path) -> None:
    header = ["program_id", "name", "sponsor", "manager"]
    xml = _rows_xml(header, 2, ["PRG-01", "Digital Workplace", "Ana", "Chen"], dimension="A1:XFD1048576")
    last = xml.rindex(b"PRG-01")
    xml = xml[:last] + b"PRG-02" + xml[last + 6:]
    book = _workbook_with_sheet_xml(tmp_path, "Programs", xml)
    portfolio = load(book)  # (a reader that trusted the dimension would visit 17 billion cells)
    assert portfolio.programs["program_id"].tolist() == ["PRG-01", "PRG-02"]


def test_every_duplicate_of_5000_is_named(tmp_path: Path) -> None:
    """5,000 duplicated project rows: every duplicate named (that the check stays linear, at 200,000 rows, is
    benchmarks/bench_validate.py's figure, not a timed test)."""
    import pandas as pd
    from ingest_helpers import write_csv

    from pmo_nb.data.ingest import check

    frames = small_frames()
    projects = pd.concat([frames["projects"].iloc[[0]]] * 5_000, ignore_index=True)
    frames["projects"] = pd.concat([frames["projects"], projects], ignore_index=True)
    folder = write_csv(frames, tmp_path / "dup")
    found = check(folder).findings
    dups = [f for f in found if f.rule.startswith("duplicate project_id")]
    assert len(dups) == 5_001
    assert dups[0].row == 2 and dups[0].rule == "duplicate project_id: also on rows 5, 6, 7 and 4997 more"


# ---------------------------------------------------------------- no silent wrong answers (item 8)


def test_formula_cells_without_a_saved_result_are_findings(tmp_path: Path) -> None:
    import openpyxl

    book = write_xlsx(small_frames(), tmp_path / "book.xlsx", extra_sheet=False)
    wb = openpyxl.load_workbook(book)
    wb["Projects"]["I2"] = "=1000*2"  # budget of P-001, written by a script: no cached result
    wb["Milestones"]["F2"] = "=DATE(2026,3,1)"  # an actual_date that would silently read as "not achieved"
    wb.save(book)
    code, out, _ = validate(book)
    assert code == 1
    rule = ("holds a formula with no saved result (the workbook was written by a program and never calculated): "
            "open it in Excel and save it, or replace the formula by its value")
    assert [r for r in findings(out) if r[5] == rule] == [
        ["projects", "book.xlsx[Projects]", "2", "budget", "'=1000*2'", rule],
        ["milestones", "book.xlsx[Milestones]", "2", "actual_date", "'=DATE(2026,3,1)'", rule],
    ]


def test_a_merged_header_cell_is_a_finding(tmp_path: Path) -> None:
    import openpyxl

    book = write_xlsx(small_frames(), tmp_path / "book.xlsx", extra_sheet=False)
    wb = openpyxl.load_workbook(book)
    ws = wb["Projects"]
    ws["I1"] = "budget"
    ws.merge_cells("I1:J1")  # "budget" spans two columns: the second (reported_status) loses its header
    wb.save(book)
    code, out, _ = validate(book)
    assert code == 1
    assert ["projects", "book.xlsx[Projects]", "1", "budget", "",
            "header cells I1:J1 are merged, so only the first of those 2 columns has a header and the others are "
            "dropped: unmerge the cells and give each column its own header"] in findings(out)


# ---------------------------------------------------------------- item 12


def test_a_pmo_toml_with_a_bom_reads(tmp_path: Path) -> None:
    toml = tmp_path / "pmo.toml"
    toml.write_bytes(codecs.BOM_UTF8 + b'organisation = "Acme PMO"\n[ingest]\nmax_file_mb = 5\n')
    cfg = load_config(toml)
    assert (cfg.organisation, cfg.ingest.max_file_mb) == ("Acme PMO", 5)


@pytest.mark.parametrize("program_id", ["portfolio", "Portfolio", "INDEX", "kpis", "manifest", "notebooks",
                                        "executive-pack-2026-10", "con", "Index.html"])
def test_reserved_program_ids_are_refused_with_the_fix(tmp_path: Path, program_id: str) -> None:
    src = sample_source(tmp_path)
    set_cell(src, "programs", 2, "program_id", program_id)
    code, out, _ = validate(src)
    assert code == 1
    rows = [r for r in findings(out) if r[0] == "programs"]
    assert rows[0][:4] == ["programs", "programs.csv", "2", "program_id"]
    assert rows[0][5] == (f"program_id {program_id!r} is a name the run uses for its own files (portfolio, index, "
                          f"kpis, manifest, notebooks, executive-pack-*) or a device name: rename the program, e.g. "
                          f"PRG-{program_id}")


def test_sample_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    from adversarial_sources import invoke

    out = tmp_path / "out"
    out.mkdir()
    (out / "projects.csv").write_text("mine\n", encoding="utf-8")
    code, _, err = invoke("sample", "--out", str(out))
    assert code == 2
    assert f"{out} is not empty (it holds projects.csv): give an empty or new folder, or add --force" in err
    assert (out / "projects.csv").read_text(encoding="utf-8") == "mine\n"
    code, _, _ = invoke("sample", "--out", str(out), "--force")
    assert code == 0 and (out / "projects.csv").read_text(encoding="utf-8").startswith("project_id,")
