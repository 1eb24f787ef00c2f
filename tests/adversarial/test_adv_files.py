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
    assert "  issues             0\n" in out
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
        "projects.csv is not valid CSV: its first row 'Project list March 2026' has one cell but row 3 has 12: "
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
