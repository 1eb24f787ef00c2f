"""SQL source: any SQLAlchemy URL, one database table (or view) per table, names case-insensitive."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pmo_nb.config import Config, normalise_header
from pmo_nb.data.sources.base import RawSource, RawTable, Source, check_table_size
from pmo_nb.exceptions import SourceError
from pmo_nb.schema import TABLE_NAMES

__all__ = ["SqlDatabase", "without_password"]

_URL = re.compile(r"^[a-z][a-z0-9+]*:///?")


DRIVER_PACKAGES = {"MySQLdb": "mysqlclient", "psycopg2": "psycopg2-binary", "cx_Oracle": "oracledb"}


def read_sql(source: str, config: Config) -> RawSource:
    """Reader for a SQLAlchemy URL: one database table (or view) per table, names case-insensitive."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    try:
        url = make_url(source)
    except ArgumentError:
        raise SourceError(
            f"{source!r} is not a database URL: use e.g. sqlite:///pmo.db or postgresql://user@host/db"
        ) from None
    shown = url.render_as_string(hide_password=True)
    label = shown
    connect_args: dict[str, object] = {}
    if url.get_backend_name() == "sqlite":
        db = url.database or ""
        if not db or db == ":memory:":
            raise SourceError(
                f"{shown}: an in-memory SQLite database has no tables: give a file, e.g. sqlite:///pmo.db",
                path=shown,
            )
        if not Path(db).is_file():
            raise SourceError(f"database file {db} not found: check the path in {shown}", path=shown)
        label = Path(db).name
        # open read-only so that reading never creates or changes the file
        import sqlite3

        uri = Path(db).resolve().as_uri() + "?mode=ro"

        def creator() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True)

        connect_args["creator"] = creator
    try:
        engine = sa.create_engine(url, **connect_args)
    except NoSuchModuleError:
        raise SourceError(
            f"{shown}: no SQLAlchemy dialect for {url.drivername!r}: check the URL scheme", path=shown
        ) from None
    except ImportError as exc:
        raise SourceError(
            f"{shown}: the database driver is not installed ({exc.name}): install it with "
            f"pip install {DRIVER_PACKAGES.get(str(exc.name), exc.name)}",
            path=shown,
        ) from None
    except ArgumentError as exc:
        raise SourceError(f"{shown}: bad database URL ({str(exc).splitlines()[0]})", path=shown) from None
    tables: dict[str, RawTable] = {}
    looked: dict[str, str] = {}
    where = ""
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            names = list(inspector.get_table_names()) + list(inspector.get_view_names())
            where = f"in {shown} (its tables are: {', '.join(sorted(names)) or 'none'})"
            by_name = {normalise_header(n): n for n in names}
            for table in TABLE_NAMES:
                wanted = config.sheets.get(table, table)
                actual = by_name.get(normalise_header(wanted))
                if actual is None:
                    looked[table] = f"a table named {wanted}"
                    continue
                count = conn.execute(sa.select(sa.func.count()).select_from(sa.table(actual))).scalar_one()
                check_table_size(f"{label}[{actual}]", int(count), config, path=shown)
                query = sa.select(sa.text("*")).select_from(sa.table(actual))
                frame = pd.read_sql_query(query, conn)
                headers = [str(c) for c in frame.columns]
                frame.columns = pd.RangeIndex(len(headers))
                frame.index = pd.RangeIndex(2, 2 + len(frame))
                tables[table] = RawTable(table, f"{label}[{actual}]", headers, frame)
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        cause = cause.replace(url.password or "\0", "***") if url.password else cause
        raise SourceError(f"cannot read the database {shown}: {cause}{_sql_hint(cause)}", path=shown) from None
    finally:
        engine.dispose()
    return RawSource(label, tables, looked, where)


_SQL_HINTS = (
    (re.compile(r"connection refused|could not connect|timeout expired|timed out|no route to host", re.I),
     "check that the server is running and that the host and port in the URL are right"),
    (re.compile(r"password authentication failed|no password supplied|authentication failed", re.I),
     "check the user name and password in the URL"),
    (re.compile(r"database \S+ does not exist|unknown database", re.I), "check the database name in the URL"),
    (re.compile(r"failed to resolve host|could not translate host name|name or service not known", re.I),
     "check the host name in the URL"),
)


def _sql_hint(cause: str) -> str:
    """What to do about a database error, when it is one of the usual connection problems."""
    for pattern, hint in _SQL_HINTS:
        if pattern.search(cause):
            return f" ({hint})"
    return ""



def without_password(url: str) -> str:
    """``postgresql://u:secret@h/db`` -> ``postgresql://u:***@h/db``; other text unchanged."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    return parsed.render_as_string(hide_password=True) if parsed.password else url


class SqlDatabase(Source):
    """A database reached through a SQLAlchemy URL (``sqlite:///pmo.db``, ``postgresql://user@host/db``)."""

    name = "sql"
    description = "a database URL such as sqlite:///pmo.db"

    def sniff(self, location: str) -> bool:
        return "://" in location or bool(_URL.match(location))

    def read(self, location: str, config: Config) -> RawSource:
        return read_sql(location, config)

    def display(self, location: str) -> str:
        return without_password(location)
