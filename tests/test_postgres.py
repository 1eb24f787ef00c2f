"""The SQL source against a real PostgreSQL server (started by .ci/run; see PMO_TEST_POSTGRES_URL).

The sample portfolio is written to PostgreSQL with pandas ``to_sql`` (typed columns: dates, floats, booleans,
integers), then ``load(url)`` must give the same Portfolio as the CSV folder, the KPIs must match, and the
program report rendered from each source must be the same page apart from the source named in it. Connection
failures and a missing table must be one-line errors from ``pmo-nb validate`` (exit 2) naming the host and
database and never the password.

Without ``PMO_TEST_POSTGRES_URL`` the module is skipped (a local run without a server); under ``CI=true`` that
is a failure, because .ci/run starts the server.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner

from pmo_nb import load
from pmo_nb.cli import cli
from pmo_nb.data.model import Portfolio
from pmo_nb.metrics.kpis import compute
from pmo_nb.paths import NOTEBOOKS_DIR, SAMPLE_DIR
from pmo_nb.publish import exporters
from pmo_nb.schema import TABLE_NAMES

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

pytestmark = pytest.mark.slow

URL_VARIABLE = "PMO_TEST_POSTGRES_URL"
GENERATED = "2026-11-03T07:30:00Z"
PERIOD = "2026-10"
PARTIAL_SCHEMA = "pmo_partial"  # programs and financials, no projects (the one required table): "missing table"


@pytest.fixture(scope="module")
def pg_url() -> str:
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        reason = (
            f"{URL_VARIABLE} is not set: start PostgreSQL and set it, e.g. "
            f"{URL_VARIABLE}=postgresql+psycopg://pmo:secret@127.0.0.1:55432/pmo (.ci/run does both)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true, so a missing server is a failure")
        pytest.skip(reason)
    pytest.importorskip("psycopg", reason='the PostgreSQL driver is missing: pip install -e ".[dev]"')
    return url


@pytest.fixture(scope="module")
def engine(pg_url: str) -> Iterator[Engine]:
    import sqlalchemy as sa

    eng = sa.create_engine(pg_url)
    try:
        with eng.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"{URL_VARIABLE} is set but the server does not answer: {str(exc.orig).splitlines()[0]}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def csv_portfolio() -> Portfolio:
    return load(SAMPLE_DIR)


@pytest.fixture(scope="module")
def pg_source(engine: Engine, csv_portfolio: Portfolio, pg_url: str) -> str:
    """The sample portfolio written to PostgreSQL, one table per table, typed columns; returns the URL."""
    import sqlalchemy as sa

    with engine.begin() as conn:
        for name in TABLE_NAMES:
            csv_portfolio.table(name).to_sql(name, conn, if_exists="replace", index=False)
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {PARTIAL_SCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {PARTIAL_SCHEMA}"))
        for name in ("programs", "financials"):
            csv_portfolio.table(name).to_sql(name, conn, schema=PARTIAL_SCHEMA, if_exists="replace", index=False)
    return pg_url


@pytest.fixture(scope="module")
def pg_portfolio(pg_source: str) -> Portfolio:
    return load(pg_source)


def _url(pg_url: str, **parts: object) -> str:
    from sqlalchemy.engine import make_url

    return make_url(pg_url).set(**parts).render_as_string(hide_password=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------- the data


def test_the_database_holds_typed_columns(engine: Engine, pg_source: str) -> None:
    import sqlalchemy as sa

    columns = {c["name"]: str(c["type"]) for c in sa.inspect(engine).get_columns("projects")}
    assert columns["budget"] == "DOUBLE PRECISION"
    assert columns["baseline_start"].startswith("TIMESTAMP")
    risks = {c["name"]: str(c["type"]) for c in sa.inspect(engine).get_columns("risks")}
    assert risks["probability"] == "BIGINT"
    milestones = {c["name"]: str(c["type"]) for c in sa.inspect(engine).get_columns("milestones")}
    assert milestones["key_milestone"] == "BOOLEAN"


def test_load_from_postgres_equals_the_csv_portfolio(csv_portfolio: Portfolio, pg_portfolio: Portfolio) -> None:
    assert pg_portfolio.missing_tables == ()
    for name in TABLE_NAMES:
        csv_table = csv_portfolio.table(name)
        pg_table = pg_portfolio.table(name)
        assert len(pg_table) == len(csv_table) > 0, name
        pd.testing.assert_frame_equal(pg_table, csv_table, check_exact=True, obj=name)
    assert pg_portfolio.fingerprint() == csv_portfolio.fingerprint()


def test_postgres_source_never_shows_the_password(pg_source: str, pg_portfolio: Portfolio) -> None:
    from sqlalchemy.engine import make_url

    password = make_url(pg_source).password
    assert password
    assert password not in pg_portfolio.source
    assert pg_portfolio.source == make_url(pg_source).render_as_string(hide_password=True)


def test_kpis_from_postgres_equal_the_csv_kpis(csv_portfolio: Portfolio, pg_portfolio: Portfolio) -> None:
    csv_snapshot = compute(csv_portfolio, PERIOD).snapshot()
    pg_snapshot = compute(pg_portfolio, PERIOD).snapshot()
    assert len(csv_snapshot) > 0
    pd.testing.assert_frame_equal(pg_snapshot, csv_snapshot, check_exact=True)


# ---------------------------------------------------------------------------------------------- the report


@pytest.fixture(scope="module")
def reports(pg_source: str, csv_portfolio: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The first program's report executed from each source (both at once: two kernels), rendered to HTML."""
    import papermill

    work = tmp_path_factory.mktemp("postgres-reports")
    program = csv_portfolio.program_ids[0]

    def run(label: str, source: str) -> str:
        nb = papermill.execute_notebook(
            str(NOTEBOOKS_DIR / "program_report.ipynb"),
            str(work / f"{label}.ipynb"),
            parameters={"program_id": program, "period": PERIOD, "source": source},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(work),
        )
        return exporters.render_html(nbformat.from_dict(nb), generated_at=GENERATED)

    sources = {"csv": str(SAMPLE_DIR), "postgres": pg_source}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {label: pool.submit(run, label, source) for label, source in sources.items()}
        return {label: future.result() for label, future in futures.items()}


SOURCE_LINE = re.compile(r"Source: (.*?); data fingerprint")


def test_report_from_postgres_matches_the_csv_report(reports: dict[str, str], pg_source: str) -> None:
    from sqlalchemy.engine import make_url

    shown = {label: SOURCE_LINE.findall(page) for label, page in reports.items()}
    assert shown["csv"] == [str(SAMPLE_DIR)]
    assert shown["postgres"] == [make_url(pg_source).render_as_string(hide_password=True)]
    password = make_url(pg_source).password
    assert password and password not in reports["postgres"]
    same = {label: SOURCE_LINE.sub("Source: SOURCE; data fingerprint", page) for label, page in reports.items()}
    assert same["postgres"] == same["csv"]
    assert 'class="pmo-chart"' in same["csv"]  # a real report, not an error page


# ---------------------------------------------------------------------------------------------- errors


def _validate(url: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", url])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong port", "Connection refused (check that the server is running and that the host and port"),
        ("wrong password", 'password authentication failed for user "pmo" (check the user name and password'),
        ("unknown database", 'database "pmo_absent" does not exist (check the database name in the URL)'),
    ],
)
def test_connection_failures_are_one_line_errors(pg_source: str, case: str, expected: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(pg_source)
    bad = {
        "wrong port": lambda: _url(pg_source, port=_free_port()),
        "wrong password": lambda: _url(pg_source, password="not-the-password"),
        "unknown database": lambda: _url(pg_source, database="pmo_absent"),
    }[case]()
    code, output = _validate(bad)
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: cannot read the database postgresql+psycopg://")
    assert f"@{url.host}:" in lines[0] and expected in lines[0]
    assert ("/pmo_absent" if case == "unknown database" else f"/{url.database}") in lines[0]
    assert url.password not in output and "not-the-password" not in output
    assert "Traceback" not in output


def test_missing_table_is_a_one_line_error(pg_source: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(pg_source)
    partial = url.update_query_dict({"options": f"-csearch_path={PARTIAL_SCHEMA}"})
    code, output = _validate(partial.render_as_string(hide_password=False))
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: required table projects not found: looked for a table named projects")
    assert f"@{url.host}:{url.port}/{url.database}" in lines[0]
    assert "its tables are: financials, programs" in lines[0]
    assert url.password not in output


def test_validate_postgres_summary(pg_source: str, csv_portfolio: Portfolio) -> None:
    code, output = _validate(pg_source)
    assert code == 0, output
    from sqlalchemy.engine import make_url

    assert make_url(pg_source).password not in output
    assert str(len(csv_portfolio.projects)) in output

