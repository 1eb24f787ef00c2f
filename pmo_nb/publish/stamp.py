"""The run stamp: the one place that makes a run's generation time and id, and the ways they show in outputs.

:func:`run_stamp` honours ``SOURCE_DATE_EPOCH`` so that two runs over the same data produce byte-identical
files; :data:`VOLATILE_FIELDS` and :func:`volatile_strings` name everything in which two runs may differ.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from typing import NamedTuple

from pmo_nb.exceptions import ConfigError

__all__ = ["RunStamp", "run_stamp", "VOLATILE_FIELDS", "volatile_strings", "generated_label"]


class RunStamp(NamedTuple):
    """When a run happened (``generated_at``, ISO 8601 UTC) and its id (``run_id``)."""

    generated_at: str
    run_id: str


#: The only fields in which two runs over the same data may differ, all made by :func:`run_stamp`: the
#: generation time (footer, running header, PDF metadata) and the run id. Every other byte of the HTML, the
#: PDFs (reports and executive pack) and kpis.csv is a function of the data, the config and the period only:
#: not of the row order of the source, ``--jobs``, kernel reuse, the machine's clock or temporary paths
#: (tests/test_determinism.py). ``manifest.json`` is a run record and is not covered (timings, pids, command).
VOLATILE_FIELDS = ("generated_at", "run_id")


def volatile_strings(generated_at: str, run_id: str) -> list[str]:
    """Every text form in which the :data:`VOLATILE_FIELDS` of one run appear in its outputs, longest first.

    ``generated_at`` shows as itself (ISO 8601) and as :func:`generated_label` ("03 Nov 2026 07:30 UTC").
    """
    forms = {generated_at, generated_label(generated_at), run_id} - {""}
    return sorted(forms, key=len, reverse=True)


def run_stamp() -> RunStamp:
    """Make the generation time and run id for one batch run.

    With ``SOURCE_DATE_EPOCH`` set (seconds since 1970, the reproducible-builds convention) both are derived
    from it, so two runs are byte-identical; otherwise the current UTC time is used and the run id gets a
    short random suffix so that two runs in the same second differ.

    Returns
    -------
    RunStamp
        ``generated_at`` like ``"2026-11-03T07:30:00Z"``, ``run_id`` like ``"20261103T073000Z"`` (plus
        ``"-1a2b3c"`` when not reproducible).

    Raises
    ------
    ConfigError
        ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            moment = datetime.fromtimestamp(int(epoch), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970-01-01; "
                "set it to an integer such as 1793520000 or unset it.",
                key="SOURCE_DATE_EPOCH",
            ) from None
        suffix = ""
    else:
        moment = datetime.now(tz=UTC).replace(microsecond=0)
        suffix = "-" + secrets.token_hex(3)
    return RunStamp(
        generated_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        run_id=moment.strftime("%Y%m%dT%H%M%SZ") + suffix,
    )


def generated_label(generated_at: str) -> str:
    """``"2026-11-03T07:30:00Z"`` -> ``"03 Nov 2026 07:30 UTC"``; any other text is returned unchanged."""
    try:
        moment = datetime.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return generated_at
    return moment.strftime("%d %b %Y %H:%M UTC")
