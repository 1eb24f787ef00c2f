"""The history store: each run's month kept as one Parquet file under the reports folder, read back as trends.

:func:`write_month` keeps a month's snapshot (``reports/history/YYYY-MM.parquet``: KPIs at every level with RAG and
reason and the risk-adjusted forecast, each milestone's forecast date as reported that month, risk scores, issues)
atomically; :func:`read_history` returns the last months as one :class:`History`, recomputing from the source the
months that have no stored file where the source allows (financials are monthly, so indices, EAC, RAG and the
registers' open counts can be; milestone forecasts as reported then cannot) and marking them ``recomputed``.
"""

from __future__ import annotations

import functools
import os
import pickle
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pmo_nb.config import Config, load_config
from pmo_nb.data.model import Portfolio
from pmo_nb.exceptions import SourceError
from pmo_nb.metrics.frames import shared_strings
from pmo_nb.metrics.kpis import Kpis, compute
from pmo_nb.periods import Period

__all__ = ["HISTORY_DIR", "HISTORY_FORMAT", "TREND_MONTHS", "History", "month_path", "snapshot", "write_month",
           "read_month", "read_history", "LazyMonth", "PackedMonth", "PackedMonths", "PackedStore", "StoredMonth",
           "Part", "pack_stored"]

HISTORY_DIR = "history"
"""The store's folder inside the reports folder (the run's ``--out``)."""
HISTORY_FORMAT = "pmo-nb history 1"
TREND_MONTHS = 12
"""How many months a trend shows (the reporting month and the eleven before it)."""
MILESTONE_EXTRA = ("key_milestone", "baseline_date", "actual_date")


def month_path(out_dir: str | Path, period: str | Period) -> Path:
    """Where the snapshot of ``period`` is kept: ``<out_dir>/history/YYYY-MM.parquet``."""
    return Path(out_dir) / HISTORY_DIR / f"{Period(period)}.parquet"


def snapshot(kpis: Kpis, *, recomputed: bool = False) -> pd.DataFrame:
    """The month as the store keeps it: :meth:`Kpis.snapshot` rows plus, for milestones, ``key_milestone``,
    ``baseline_date`` and ``actual_date``, and ``recomputed``. Dates are ISO text."""
    snap = kpis.snapshot()
    for column in MILESTONE_EXTRA:
        snap[column] = None
    ms = kpis.milestones
    if len(ms):
        extra = pd.DataFrame({
            "key_milestone": ms["key_milestone"].astype(bool).to_numpy(),
            "baseline_date": pd.to_datetime(ms["baseline_date"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "actual_date": pd.to_datetime(ms["actual_date"]).dt.strftime("%Y-%m-%d").to_numpy(),
        }, index=ms["milestone_id"].to_numpy())
        rows = snap.index[snap["level"].eq("milestone")]
        found = extra.reindex(snap.loc[rows, "id"].to_numpy())
        for column in MILESTONE_EXTRA:
            values = found[column].astype("object")
            snap.loc[rows, column] = values.where(values.notna(), None).to_numpy(dtype="object")
    snap["key_milestone"] = snap["key_milestone"].astype("object")
    snap["recomputed"] = recomputed
    return snap


def write_month(out_dir: str | Path, kpis: Kpis) -> Path:
    """Keep ``kpis``' month in the store under ``out_dir`` (replacing that month's file), atomically.

    The file is written next to its final name and renamed into place, so a reader sees the old month or the
    new one, never half a file.

    Returns
    -------
    Path
        ``<out_dir>/history/YYYY-MM.parquet``.
    """
    path = month_path(out_dir, kpis.period)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    frame = snapshot(kpis)
    frame.attrs = {}
    try:
        frame.to_parquet(part, index=False)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path


def read_month(path: str | Path) -> pd.DataFrame:
    """A stored month; raises ``SourceError`` naming the file when it is unreadable or not a history file."""
    p = Path(path)
    try:
        frame = pd.read_parquet(p)
    except Exception as exc:  # corrupt, truncated, not Parquet
        raise _unreadable(p, exc) from None
    _check_columns(p, frame.columns)
    frame["recomputed"] = False
    return frame


def _unreadable(path: Path, exc: Exception) -> SourceError:
    return SourceError(f"history file {path} cannot be read ({type(exc).__name__}): delete it and run that month "
                       "again, or leave it out (the month is then recomputed)", path=str(path))


def _check_columns(path: Path, columns: Iterable[object]) -> None:
    missing = [c for c in ("period", "level", "id") if c not in set(columns)]
    if missing:
        raise SourceError(f"{path} is not a pmo-nb history file: it lacks {', '.join(missing)}", path=str(path))


class StoredMonth:
    """A month of the store as a :class:`History` part: its file is checked now (a Parquet file with the history's
    columns; :func:`read_month`'s errors) and read when the trends need it, so that a report never holds every
    stored month whole (twelve months of a 200-program portfolio are about 300 MB as frames)."""

    def __init__(self, path: str | Path) -> None:
        import pyarrow.parquet as pq

        self.path = Path(path)
        self._kept: dict[str, pd.DataFrame] = {}  # rows of the kinds not yet asked for, from the last read
        try:
            schema = pq.read_schema(self.path)
        except Exception as exc:  # corrupt, truncated, not Parquet
            raise _unreadable(self.path, exc) from None
        _check_columns(self.path, schema.names)

    def frame(self) -> pd.DataFrame:
        """The month as :func:`read_month` reads it."""
        return read_month(self.path)

    def trend_rows(self, kind: str | None = None) -> pd.DataFrame:
        """The rows of the month that the trends read (:func:`_trend_mask`), or those of one ``kind``
        (:func:`_kind_mask`), in its order."""
        import pyarrow as pa

        if kind is not None and kind in self._kept:
            return self._kept.pop(kind)
        frame = self.frame()
        rows = frame[_trend_mask(frame) if kind is None else _kind_mask(frame, kind)]
        if kind is not None:
            # a History asks for each kind once: the other kinds' rows (small beside the whole month) are kept from
            # this read, so that a report reads each stored month once, not once per kind (a whole-portfolio file)
            self._kept = {other: frame[_kind_mask(frame, other)] for other in _KINDS if other != kind}
        del frame
        pa.default_memory_pool().release_unused()  # Arrow's allocator would otherwise keep the whole month's memory
        return rows


# the rows the built-in trends read: entities' KPIs, and key milestones as reported in a stored month
_ENTITY_LEVELS = ("portfolio", "program", "project")


def _key_milestones(frame: pd.DataFrame) -> pd.Series:
    """The key milestones of a stored month (as :meth:`History.milestones` selects them)."""
    stored = frame["level"].eq("milestone") & ~frame["recomputed"].astype(bool)
    return stored & frame["key_milestone"].astype("object").eq(True) if "key_milestone" in frame else stored & False


_KINDS = ("entities", "milestones")
"""The two kinds of rows the trends read: the entities' KPIs (:meth:`History.entity`, :meth:`History.level`) and
the key milestones as reported (:meth:`History.milestones`); no row is of both."""


def _kind_mask(frame: pd.DataFrame, kind: str) -> Any:
    """Which rows of a snapshot are of ``kind`` (one of :data:`_KINDS`)."""
    keep = _key_milestones(frame) if kind == "milestones" else frame["level"].isin(_ENTITY_LEVELS)
    return keep.to_numpy(dtype=bool)


def _trend_mask(frame: pd.DataFrame) -> Any:
    """Which rows of a snapshot the built-in trends read (:meth:`History.entity`, :meth:`History.milestones`)."""
    return _kind_mask(frame, "entities") | _kind_mask(frame, "milestones")


def _pack(value: object) -> bytes:
    return zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpack(data: bytes) -> Any:
    return pickle.loads(zlib.decompress(data))


class LazyMonth:
    """A month of a :class:`History` read only when needed: ``load`` returns its snapshot."""

    def __init__(self, load: Callable[[], pd.DataFrame]) -> None:
        self._load = load

    def frame(self) -> pd.DataFrame:
        """The month's snapshot."""
        return self._load()

    def trend_rows(self, kind: str | None = None) -> pd.DataFrame:
        """The rows of the snapshot that the trends read (:func:`_trend_mask`), or those of one ``kind``
        (:func:`_kind_mask`), in its order."""
        frame = self.frame()
        return frame[_trend_mask(frame) if kind is None else _kind_mask(frame, kind)]


def _in_order(parts: Sequence[pd.DataFrame], which: np.ndarray) -> pd.DataFrame:
    """``parts`` put back together in their rows' order: ``which[i]`` is the part of the i-th row."""
    where = np.concatenate([np.flatnonzero(which == k) for k in range(len(parts))])
    return pd.concat(parts).iloc[np.argsort(where, kind="stable")]


_KEYS = {"entities": "id", "milestones": "project_id"}
"""What a trend asks a kind of rows for (:meth:`History.entity`, :meth:`History.level` by entity id;
:meth:`History.milestones` by project id): the column :class:`_ByProgram` indexes."""


_PROGRAM_GROUPS = 16
"""How many groups of programs :class:`_ByProgram` packs a kind of rows in: a program's report unpacks one
group (at 200 programs, 13 programs' rows), a read of every row unpacks them all (one pickle per group)."""


class _ByProgram:
    """Rows of one kind pickled and compressed a group of programs at a time (:data:`_PROGRAM_GROUPS`; the
    portfolio's row, with no program, in the first), with an index from each key of :data:`_KEYS` to the groups
    holding it, so that a report on one program unpacks its group's rows, not the whole portfolio's (about 0.2 s a
    report at 200 programs)."""

    def __init__(self, rows: pd.DataFrame, key: str) -> None:
        programs = rows["program_id"].astype("object").where(rows["program_id"].notna(), None).to_numpy()
        codes, uniques = pd.factorize(programs, use_na_sentinel=False)
        codes = codes * min(len(uniques), _PROGRAM_GROUPS) // max(len(uniques), 1)  # programs in equal groups
        order = np.argsort(codes, kind="stable")  # each program's rows, in their order
        bounds = np.searchsorted(codes[order], np.arange(codes.max() + 2 if len(codes) else 1))
        self._positions = [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=False)]
        self._packed = [_pack(rows.iloc[where]) for where in self._positions]
        self._empty = _pack(rows.iloc[:0])
        self._labels = rows.index  # every row's label, as the rows had it (a RangeIndex stays one)
        self._index: dict[object, set[int]] = {}
        for value, code in zip(rows[key].to_numpy(dtype="object"), codes, strict=True):
            self._index.setdefault(value, set()).add(int(code))

    def rows(self, keys: Iterable[object] | None = None) -> pd.DataFrame:
        """Every row, or those of the programs holding one of ``keys`` (a superset of the rows with those keys),
        in their order."""
        every = keys is None
        if keys is None:
            groups = list(range(len(self._packed)))
        else:
            groups = sorted({g for k in keys for g in self._index.get(k, ())})
        if not groups:
            empty: pd.DataFrame = _unpack(self._empty)
            return empty
        if len(groups) == 1:
            rows: pd.DataFrame = _unpack(self._packed[groups[0]])
        else:
            where = np.concatenate([self._positions[g] for g in groups])
            rows = pd.concat([_unpack(self._packed[g]) for g in groups]).iloc[np.argsort(where, kind="stable")]
        if every:
            rows.index = self._labels
        return rows


class PackedMonth(LazyMonth):
    """A snapshot pickled and zlib-compressed in parts: the rows of each kind the trends read (the entities, the key
    milestones: :data:`_KINDS`), each a program at a time (:class:`_ByProgram`), and the others. A trend unpacks
    only the rows of its kind (the entities are about a sixth of a month's rows; a recomputed month has no key
    milestone to read), a program's report only its program's, and :meth:`frame` still gives back an equal
    frame."""

    def __init__(self, frame: pd.DataFrame) -> None:
        which = np.full(len(frame), len(_KINDS), dtype=np.int8)  # the part of each row: a kind, else the rest
        for k, kind in enumerate(_KINDS):
            which[_kind_mask(frame, kind)] = k
        self._kinds = {kind: _ByProgram(frame[which == k], _KEYS[kind]) for k, kind in enumerate(_KINDS)}
        self._trend_which = which[which < len(_KINDS)]  # the kind of each row the trends read, in their order
        self._rest = _pack((frame[which == len(_KINDS)], which, frame.index, dict(frame.attrs)))
        super().__init__(self._unpacked)

    def _unpacked(self) -> pd.DataFrame:
        rest, which, index, attrs = _unpack(self._rest)
        frame = _in_order([*(self._kinds[kind].rows() for kind in _KINDS), rest], which)
        frame.index = index
        frame.attrs = attrs
        return frame

    def trend_rows(self, kind: str | None = None, keys: Iterable[object] | None = None) -> pd.DataFrame:
        """As :meth:`LazyMonth.trend_rows`; with ``keys`` (and a ``kind``), only the rows of the programs holding
        one of them (:data:`_KEYS`): a superset of the rows with those keys, in their order."""
        if kind is not None:
            return self._kinds[kind].rows(keys)
        return _in_order([self._kinds[k].rows() for k in _KINDS], self._trend_which)


class PackedMonths(MutableMapping[str, pd.DataFrame]):
    """Past months (month -> history snapshot) kept packed (:class:`PackedMonth`): a month recomputed from a
    200-program portfolio is about 25 MB as a frame and 1 MB packed. Each read unpacks a new, equal frame.

    The run's shared month holds them this way (``SharedState.recomputed``): each kernel unpickles the months
    packed, and its trends unpack only the rows they read (:class:`History`).
    """

    def __init__(self, months: Mapping[str, pd.DataFrame] | None = None) -> None:
        self._packed: dict[str, PackedMonth] = {}
        for month, frame in (months or {}).items():
            self[month] = frame

    def __getitem__(self, month: str) -> pd.DataFrame:
        return self._packed[month].frame()

    def __setitem__(self, month: str, frame: pd.DataFrame) -> None:
        self._packed[month] = PackedMonth(frame)

    def __delitem__(self, month: str) -> None:
        del self._packed[month]

    def __contains__(self, month: object) -> bool:
        return month in self._packed  # (Mapping's default would unpack the whole month to answer)

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def lazy(self, month: str) -> PackedMonth:
        """``month`` as a :class:`History` part, unpacked only when read."""
        return self._packed[month]


def _file_stamp(path: Path) -> tuple[object, ...] | None:
    """What changes when ``path`` is written again (device, inode, size, times); None when it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class PackedStore:
    """Months of a history store read once and kept packed (:class:`PackedMonth`), each with its file's stamp.

    From a run's second month on the trends read ``reports/history/``: a Parquet file per month of the whole
    portfolio, that every report would read again (about 0.05 s a month and a report at 200 programs). The run
    reads them once (:func:`pack_stored`) and shares them with the month (``SharedState.stored``); a report uses a
    packed month only while its file is the one that was read (same path and stamp), else it reads the file.
    """

    def __init__(self) -> None:
        self._months: dict[str, tuple[tuple[object, ...], PackedMonth]] = {}

    def __len__(self) -> int:
        return len(self._months)

    def add(self, path: str | Path) -> None:
        """Read the stored month at ``path`` (:func:`read_month`'s errors) and keep it packed."""
        path = Path(path).resolve()
        stamp = _file_stamp(path)
        frame = read_month(path)
        if stamp is not None and stamp == _file_stamp(path):  # not written again while it was read
            self._months[str(path)] = (stamp, PackedMonth(frame))

    def get(self, path: str | Path) -> PackedMonth | None:
        """The packed month read from ``path`` if the file is still the one that was read, else None."""
        path = Path(path).resolve()
        entry = self._months.get(str(path))
        return entry[1] if entry is not None and entry[0] == _file_stamp(path) else None


def pack_stored(out_dir: str | Path | None, until: str | Period, months: int = 12) -> PackedStore:
    """The stored months among the ``months`` up to ``until`` that :func:`read_history` would read from
    ``out_dir/history/``, read once and packed (a file that cannot be read is left out: a report reading it
    says so in its trend sections, as without the store)."""
    store = PackedStore()
    if out_dir is None:
        return store
    last = Period(until)
    for month in (last.shift(-k) for k in range(months - 1, -1, -1)):
        path = month_path(out_dir, month)
        if path.is_file():
            try:
                store.add(path)
            except SourceError:
                continue
    return store


Part = pd.DataFrame | LazyMonth | StoredMonth
"""A month of a :class:`History`: its snapshot, or a month read only when needed."""


class History:
    """The months of a trend, oldest first: ``frame`` holds every stored or recomputed snapshot row (column
    ``recomputed``); ``months`` the months asked for and ``missing`` those neither stored nor recomputable.

    Built from ``parts`` (one per month, see :data:`Part`), ``frame`` is only put together when it is read; the
    trends read :meth:`entity`, :meth:`level` and :meth:`milestones`, which keep only the rows they need, so that
    a report over a large portfolio never holds every row of twelve months at once.
    """

    def __init__(self, frame: pd.DataFrame | None = None, months: tuple[Period, ...] = (),
                 missing: tuple[Period, ...] = (), *, parts: Sequence[Part] = ()) -> None:
        self.months = months
        self.missing = missing
        self._parts = tuple(parts)
        self._frame = frame
        self._trends: dict[str, pd.DataFrame] = {}
        self._some: dict[tuple[str, frozenset[object]], pd.DataFrame] = {}  # rows of some keys (see _rows)

    def __repr__(self) -> str:
        return f"History(months={self.months!r}, missing={self.missing!r})"

    @property
    def frame(self) -> pd.DataFrame:
        """Every row of every month (the months in order, each month's rows in its snapshot's order)."""
        if self._frame is None:
            parts = [p if isinstance(p, pd.DataFrame) else p.frame() for p in self._parts]
            self._frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
                columns=["period", "level", "id", "program_id", "project_id", "recomputed"])
        return self._frame

    def _rows(self, milestones: bool = False, keys: Iterable[object] | None = None) -> pd.DataFrame:
        """The entities' rows (or, with ``milestones``, the stored months' key milestones), in :attr:`frame`'s order:
        a month read only when needed gives only the rows of that kind (:func:`_kind_mask`; a packed month unpacks
        only those), and each kind is put together when first asked for (the overview reads no milestones).

        With ``keys`` (entity ids, or project ids for milestones), at least the rows with those keys: when every
        month is packed or a frame, only the rows of the programs holding them are unpacked (a program's report
        reads its own program's rows, not the portfolio's); else, or once every row is put together, every row.
        """
        if self._frame is not None or not self._parts:
            return self.frame
        kind = "milestones" if milestones else "entities"
        in_part = [part for part in self._parts if isinstance(part, PackedMonth | pd.DataFrame)]
        if keys is not None and kind not in self._trends and len(in_part) == len(self._parts):
            wanted = frozenset(keys)
            if (kind, wanted) not in self._some:
                column = _KEYS[kind]
                rows = pd.concat([part[_kind_mask(part, kind)] if isinstance(part, pd.DataFrame)
                                  else part.trend_rows(kind, wanted) for part in in_part], ignore_index=True)
                self._some[(kind, wanted)] = rows[rows[column].isin(wanted).to_numpy()].reset_index(drop=True)
            return self._some[(kind, wanted)]
        if kind not in self._trends:
            parts = [part[_kind_mask(part, kind)] if isinstance(part, pd.DataFrame) else part.trend_rows(kind)
                     for part in self._parts]
            self._trends[kind] = shared_strings(pd.concat(parts, ignore_index=True))  # the months repeat the names
        return self._trends[kind]

    def level(self, level: str, ids: Iterable[str] | None = None) -> pd.DataFrame:
        """Every row of ``level`` (portfolio, program or project), month by month as in :attr:`frame`; with ``ids``,
        only those entities' rows."""
        wanted = None if ids is None else list(ids)
        f = self.frame if level not in _ENTITY_LEVELS else self._rows(keys=wanted)
        f = f[f["level"] == level]
        return f if wanted is None else f[f["id"].isin(wanted)]

    def entity(self, level: str, id: str | None = None) -> pd.DataFrame:
        """One entity's rows month by month (``level`` portfolio, program or project; ``id`` for the last two)."""
        f = self.level(level, None if id is None else [id])
        return f.sort_values("period", kind="mergesort").reset_index(drop=True)

    def milestones(self, project_ids: set[str] | None = None, *, key_only: bool = True) -> pd.DataFrame:
        """Milestone rows as reported each month (``forecast_finish``: forecast else baseline), stored months only
        (a recomputed month cannot know what was forecast then)."""
        rows = self._rows(milestones=True, keys=project_ids) if key_only else self.frame
        f = rows[(rows["level"] == "milestone") & ~rows["recomputed"].astype(bool)]
        if project_ids is not None:
            f = f[f["project_id"].isin(project_ids)]
        if key_only:
            f = f[f["key_milestone"].astype("object").eq(True)]
        return f.sort_values(["id", "period"], kind="mergesort").reset_index(drop=True)


def read_history(out_dir: str | Path | None, until: str | Period, months: int = 12, *,
                 portfolio: Portfolio | None = None, config: Config | str | Path | None = None,
                 current: Kpis | None = None, cache: MutableMapping[str, pd.DataFrame] | None = None,
                 stored: PackedStore | None = None) -> History:
    """The ``months`` months up to ``until``: stored where ``out_dir`` holds them, else recomputed.

    Parameters
    ----------
    out_dir:
        The reports folder holding ``history/``; None reads nothing (every month is recomputed).
    until:
        The last month (the reporting month).
    portfolio, config:
        The source to recompute months without a stored file (months within its financials); None: none.
    current:
        The reporting month's KPIs when already computed (used for ``until`` instead of recomputing it).
    cache:
        Months already recomputed from this ``portfolio`` and ``config`` (month -> snapshot), e.g. the shared
        month's ``SharedState.recomputed``: used instead of recomputing, and filled with what is recomputed here,
        so that the reports of one month recompute each past month once, not once per report. It may also hold
        the reporting month, as ``snapshot(current)`` (:func:`pmo_nb.metrics.month.share_current`): the
        reports then do not each make it.
    stored:
        Stored months already read (:func:`pack_stored`, the shared month's ``SharedState.stored``): a month whose
        file is still the one read there is taken from it instead of reading the file again.

    Raises
    ------
    SourceError
        A stored file is unreadable (its path and what to do are named).
    """
    last = Period(until)
    wanted = tuple(last.shift(-k) for k in range(months - 1, -1, -1))
    cfg = load_config(config)
    covered = set(portfolio.periods) if portfolio is not None else set()
    parts: list[Part] = []
    missing: list[Period] = []
    def cached(month: Period) -> Part | None:
        if cache is None or str(month) not in cache:
            return None
        return cache.lazy(str(month)) if isinstance(cache, PackedMonths) else cache[str(month)]

    for month in wanted:
        path = month_path(out_dir, month) if out_dir is not None else None
        if path is not None and path.is_file():
            packed = stored.get(path) if stored is not None else None
            parts.append(StoredMonth(path) if packed is None else packed)
        elif current is not None and month == Period(current.period):
            # the run's snapshot of ``current`` (made once for every report), else made here when read
            hit = cached(month)
            parts.append(LazyMonth(functools.partial(snapshot, current)) if hit is None else hit)
        elif portfolio is not None and month in covered:
            hit = cached(month)
            if hit is not None:
                parts.append(hit)
                continue
            snap = _recomputed(portfolio, month, cfg)
            if cache is not None:
                cache[str(month)] = snap
            parts.append(snap)
        else:
            missing.append(month)
    return History(months=wanted, missing=tuple(missing), parts=parts)


def to_recompute(out_dir: str | Path | None, until: str | Period, months: int, portfolio: Portfolio) -> list[str]:
    """The months before ``until`` that :func:`read_history` would recompute from ``portfolio`` (no stored file,
    covered by the source): a caller may compute them ahead, in parallel, into its ``cache``."""
    last = Period(until)
    covered = set(portfolio.periods)
    wanted = (last.shift(-k) for k in range(months - 1, 0, -1))
    return [str(m) for m in wanted if m in covered
            and not (out_dir is not None and month_path(out_dir, m).is_file())]


def recompute_month(portfolio: Portfolio, month: str | Period, config: Config) -> pd.DataFrame:
    """One past month recomputed from the source, as :func:`read_history` puts it in its ``cache``."""
    return _recomputed(portfolio, Period(month), config)


def _recomputed(portfolio: Portfolio, month: Period, config: Config) -> pd.DataFrame:
    frame = snapshot(compute(portfolio, month, config), recomputed=True)
    # what a milestone was forecast to be at the time is not in the source: keep achievements only
    ms = frame["level"].eq("milestone")
    frame.loc[ms, "forecast_finish"] = frame.loc[ms, "actual_date"]
    return frame
