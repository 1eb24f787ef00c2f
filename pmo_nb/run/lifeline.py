"""Processes of a run die with their parent, even when the parent is killed with SIGKILL.

Each worker asks Linux to signal it when its parent dies (``PR_SET_PDEATHSIG`` through ``prctl``) and also
watches its parent id from a thread (for systems without ``prctl``); each kernel a worker starts gets
``PR_SET_PDEATHSIG`` with SIGKILL in the child before it runs the kernel. A process whose parent has already
gone when it arms the signal exits at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

__all__ = ["die_with_parent", "watch_parent", "kernel_preexec"]

PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, loaded once in the parent (never in a freshly forked child); None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _prctl_pdeathsig(signum: int, prctl: Callable[..., int] | None = None) -> bool:
    prctl = prctl or _prctl()
    return prctl is not None and prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0


def die_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> bool:
    """Ask for ``signum`` when the parent dies; exit now if ``parent_pid`` is already gone. True if armed."""
    armed = _prctl_pdeathsig(signum)
    if os.getppid() != parent_pid:
        os._exit(128 + signum)
    return armed


def watch_parent(parent_pid: int, on_orphan: Callable[[], None], *, every: float = 0.5) -> threading.Thread:
    """A daemon thread calling ``on_orphan`` once this process's parent is no longer ``parent_pid``."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(every)
        on_orphan()

    thread = threading.Thread(target=watch, name="pmo-parent-watch", daemon=True)
    thread.start()
    return thread


def kernel_preexec() -> Callable[[], None]:
    """A ``preexec_fn`` for a kernel: SIGKILL when the process that starts it dies."""
    parent = os.getpid()
    prctl = _prctl()

    def arm() -> None:
        _prctl_pdeathsig(signal.SIGKILL, prctl)
        if os.getppid() != parent:
            os._exit(1)

    return arm
