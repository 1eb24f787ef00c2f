"""The history store (write_month, read_history) and the trend sections' data steps, on hand-computed months."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kpi_scenarios import scenario

from pmo_nb.exceptions import SourceError
from pmo_nb.metrics import frames, history
from pmo_nb.metrics.kpis import compute
from pmo_nb.periods import Period
from pmo_nb.reporting import trends


@pytest.fixture(scope="module")
def pf():
    return scenario()


def test_write_month_keeps_the_month_atomically(tmp_path, pf):
    kpis = compute(pf, "2024-03")
    path = history.write_month(tmp_path, kpis)
    assert path == tmp_path / "history" / "2024-03.parquet"
    assert sorted(p.name for p in path.parent.iterdir()) == ["2024-03.parquet"]  # no part file left
    stored = history.read_month(path)
    programs = stored[stored["level"] == "program"].set_index("id")
    assert programs.loc["P1", "cpi"] == pytest.approx(520 / 500)  # EV 270 + 250 over AC 300 + 200
    assert programs.loc["P1", "rag"] == kpis.programs.set_index("program_id").loc["P1", "rag"]
    assert set(programs.columns) >= {"eac_p50", "eac_p80", "finish_p80", "p_within_budget", "rag_reason"}
    ms = stored[stored["level"] == "milestone"].set_index("id")
    assert ms.loc["A-M2", "forecast_finish"] == "2024-05-01" and ms.loc["A-M2", "key_milestone"] == True  # noqa: E712
    assert ms.loc["A-M1", "actual_date"] == "2024-02-10" and ms.loc["A-M1", "baseline_date"] == "2024-02-15"
    risks = stored[stored["level"] == "risk"].set_index("id")
    assert risks.loc["R1", "score"] == 20.0
    assert not stored["recomputed"].any()


def test_a_failed_write_leaves_the_stored_month_as_it_was(tmp_path, pf, monkeypatch):
    path = history.write_month(tmp_path, compute(pf, "2024-03"))
    before = path.read_bytes()

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        history.write_month(tmp_path, compute(pf, "2024-03"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["2024-03.parquet"]


def test_months_without_a_file_are_recomputed_and_marked(tmp_path, pf):
    history.write_month(tmp_path, compute(pf, "2024-02"))
    h = history.read_history(tmp_path, "2024-03", 4, portfolio=pf)
    assert h.months == ("2023-12", "2024-01", "2024-02", "2024-03")
    assert h.missing == (Period("2023-12"),)  # before the first financials: neither stored nor recomputable
    a = h.entity("project", "A")
    assert a["period"].tolist() == ["2024-01", "2024-02", "2024-03"]
    assert a["recomputed"].tolist() == [True, False, True]
    assert a["cpi"].tolist() == pytest.approx([80 / 100, 170 / 200, 270 / 300])
    data = trends.index_trend_data(h, "program", "P1")
    cpi = data[data["series"] == "CPI"]
    assert cpi["value"].tolist() == pytest.approx([0.8, 320 / 300, 520 / 500])


def test_without_a_store_or_a_source_nothing_is_read(pf):
    h = history.read_history(None, "2024-03", 3)
    assert h.frame.empty and h.missing == ("2024-01", "2024-02", "2024-03")
    assert trends.index_trend_data(h, "portfolio").empty


def test_a_corrupt_month_names_its_file(tmp_path, pf):
    bad = tmp_path / "history" / "2024-02.parquet"
    bad.parent.mkdir()
    bad.write_text("not parquet")
    with pytest.raises(SourceError, match="2024-02.parquet cannot be read"):
        history.read_history(tmp_path, "2024-03", 3, portfolio=pf)


def test_milestone_trend_reads_the_dates_as_reported_each_stored_month(tmp_path, pf):
    history.write_month(tmp_path, compute(pf, "2024-02"))
    later = scenario()
    later.milestones.loc[later.milestones["milestone_id"] == "A-M2", "forecast_date"] = pd.Timestamp("2024-06-15")
    history.write_month(tmp_path, compute(later, "2024-03"))
    h = history.read_history(tmp_path, "2024-03", 3, portfolio=pf)
    data = trends.milestone_trend_data(h, {"A", "B"})
    assert data["milestone"].unique().tolist() == ["A-M2 Go-live"]  # the only key milestone
    assert data["period"].tolist() == ["2024-02", "2024-03"]  # the recomputed January is left out
    assert data["forecast_date"].tolist() == [pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-15")]
    assert data["reported"].tolist() == [pd.Timestamp("2024-02-29"), pd.Timestamp("2024-03-31")]
    assert not data["achieved"].any()


def test_rag_strip_rows_follow_the_given_order(pf):
    h = history.read_history(None, "2024-03", 2, portfolio=pf)
    data = trends.rag_strip_data(h, "project", ["B", "A"], {"A": "Alpha", "B": "Beta"})
    assert data["name"].tolist() == ["Beta", "Beta", "Alpha", "Alpha"]
    assert data["period"].tolist() == ["2024-02", "2024-03"] * 2
    assert data["recomputed"].all()


def test_issue_and_eac_trends_are_tidy(pf):
    h = history.read_history(None, "2024-03", 3, portfolio=pf)
    issues = trends.issue_trend_data(h, "project", "A")
    assert issues["value"].tolist() == [0.0, 1.0, 1.0]  # I2 opened and closed in January; I1 open from February
    eac = trends.eac_trend_data(h, "project", "A")
    assert set(eac["series"]) == {"BAC", "EAC", "EAC P80"}
    assert eac[eac["series"] == "EAC"]["value"].tolist() == pytest.approx([1000 / 0.8, 1000 / 0.85, 1000 / 0.9])


def test_forecast_sentence_states_the_figures_or_why_not():
    row = pd.Series({"eac_p50": 1_300_000.0, "eac_p80": 1_450_000.0, "eac": 1_250_000.0, "bac": 1_200_000.0,
                     "p_within_budget": 0.04, "finish_p50": pd.Timestamp("2027-01-16"),
                     "finish_p80": pd.Timestamp("2027-03-02"), "p_by_baseline": 0.25})
    text = trends.forecast_sentence(row, "EUR")
    assert "P80" in text and "4.0% chance of finishing within budget" in text
    assert "25.0% chance of finishing by the baseline date" in text
    na = trends.forecast_sentence(pd.Series({"eac_p80": float("nan"), "forecast_na_reason": "no financials yet"}),
                                  "EUR")
    assert na == "No risk-adjusted forecast: no financials yet."


@pytest.mark.parametrize("builder", ["index_trend", "eac_trend", "issue_trend"])
def test_line_charts_draw_stored_points_filled_and_recomputed_hollow(builder):
    from pmo_nb.reporting.charts import trends as charts

    data = pd.DataFrame({"period": ["2024-01", "2024-02"], "series": ["CPI" if builder == "index_trend" else
                                                                      "EAC" if builder == "eac_trend" else
                                                                      "Open issues"] * 2,
                         "value": [0.9, 0.95], "recomputed": [True, False]})
    spec = getattr(charts, builder)(data).to_dict()
    text = str(spec)
    assert "datum.source == 'stored'" in text and "'white'" in text
    values = next(v for v in spec["datasets"].values() if "source" in v[0])
    assert [v["source"] for v in values] == ["recomputed", "stored"]
    empty = getattr(charts, builder)(data.iloc[:0])
    assert "'message': 'No " in str(empty.to_dict())


def test_chart_builders_name_missing_columns():
    from pmo_nb.reporting.charts import trends as charts

    with pytest.raises(KeyError, match="recomputed"):
        charts.rag_strip(pd.DataFrame({"name": ["P"], "period": ["2024-01"], "rag": ["red"]}))


def test_milestone_trend_chart_has_the_diagonal():
    from pmo_nb.reporting.charts import trends as charts

    data = pd.DataFrame({"period": ["2024-02", "2024-03"], "reported": pd.to_datetime(["2024-02-29", "2024-03-31"]),
                         "milestone": ["M1 Go-live"] * 2, "forecast_date": pd.to_datetime(["2024-05-01", "2024-06-15"]),
                         "achieved": [False, False]})
    spec = charts.milestone_trend(data).to_dict()
    assert len(spec["layer"]) == 2 and spec["layer"][0]["mark"]["strokeDash"] == [4, 3]


def _strictly_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=True, check_column_type=True,
                                  check_flags=True)
    assert a.attrs == b.attrs


def test_a_packed_month_unpacks_to_an_equal_frame(pf):
    month = history.recompute_month(pf, "2024-02", compute(pf, "2024-02").config)
    packed = history.PackedMonths({"2024-02": month})
    _strictly_equal(packed["2024-02"], month)
    mask = month["level"].isin(["portfolio", "program", "project"])  # a recomputed month's milestones: never read
    _strictly_equal(packed.lazy("2024-02").trend_rows(), month[mask])
    assert list(packed) == ["2024-02"] and len(packed) == 1


def test_a_packed_month_unpacks_each_kind_of_trend_rows_alone_and_in_order(pf):
    """A packed month keeps the entities' rows and the key milestones apart (a trend unpacks only its kind), and
    gives back each kind, the trend rows and the whole frame in the month's own row order, however mixed."""
    month = history.snapshot(compute(pf, "2024-03")).iloc[::-1]  # rows of every kind in an unusual order
    month.index = range(100, 100 + len(month))
    month.attrs = {"note": "kept"}
    packed = history.PackedMonth(month)
    assert list(packed.trend_rows("entities")["id"]) == ["D", "C", "B", "A", "P2", "P1", "portfolio"]
    assert list(packed.trend_rows("milestones")["id"]) == ["A-M2"]  # the one key milestone (A-M1, B-M1 are not)
    assert list(packed.trend_rows()["id"]) == ["A-M2", "D", "C", "B", "A", "P2", "P1", "portfolio"]
    _strictly_equal(packed.trend_rows(), month[history._trend_mask(month)])
    _strictly_equal(packed.frame(), month)
    _strictly_equal(history.LazyMonth(lambda: month).trend_rows("milestones"), packed.trend_rows("milestones"))


def test_a_stored_month_is_read_once_for_both_kinds_of_trend_rows(tmp_path, pf, monkeypatch):
    """A report reads the entities' rows and the key milestones of every stored month: one read of the file gives
    both (the second kind is kept from the first read), equal to what reading the file again would give."""
    path = history.write_month(tmp_path, compute(pf, "2024-03"))
    whole = history.read_month(path)
    reads: list[Path] = []
    real = history.read_month
    monkeypatch.setattr(history, "read_month", lambda p: reads.append(Path(p)) or real(p))
    stored = history.StoredMonth(path)
    entities, milestones = stored.trend_rows("entities"), stored.trend_rows("milestones")
    assert reads == [path]
    assert list(entities["id"]) == ["portfolio", "P1", "P2", "A", "B", "C", "D"]
    assert list(milestones["id"]) == ["A-M2"]  # the one key milestone
    _strictly_equal(milestones, whole[history._kind_mask(whole, "milestones")])
    _strictly_equal(stored.trend_rows("milestones"), milestones)  # asked again: read again, the same rows
    assert reads == [path, path]


def test_stored_months_read_once_by_the_run_are_used_while_their_files_are_unchanged(tmp_path, pf, monkeypatch):
    """The run reads the stored months once (pack_stored) and the reports take them from there instead of reading
    the files: the same history; a file written again since is read again, and months the store lacks (or a
    month outside the trend) are not in it."""
    for m in ("2024-01", "2024-02", "2024-03"):
        history.write_month(tmp_path, compute(pf, m))
    current = compute(pf, "2024-04")
    store = history.pack_stored(tmp_path, "2024-04", 3)
    assert len(store) == 2  # 2024-02 and 2024-03; 2024-01 is before the 3 months, 2024-04 not stored
    alone = history.read_history(tmp_path, "2024-04", 3, portfolio=pf, current=current)
    entities = [("portfolio", None), ("program", "P1"), ("project", "A")]
    expected = (alone.frame, [alone.entity(level, id_) for level, id_ in entities], alone.milestones({"A", "B"}))
    assert list(expected[2]["period"]) == ["2024-02", "2024-03", "2024-04"]  # A-M2 as reported each month
    reads: list[Path] = []
    real = history.read_month
    monkeypatch.setattr(history, "read_month", lambda p: reads.append(Path(p).name) or real(p))
    shared = history.read_history(tmp_path, "2024-04", 3, portfolio=pf, current=current, stored=store)
    for (level, id_), rows in zip(entities, expected[1], strict=True):
        _strictly_equal(shared.entity(level, id_), rows)
    _strictly_equal(shared.milestones({"A", "B"}), expected[2])
    _strictly_equal(shared.frame, expected[0])
    assert reads == []
    history.write_month(tmp_path, compute(pf, "2024-02"))  # written again: the store's copy is no longer used
    again = history.read_history(tmp_path, "2024-04", 3, portfolio=pf, current=current, stored=store)
    _strictly_equal(again.frame, expected[0])
    assert reads == ["2024-02.parquet"]
    assert len(history.pack_stored(None, "2024-04", 3)) == 0


def test_a_history_of_packed_months_reads_as_one_read_whole(tmp_path, pf):
    """The trends read the same rows from packed months (unpacked only in part) as from the whole frame."""
    history.write_month(tmp_path, compute(pf, "2024-02"))
    current = compute(pf, "2024-03")
    lazy = history.read_history(tmp_path, "2024-03", 4, portfolio=pf, current=current,
                                cache=history.PackedMonths({"2024-01": history.recompute_month(pf, "2024-01",
                                                                                              current.config)}))
    whole = history.History(frame=history.read_history(tmp_path, "2024-03", 4, portfolio=pf, current=current).frame,
                            months=lazy.months, missing=lazy.missing)
    for level, id_ in [("portfolio", None), ("program", "P1"), ("project", "A"), ("project", "B")]:
        _strictly_equal(lazy.entity(level, id_), whole.entity(level, id_))
    for level in ("program", "project", "milestone", "risk"):
        _strictly_equal(lazy.level(level).reset_index(drop=True), whole.level(level).reset_index(drop=True))
    _strictly_equal(lazy.milestones({"A", "B"}), whole.milestones({"A", "B"}))
    _strictly_equal(lazy.milestones(None, key_only=False), whole.milestones(None, key_only=False))
    _strictly_equal(lazy.frame, whole.frame)


def test_the_reporting_month_shared_by_the_run_is_read_not_made_again(pf, monkeypatch):
    """The run puts the reporting month's snapshot in the shared cache once (month.share_current); a report reads
    it from there and gets what it would have made itself, stored figures (not recomputed) included."""
    from pmo_nb.metrics.month import SharedState, share_current

    current = compute(pf, "2024-03")
    made = history.read_history(None, "2024-03", 3, portfolio=pf, current=current)
    state = SharedState(portfolio=pf, config=current.config, period="2024-03", kpis=current, changes=None,
                        previous_frame=None, previous_source=None)
    share_current(state)
    state.recomputed.update({m: history.recompute_month(pf, m, current.config) for m in ("2024-01", "2024-02")})
    monkeypatch.setattr(history, "snapshot", lambda *a, **k: pytest.fail("the reporting month was made again"))
    shared = history.read_history(None, "2024-03", 3, portfolio=pf, current=current, cache=state.recomputed)
    _strictly_equal(shared.frame, made.frame)
    assert not shared.entity("portfolio")["recomputed"].iloc[-1]  # the reporting month: its own figures
    for level, id_ in [("portfolio", None), ("program", "P1"), ("project", "A")]:
        _strictly_equal(shared.entity(level, id_), made.entity(level, id_))


def test_shared_strings_keep_values_and_dtypes():
    a = "".join(["a", "b"])  # equal strings, distinct objects
    index = [3, 3, 1, 0]
    frame = pd.DataFrame({"name": pd.Series([a, None, "".join(["a", "b"]), float("nan")], index, dtype=object),
                          "mixed": pd.Series([1, True, "1", None], index, dtype=object), "x": [1.0, 2.0, 3.0, 4.0]},
                         index=index)
    assert frame["name"].dtype == object and frame["name"].iloc[0] is not frame["name"].iloc[2]
    out = frames.shared_strings(frame)
    _strictly_equal(out, frame)
    assert out["name"].iloc[0] is out["name"].iloc[2] and out["name"].iloc[1] is None
    assert out["mixed"].tolist() == [1, True, "1", None]


def test_a_stored_month_is_checked_when_read_and_loaded_when_needed(tmp_path, pf):
    path = history.month_path(tmp_path, "2024-02")
    path.parent.mkdir()
    pd.DataFrame({"period": ["2024-02"], "level": ["portfolio"]}).to_parquet(path)
    with pytest.raises(SourceError, match="is not a pmo-nb history file: it lacks id"):
        history.read_history(tmp_path, "2024-03", 3, portfolio=pf)
    history.write_month(tmp_path, compute(pf, "2024-02"))
    h = history.read_history(tmp_path, "2024-03", 3, portfolio=pf)
    path.unlink()  # read when a trend needs it, not before
    with pytest.raises(SourceError, match="2024-02.parquet cannot be read"):
        h.entity("program", "P1")


def test_a_report_on_one_program_unpacks_its_programs_rows_and_reads_what_the_whole_frame_gives(pf, monkeypatch):
    """Trend rows asked for some entities (or projects' milestones) unpack only the programs holding them in each
    packed month, and give the rows the whole frame gives, also for a project that belonged to another program in
    an earlier month and for ids no month has."""
    config = compute(pf, "2024-03").config
    stored = history.snapshot(compute(pf, "2024-02"))  # a stored month: its key milestones are read too
    moved = stored["id"].eq("A") | (stored["level"].eq("milestone") & stored["project_id"].eq("A"))
    assert stored.loc[moved, "program_id"].eq("P1").all() and moved.sum() == 3
    stored.loc[moved, "program_id"] = "P2"  # project A was in program P2 that month
    months = [history.recompute_month(pf, "2024-01", config), stored, history.snapshot(compute(pf, "2024-03"))]
    parts = [history.PackedMonth(m) for m in months]
    packed = history.History(months=(Period("2024-01"), Period("2024-02"), Period("2024-03")), parts=parts)
    whole = history.History(frame=pd.concat(months, ignore_index=True), months=packed.months)

    unpacked: list[int] = []
    real = history._unpack
    monkeypatch.setattr(history, "_unpack", lambda data: unpacked.append(len(data)) or real(data))
    for level, id_ in [("program", "P2"), ("project", "C"), ("project", "A"), ("program", "P1")]:
        _strictly_equal(packed.entity(level, id_), whole.entity(level, id_))
    assert len(unpacked) == 4 * 3  # one program a month for each (A: P2's rows in February, P1's in the others)
    for level, ids in [("program", ["P2", "P1", "nowhere"]), ("project", ["D", "A"]), ("project", [])]:
        _strictly_equal(packed.level(level, ids).reset_index(drop=True), whole.level(level, ids).reset_index(drop=True))
    _strictly_equal(packed.milestones({"A"}), whole.milestones({"A"}))
    _strictly_equal(packed.milestones({"C", "D"}), whole.milestones({"C", "D"}))
    # A's key milestone as stored in February (in P2) and March (in P1): the recomputed January has none
    assert packed.milestones({"A"})["program_id"].tolist() == ["P2", "P1"]
    # every row at once: the portfolio's trends, and anything read without ids, as before
    _strictly_equal(packed.entity("portfolio"), whole.entity("portfolio"))
    _strictly_equal(packed.level("project").reset_index(drop=True), whole.level("project").reset_index(drop=True))


def test_many_programs_are_packed_in_groups_a_program_unpacks_its_own():
    """With more programs than groups, a program's rows come from its group alone (about a sixteenth of the
    portfolio), and every row still comes back in its order with its label."""
    programs = [f"P{n:02d}" for n in range(40)]
    ids = ["portfolio"] + programs + [f"{p}-J{k}" for k in range(3) for p in programs]  # programs mixed
    rows = pd.DataFrame({"id": ids, "program_id": [None] + programs + programs * 3,
                         "value": range(len(ids))}, index=range(500, 500 + len(ids)))
    packed = history._ByProgram(rows, "id")
    assert len(packed._packed) == history._PROGRAM_GROUPS
    _strictly_equal(packed.rows(), rows)
    for program in programs:
        some = packed.rows({program, f"{program}-J1"})
        assert len(some) <= 4 * -(-40 // history._PROGRAM_GROUPS)  # its group: at most 3 programs of 4 rows
        pd.testing.assert_frame_equal(some[some["program_id"].eq(program)], rows[rows["program_id"].eq(program)],
                                      check_index_type=False)  # same rows, labels and order
    assert packed.rows({"nowhere"}).empty and list(packed.rows({"nowhere"}).columns) == list(rows.columns)
