"""The limits of the read-only JSON-RPC endpoint (:mod:`anchoring.rpc`), and their defaults.

Kept free of web3 and py-evm imports so that settings (``registry.config``) can name the
defaults without loading the EVM.

Why these defaults (measured on the 2-core machine of the test runs, py-evm 0.12.1b1 under
Prague rules, ``ETH_HASH_BACKEND=pysha3``; CPU time of the thread running the call, since wall
time there swings two to four times with the machine's load):

- The calls a verifier makes (``tanji verify``, the label page's in-browser check) are small.
  The least gas with which ``check(root, leaf, proof)`` succeeds: 28,461 for a 1-record batch,
  34,479 with an 8-deep proof (a batch of 256), 41,188 at depth 17 (the largest batch, 100,000
  records) and 43,453 at depth 20; ``anchorOf`` 24,469 and ``leafRevokedReason`` 24,721 (each
  including the 21,000 of a transaction and its calldata).
- Gas is a poor clock for py-evm. A plain loop (``JUMPDEST PUSH1 0 JUMP``) runs at about
  0.15 µs a gas, but the precompiles written in pure Python cost far more time per gas than
  the gas schedule assumes: ``blake2f`` about 5 µs a gas (one gas a round), the BLS12-381
  pairing about 4.4, ``map_fp2_to_g2`` 3.6, the BN254 pairing 2.7. The worst call is
  therefore ``blake2f`` with every gas left after the 21,000: about 0.2 s at 60,000 gas,
  0.3 s at 80,000 and 0.42 s at 100,000.
- :data:`DEFAULT_GAS_CAP` of 60,000 gas is 1.45 times the largest verifier call and keeps the
  worst call near 0.2 s (0.45 s of wall time with the machine's load average at 9). Both
  pairings (about 99,000 gas with one pair) are out of reach. A call without ``to`` (init code,
  the only way to run code of one's own on a read-only endpoint) pays 53,000 before its first
  opcode, so a looping one stops after about 3.5 ms.
- Gas per call is one bound; the others are calls per batch (:data:`DEFAULT_MAX_BATCH`), calls
  per second per client (:data:`DEFAULT_RATE_PER_SECOND`, :data:`DEFAULT_RATE_BURST`, enough
  for a page that verifies a label in about 5 calls, or ``tanji verify`` over dozens of
  bundles), and one call at a time on the chain view (``anchoring.embedded.ChainView``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: Most gas one ``eth_call`` / ``eth_estimateGas`` may use (see the module docstring).
DEFAULT_GAS_CAP: Final = 60_000
#: Most calls one JSON-RPC batch may hold.
DEFAULT_MAX_BATCH: Final = 20
#: How long a request waits for the chain view while other calls run on it.
DEFAULT_WAIT_SECONDS: Final = 5.0
#: Calls a second each client (remote address) may make on average ...
DEFAULT_RATE_PER_SECOND: Final = 20.0
#: ... and at once after a quiet spell (the token bucket's size).
DEFAULT_RATE_BURST: Final = 200


@dataclass(frozen=True)
class RpcLimits:
    """What one JSON-RPC request may use: gas per call, calls per batch, wait for the view."""

    gas_cap: int = DEFAULT_GAS_CAP
    max_batch: int = DEFAULT_MAX_BATCH
    wait_seconds: float = DEFAULT_WAIT_SECONDS
