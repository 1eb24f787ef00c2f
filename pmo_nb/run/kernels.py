"""The kernels of one worker process: started, tracked, kept for reuse, killed; and the kernel check.

A worker owns one :class:`Kernels`. Its kernel manager class (:attr:`Kernels.manager_class`) records every
kernel it launches, adds the run's environment variables to the kernel's, silences ipykernel's own log lines
and makes the kernel die with the worker (:func:`pmo_nb.run.lifeline.kernel_preexec`). A kernel whose report
succeeded can be kept (:meth:`Kernels.keep`) for the worker's next report of the same notebook, with its
namespace reset by :data:`RESET_CODE`. :func:`kernel_executable` checks, before a run, that the kernel runs
this environment's Python.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager, KernelManager

from pmo_nb.exceptions import ReportExecutionError
from pmo_nb.run.lifeline import kernel_preexec

__all__ = ["KERNEL_NAME", "KERNEL_START_ATTEMPTS", "KERNEL_START_BACKOFF", "KERNEL_START_TIMEOUT", "RESET_CODE",
           "TrackedKernelManager", "Kernels", "kernel_executable", "same_interpreter", "is_start_failure"]

KERNEL_NAME = "python3"
KERNEL_START_ATTEMPTS = 3
KERNEL_START_BACKOFF = 0.5  # seconds, multiplied by the attempt number
KERNEL_START_TIMEOUT = 60

# Run after a report that succeeded in a kernel that is kept for the next report of the same notebook:
# the user namespace is emptied (``%reset -f``) and the working directory restored. Imported modules
# stay loaded, which is the point (imports, vl-convert's start-up).
RESET_CODE = "%reset -f\nimport os as _pmo_os\n_pmo_os.chdir({cwd!r})\ndel _pmo_os\n"


class TrackedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that tells its :class:`Kernels` about the kernel it launches."""

    pmo_kernels: Kernels | None = None
    pmo_executable: str | None = None
    pmo_reusable: bool = False

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kernels = self.pmo_kernels
        if kernels is not None and kernels.closed:
            raise ReportExecutionError("the run was stopped: no new kernel")
        self.pmo_executable = kernel_cmd[0] if kernel_cmd else None
        # ipykernel's own log lines (not cell output, which papermill keeps) would litter a cron job's terminal
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        kw["env"] = {**(kw.get("env") or os.environ), **(kernels.env if kernels else {})}
        kw["preexec_fn"] = kernel_preexec()
        if kernels is not None:
            kernels.live.add(self)
        await KernelManager._async_launch_kernel(self, kernel_cmd, **kw)
        if kernels is not None and kernels.closed:  # closed while this one started: it goes too
            kernels.live.add(self)
            kernels.kill()


class Kernels:
    """Every kernel one process started: ``live`` ones, ``idle`` ones kept per notebook, ``env`` for new ones;
    once ``closed``, none starts."""

    def __init__(self) -> None:
        self.live: set[Any] = set()
        self.idle: dict[str, Any] = {}
        self.env: dict[str, str] = {}
        self.closed = False
        self.manager_class: type[TrackedKernelManager] = type(
            "TrackedKernelManager", (TrackedKernelManager,), {"pmo_kernels": self})

    def new(self, kernel_name: str) -> TrackedKernelManager:
        """A kernel manager (not started) for ``kernel_name``."""
        return self.manager_class(kernel_name=kernel_name)

    def take(self, notebook: str) -> Any | None:
        """The idle kernel kept for ``notebook``, removed from the idle ones; None when there is none."""
        return self.idle.pop(notebook, None)

    def keep(self, notebook: str, km: Any) -> None:
        """Keep ``km`` for the next report of ``notebook``."""
        self.idle[notebook] = km

    def executable(self) -> str | None:
        """The interpreter of the most recently tracked kernel."""
        found = None
        for km in self.live:
            found = getattr(km, "pmo_executable", None) or found
        return found

    def close(self) -> None:
        """Kill every kernel and refuse to start any more (a cluster worker's run that was stopped)."""
        self.closed = True
        self.kill()

    def kill(self, keep: Iterable[Any] = ()) -> None:
        """Kill every kernel this process started but those in ``keep`` (each runs in its own session)."""
        spare = set(map(id, keep))
        for km in list(self.live):
            if id(km) in spare:
                continue
            proc = getattr(getattr(km, "provisioner", None), "process", None)
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    proc.kill()
                with contextlib.suppress(Exception):
                    proc.wait(timeout=5)  # reap it: no zombie
            with contextlib.suppress(Exception):
                km.cleanup_connection_file()
            self.live.discard(km)
            for key in [k for k, v in self.idle.items() if v is km]:
                del self.idle[key]


def is_start_failure(exc: BaseException) -> bool:
    """Whether ``exc``, raised before the first cell ran, is a kernel that failed to start (worth a retry)."""
    import zmq
    from jupyter_client.kernelspec import NoSuchKernel

    from pmo_nb.run.staging import no_space

    if isinstance(exc, NoSuchKernel) or no_space(exc):
        return False
    return isinstance(exc, RuntimeError | TimeoutError | OSError | zmq.ZMQError)


def _prefix_of(interpreter: str) -> str | None:
    """``sys.prefix`` of the Python ``interpreter`` (from its venv's pyvenv.cfg, else by asking it); None if unknown."""
    path = Path(interpreter)
    if (path.parent.parent / "pyvenv.cfg").is_file():
        return str(path.parent.parent)
    try:
        done = subprocess.run([interpreter, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True,
                              timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def same_interpreter(interpreter: str) -> bool:
    """Whether ``interpreter`` is this environment's Python: the same file, or a Python with the same ``sys.prefix``
    (``.venv/bin/python`` and ``.venv/bin/python3.11`` are one interpreter; the base Python a venv links to is not)."""
    if os.path.abspath(interpreter) == os.path.abspath(sys.executable):
        return True
    if not (os.path.isfile(interpreter) and os.access(interpreter, os.X_OK)):
        return False
    prefix = _prefix_of(interpreter)
    return prefix is not None and os.path.realpath(prefix) == os.path.realpath(sys.prefix)


def kernel_executable(kernel_name: str = KERNEL_NAME) -> str:
    """The interpreter the kernel ``kernel_name`` runs; raise unless it is this environment's Python."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    fix = (f"run `make setup`, or `{sys.executable} -m ipykernel install --sys-prefix --name {kernel_name}`")
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise ReportExecutionError(f"no Jupyter kernel named {kernel_name!r}: {fix}") from None
    argv0 = spec.argv[0] if spec.argv else ""
    major, minor = sys.version_info[:2]
    if argv0 in {"python", f"python{major}", f"python{major}.{minor}"}:
        return sys.executable  # jupyter_client substitutes the launching interpreter
    if not same_interpreter(argv0):
        raise ReportExecutionError(
            f"the Jupyter kernel {kernel_name!r} runs {argv0}, not this environment's {sys.executable}: {fix}"
        )
    return argv0
