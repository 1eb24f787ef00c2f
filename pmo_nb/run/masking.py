"""A database password in a source URL is never written by a run: the URL as it may be shown, and text scrubbed of it.

The run passes its kernels the masked URL as the ``source`` parameter (recorded in the executed notebooks) and the
real one in the environment variable :data:`pmo_nb.contract.SOURCE_ENV`, which
:func:`pmo_nb.metrics.month.unmasked_source` reads back; the manifest and every message get :func:`scrub`-bed text.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus

__all__ = ["masked", "password", "scrub"]


def password(source: object) -> str | None:
    """The password in ``source`` when it is a URL that holds one, else None."""
    text = str(source or "")
    if "://" not in text:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(text).password or None
    except (ArgumentError, ValueError):
        return None


def masked(source: str) -> str:
    """``source`` with its password shown as ``***`` (``postgresql://u:***@h/db``); other text unchanged."""
    if password(source) is None:
        return source
    from sqlalchemy.engine import make_url

    return make_url(source).render_as_string(hide_password=True)


def scrub(text: str, source: object) -> str:
    """``text`` with the URL ``source`` masked and every form of its password (plain, URL-encoded) as ``***``."""
    secret = password(source)
    if secret is None:
        return text
    text = text.replace(str(source), masked(str(source)))
    for form in sorted({secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}, key=len, reverse=True):
        text = text.replace(form, "***")
    return text
