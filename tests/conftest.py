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
