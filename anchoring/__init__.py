"""Anchoring: Merkle batches of registry records anchored on the TanjiAnchorRegistry contract.

Kept light on purpose: importing ``anchoring`` pulls in no web3 or database code.
"""

import verifier  # noqa: F401  (sets ETH_HASH_BACKEND=pysha3 before any eth_hash import)
