"""Which database the registry's tests run on: ``TANJI_TEST_DATABASE=sqlite`` (the default) or
``postgresql``. ``scripts/test-all.sh`` runs the suite once each way, in two processes at once.

- **SQLite pass**: every test as written (a SQLite file in the test's data dir).
- **PostgreSQL pass**: every test that opens a database (the registry's tests, and the
  anchoring ledger's through the ``ledger_url`` fixture) on a real server
  (``tests.registry.postgres``, started once per session).
  Each test that has a ``tmp_path`` (every test that builds a data dir; not one that uses a
  module's server, which keeps the server's), and each broader fixture that builds a data dir
  with ``tmp_path_factory``, gets a fresh database copied from a template the migrations built
  once (``CREATE DATABASE ... TEMPLATE``), named in ``TANJI_DATABASE_URL``; so every
  ``load_settings()`` of the test, and every ``tanji`` process it starts, uses PostgreSQL. The
  database is dropped after.

Tests parametrized by database kind (a parameter ``"sqlite"`` / ``"postgresql"``) run the
parameter of the pass only; tests that use the ``postgres_url`` / ``postgres_database`` fixtures
(PostgreSQL's own behaviour) run in the PostgreSQL pass; tests marked
``@pytest.mark.sqlite_only(reason=...)`` (they open the SQLite file, or test SQLite's locking)
run in the SQLite pass. The rest are deselected, never skipped, so CI=true's no-skip rule holds.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: The environment variable choosing the pass, and its values.
TEST_DATABASE_ENV = "TANJI_TEST_DATABASE"
KINDS = ("sqlite", "postgresql")
TEST_DATABASE = os.environ.get(TEST_DATABASE_ENV, "sqlite")
if TEST_DATABASE not in KINDS:
    raise RuntimeError(f"{TEST_DATABASE_ENV} must be one of {KINDS}, not {TEST_DATABASE!r}")
ON_POSTGRESQL = TEST_DATABASE == "postgresql"
#: The fixtures of a real PostgreSQL server: a test that uses one tests PostgreSQL itself.
POSTGRES_FIXTURES = ("postgres_url", "postgres_database")
#: Fixtures outside tests/registry that give a test a database of the pass (the anchoring
#: ledger's, tests/anchoring/conftest.py): such a test runs in both passes.
DATABASE_FIXTURES = ("ledger_url",)
#: Where the registry's tests live: each may open the registry database, so each runs in both.
REGISTRY_TESTS = Path(__file__).resolve().parent / "registry"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a real PostgreSQL server for this test session (no database name)."""
    from tests.registry.postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped after the test)."""
    from tests.registry.postgres import create_database, drop_database

    name = f"t_{uuid.uuid4().hex[:16]}"
    yield create_database(postgres_url, name)
    drop_database(postgres_url, name)


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Name of a database the migrations brought to the newest schema, to copy per test."""
    from registry.config import load_settings
    from registry.db import make_engine, migrate
    from tests.registry.postgres import create_database

    name = "tanji_template"
    url = create_database(postgres_url, name)
    engine = make_engine(
        load_settings(data_dir=tmp_path_factory.mktemp("template"), database_url=url)
    )
    migrate(engine)
    engine.dispose()  # a template with a connection open cannot be copied
    return name


@pytest.fixture
def registry_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema: the test's own in the PostgreSQL pass
    (``TANJI_DATABASE_URL``), else a copy of the template, dropped after the test."""
    own = os.environ.get("TANJI_DATABASE_URL")
    if ON_POSTGRESQL and own:
        yield own
        return
    for _ in _copy_of_template(request):
        yield os.environ["TANJI_DATABASE_URL"]


def _copy_of_template(request: pytest.FixtureRequest) -> Iterator[None]:
    from tests.registry.postgres import create_database, drop_database

    server: str = request.getfixturevalue("postgres_url")
    template: str = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = create_database(server, name, template=template)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TANJI_DATABASE_URL", url)
        yield
    drop_database(server, name)


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Iterator[None]:
    """PostgreSQL pass: a database for each broader fixture that builds a data dir (a module's
    server, a demo run), named in ``TANJI_DATABASE_URL`` from its set-up to its tear-down."""
    if (
        ON_POSTGRESQL
        and fixturedef.scope != "function"
        and "tmp_path_factory" in fixturedef.argnames
        and fixturedef.argname != "postgres_template"
    ):
        from tests.registry.postgres import create_database, drop_database

        server: str = request.getfixturevalue("postgres_url")
        template: str = request.getfixturevalue("postgres_template")
        name = f"t_{uuid.uuid4().hex[:16]}"
        url = create_database(server, name, template=template)
        patch = pytest.MonkeyPatch()
        patch.setenv("TANJI_DATABASE_URL", url)

        def finish() -> None:
            patch.undo()
            drop_database(server, name)

        fixturedef.addfinalizer(finish)
    yield


@pytest.fixture(autouse=True)
def _test_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """PostgreSQL pass: a database of its own for each test that builds a data dir."""
    if (
        not ON_POSTGRESQL
        or "tmp_path" not in request.fixturenames
        or _shares_a_data_dir(request.node)
    ):
        yield
        return
    yield from _copy_of_template(request)


def _shares_a_data_dir(item: pytest.Item) -> bool:
    """Whether the test uses a data dir a broader fixture made (a module's server): it keeps
    that fixture's database, the module's, so that what it reads is what the server wrote."""
    definitions = getattr(item, "_fixtureinfo", None)
    if definitions is None:
        return False
    definitions = definitions.name2fixturedefs
    return any(
        d.scope != "function" and "tmp_path_factory" in d.argnames
        for name, defs in definitions.items()
        if name != "postgres_template"
        for d in defs
    )


def _tests_postgresql(node: pytest.Item | pytest.Collector) -> bool:
    return any(name in getattr(node, "fixturenames", ()) for name in POSTGRES_FIXTURES)


def pass_of(item: pytest.Item) -> str | None:
    """The pass ``item`` runs in (``None``: both)."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        kinds = {v for v in callspec.params.values() if isinstance(v, str) and v in KINDS}
        if len(kinds) == 1:
            return kinds.pop()
    if item.get_closest_marker("sqlite_only") is not None:
        return "sqlite"
    if _tests_postgresql(item):
        return "postgresql"
    if not _opens_a_database(item):
        return "sqlite"  # the verifier's, the contract's, the Merkle tree's: no database at all
    return None


def _opens_a_database(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return REGISTRY_TESTS in Path(str(item.path)).parents or any(
        name in fixtures for name in DATABASE_FIXTURES
    )


def select_pass(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests of the other pass (``pytest_collection_modifyitems``)."""
    keep, drop = [], []
    for item in items:
        kind = pass_of(item)
        (keep if kind is None or kind == TEST_DATABASE else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def registry_database(data_dir: Path) -> Engine:
    """An engine on the registry database of ``data_dir`` in this pass (the SQLite file, or
    ``TANJI_DATABASE_URL``'s), for tests that read what a server wrote; dispose it after."""
    from registry.config import load_settings
    from registry.db import make_engine

    return make_engine(load_settings(data_dir=data_dir))
