"""What a chart or a data note of a large portfolio draws (pmo_nb.reporting.scale and the builders that use it).

Hand-made frames with the expected rows worked out by hand: within the limit everything is kept unchanged; beyond
it the rows that matter most are kept, in the chart's own order."""

from __future__ import annotations

import pandas as pd

from pmo_nb.reporting.scale import NOTE_NAMES, listing
from pmo_nb.reporting.trends import worst_rows
from pmo_nb.reporting.views import latest_projects, lowest_compliance


def test_listing_names_up_to_the_limit_then_counts_the_rest() -> None:
    assert listing(["A", "B", "C"], limit=3) == "A, B, C"
    assert listing(["A", "B", "C", "D", "E"], limit=3) == "A, B, C and 2 more"
    names = [f"P{i}" for i in range(1200)]
    assert listing(names).endswith(f"P{NOTE_NAMES - 1} and 1,190 more")
    assert listing([]) == ""


def _roadmap(delays: list[float | None]) -> pd.DataFrame:
    n = len(delays)
    return pd.DataFrame({
        "program": [f"G{i // 2}" for i in range(n)], "project_id": [f"J{i:02d}" for i in range(n)],
        "project": [f"Project {i}" for i in range(n)], "rag": ["green"] * n, "closed": [False] * n,
        "start": pd.to_datetime(["2026-01-01"] * n),
        "baseline_finish": pd.to_datetime([f"2027-{1 + i % 12:02d}-01" for i in range(n)]),
        "forecast_finish": pd.to_datetime(["2027-06-01"] * n), "delay_days": delays,
    })


def test_roadmap_keeps_every_project_within_the_limit() -> None:
    rows = _roadmap([5.0, None, -3.0])
    assert latest_projects(rows, 3) is rows


def test_roadmap_keeps_the_longest_delays_in_roadmap_order() -> None:
    # delays by row: J00 10, J01 none (0), J02 40, J03 -5, J04 40, J05 7
    rows = _roadmap([10.0, None, 40.0, -5.0, 40.0, 7.0])
    kept = latest_projects(rows, 3)
    # 40 (J02), 40 (J04; same delay, later baseline finish: 2027-05 against 2027-03), 10 (J00); in roadmap order
    assert list(kept["project_id"]) == ["J00", "J02", "J04"]
    # the fourth place: J05 (7 days) before J01 (no delay given counts as 0) and J03 (5 days early)
    assert list(latest_projects(rows, 4)["project_id"]) == ["J00", "J02", "J04", "J05"]


def _strip(rags: dict[str, list[str | None]]) -> pd.DataFrame:
    rows = []
    for name, by_month in rags.items():
        for k, rag in enumerate(by_month):
            rows.append({"name": name, "period": f"2026-{k + 8:02d}", "rag": rag, "recomputed": False})
    return pd.DataFrame(rows)


def test_status_strip_keeps_the_worst_now_then_the_most_red_months() -> None:
    data = _strip({
        "A": ["green", "green", "green"],  # green now, no red
        "B": ["red", "red", "amber"],      # amber now, 2 red
        "C": ["green", "amber", "red"],    # red now
        "D": ["red", "red", "green"],      # green now, 2 red
        "E": ["amber", "amber", "amber"],  # amber now, 0 red, 3 amber
        "F": [None, None, None],           # not rated
    })
    assert worst_rows(data, 6) is data
    # ranks: C (red now), B (amber, 2 red), E (amber, 0 red), D (green, 2 red), A (green), F (not rated)
    kept = worst_rows(data, 4)
    assert list(dict.fromkeys(kept["name"])) == ["B", "C", "D", "E"]  # drawn in their own order
    assert len(kept) == 4 * 3
    # a program report always keeps its own row (the first), then the worst of the rest
    assert list(dict.fromkeys(worst_rows(data, 3, keep_first=True)["name"])) == ["A", "B", "C"]


def test_compliance_trend_keeps_the_lowest_compliance_this_month() -> None:
    data = pd.DataFrame({
        "period": ["2026-09", "2026-10"] * 4,
        "program": ["P", "P", "Q", "Q", "R", "R", "S", "S"],
        # latest month: P 0.9, Q 0.5, R 0.7, S 0.5 (tie with Q: by name)
        "value": [0.1, 0.9, 0.8, 0.5, 0.2, 0.7, 0.9, 0.5],
        "recomputed": [False] * 8,
    })
    assert lowest_compliance(data, 4) is data
    kept = lowest_compliance(data, 2)
    assert sorted(set(kept["program"])) == ["Q", "S"]
    assert len(kept) == 4
    assert sorted(set(lowest_compliance(data, 3)["program"])) == ["Q", "R", "S"]


def test_a_selected_roadmap_is_one_list_labelled_with_each_program() -> None:
    from pmo_nb.reporting.charts import views as view_charts

    rows = _roadmap([10.0, None, 40.0, -5.0, 40.0, 7.0])
    whole = view_charts.roadmap(rows).to_dict(validate=True)
    assert "facet" in whole  # a block of rows per program
    chosen = latest_projects(rows, 3).iloc[[1, 2, 0]]  # as the builder orders them: longest delay first
    spec = view_charts.roadmap(chosen, note="The 3 with the longest delay", by_program=False).to_dict(validate=True)
    assert "facet" not in spec
    data = next(iter(spec["datasets"].values()))
    assert [r["project"] for r in data] == ["Project 2 (G1)", "Project 4 (G2)", "Project 0 (G0)"]
    assert spec["title"]["subtitle"][0] == "The 3 with the longest delay"


def test_two_projects_of_one_name_keep_a_row_each() -> None:
    from pmo_nb.reporting.charts import views as view_charts

    rows = _roadmap([10.0, 5.0, 3.0])
    rows.loc[1, "project"] = rows.loc[0, "project"]  # J00 and J01: same name, same program (G0)
    for by_program in (True, False):
        spec = view_charts.roadmap(rows, by_program=by_program).to_dict(validate=True)
        names = [r["project"] for r in next(iter(spec["datasets"].values()))]
        assert len(set(names)) == 3, names
        assert any(n.endswith("[J00]") for n in names) and any(n.endswith("[J01]") for n in names)
    unique = view_charts.roadmap(_roadmap([10.0, 5.0])).to_dict(validate=True)
    assert [r["project"] for r in next(iter(unique["datasets"].values()))] == ["Project 0", "Project 1"]
