import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

from tests.nodes import hardhat_node


@pytest.fixture(scope="session")
def hardhat_url() -> Iterator[str]:
    """URL of a real `hardhat node` on 127.0.0.1, shared by the whole test session."""
    with hardhat_node() as url:
        yield url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true every skip is a failure: `.ci/run` installs every outside program."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {report.longrepr}"
