"""Tanji's stand-alone verifier: canonical encoding, commitments, Merkle proofs, bundle checks.

It imports nothing from ``registry`` or ``anchoring``: a certifier abroad can install and run it
on its own, against its own chain node and trust file. It is also the one home of how a record
becomes a Merkle leaf, which ``anchoring`` and ``registry`` import from here.

Entry points: ``verifier.verifier.Verifier`` / ``verify_offline``, ``verifier.cli.main``
(``tanji verify``, ``python -m verifier``); the protocol is docs/PROTOCOL.md.
"""

import os

# Keccak through pysha3 is ~6x faster than eth-hash's default pycryptodome backend.
os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

from verifier.errors import BundleFormatError, VerifierError
from verifier.runtime import import_ethereum_libraries_safely

# Before anything imports py_ecc (eth-account, py-evm): keep Python's recursion limit sane.
import_ethereum_libraries_safely()

__all__ = ["BundleFormatError", "VerifierError"]
