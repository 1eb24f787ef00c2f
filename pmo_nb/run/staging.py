"""The run's staging folder inside ``--out``, its locks, and the atomic swap that publishes a month.

``OUT/.tmp-<period>-<run id>-<pid>/`` holds everything a run writes, with a marker file (:data:`MARKER`) naming
the folder inside; the file of the same name plus ``.lock`` is flock-ed for the run's lifetime (the kernel
releases it if the process dies). A later run removes a staging folder only when it can prove it is a crashed
run's: marker present and naming that folder, lock file present and free, older than the later run's start;
never by its name alone. The month swapped aside while publishing gets a ``.owner`` file next to it on the same
terms. ``OUT/.pmo-nb.lock`` serialises publishing. Writes go through :func:`writing`, which turns a full disk
into :class:`~pmo_nb.exceptions.DiskFullError` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

from pmo_nb.exceptions import DiskFullError, ReportExecutionError

__all__ = ["Staging", "LOCK_NAME", "MARKER", "remove_path", "inside", "no_space", "writing", "write_bytes",
           "lock_file", "unlock", "signals_held"]

LOCK_NAME = ".pmo-nb.lock"
MARKER = ".pmo-nb-staging"
"""The file inside a staging folder that proves it is one (it holds the folder's name)."""
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def inside(path: str | Path, root: str | Path) -> Path:
    """``path`` resolved, after checking it lies inside ``root`` (raise ``ReportExecutionError`` if not)."""
    p = Path(path).resolve()
    r = Path(root).resolve()
    if p != r and r not in p.parents:
        raise ReportExecutionError(f"refusing to write {p}: outside the run's folder {r}", notebook=str(p))
    return p


def no_space(exc: BaseException) -> bool:
    """Whether ``exc`` says the filesystem is full (ENOSPC) or over quota (EDQUOT)."""
    return isinstance(exc, OSError) and exc.errno in NO_SPACE


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turn ENOSPC/EDQUOT while writing ``path`` into ``DiskFullError`` naming the path."""
    try:
        yield
    except OSError as exc:
        if no_space(exc):
            raise DiskFullError(path) from None
        raise


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a ``.part`` file and a rename; no half-written file is left."""
    part = path.with_name(f".{path.name}.part")
    try:
        with writing(path):
            part.write_bytes(data)
    except DiskFullError:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    os.replace(part, path)


def remove_path(path: Path) -> None:
    """Remove ``path``: a symlink itself (never what it points to), a folder with its content, or a file."""
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _owned(folder: Path, marker: Path) -> bool:
    """Whether ``marker`` is a regular file holding ``folder``'s name (the proof a run made ``folder``)."""
    try:
        return (not folder.is_symlink() and folder.is_dir() and marker.is_file() and not marker.is_symlink()
                and marker.read_text(encoding="utf-8").strip() == folder.name)
    except (OSError, UnicodeDecodeError):
        return False


def lock_file(path: Path, *, block: bool = False) -> int | None:
    """Open ``path`` and take an exclusive flock; return the fd, or None if someone else holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return None
        raise
    return fd


def unlock(fd: int | None) -> None:
    """Release a lock taken with :func:`lock_file` (None: nothing to do)."""
    if fd is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM for the few renames of a swap, so it completes or rolls back as a whole."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class Staging:
    """The run's temporary folder inside ``out`` and the swap that publishes it as ``out/<period>/``."""

    def __init__(self, out: str | Path, period: str, run_id: str, *, started: float | None = None) -> None:
        self.out = Path(out).resolve()
        self.period = period
        self.run_id = run_id
        self.started = time.time() if started is None else started
        # the pid keeps two runs apart even when SOURCE_DATE_EPOCH gives them the same run id
        self.folder = self.out / f".tmp-{period}-{run_id}-{os.getpid()}"
        self.lock_path = self.out / f".tmp-{period}-{run_id}-{os.getpid()}.lock"
        self.dest = self.out / period
        self._fd: int | None = None

    def open(self) -> Staging:
        """Create the staging folder (and ``out``), take the run's lock, remove stale staging folders."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._fd = lock_file(self.lock_path)
        except OSError as exc:
            if no_space(exc):
                raise DiskFullError(self.out) from None
            raise ReportExecutionError(f"cannot write the reports into {self.out}: {exc.strerror or exc}; "
                                       "check the folder's permissions or pass another --out") from None
        if self._fd is None:
            raise ReportExecutionError(f"another run with id {self.run_id} is using {self.lock_path}: wait for it to "
                                       "finish, then run the month again")
        self.remove_stale()
        self.folder.mkdir()
        (self.folder / MARKER).write_text(self.folder.name + "\n", encoding="utf-8")
        (self.folder / "notebooks").mkdir()
        return self

    def path(self, rel: str) -> Path:
        """An output path inside the staging folder (checked: never outside it)."""
        return inside(self.folder / rel, self.folder)

    def remove_stale(self) -> list[Path]:
        """Remove staging folders of crashed runs: marked as staging folders, lock present and free, older
        than this run's start. Anything else named ``.tmp-*`` (a user's folder, a running run's) stays."""
        removed: list[Path] = []
        for entry in sorted(self.out.glob(".tmp-*")):
            if entry.name.endswith(".lock") or entry == self.folder or not _owned(entry, entry / MARKER):
                continue
            lock = entry.with_name(entry.name + ".lock")
            if lock.is_symlink() or not lock.is_file():
                continue
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime >= self.started:
                    continue
            fd = lock_file(lock)
            if fd is None:
                continue  # a running run: leave it alone
            try:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
            finally:
                unlock(fd)
        return removed

    def _recover(self) -> None:
        """Called under the publish lock: undo a swap cut short between its two renames.

        Only a ``.old-<period>-*`` entry with its ``.owner`` file (written by :meth:`publish` before the rename)
        is a month a run swapped aside; a user's folder of that name is left alone.
        """
        for owner in sorted(self.out.glob(f".old-{self.period}-*.owner")):
            old = owner.with_name(owner.name[: -len(".owner")])
            if old.exists() or old.is_symlink():
                if not (self.dest.exists() or self.dest.is_symlink()):
                    os.rename(old, self.dest)
                else:
                    remove_path(old)
            owner.unlink(missing_ok=True)

    def publish(self, dest: Path | None = None) -> Path:
        """Swap the staging folder in as ``dest`` (default ``OUT/<period>/``); the previous one is removed after.

        A month folder that is a symlink is replaced by the new folder; the link goes, its target stays.
        """
        dest = self.dest if dest is None else dest
        old = self.out / f".old-{self.period}-{self.run_id}-{os.getpid()}"
        owner = old.with_name(old.name + ".owner")
        fd = lock_file(self.out / LOCK_NAME, block=True)
        try:
            with signals_held():
                self._recover()
                moved = False
                if dest.exists() or dest.is_symlink():
                    owner.write_text(dest.name + "\n", encoding="utf-8")
                    os.rename(dest, old)
                    moved = True
                (self.folder / MARKER).unlink(missing_ok=True)
                try:
                    os.rename(self.folder, dest)
                except BaseException:
                    if moved:
                        os.rename(old, dest)
                        owner.unlink(missing_ok=True)
                    raise
            if moved:
                remove_path(old)
                owner.unlink(missing_ok=True)
        finally:
            unlock(fd)
        self._release()
        return dest

    def discard(self) -> None:
        """Remove the staging folder and the run's lock file (only if this run holds the lock)."""
        if self._fd is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._release()

    def _release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()
            unlock(self._fd)
            self._fd = None
