"""The database every store, batch, review and report test runs on: SQLite and PostgreSQL.

`db_url` is parametrised: a SQLite file under tmp_path, and a fresh schema on the PostgreSQL
server named by $GRADER_TEST_POSTGRES (a SQLAlchemy URL; `.ci/postgres start` prints one). Without
that variable the PostgreSQL cases skip, unless $GRADER_REQUIRE_POSTGRES is set (as in CI), where
they fail: CI must never pass without having run them.
"""
import os
import uuid

import pytest

BACKENDS = ["sqlite", "postgresql"]


def postgres_server() -> str | None:
    url = os.environ.get("GRADER_TEST_POSTGRES")
    if not url and os.environ.get("GRADER_REQUIRE_POSTGRES"):
        pytest.fail("GRADER_REQUIRE_POSTGRES is set but GRADER_TEST_POSTGRES names no server")
    return url


def fresh_database(kind: str, tmp_path, request) -> str:
    """A new empty database of `kind` for one test: a SQLite path or a PostgreSQL URL of its own schema."""
    if kind == "sqlite":
        return str(tmp_path / f"g-{uuid.uuid4().hex[:6]}.db")
    server = postgres_server()
    if not server:
        pytest.skip("no PostgreSQL server: set GRADER_TEST_POSTGRES (see .ci/postgres)")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))

    def drop():
        from grader.store import dispose_all
        dispose_all()  # connections pooled by the test's stores hold locks on the schema's tables
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()

    request.addfinalizer(drop)
    sep = "&" if "?" in server else "?"
    return f"{server}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def grader():
    """The standard rubric's `Grader` (lexicons and jieba loaded once for the whole run)."""
    from grader.pipeline import Grader
    return Grader()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """An empty database, once on SQLite and once on PostgreSQL: pass it to Store() or --db."""
    return fresh_database(request.param, tmp_path, request)


@pytest.fixture(autouse=True)
def _session_secret_in_tmp(tmp_path, monkeypatch):
    """The review app's session secret file goes under tmp_path, never into ~/.config (PostgreSQL
    stores have no database file to keep it beside)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
