"""The computed month every report of a run starts from, and the run's way of sharing it with its kernels.

Every report of a month starts from the same work: load and validate the source, compute the month's KPIs and
the comparison with the month before (:func:`shared_state`). ``pmo-nb run`` does it once in the parent, pickles
the result into its staging folder (:func:`write_shared`) and names the file in the kernels' environment
variable (:data:`pmo_nb.contract.SHARED_ENV`). A report uses it when, and only when, its key (:func:`shared_key`)
equals the key of its own arguments (:func:`month_state`); otherwise it loads and computes as usual, with the same
:func:`shared_state`, so every output is the same either way.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import pickle
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pmo_nb.config import Config, load_config
from pmo_nb.contract import SHARED_ENV, SOURCE_ENV
from pmo_nb.data.ingest import load
from pmo_nb.data.model import Portfolio
from pmo_nb.metrics.calendar import check_period, default_period, event_months
from pmo_nb.metrics.changes import Changes, compare, load_snapshot
from pmo_nb.metrics.frames import shared_strings
from pmo_nb.metrics.history import PackedMonths, PackedStore
from pmo_nb.metrics.kpis import Kpis, compute
from pmo_nb.paths import SAMPLE_DIR
from pmo_nb.periods import Period

__all__ = ["SharedState", "SharedKey", "resolve_source", "shared_state", "share_current", "shared_key", "write_shared",
           "read_shared", "month_state", "in_key_order", "forget_computed", "COMPUTED_KEPT"]


def resolve_source(source: str | Path | None) -> str | Path:
    """The sample data when no source is given; a relative folder or file is taken from the cwd."""
    if source is None or str(source).strip() == "":
        return SAMPLE_DIR
    text = str(source)
    if "://" in text:
        return text
    return Path(text).expanduser().resolve()



def unmasked_source(source: str | Path | None) -> str | Path | None:
    """The URL in ``$PMO_NB_SOURCE`` when ``source`` is that URL with its password masked (a run's kernel), else
    ``source``: a run never writes the password into a notebook's parameters."""
    real = os.environ.get(SOURCE_ENV)
    if not real or source is None or "://" not in str(source) or str(source) == real:
        return source
    from sqlalchemy.engine import make_url

    try:
        shown = make_url(real).render_as_string(hide_password=True)
    except Exception:
        return source
    return real if shown == str(source) else source


def _load(source: str | Path | None, config: str | Path | Config | None) -> tuple[Portfolio, Config]:
    cfg = load_config(config)
    return load(resolve_source(unmasked_source(source)), cfg), cfg


def _previous(portfolio: Portfolio, cfg: Config, period: str, previous_snapshot: str | Path | None,
              current: Kpis) -> tuple[Changes, pd.DataFrame | None, str | None]:
    """Compare with a stored snapshot when given, else with the month before recomputed from the data."""
    if previous_snapshot:
        snap = load_snapshot(previous_snapshot)
        return compare(current.snapshot(), snap), snap, f"stored snapshot {Path(previous_snapshot).name}"
    prev_period = Period(period).previous()
    if not _covers(portfolio, prev_period):
        return compare(current.snapshot(), None), None, None
    snap = compute(portfolio, prev_period, cfg).snapshot()
    return compare(current.snapshot(), snap), snap, None


def _covers(portfolio: Portfolio, month: Period) -> bool:
    """Whether the data has ``month``: a month of its financials, or (a source without financials) a month
    within its dated events, so that a portfolio without cost data still compares with the month before."""
    periods = portfolio.periods
    if periods:
        return month in periods
    events = event_months(portfolio)
    return bool(events) and events[0] <= month <= events[-1]


SHARED_FORMAT = "pmo-nb shared state 1"

SharedKey = tuple[str, str | None, str, str | None]


@dataclass
class SharedState:
    """What every report of one month computes first: the data, the month's KPIs, last month's comparison."""

    portfolio: Portfolio
    config: Config
    period: str
    kpis: Kpis
    changes: Changes
    previous_frame: pd.DataFrame | None
    previous_source: str | None
    first_program: str | None = None  # the source's first program (the default of a program report)
    # the portfolio's fingerprint (Portfolio.fingerprint): hashing every table as CSV costs about 1.5 s at 200
    # programs, so it is made once with the month instead of twice in every report (its header and data notes);
    # None: not made (each report then makes it when it shows it)
    fingerprint: str | None = None
    # past months recomputed from the source for the trends (month -> history snapshot): filled once, by the run
    # before it shares the month or by the first report that needs them, and read by every other report; kept
    # packed (about 1 MB a month instead of 25 at 200 programs), each kernel unpacks them as its trends read them
    recomputed: MutableMapping[str, pd.DataFrame] = field(default_factory=PackedMonths)
    # the months of the reports folder's history/ the trends read, read once by the run (pack_stored) instead of
    # once in every report; a report reads a file itself when it is not the one read here
    stored: PackedStore = field(default_factory=PackedStore)


def share_current(state: SharedState) -> None:
    """Put the reporting month's history snapshot (:func:`pmo_nb.metrics.history.snapshot` of ``state.kpis``)
    into ``state.recomputed``, where :func:`~pmo_nb.metrics.history.read_history` finds it: made once by the run
    instead of once in every report that shows a trend."""
    from pmo_nb.metrics.history import snapshot

    state.recomputed[str(state.period)] = snapshot(state.kpis)


def in_key_order(portfolio: Portfolio) -> Portfolio:
    """The portfolio with every table sorted by its key (:meth:`Portfolio.in_key_order`)."""
    return portfolio.in_key_order()


def shared_state(portfolio: Portfolio, config: Config, period: str,
                 previous_snapshot: str | Path | None = None) -> SharedState:
    """Compute the month's KPIs and the comparison with last month (stored snapshot, else recomputed).

    Parameters
    ----------
    portfolio, config:
        The loaded and validated source and its settings.
    period:
        The reporting month ``YYYY-MM`` (already checked against the data).
    previous_snapshot:
        Path of last month's ``kpis.csv``; None compares with the month before recomputed from the data.

    Every table is first put in key order (:func:`in_key_order`): the results do not depend on the
    source's row order.
    """
    first = portfolio.program_ids[0] if len(portfolio.programs) else None
    portfolio = in_key_order(portfolio)
    kpis = compute(portfolio, period, config)
    changes, prev_frame, prev_source = _previous(portfolio, config, period, previous_snapshot, kpis)
    return SharedState(portfolio=portfolio, config=config, period=period, kpis=kpis, changes=changes,
                       previous_frame=prev_frame, previous_source=prev_source, first_program=first,
                       fingerprint=portfolio.fingerprint())


def _resolved(path: str | Path | None) -> str | None:
    if path is None or str(path).strip() == "":
        return None
    return str(Path(path).expanduser().resolve())


def shared_key(source: str | Path | None, config: str | Path | Config | None, period: str | None,
               previous_snapshot: str | Path | None) -> SharedKey | None:
    """The identity of a report's inputs, as :func:`read_shared` compares it; None when it cannot be shared.

    Paths are resolved (a relative path and its absolute form match); a ``Config`` object or a missing
    period (meaning "the latest complete month", which depends on today) never matches anything.
    """
    if period is None or str(period).strip() == "" or isinstance(config, Config):
        return None
    return (str(resolve_source(source)), _resolved(config), str(period), _resolved(previous_snapshot))


def write_shared(path: str | Path, key: SharedKey, state: SharedState) -> Path:
    """Pickle ``state`` with its ``key`` to ``path`` (atomically: a reader never sees half a file)."""
    path = Path(path)
    part = path.with_name(f".{path.name}.part")
    with open(part, "wb") as fh:
        pickle.dump({"format": SHARED_FORMAT, "key": key, "state": with_shared_strings(state)}, fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(part, path)
    return path


def with_shared_strings(state: SharedState) -> SharedState:
    """A shallow copy of ``state`` whose frames (and those of its portfolio, KPIs and changes, two levels down) share
    one string object per distinct text (:func:`~pmo_nb.metrics.frames.shared_strings`): equal values, but each
    kernel unpickles every name, id and status once instead of once per table (about 40 MB less a kernel at 200
    programs)."""
    pool: dict[str, str] = {}

    def shared(value: object, depth: int) -> object:
        if isinstance(value, pd.DataFrame):
            return shared_strings(value, pool)
        if depth == 0 or not dataclasses.is_dataclass(value) or isinstance(value, type):
            return value
        out = copy.copy(value)
        for f in dataclasses.fields(value):
            inner = getattr(value, f.name)
            new = shared(inner, depth - 1)
            if new is not inner:
                object.__setattr__(out, f.name, new)
        return out

    result = shared(state, 3)
    assert isinstance(result, SharedState)
    return result


def read_shared(key: SharedKey | None, path: str | Path | None = None) -> SharedState | None:
    """The shared state at ``path`` (default: ``$PMO_NB_SHARED``) if it was written for exactly ``key``.

    Returns None, so that the caller loads and computes by itself, when there is no file, the file cannot
    be read or unpickled, it is not a pmo-nb shared state, or its key differs from ``key``.
    """
    path = os.environ.get(SHARED_ENV) if path is None else path
    if key is None or not path:
        return None
    try:
        with open(path, "rb") as fh:
            payload = pickle.load(fh)
    except Exception:  # missing, truncated or foreign file: fall back to loading normally
        return None
    if not isinstance(payload, dict) or payload.get("format") != SHARED_FORMAT or payload.get("key") != key:
        return None
    state = payload.get("state")
    return state if isinstance(state, SharedState) else None


def month_state(source: str | Path | None, config: str | Path | Config | None, period: str | None,
           previous_snapshot: str | Path | None, today: dt.date | None) -> SharedState:
    """The shared state of a batch run when it matches these arguments, else loaded and computed here (and kept
    for the next report built in this process from the same, unchanged files: :func:`_files_key`)."""
    state = read_shared(shared_key(source, config, period, previous_snapshot))
    if state is not None:
        return state
    key = _files_key(source, config, period, previous_snapshot, today)
    if key is not None and key in _COMPUTED:
        _COMPUTED.move_to_end(key)
        return _COMPUTED[key]
    portfolio, cfg = _load(source, config)
    period = check_period(portfolio, period) if period else default_period(portfolio, today)
    state = shared_state(portfolio, cfg, period, previous_snapshot)
    if key is not None:
        _COMPUTED[key] = state
        while len(_COMPUTED) > COMPUTED_KEPT:
            _COMPUTED.popitem(last=False)
    return state


#: How many computed months a process keeps for the next report built from the same files (an analyst re-running
#: a notebook, a program report then the overview): each holds the loaded portfolio and its figures.
COMPUTED_KEPT = 4
_COMPUTED: OrderedDict[tuple[object, ...], SharedState] = OrderedDict()


def forget_computed() -> None:
    """Drop the computed months this process keeps (:data:`COMPUTED_KEPT`)."""
    _COMPUTED.clear()


def _stamp(path: Path) -> tuple[object, ...] | None:
    """What changes when a file or a folder's files change: each file's name, size and modification time."""
    try:
        files = [path] if path.is_file() else sorted(f for f in path.rglob("*") if f.is_file())
        return tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    except OSError:
        return None


def _files_key(source: str | Path | None, config: str | Path | Config | None, period: str | None,
               previous_snapshot: str | Path | None, today: dt.date | None) -> tuple[object, ...] | None:
    """The identity of a month computed from files, including their sizes and modification times; None (never
    kept) for a database, a ``Config`` object or a path that cannot be read."""
    if isinstance(config, Config):
        return None
    where = resolve_source(unmasked_source(source))
    if not isinstance(where, Path):
        return None  # a database: its tables may change without a trace here
    parts: list[object] = [str(period) if period else ("latest", today or dt.date.today()), _stamp(where)]
    for path in (config, previous_snapshot):
        parts.append(None if path is None or str(path) == "" else _stamp(Path(path).expanduser().resolve()))
    return None if any(p is None for p in parts[1:2]) else (str(where), *parts)
