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
import threading
from collections.abc import Iterable, Mapping
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

# Run in a spare kernel started ahead of its report (:meth:`Kernels.start_spare`): the report notebooks' imports
# (pandas, Altair, vl-convert, the package) and vl-convert's first conversion, which starts its JavaScript
# runtime; then the namespace is emptied as between two reports of a kept kernel.
PREWARM_CODE = (
    "import pmo_nb.reporting.report as _pmo_report\n"
    "import vl_convert as _pmo_vlc\n"
    "_pmo_vlc.vegalite_to_svg({{'$schema': 'https://vega.github.io/schema/vega-lite/v6.json', 'mark': 'point'}},"
    " allowed_base_urls=[])\n"
    "%reset -f\nimport os as _pmo_os\n_pmo_os.chdir({cwd!r})\ndel _pmo_os\n"
)


class TrackedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager that tells its :class:`Kernels` about the kernel it launches."""

    pmo_kernels: Kernels | None = None
    pmo_executable: str | None = None
    pmo_reusable: bool = False
    pmo_env: dict[str, str] | None = None  # a spare kernel's environment (else the Kernels' current one)
    pmo_cwd: str | None = None  # a spare kernel's working folder
    pmo_prewarmed: bool = False

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kernels = self.pmo_kernels
        if kernels is not None and kernels.closed:
            raise ReportExecutionError("the run was stopped: no new kernel")
        self.pmo_executable = kernel_cmd[0] if kernel_cmd else None
        # ipykernel's own log lines (not cell output, which papermill keeps) would litter a cron job's terminal
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        extra = self.pmo_env if self.pmo_env is not None else (kernels.env if kernels else {})
        kw["env"] = {**(kw.get("env") or os.environ), **extra}
        kw["preexec_fn"] = kernel_preexec()
        if kernels is not None:
            kernels.live.add(self)
        await KernelManager._async_launch_kernel(self, kernel_cmd, **kw)
        if kernels is not None and kernels.closed:  # closed while this one started: it goes too
            kernels.live.add(self)
            kernels.kill()


class Kernels:
    """Every kernel one process started: ``live`` ones, ``idle`` ones kept per notebook, ``env`` for new ones;
    once ``closed``, none starts. A ``spare`` kernel, started ahead (:meth:`start_spare`), goes to the next report
    whose notebook has no idle kernel."""

    SPARE = "<spare>"  # the key of the spare kernel in ``idle``

    def __init__(self) -> None:
        self.live: set[Any] = set()
        self.idle: dict[str, Any] = {}
        self.env: dict[str, str] = {}
        self.closed = False
        self.manager_class: type[TrackedKernelManager] = type(
            "TrackedKernelManager", (TrackedKernelManager,), {"pmo_kernels": self})
        self._spare: threading.Thread | None = None
        self.starting: list[Any] = []  # the spare kernel being started (never killed by a report's clean-up)

    def new(self, kernel_name: str) -> TrackedKernelManager:
        """A kernel manager (not started) for ``kernel_name``."""
        return self.manager_class(kernel_name=kernel_name)

    def take(self, notebook: str, env: Mapping[str, str] | None = None, cwd: str | None = None) -> Any | None:
        """The idle kernel kept for ``notebook``, else the spare kernel when it was started with ``env`` (the
        report's kernel environment) in ``cwd`` (its folder), removed from the idle ones; None when there is none."""
        km = self.idle.pop(notebook, None)
        if km is not None:
            return km
        self.wait_spare()
        spare = self.idle.pop(self.SPARE, None)
        fits = spare is not None and getattr(spare, "pmo_cwd", None) == cwd and (
            env is None or getattr(spare, "pmo_env", None) == dict(env))
        if spare is not None and fits and spare.has_kernel:
            spare.pmo_prewarmed = True
            return spare
        if spare is not None:
            self.discard(spare)  # a spare for another environment: it goes
        return None

    def has_spare(self) -> bool:
        """Whether a spare kernel is kept or starting."""
        return self.SPARE in self.idle or (self._spare is not None and self._spare.is_alive())

    def start_spare(self, kernel_name: str, env: Mapping[str, str], cwd: str,
                    timeout: float = KERNEL_START_TIMEOUT) -> None:
        """Start a kernel with ``env`` in ``cwd`` and, in a background thread, run :data:`PREWARM_CODE` in it (imports,
        vl-convert's runtime), so that it is ready when the next report needs a kernel; a failure only leaves no
        spare. The kernel is launched from the calling thread: Linux's parent-death signal (``kernel_preexec``)
        follows the thread that forks, and a kernel forked by the short-lived thread would die with it."""
        if self.closed or self.has_spare():
            return
        from jupyter_core.utils import run_sync

        km = self.new(kernel_name)
        km.pmo_env, km.pmo_cwd = dict(env), cwd
        self.starting[:] = [km]
        try:
            run_sync(km.start_kernel)(cwd=cwd)
        except Exception:  # no spare: the next report starts its own kernel, as without one
            self.starting[:] = []
            self.discard(km)
            return
        self._spare = threading.Thread(target=self._prewarm, args=(km, cwd, timeout), name="pmo-spare-kernel",
                                       daemon=True)
        self._spare.start()

    def wait_spare(self) -> None:
        """Wait for the spare kernel being started, if any."""
        if self._spare is not None:
            self._spare.join()
            self._spare = None

    def _prewarm(self, km: Any, cwd: str, timeout: float) -> None:
        from jupyter_client.blocking import BlockingKernelClient

        kc = None
        try:
            kc = BlockingKernelClient()
            kc.load_connection_info(km.get_connection_info())
            kc.start_channels()
            kc.wait_for_ready(timeout=timeout)
            reply = kc.execute_interactive(PREWARM_CODE.format(cwd=cwd), silent=True, store_history=False,
                                           timeout=timeout, output_hook=lambda msg: None)
            if reply["content"].get("status") == "ok" and not self.closed:
                self.idle[self.SPARE] = km
                return
        except Exception:  # no spare: the next report starts its own kernel, as without one
            pass
        finally:
            if kc is not None:
                with contextlib.suppress(Exception):
                    kc.stop_channels()
            self.starting[:] = []
        self.discard(km)

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
            if id(km) not in spare:
                self.discard(km)

    def kill_unused(self, keep: Iterable[Any] = ()) -> None:
        """Kill every kernel but those in ``keep``, the idle ones and the spare being started, which a background
        thread moves into ``idle`` when it is ready (``idle`` is set before ``starting`` is cleared, so reading
        ``starting`` first never misses it; ``dict.copy`` is atomic where iterating could see the dict grow)."""
        starting = list(self.starting)
        self.kill(keep=[*keep, *starting, *self.idle.copy().values()])

    def discard(self, km: Any) -> None:
        """Kill the kernel of ``km`` (its whole session) and forget it."""
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
