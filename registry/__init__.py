"""Tanji registry: the FastAPI + SQLModel service (orgs, footprints, labels, background anchoring).

``verifier`` is imported first so that ``ETH_HASH_BACKEND=pysha3`` is set before any keccak use.
"""

import verifier as _verifier  # noqa: F401  (sets ETH_HASH_BACKEND)

__all__: list[str] = []
