"""pmo_nb.data.ingest: every source format, encodings, headers, coercion and the SourceError paths."""

from __future__ import annotations

import codecs
import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ingest_helpers import (
    csv_folder,
    edit_csv,
    raid_frames,
    small_frames,
    write_csv,
    write_parquet,
    write_sqlite,
    write_xlsx,
)

from pmo_nb.config import Config, IngestConfig, parse_config
from pmo_nb.data import sources
from pmo_nb.data.coerce import COERCERS
from pmo_nb.data.ingest import check, load
from pmo_nb.data.model import empty_table
from pmo_nb.data.sources.csv import decode_text
from pmo_nb.exceptions import DataValidationError, Finding, SourceError
from pmo_nb.schema import RAID_TABLES, RISKS, TABLE_NAMES

# ---------------------------------------------------------------- round trips


def _tree_hash(path: Path) -> str:
    h = hashlib.sha256()
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    for p in files:
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "sqlite"])
def test_each_format_round_trips_the_same_portfolio(tmp_path: Path, fmt: str) -> None:
    frames = {**small_frames(), **raid_frames()}  # every table of the data model, through each source
    writers = {
        "csv": lambda: write_csv(frames, tmp_path / "csv"),
        "parquet": lambda: write_parquet(frames, tmp_path / "pq"),
        "xlsx": lambda: write_xlsx(frames, tmp_path / "book.xlsx"),
        "sqlite": lambda: write_sqlite(frames, tmp_path / "pmo.db"),
    }
    source = writers[fmt]()
    on_disk = tmp_path / ("pmo.db" if fmt == "sqlite" else Path(str(source)).name)
    before = _tree_hash(on_disk)
    portfolio = load(source)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(portfolio.table(name), frames[name], check_dtype=True)
    reference = load(write_csv(frames, tmp_path / "reference"))
    assert portfolio.fingerprint() == reference.fingerprint()
    assert portfolio.missing_tables == ()
    assert _tree_hash(on_disk) == before, "loading must never modify the source"


def test_dtypes_are_the_portfolio_contract(tmp_path: Path) -> None:
    p = load(csv_folder(tmp_path))
    for name in TABLE_NAMES:
        assert p.table(name).dtypes.to_dict() == empty_table(name).dtypes.to_dict(), name
    assert p.projects["project_id"].tolist() == ["P-001", "P-002", "007"]  # "007" stays text
    assert p.risks["probability"].dtype == np.int64
    assert p.projects["budget"].tolist() == [1200000.5, 350000.0, 2500000.0]


def test_optional_tables_may_be_absent(tmp_path: Path) -> None:
    folder = write_csv(small_frames(), tmp_path / "csv", tables=("programs", "projects", "financials"))
    p = load(folder)
    assert p.missing_tables == ("milestones", "risks", "issues", "contacts", "benefits", *RAID_TABLES)
    assert p.risks.empty and list(p.risks.columns) == list(empty_table("risks").columns)


def test_missing_required_table_names_what_was_looked_for(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    (folder / "projects.csv").unlink()
    with pytest.raises(
        SourceError, match=r"required table projects not found: looked for projects\.csv in "
    ):
        load(folder)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        load(tmp_path / "nope")


def test_a_single_file_is_not_a_source(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    with pytest.raises(SourceError, match="is a file, not a folder"):
        load(folder / "projects.csv")


def test_csv_and_parquet_for_the_same_table_clash(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    small_frames()["risks"].to_parquet(folder / "risks.parquet")
    with pytest.raises(SourceError, match=r"risks\.csv and risks\.parquet for the risks table"):
        load(folder)


def test_folder_may_mix_csv_and_parquet(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    small_frames()["risks"].to_parquet(folder / "risks.parquet", index=False)
    (folder / "risks.csv").unlink()
    assert sources.detect(str(folder)).name == "folder"
    assert load(folder).fingerprint() == load(csv_folder(tmp_path / "b")).fingerprint()


def test_upper_case_csv_suffix(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    (folder / "projects.csv").rename(folder / "Projects.CSV")
    assert len(load(folder).projects) == 3


# ---------------------------------------------------------------- registry


def test_registry_unknown_kind_and_register(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown source kind 'ods': known kinds are csv, excel, folder"):
        sources.get("ods")
    assert {"csv", "parquet", "excel", "sql", "folder"} <= set(sources.available())
    assert sources.detect("sqlite:///x.db").name == "sql"
    assert sources.detect("x.XLSX").name == "excel"
    calls: list[str] = []

    class Fake(sources.Source):
        name = "fake"
        description = "a .fake file"

        def sniff(self, location: str) -> bool:
            return location.endswith(".fake")

        def read(self, location: str, config: Config) -> sources.RawSource:
            calls.append(location)
            return sources.get("csv").read(str(folder), config)

    folder = csv_folder(tmp_path)
    sources.register(Fake())
    try:
        assert sources.detect("plan.fake").name == "fake"
        assert len(load("plan.fake").programs) == 2
        assert calls == ["plan.fake"]
        with pytest.raises(SourceError, match=r"x\.unknown not found: give .*a \.fake file"):
            load("x.unknown")
    finally:
        sources.unregister("fake")
    with pytest.raises(SourceError, match=r"plan\.fake not found: give a database URL such as sqlite:///pmo\.db, "
                       r"an \.xlsx workbook, a folder of CSV files, a folder of Parquet files or a schedule file "
                       r"\(\.mpp, \.xml, \.xer, \.gan\) imported first with `pmo-nb import` "
                       r"\(looked for /\S*/plan\.fake; working directory /\S*\)$"):
        load("plan.fake")


def test_plugin_sources_come_from_the_entry_point_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from pmo_nb.data.sources import base

    ep = EntryPoint("pmo-json", "ingest_helpers:JsonSource", sources.ENTRY_POINT_GROUP)
    seen: list[str] = []

    def entry_points(*, group: str) -> list[EntryPoint]:
        seen.append(group)
        return [ep]

    frames = small_frames()
    doc = {name: frames[name].astype(str).replace({"nan": "", "NaT": ""}).to_dict("records")
           for name in ("programs", "projects", "financials")}
    path = tmp_path / "portfolio.pmo.json"
    path.write_text(__import__("json").dumps(doc), encoding="utf-8")
    monkeypatch.setattr(base.importlib.metadata, "entry_points", entry_points)
    monkeypatch.setattr(base, "_PLUGINS_LOADED", False)
    try:
        assert sources.detect(str(path)).name == "pmo-json"
        assert seen == ["pmo_nb.sources"]
        portfolio = load(path)
        assert portfolio.projects["project_id"].tolist() == ["P-001", "P-002", "007"]
        assert portfolio.missing_tables == ("milestones", "risks", "issues", "contacts", "benefits", *RAID_TABLES)
    finally:
        sources.unregister("pmo-json")


def test_explicit_kind(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    with pytest.raises(SourceError, match=r"looked for projects\.parquet"):
        load(folder, kind="parquet")
    assert len(load(folder, kind="csv").programs) == 2


# ---------------------------------------------------------------- encodings and CSV shape


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    path = folder / "programs.csv"
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    assert load(folder).programs["program_id"].tolist() == ["PRG-01", "PRG-02"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_bom_is_accepted(tmp_path: Path, encoding: str) -> None:
    folder = csv_folder(tmp_path)
    path = folder / "programs.csv"
    text = path.read_text(encoding="utf-8").replace("Ana Ruiz", "Zoë Müller")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path.write_bytes(data)
    assert load(folder).programs["sponsor"].tolist() == ["Zoë Müller", "Ben Okafor"]


def test_latin1_is_refused_with_file_and_offset(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    path = folder / "programs.csv"
    text = path.read_text(encoding="utf-8").replace("Ana Ruiz", "Zoë")
    path.write_bytes(text.encode("latin-1"))
    offset = text.encode("latin-1").index("ë".encode("latin-1"))
    with pytest.raises(SourceError) as info:
        load(folder)
    msg = str(info.value)
    assert msg.startswith(f"programs.csv is not UTF-8: byte {offset} (0xEB)")
    assert "save the file as UTF-8" in msg and "\n" not in msg


def test_utf16_without_bom_is_named(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    path = folder / "programs.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))
    with pytest.raises(SourceError, match="looks like UTF-16 text without a byte-order mark"):
        load(folder)


def test_decode_text_refuses_a_zip() -> None:
    with pytest.raises(SourceError, match="is a zip file"):
        decode_text(b"PK\x03\x04rest", "projects.csv")


def test_empty_file(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path, projects="")
    with pytest.raises(SourceError, match=r"^projects\.csv is empty: it needs at least a header row"):
        load(folder)


def test_header_only_optional_table_is_fine(tmp_path: Path) -> None:
    folder = csv_folder(
        tmp_path, risks="risk_id,project_id,title,probability,impact,owner,status,raised_date\n"
    )
    p = load(folder)
    assert p.risks.empty and "risks" not in p.missing_tables


def test_header_case_whitespace_and_blank_lines(tmp_path: Path) -> None:
    folder = csv_folder(
        tmp_path,
        programs=(
            " Program ID ,NAME,Sponsor,  manager\n"
            "PRG-01,Digital Workplace,Ana Ruiz,Chen Li\n"
            "\n"
            "PRG-02,Data Platform,Ben Okafor,Dana Weiss\n"
        ),
    )
    p = load(folder)
    assert p.programs["program_id"].tolist() == ["PRG-01", "PRG-02"]
    assert p.programs["objective"].isna().all()


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    folder = csv_folder(
        tmp_path,
        programs=(
            "program_id,name,sponsor,manager\n"
            "PRG-01,Digital Workplace,Ana Ruiz,Chen Li\n"
            "\n"
            "PRG-02,,Ben Okafor,Dana Weiss\n"
        ),
    )
    findings = check(folder).findings
    assert [(f.table, f.row, f.column, f.value) for f in findings] == [("programs", 4, "name", "")]


def test_semicolon_separated_file(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    path = folder / "programs.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    assert load(folder).programs["name"].tolist() == ["Digital Workplace", "Data Platform"]


def test_ragged_csv_row(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path, programs="program_id,name,sponsor,manager\nPRG-01,A,B,C,D,E\n")
    with pytest.raises(
        SourceError, match=r"programs\.csv is not valid CSV: row 2 has 6 cells but the header"
    ):
        load(folder)


def test_missing_required_column(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path, programs="program_id,name,manager\nPRG-01,A,C\n")
    with pytest.raises(SourceError) as info:
        load(folder)
    msg = str(info.value)
    assert msg.startswith(
        "programs.csv has no column sponsor (its columns are: 'program_id', 'name', 'manager')"
    )
    assert "[columns]" in msg


def test_column_mapping_global_and_per_table(tmp_path: Path) -> None:
    frames = small_frames()
    frames["projects"] = frames["projects"].rename(columns={"project_id": "Project Code", "budget": "BAC"})
    frames["risks"] = frames["risks"].rename(
        columns={"project_id": "Project Code", "probability": "Likelihood"}
    )
    folder = write_csv(frames, tmp_path / "csv")
    config = parse_config(
        {
            "columns": {
                "Project Code": "project_id",
                "projects": {"BAC": "budget"},
                "risks": {"likelihood": "probability"},
            }
        }
    )
    p = load(folder, config)
    assert p.fingerprint() == load(csv_folder(tmp_path / "plain")).fingerprint()
    with pytest.raises(SourceError, match="projects.csv has no column project_id, budget"):
        load(folder)


def test_config_path_is_accepted(tmp_path: Path) -> None:
    toml = tmp_path / "pmo.toml"
    toml.write_text('[ingest]\nthousands_separator = ","\n', encoding="utf-8")
    folder = csv_folder(tmp_path)
    edit_csv(folder, "projects", 2, "budget", "1,200,000.50")
    assert load(folder, toml).projects["budget"].iloc[0] == 1200000.5


def test_extra_columns_are_notes_not_errors(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    df = pd.read_csv(folder / "projects.csv", dtype=str, keep_default_na=False)
    df["Region"] = "EMEA"
    df.to_csv(folder / "projects.csv", index=False)
    result = check(folder)
    assert result.ok
    assert "Region" not in result.portfolio.projects.columns
    assert result.notes == [
        Finding(
            "projects",
            "projects.csv",
            None,
            "Region",
            None,
            "not a column of the data model: ignored (map it under [columns] in pmo.toml if it is one)",
        )
    ]


def test_two_headers_for_one_column(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path, programs="program_id,name,sponsor,manager,Program ID\nPRG-01,A,B,C,X\n")
    findings = check(folder).findings
    assert findings[0].row is None and findings[0].column == "program_id"
    assert findings[0].rule.startswith("'program_id' (column 1) and 'Program ID' (column 5) both map to")


# ---------------------------------------------------------------- coercion of text cells


def _one(
    tmp_path: Path, table: str, row: int, column: str, value: str, config: Config | None = None
) -> list[tuple]:
    folder = csv_folder(tmp_path)
    edit_csv(folder, table, row, column, value)
    return [(f.table, f.source, f.row, f.column, f.value, f.rule) for f in check(folder, config).findings]


THOUSANDS = 'not a number; set [ingest] thousands_separator = "," if your file uses one'


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("1,200.50", THOUSANDS),
        ("12%", "must be an amount, not a percentage"),
        ("N/A", "is required: give the amount as a number"),
        ("€1200", "must be a plain number, without a currency symbol or code"),
        ("1200,50", 'not a number; set [ingest] decimal = "," if your file uses decimal commas'),
        ("abc", "must be a number"),
        ("", "budget is required: the cell must not be empty"),
    ],
)
def test_bad_money(tmp_path: Path, value: str, rule: str) -> None:
    assert _one(tmp_path, "projects", 3, "budget", value) == [
        ("projects", "projects.csv", 3, "budget", value, rule)
    ]


@pytest.mark.parametrize(
    ("value", "sep", "dec", "expected"),
    [
        ("1,200.50", ",", ".", 1200.5),
        ("1.200,50", ".", ",", 1200.5),
        ("1 200 000", " ", ".", 1200000.0),
        ("-3,000", ",", ".", -3000.0),
        ("2500", ",", ".", 2500.0),
        ("1e3", "", ".", 1000.0),
    ],
)
def test_thousands_separator_and_decimal(value: str, sep: str, dec: str, expected: float) -> None:
    config = Config(ingest=IngestConfig(thousands_separator=sep, decimal=dec))
    coerced = COERCERS["money"](
        pd.Series([value], index=[2], dtype=object), RISKS.column("cost_impact"), config
    )
    assert coerced.values.tolist() == [expected]
    assert coerced.problems.empty


def test_thousands_separator_through_load(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "risks", 2, "cost_impact", "1,250,000.75")
    config = Config(ingest=IngestConfig(thousands_separator=","))
    assert load(folder, config).risks["cost_impact"].iloc[0] == 1250000.75


def test_optional_money_na_word(tmp_path: Path) -> None:
    assert _one(tmp_path, "risks", 2, "cost_impact", "n/a") == [
        (
            "risks",
            "risks.csv",
            2,
            "cost_impact",
            "n/a",
            "must be a number: leave the cell empty when there is no amount",
        )
    ]


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (
            "31/12/2026",
            "must be a date YYYY-MM-DD, e.g. 2026-12-31; day/month order is ambiguous, so write dates "
            "as YYYY-MM-DD",
        ),
        (
            "46022",
            "must be a date YYYY-MM-DD, e.g. 2026-12-31; this looks like an Excel date serial number: "
            "format the column as a date before exporting",
        ),
        ("2026-02-30", "is not a real date: check day and month"),
        ("2026-01-05 14:30", "must be a date YYYY-MM-DD, e.g. 2026-12-31, without a time of day"),
        ("soon", "must be a date YYYY-MM-DD, e.g. 2026-12-31"),
    ],
)
def test_bad_dates(tmp_path: Path, value: str, rule: str) -> None:
    assert _one(tmp_path, "projects", 2, "baseline_start", value) == [
        ("projects", "projects.csv", 2, "baseline_start", value, rule)
    ]


@pytest.mark.parametrize(
    "value", ["2026-01-05T00:00:00", "2026-01-05 00:00:00.000", " 2026-01-05 ", "2026-01-05T00:00Z"]
)
def test_iso_timestamps_at_midnight_are_dates(tmp_path: Path, value: str) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "projects", 2, "baseline_start", value)
    assert load(folder).projects["baseline_start"].iloc[0] == pd.Timestamp("2026-01-05")


@pytest.mark.parametrize(
    ("value", "ok"), [("Yes", True), ("n", False), ("1", True), ("FALSE", False), ("", False)]
)
def test_bool_words(tmp_path: Path, value: str, ok: bool) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "milestones", 2, "key_milestone", value)
    assert bool(load(folder).milestones["key_milestone"].iloc[0]) is ok


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("2026-1", "must be a month YYYY-MM, e.g. 2026-03"),
        ("2026-13", "must be a month YYYY-MM, e.g. 2026-03"),
        ("2026-02-01", "must be a month YYYY-MM, e.g. 2026-03 (a month, not a date)"),
    ],
)
def test_bad_period(tmp_path: Path, value: str, rule: str) -> None:
    assert _one(tmp_path, "financials", 2, "period", value) == [
        ("financials", "financials.csv", 2, "period", value, rule)
    ]


def test_int_accepts_whole_float_text_and_refuses_fraction(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "risks", 2, "impact", "4.0")
    assert load(folder).risks["impact"].iloc[0] == 4
    assert _one(tmp_path / "b", "risks", 2, "impact", "3.5") == [
        ("risks", "risks.csv", 2, "impact", "3.5", "must be a whole number from 1 to 5")
    ]


def test_choices_are_trimmed_and_lower_cased(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "projects", 2, "reported_status", " Amber ")
    edit_csv(folder, "projects", 2, "project_id", " P-001 ")
    p = load(folder)
    assert p.projects["reported_status"].iloc[0] == "amber"
    assert p.projects["project_id"].iloc[0] == "P-001"


# ---------------------------------------------------------------- Excel


def test_excel_real_dates_numbers_and_first_of_month_periods(tmp_path: Path) -> None:
    frames = small_frames()
    fin = frames["financials"].copy()
    fin["period"] = pd.to_datetime(fin["period"] + "-01")  # Excel turns a typed 2026-01 into a date
    frames["financials"] = fin
    p = load(write_xlsx(frames, tmp_path / "book.xlsx"))
    assert p.financials["period"].tolist()[:3] == ["2026-01", "2026-02", "2026-03"]
    assert p.fingerprint() == load(csv_folder(tmp_path)).fingerprint()


def test_excel_finding_names_the_sheet_and_row(tmp_path: Path) -> None:
    frames = small_frames()
    risks = frames["risks"].astype({"probability": object})
    risks.loc[1, "probability"] = "high"
    frames["risks"] = risks
    findings = check(write_xlsx(frames, tmp_path / "book.xlsx")).findings
    assert [(f.source, f.row, f.column, f.value, f.rule) for f in findings] == [
        ("book.xlsx[Risks]", 3, "probability", "high", "must be a whole number from 1 to 5")
    ]


def test_excel_number_in_a_date_column(tmp_path: Path) -> None:
    frames = small_frames()
    projects = frames["projects"].astype({"baseline_start": object})
    projects.loc[0, "baseline_start"] = 46022
    frames["projects"] = projects
    findings = check(write_xlsx(frames, tmp_path / "book.xlsx")).findings
    assert [(f.source, f.row, f.value) for f in findings] == [("book.xlsx[Projects]", 2, 46022)]
    assert "this cell holds a number, not a date" in findings[0].rule


def test_excel_missing_sheet(tmp_path: Path) -> None:
    frames = small_frames()
    del frames["projects"]
    with pytest.raises(
        SourceError,
        match=r"looked for a sheet named projects in book\.xlsx \(its sheets are: "
        r"README, Programs",
    ):
        load(write_xlsx(frames, tmp_path / "book.xlsx"))


def test_excel_two_sheets_for_one_table(tmp_path: Path) -> None:
    path = write_xlsx(small_frames(), tmp_path / "book.xlsx")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb.create_sheet(" risks ")
    wb.save(path)
    with pytest.raises(SourceError, match=r"book\.xlsx has two sheets for the risks table \('Risks' and ' risks '\)"):
        load(path)


def test_csv_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_text("program_id,name\nPRG-01,A\n", encoding="utf-8")
    with pytest.raises(
        SourceError, match=r"^book\.xlsx is not an Excel workbook \(it looks like a text file"
    ):
        load(path)


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)  # OLE2: how encrypted xlsx is stored
    with pytest.raises(SourceError, match="password-protected or an old .xls"):
        load(path)


def test_corrupt_workbook(tmp_path: Path) -> None:
    good = write_xlsx(small_frames(), tmp_path / "good.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[:600])
    with pytest.raises(SourceError) as info:
        load(bad)
    assert str(info.value).startswith("bad.xlsx is not a readable Excel workbook (")
    assert "\n" not in str(info.value)


def test_xls_is_refused() -> None:
    with pytest.raises(SourceError, match=r"\.xls workbooks are not supported: save it as \.xlsx"):
        load("old.xls")


# ---------------------------------------------------------------- Parquet


def test_parquet_not_really_parquet(tmp_path: Path) -> None:
    folder = write_parquet(small_frames(), tmp_path / "pq")
    (folder / "risks.parquet").write_text("not parquet", encoding="utf-8")
    with pytest.raises(SourceError, match=r"^risks\.parquet is not a readable Parquet file"):
        load(folder)


# ---------------------------------------------------------------- SQL


def test_sql_table_names_are_case_insensitive_and_views_count(tmp_path: Path) -> None:
    url = write_sqlite(small_frames(), tmp_path / "pmo.db")  # the risks table is called RISKS
    p = load(url)
    assert len(p.risks) == 2
    with sqlite3.connect(tmp_path / "pmo.db") as conn:
        conn.execute("ALTER TABLE programs RENAME TO programs_raw")
        conn.execute("CREATE VIEW Programs AS SELECT * FROM programs_raw")
    conn.close()
    assert load(url).programs["program_id"].tolist() == ["PRG-01", "PRG-02"]


def test_sql_missing_table(tmp_path: Path) -> None:
    frames = small_frames()
    del frames["projects"]
    url = write_sqlite(frames, tmp_path / "pmo.db")
    with pytest.raises(
        SourceError,
        match=r"required table projects not found: looked for a table named "
        r"projects in sqlite:///",
    ):
        load(url)


def test_sql_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "absent.db"
    with pytest.raises(SourceError, match="database file .*absent.db not found"):
        load(f"sqlite:///{db}")
    assert not db.exists()


def test_sql_connection_failure_hides_the_password() -> None:
    with pytest.raises(SourceError) as info:
        load("postgresql+pg8000://bob:s3cret@127.0.0.1:1/pmo")
    msg = str(info.value)
    assert "s3cret" not in msg and "bob:***@" in msg


def test_sql_bad_url() -> None:
    with pytest.raises(SourceError, match="no SQLAlchemy dialect for 'nosuchdb'"):
        load("nosuchdb://host/db")


def test_sql_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "pmo.db"
    path.write_text("hello, I am not SQLite" * 100, encoding="utf-8")
    with pytest.raises(
        SourceError, match=r"cannot read the database sqlite:///.*pmo\.db: file is not a database"
    ):
        load(f"sqlite:///{path}")


# ---------------------------------------------------------------- errors carry everything


def test_load_raises_with_all_findings(tmp_path: Path) -> None:
    folder = csv_folder(tmp_path)
    edit_csv(folder, "projects", 2, "budget", "12%")
    edit_csv(folder, "risks", 3, "impact", "9")
    with pytest.raises(DataValidationError) as info:
        load(folder)
    assert [(f.table, f.row, f.column) for f in info.value.findings] == [
        ("projects", 2, "budget"),
        ("risks", 3, "impact"),
    ]
    assert info.value.source == str(folder)
