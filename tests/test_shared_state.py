"""Work shared across the reports of a batch run, and what batch kernels leave out.

``pmo_nb.reporting.month.read_shared`` must hand a report the parent's pickled state when, and only when, its key
matches the report's arguments exactly; anything else (another source, config, period or previous snapshot,
no period, a Config object, an unreadable or foreign file) falls back to loading normally. In a batch kernel
(``PMO_NB_BATCH=1``) the renderer leaves out the JupyterLab-only Vega-Lite 5 copy.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest
from testdata import data_path

from pmo_nb.config import Config, load_config
from pmo_nb.data.ingest import load
from pmo_nb.metrics import month
from pmo_nb.paths import SAMPLE_DIR
from pmo_nb.reporting import display, report
from pmo_nb.run.monthly import SHARED_NAME, run, share_month

PERIOD = "2026-10"


@pytest.fixture(scope="module")
def state() -> month.SharedState:
    cfg = load_config(None)
    return month.shared_state(load(SAMPLE_DIR, cfg), cfg, PERIOD, None)


class LoadedNormally(Exception):
    """Raised instead of loading the source: the report did not use the shared state."""


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time a report loads its source itself is recorded, then stopped with ``LoadedNormally``."""
    calls: list[str] = []

    def stop(source, cfg):  # type: ignore[no-untyped-def]
        calls.append(str(source))
        raise LoadedNormally(str(source))

    monkeypatch.setattr(month, "load", stop)
    month.forget_computed()  # a month computed earlier in this process would be reused without loading
    return calls


def shared_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: month.SharedState,
                key: month.SharedKey | None) -> Path:
    marked = month.SharedState(**{**state.__dict__, "previous_source": "from the shared file"})
    path = month.write_shared(tmp_path / "shared.pickle", key, marked)  # type: ignore[arg-type]
    monkeypatch.setenv(month.SHARED_ENV, str(path))
    return path


def test_key_resolves_paths_so_relative_and_absolute_match(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "pmo.toml").write_text("")
    rel = month.shared_key("src", "pmo.toml", PERIOD, "prev/kpis.csv")
    absolute = month.shared_key(tmp_path / "src", str(tmp_path / "pmo.toml"), PERIOD,
                                 str(tmp_path / "prev" / "kpis.csv"))
    assert rel == absolute == (str(tmp_path / "src"), str(tmp_path / "pmo.toml"), PERIOD,
                               str(tmp_path / "prev" / "kpis.csv"))
    assert month.shared_key(None, None, PERIOD, None) == (str(SAMPLE_DIR), None, PERIOD, None)
    assert month.shared_key("sqlite:///x.db", "", PERIOD, "") == ("sqlite:///x.db", None, PERIOD, None)
    assert month.shared_key(None, None, None, None) is None  # "latest complete month" depends on today
    assert month.shared_key(None, Config(), PERIOD, None) is None  # a Config object has no identity


def test_matching_key_uses_the_shared_state_without_loading(tmp_path, monkeypatch, state, loads) -> None:
    shared_file(tmp_path, monkeypatch, state, month.shared_key(SAMPLE_DIR, None, PERIOD, None))
    program = report.ProgramReport.build("PRG-ERP", PERIOD, str(SAMPLE_DIR), None, None)
    overview = report.PortfolioReport.build(PERIOD, SAMPLE_DIR, None, None)
    assert loads == []
    assert program.previous_source == overview.previous_source == "from the shared file"
    assert program.program_id == "PRG-ERP" and program.period == PERIOD
    assert list(program.kpis.programs["program_id"]) == ["PRG-ERP"]


def test_shared_and_loaded_reports_are_the_same(tmp_path, monkeypatch, state) -> None:
    monkeypatch.delenv(month.SHARED_ENV, raising=False)
    loaded = report.ProgramReport.build("PRG-DCX", PERIOD, SAMPLE_DIR, None, None)
    month.write_shared(tmp_path / "s.pickle", month.shared_key(SAMPLE_DIR, None, PERIOD, None), state)
    monkeypatch.setenv(month.SHARED_ENV, str(tmp_path / "s.pickle"))
    shared = report.ProgramReport.build("PRG-DCX", PERIOD, SAMPLE_DIR, None, None)
    pd.testing.assert_frame_equal(shared.kpis.projects, loaded.kpis.projects)
    for section in ("summary", "tiles", "projects_table", "changes_section", "data_notes"):
        assert str(getattr(shared, section)()) == str(getattr(loaded, section)()), section


def test_the_fingerprint_is_made_once_with_the_month_and_shown_by_every_report(tmp_path, monkeypatch, state) -> None:
    """Hashing the whole portfolio costs seconds at 200 programs: the shared month carries it, and a report's header
    and data notes show that one instead of hashing the portfolio again; a state without one (None) has it made
    once by the report."""
    from pmo_nb.data.model import Portfolio

    expected = state.portfolio.fingerprint()
    assert state.fingerprint == expected
    marked = month.SharedState(**{**state.__dict__, "fingerprint": "ab" * 32})  # a stand-in the reports must show
    month.write_shared(tmp_path / "s.pickle", month.shared_key(SAMPLE_DIR, None, PERIOD, None), marked)
    monkeypatch.setenv(month.SHARED_ENV, str(tmp_path / "s.pickle"))
    hashed: list[int] = []
    real = Portfolio.fingerprint
    monkeypatch.setattr(Portfolio, "fingerprint", lambda self: hashed.append(1) or real(self))
    program = report.ProgramReport.build("PRG-DCX", PERIOD, SAMPLE_DIR, None, None)
    overview = report.PortfolioReport.build(PERIOD, SAMPLE_DIR, None, None)
    for built in (program, overview):
        assert "data fingerprint abababababab." in str(built.data_notes())
        assert built._fingerprint() == "ab" * 32
    assert hashed == []
    made = report.ProgramReport(**{**program.__dict__, "source_fingerprint": None})
    assert "data fingerprint " + expected[:12] in str(made.data_notes())
    assert made._fingerprint() == expected and hashed == [1]  # made once, then kept


@pytest.mark.parametrize("change", ["source", "config", "period", "previous_snapshot", "no period",
                                    "Config object"])
def test_any_mismatch_loads_normally(tmp_path, monkeypatch, state, loads, change) -> None:
    shared_file(tmp_path, monkeypatch, state, month.shared_key(SAMPLE_DIR, None, PERIOD, None))
    args = {"source": SAMPLE_DIR, "config": None, "period": PERIOD, "previous_snapshot": None}
    if change == "source":
        args["source"] = shutil.copytree(SAMPLE_DIR, tmp_path / "copy")
    elif change == "config":
        (tmp_path / "pmo.toml").write_text("")
        args["config"] = tmp_path / "pmo.toml"
    elif change == "period":
        args["period"] = "2026-09"
    elif change == "previous_snapshot":
        state.kpis.snapshot().to_csv(tmp_path / "kpis.csv", index=False)
        args["previous_snapshot"] = tmp_path / "kpis.csv"
    elif change == "no period":
        args["period"] = None
    else:
        args["config"] = Config()
    with pytest.raises(LoadedNormally):
        report.PortfolioReport.build(**args, today=pd.Timestamp("2026-11-15").date())
    assert len(loads) == 1


@pytest.mark.parametrize("content", [b"", b"not a pickle", "truncated", "foreign", "other format"])
def test_unreadable_or_foreign_file_loads_normally(tmp_path, monkeypatch, state, loads, content) -> None:
    key = month.shared_key(SAMPLE_DIR, None, PERIOD, None)
    path = tmp_path / "shared.pickle"
    if content == "truncated":
        path.write_bytes(pickle.dumps({"format": month.SHARED_FORMAT, "key": key, "state": state})[:2000])
    elif content == "foreign":
        path.write_bytes(pickle.dumps({"format": month.SHARED_FORMAT, "key": key, "state": "a string"}))
    elif content == "other format":
        path.write_bytes(pickle.dumps({"format": "pmo-nb shared state 0", "key": key, "state": state}))
    else:
        path.write_bytes(content)
    monkeypatch.setenv(month.SHARED_ENV, str(path))
    assert month.read_shared(key) is None
    with pytest.raises(LoadedNormally):
        report.ProgramReport.build("PRG-DCX", PERIOD, SAMPLE_DIR, None, None)
    assert len(loads) == 1


def test_no_variable_or_missing_file_loads_normally(tmp_path, monkeypatch, loads) -> None:
    key = month.shared_key(SAMPLE_DIR, None, PERIOD, None)
    monkeypatch.delenv(month.SHARED_ENV, raising=False)
    assert month.read_shared(key) is None
    monkeypatch.setenv(month.SHARED_ENV, str(tmp_path / "gone.pickle"))
    assert month.read_shared(key) is None
    with pytest.raises(LoadedNormally):
        report.ProgramReport.build("PRG-DCX", PERIOD, SAMPLE_DIR, None, None)
    assert len(loads) == 1


# --- the v5 copy: interactive only --------------------------------------------------------------------


@pytest.fixture
def chart() -> alt.Chart:
    return alt.Chart(pd.DataFrame({"rag": ["green", "red"], "count": [7, 3]})).mark_bar().encode(
        x="rag:N", y="count:Q").properties(title="Status")


@pytest.mark.parametrize(("value", "batch_mode"), [(None, False), ("", False), ("0", False), ("no", False),
                                                   ("1", True), ("yes", True)])
def test_batch_mode_reads_the_environment(monkeypatch, value, batch_mode) -> None:
    if value is None:
        monkeypatch.delenv(display.BATCH_ENV, raising=False)
    else:
        monkeypatch.setenv(display.BATCH_ENV, value)
    assert display.batch_mode() is batch_mode


def test_interactive_bundle_keeps_the_v5_copy(monkeypatch, chart) -> None:
    monkeypatch.delenv(display.BATCH_ENV, raising=False)
    bundle, meta = display.render(chart.to_dict())
    assert bundle[display.VEGALITE_V5_MIMETYPE]["$schema"] == display.V5_SCHEMA
    assert display.VEGALITE_V5_MIMETYPE in meta


def test_batch_bundle_skips_the_v5_copy_and_its_compile_check(monkeypatch, chart) -> None:
    monkeypatch.setenv(display.BATCH_ENV, "1")

    def no_compile(spec):  # type: ignore[no-untyped-def]
        raise AssertionError("the v5 compile check ran in batch mode")

    monkeypatch.setattr(display, "as_v5", no_compile)
    bundle, meta = display.render(chart.to_dict())
    assert sorted(bundle) == sorted([display.VEGALITE_V6_MIMETYPE, display.SVG_MIMETYPE, "text/plain"])
    assert bundle["text/plain"] == "Chart: Status" and bundle[display.SVG_MIMETYPE].startswith("<svg")
    assert meta == {}
    assert display.VEGALITE_V5_MIMETYPE not in display.mimebundle(chart.to_dict(), jupyterlab=False)


# --- the batch hands the state to its kernels -----------------------------------------------------------


@pytest.mark.slow
def test_batch_kernels_get_the_shared_state_and_batch_mode(tmp_path: Path) -> None:
    nb = nbformat.read(data_path("notebooks", "batch_ok.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import os as _os\nfrom pmo_nb.metrics import month as _r\n"
        "print('SHARED ' + json.dumps({'batch': _os.environ.get('PMO_NB_BATCH'), "
        "'file': _os.environ.get('PMO_NB_SHARED'), "
        "'used': _r.read_shared(_r.shared_key(source, config, period, previous_snapshot)) is not None}))"))
    nbformat.write(nb, tmp_path / "probe.ipynb")
    src = shutil.copytree(SAMPLE_DIR, tmp_path / "src")
    result = run(src, period=PERIOD, programs="PRG-DCX", formats=["html"], out=tmp_path / "out", jobs=1,
                       progress=False, notebooks={"program": tmp_path / "probe.ipynb",
                                                  "portfolio": tmp_path / "probe.ipynb"})
    assert result.ok, result.failed
    seen = []
    for name in ("portfolio", "PRG-DCX"):
        executed = nbformat.read(result.folder / "notebooks" / f"{name}.ipynb", as_version=4)
        texts = [o.get("text", "") for c in executed.cells for o in c.get("outputs", [])]
        seen.append(json.loads(next(t for t in texts if t.startswith("SHARED "))[len("SHARED "):]))
    for probe in seen:
        assert probe["batch"] == "1" and probe["used"] is True
        assert Path(probe["file"]).name == SHARED_NAME
    assert not list(result.folder.rglob(SHARED_NAME))  # never published
    assert SHARED_NAME not in json.dumps(result.manifest)


def test_batch_pickles_a_state_its_notebooks_accept(tmp_path: Path) -> None:
    cfg = load_config(None)
    params = {"period": PERIOD, "source": str(SAMPLE_DIR), "config": None, "previous_snapshot": None}
    kpis, state, written = share_month(load(SAMPLE_DIR, cfg), cfg, params, tmp_path / SHARED_NAME)
    assert written and state is not None and state.kpis is kpis  # what the pack is drawn from
    state = month.read_shared(month.shared_key(SAMPLE_DIR, None, PERIOD, None), tmp_path / SHARED_NAME)
    assert state is not None and state.period == PERIOD
    pd.testing.assert_frame_equal(state.kpis.snapshot(), kpis.snapshot())


def test_batch_shares_nothing_when_the_previous_snapshot_is_unreadable(tmp_path: Path) -> None:
    """The reports then load by themselves and each reports the bad snapshot; kpis.csv is still written."""
    cfg = load_config(None)
    (tmp_path / "kpis.csv").write_text("level\n")
    params = {"period": PERIOD, "source": str(SAMPLE_DIR), "config": None,
              "previous_snapshot": str(tmp_path / "kpis.csv")}
    kpis, state, written = share_month(load(SAMPLE_DIR, cfg), cfg, params, tmp_path / SHARED_NAME)
    assert not written and state is None and not (tmp_path / SHARED_NAME).exists()
    expected = month.shared_state(load(SAMPLE_DIR, cfg), cfg, PERIOD, None).kpis.snapshot()
    pd.testing.assert_frame_equal(kpis.snapshot(), expected)  # the same month's KPIs, in the same order


def test_a_month_built_again_from_unchanged_files_is_reused_and_recomputed_when_they_change(tmp_path) -> None:
    import shutil

    month.forget_computed()
    src = tmp_path / "source"
    shutil.copytree(SAMPLE_DIR, src)
    first = month.month_state(src, None, PERIOD, None, None)
    assert month.month_state(src, None, PERIOD, None, None) is first  # the same files: kept
    assert month.month_state(src, None, "2026-09", None, None) is not first  # another month
    projects = src / "projects.csv"
    text = projects.read_text(encoding="utf-8")
    projects.write_text(text.replace("Mobile App 2.0", "Mobile App 2.1"), encoding="utf-8")
    again = month.month_state(src, None, PERIOD, None, None)
    assert again is not first  # a changed file: computed afresh, with its new content
    assert "Mobile App 2.1" in set(again.portfolio.projects["name"])


def _wait_for(path: str) -> None:
    import time

    deadline = time.monotonic() + 60  # a run that never takes a month back would otherwise wait forever
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


_PARAMS = {"period": PERIOD, "source": str(SAMPLE_DIR), "config": None, "previous_snapshot": None}


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory) -> month.SharedState:
    """The shared month made without a pool (its 11 trend months computed in this process)."""
    cfg = load_config(None)
    made = share_month(load(SAMPLE_DIR, cfg), cfg, _PARAMS, tmp_path_factory.mktemp("alone") / SHARED_NAME).state
    assert made is not None
    return made


def _months_with_a_busy_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_once: str | None = None
                             ) -> tuple[month.SharedState, list[str]]:
    """The shared month made with a pool whose only worker is busy until this process has taken its first month:
    (the month, the months this process computed, in order); ``fail_once``: that month fails the first time this
    process computes it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from pmo_nb.metrics import history

    cfg = load_config(None)
    params = _PARAMS
    release, here = tmp_path / "release", []
    real = history._recomputed

    def recompute_here(portfolio, m, config):  # type: ignore[no-untyped-def]
        here.append(str(m))
        release.touch()  # the pool's worker may go on once this process has taken its first month
        if str(m) == fail_once and here.count(str(m)) == 1:
            raise RuntimeError(f"{m} failed")
        return real(portfolio, m, config)

    monkeypatch.setattr(history, "_recomputed", recompute_here)  # in this process only
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(_wait_for, str(release))  # the worker is busy until this process has started
        shared = share_month(load(SAMPLE_DIR, cfg), cfg, params, tmp_path / SHARED_NAME, pool).state
    assert shared is not None
    return shared, here


def assert_same_months(alone: month.SharedState, shared: month.SharedState) -> None:
    assert sorted(shared.recomputed) == sorted(alone.recomputed)
    for m in alone.recomputed:
        pd.testing.assert_frame_equal(shared.recomputed[m], alone.recomputed[m])


def test_the_months_ahead_are_shared_between_the_workers_and_this_process(alone, tmp_path, monkeypatch) -> None:
    """With the run's pool busy, this process takes back the trend months no worker has started and computes them
    itself, newest first; the months are the same as without a pool."""
    from pmo_nb.metrics import history

    shared, here = _months_with_a_busy_pool(tmp_path, monkeypatch)
    months = history.to_recompute(None, PERIOD, history.TREND_MONTHS, load(SAMPLE_DIR, load_config(None)))
    assert len(months) == 11
    # this process took months from the newest down, the worker went on from the oldest (it had at least the
    # one the pool queues beyond its workers): each month computed once, by one of them
    assert 1 <= len(here) < len(months) and here == months[::-1][: len(here)]
    assert_same_months(alone, shared)


def test_a_month_that_fails_when_taken_back_is_computed_again_as_without_a_pool(alone, tmp_path,
                                                                                 monkeypatch) -> None:
    shared, here = _months_with_a_busy_pool(tmp_path, monkeypatch, fail_once="2026-09")
    assert here[0] == "2026-09" and here.count("2026-09") == 2  # failed, then made again after the others
    assert_same_months(alone, shared)
