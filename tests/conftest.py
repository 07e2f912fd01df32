import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

# The database of the pass (SQLite, or PostgreSQL with TANJI_TEST_DATABASE=postgresql).
from tests.database import (  # noqa: F401  (fixtures pytest finds in this module)
    _test_database,
    postgres_database,
    postgres_template,
    postgres_url,
    pytest_fixture_setup,
    registry_database_url,
    select_pass,
)
from tests.nodes import anvil_node, hardhat_node


@pytest.fixture(scope="session")
def hardhat_url() -> Iterator[str]:
    """URL of a real `hardhat node` on 127.0.0.1, shared by the whole test session."""
    with hardhat_node() as url:
        yield url


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """URL of a real `anvil` on 127.0.0.1 mining a block a second, shared by the session."""
    with anvil_node() as url:
        yield url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true every skip is a failure: `.ci/run` installs every outside program."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {report.longrepr}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tests of this pass's database only (tests.database)."""
    select_pass(config, items)
