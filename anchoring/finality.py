"""How many confirmations make an anchoring block final, by chain id (no web3 here: cheap to
import). What a confirmation is: :mod:`verifier.protocol.finality`.
"""

from __future__ import annotations

from typing import Final

#: Chain id of every embedded chain (not a public network's id; checked against chainlist ids
#: in use at the time of writing). Transactions signed for it replay on no other chain.
EMBEDDED_CHAIN_ID: Final = 20240
#: Chains whose blocks are never reorganised away: the embedded chain and local development
#: nodes (Hardhat and Anvil 31337, Anvil in Tanji's tests 31338, Ganache and geth --dev 1337).
DEV_CHAIN_IDS: Final = frozenset({EMBEDDED_CHAIN_ID, 1337, 31337, 31338})
#: Ethereum mainnet and its test networks (Sepolia, Holesky, Hoodi): about two epochs, when
#: the beacon chain finalises a block.
ETHEREUM_CHAIN_IDS: Final = frozenset({1, 11155111, 17000, 560048})
ETHEREUM_CONFIRMATIONS: Final = 64
#: Any other chain (a consortium QBFT chain, an L2): a margin that outlasts common reorgs.
OTHER_CHAIN_CONFIRMATIONS: Final = 12


def default_confirmations(chain_id: int) -> int:
    """Confirmations before a batch is final on ``chain_id`` when none are configured:
    0 on development chains, 64 on Ethereum's networks, 12 elsewhere."""
    if chain_id in DEV_CHAIN_IDS:
        return 0
    if chain_id in ETHEREUM_CHAIN_IDS:
        return ETHEREUM_CONFIRMATIONS
    return OTHER_CHAIN_CONFIRMATIONS
