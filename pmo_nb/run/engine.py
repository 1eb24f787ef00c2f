"""The papermill engines of the run: ``pmo`` (one save at the end) and ``pmo-reuse`` (also keeps the kernel).

``pmo`` is papermill's nbclient engine, except that the executed notebook is written once, when the execution
ends (papermill's ``notebook_complete``, which also runs after a cell timeout or a dead kernel), instead of twice
per cell: rewriting a notebook full of chart outputs some 60 times cost about half a second per report.
``pmo-reuse`` also keeps a handle on the notebook client so that, after a successful run, it resets the
kernel's namespace and closes the client's channels (the kernel manager belongs to the worker's
:class:`~pmo_nb.run.kernels.Kernels`, which shuts the kernel down when it is not reused).
"""

from __future__ import annotations

import logging
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.utils import merge_kwargs, remove_args

__all__ = ["ENGINE", "REUSE_ENGINE", "FinalSaveManager", "FinalSaveEngine", "ReusingEngine", "register",
           "engine_name"]

ENGINE = "pmo"
REUSE_ENGINE = "pmo-reuse"


class FinalSaveManager(NotebookExecutionManager):
    """Saves the executed notebook only when the execution is complete."""

    pmo_final = False

    def save(self, **kwargs: Any) -> None:
        if self.pmo_final:
            super().save(**kwargs)
        else:
            self.last_save_time = self.now()

    def notebook_complete(self, **kwargs: Any) -> None:
        self.pmo_final = True
        super().notebook_complete(**kwargs)


class FinalSaveEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`FinalSaveManager`."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, output_path: Any = None, progress_bar: bool = True,
                         log_output: bool = False, autosave_cell_every: int = 30, **kwargs: Any) -> Any:
        nb_man = FinalSaveManager(nb, output_path=output_path, progress_bar=progress_bar,
                                  log_output=log_output, autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


class ReusingEngine(FinalSaveEngine):
    """Runs the notebook in the kernel manager ``km`` it is given and, after a success, runs ``pmo_reset``.

    ``km.pmo_reusable`` tells the caller whether the reset worked (the kernel may then run the next report).
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                 stdout_file: Any = None, stderr_file: Any = None, start_timeout: int = 60,
                                 execution_timeout: int | None = None, **kwargs: Any) -> Any:
        reset = kwargs.pop("pmo_reset", None)
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                             startup_timeout=start_timeout, kernel_name=kernel_name,
                             log=logging.getLogger("papermill"), log_output=log_output,
                             stdout_file=stdout_file, stderr_file=stderr_file)
        client = PapermillNotebookClient(nb_man, **final)
        km = final.get("km")
        try:
            out = client.execute()
            if reset and client.kc is not None and not nb_man.nb.metadata.papermill.get("exception"):
                try:
                    msg_id = client.kc.execute(reset, silent=True, store_history=False)
                    reply = client.wait_for_reply(msg_id)
                    km.pmo_reusable = bool(reply) and reply["content"].get("status") == "ok"
                except Exception:  # the report is done; its kernel just won't be reused
                    km.pmo_reusable = False
            return out
        finally:
            if client.kc is not None:
                client.kc.stop_channels()


def register() -> None:
    """Register both engines with papermill's engine registry (idempotent)."""
    papermill_engines.register(ENGINE, FinalSaveEngine)
    papermill_engines.register(REUSE_ENGINE, ReusingEngine)


def engine_name(reuse: bool) -> str:
    """The registered engine for a report: :data:`REUSE_ENGINE` to keep its kernel, else :data:`ENGINE`."""
    register()
    return REUSE_ENGINE if reuse else ENGINE
