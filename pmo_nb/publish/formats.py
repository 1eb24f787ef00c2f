"""The output formats a run can write, looked up by name, each made by a registered nbconvert exporter.

A format (:class:`OutputFormat`) is a name (``--formats html,pdf``), a file extension, a mimetype and the name
of the nbconvert exporter that makes it (found through nbconvert's ``get_exporter``, i.e. the
``nbconvert.exporters`` entry-point group where pmo-nb registers ``pmo-html`` and ``pmo-pdf``). A plug-in adds a
format without editing pmo-nb by declaring an entry point in the group ``pmo_nb.formats`` whose object is an
``OutputFormat`` (and its exporter in ``nbconvert.exporters``), or at runtime with :func:`register`. The run
calls :func:`render` to turn an executed notebook into the bytes of one format.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from nbformat import NotebookNode

from pmo_nb.contract import HTML_MIMETYPE, PDF_MIMETYPE
from pmo_nb.exceptions import RenderError

__all__ = ["ENTRY_POINT_GROUP", "OutputFormat", "register", "unregister", "get", "names", "render"]

ENTRY_POINT_GROUP = "pmo_nb.formats"


@dataclass(frozen=True)
class OutputFormat:
    """One output format.

    Parameters
    ----------
    name:
        What ``--formats`` calls it (lower case, e.g. ``"pdf"``).
    extension:
        File extension with its dot (``".pdf"``); a report is written as ``<stem><extension>``.
    mimetype:
        The mimetype of the bytes written.
    exporter:
        Name of the nbconvert exporter that makes it (``"pmo-pdf"``), as ``jupyter nbconvert --to`` takes it.
        The exporter is instantiated once per process and called as
        ``from_notebook_node(nb, resources={"pmo_generated_at": ..., "pmo_path": ...})``; it returns ``str``
        (encoded as UTF-8) or ``bytes``.
    """

    name: str
    extension: str
    mimetype: str
    exporter: str

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip().lower() or "," in self.name:
            raise RenderError(f"output format name {self.name!r} must be a non-empty lower-case word without commas.")
        if not self.extension.startswith("."):
            raise RenderError(f"output format {self.name!r}: extension {self.extension!r} must start with a dot.")


_BUILTIN = (
    OutputFormat("html", ".html", HTML_MIMETYPE, "pmo-html"),
    OutputFormat("pdf", ".pdf", PDF_MIMETYPE, "pmo-pdf"),
)
_registry: dict[str, OutputFormat] = {f.name: f for f in _BUILTIN}
_lock = threading.Lock()
_loaded_entry_points = False


def _load_entry_points() -> None:
    global _loaded_entry_points
    with _lock:
        if _loaded_entry_points:
            return
        _loaded_entry_points = True
        for point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                fmt = point.load()
                if callable(fmt) and not isinstance(fmt, OutputFormat):
                    fmt = fmt()
            except Exception as exc:  # a broken plug-in names itself, it does not take the run down silently
                raise RenderError(
                    f"output-format plug-in {point.name!r} ({point.value}) failed to load "
                    f"({type(exc).__name__}: {exc}); fix or uninstall the package that declares it."
                ) from exc
            if not isinstance(fmt, OutputFormat):
                raise RenderError(
                    f"output-format plug-in {point.name!r} ({point.value}) is a {type(fmt).__name__}, "
                    "not a pmo_nb.publish.formats.OutputFormat."
                )
            _registry.setdefault(fmt.name, fmt)


def register(fmt: OutputFormat, *, replace: bool = False) -> OutputFormat:
    """Add ``fmt`` to the registry (``replace=True`` to override a format of the same name); returns it."""
    _load_entry_points()
    with _lock:
        if fmt.name in _registry and not replace and _registry[fmt.name] != fmt:
            raise RenderError(f"output format {fmt.name!r} is already registered; pass replace=True to override.")
        _registry[fmt.name] = fmt
    _exporter.cache_clear()
    return fmt


def unregister(name: str) -> None:
    """Remove a format added at runtime (the built-in ``html`` and ``pdf`` stay)."""
    if name in {f.name for f in _BUILTIN}:
        raise RenderError(f"output format {name!r} is built in and cannot be removed.")
    with _lock:
        _registry.pop(name, None)
    _exporter.cache_clear()


def names() -> tuple[str, ...]:
    """The known format names, built-in first, then plug-ins by name."""
    _load_entry_points()
    builtin = [f.name for f in _BUILTIN]
    return (*builtin, *sorted(n for n in _registry if n not in builtin))


def get(name: str) -> OutputFormat:
    """The format called ``name`` (case and surrounding spaces ignored).

    Raises
    ------
    RenderError
        No such format; the message lists the known ones.
    """
    _load_entry_points()
    key = str(name).strip().lower()
    try:
        return _registry[key]
    except KeyError:
        raise RenderError(f"unknown output format {name!r}; known formats: {', '.join(names())}.") from None


@functools.lru_cache(maxsize=16)
def _exporter(exporter_name: str, template_dirs: tuple[str, ...] = ()) -> Any:
    """The exporter instance; ``template_dirs`` (the workspace's, read by the exporter) keys the cache."""
    from nbconvert.exporters import ExporterNameError, get_exporter

    try:
        cls = get_exporter(exporter_name)
    except ExporterNameError:
        raise RenderError(
            f"nbconvert has no exporter {exporter_name!r}; install the package that registers it under the "
            "'nbconvert.exporters' entry points."
        ) from None
    return cls()


def render(
    nb: NotebookNode, fmt: str | OutputFormat, *, generated_at: str | None = None,
    path: str | os.PathLike[str] | None = None, links: Mapping[str, str] | None = None,
) -> bytes:
    """Render an executed report notebook to one format.

    Parameters
    ----------
    nb:
        The executed notebook (with its report-meta output).
    fmt:
        A format name (``"html"``, ``"pdf"`` or a plug-in's) or an :class:`OutputFormat`.
    generated_at:
        The run's generation time (:func:`pmo_nb.publish.stamp.run_stamp`); None means now.
    path:
        The notebook's file, for error messages.
    links:
        Where the month's other reports are (:func:`pmo_nb.publish.navigation.month_links`): HTML reports link
        to them (program reports back to the overview and the index, the overview to each program).

    Returns
    -------
    bytes
        The file's content (text formats encoded as UTF-8).

    Raises
    ------
    RenderError
        Unknown format, missing exporter, or the exporter failed (the notebook is named).
    """
    spec = fmt if isinstance(fmt, OutputFormat) else get(fmt)
    from pmo_nb.publish.exporters import workspace_template_dirs

    exporter = _exporter(spec.exporter, tuple(workspace_template_dirs()))
    where = str(path) if path is not None else None
    resources: dict[str, Any] = {"pmo_generated_at": generated_at, "pmo_path": where, "pmo_links": links}
    try:
        output, _ = exporter.from_notebook_node(nb, resources=resources)
    except RenderError:
        raise
    except Exception as exc:
        cause = str(exc).splitlines()[0] if str(exc) else ""
        raise RenderError(
            f"{where or 'notebook'}: the {spec.name} exporter {spec.exporter!r} failed ({type(exc).__name__}: "
            f"{cause}).", path=where,
        ) from exc
    return output.encode("utf-8") if isinstance(output, str) else bytes(output)
