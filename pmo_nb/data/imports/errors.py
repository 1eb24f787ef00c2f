"""Errors of ``pmo-nb import``: each a one-line cause naming the file and the fix."""

from __future__ import annotations

from pmo_nb.exceptions import PmoError, SourceError


class ReaderMissingError(SourceError):
    """The schedule reader (MPXJ and JPype) or the Java runtime is not installed; ``install`` says what to add."""

    def __init__(self, message: str, *, install: str) -> None:
        super().__init__(message)
        self.install = install


class StatusDateError(PmoError):
    """A plan has no status date and none was given; carries the file ``path``."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class TargetFolderError(SourceError):
    """The ``--into`` folder holds files pmo-nb import did not write; carries the offending ``path``."""


class ImportOptionError(PmoError):
    """An option of the import has a value it cannot use; carries the ``option`` and the ``value``."""

    def __init__(self, message: str, *, option: str, value: str) -> None:
        super().__init__(message)
        self.option = option
        self.value = value
