"""Finality of anchored records as served: "anchored, N confirmations" until final, and never a
proof to a block that has left the chain.

The anchoring loop marks a batch ``mined`` when its transaction is in a block, and ``anchored``
(final) once the required confirmations are on top (:mod:`anchoring.batcher`). A reorganisation
can take a mined batch's block away before the loop's next look; so whoever serves a mined
batch's proof asks the node first (:meth:`FinalityReader.check`): the transaction's receipt must
still be in the block the ledger names, at its height and of its time (a transaction mined again
at the same height after a reorganisation is in another block, of another time). A process
without a chain (anchoring off) or a node that does not answer in time serves the record as
pending: no proof rather than a doubtful one.

Nothing is cached: a cached answer could outlive a reorganisation. The cost (a receipt, its block
and the head from the node, each bounded like the health probe) is paid only by records whose
batch is not final yet; final ones are served from the database alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlmodel import Session

from anchoring import ledger
from anchoring.ledger import AnchoredLeaf
from verifier.protocol.finality import confirmations

if TYPE_CHECKING:  # registry.chain imports web3: not needed to serve final records
    from registry.chain import ChainHandle

log = logging.getLogger(__name__)

#: A record's anchor status while its batch is in a block on the chain but not final yet (the
#: others are the ledger's: ``pending``, ``batched``, ``anchored``).
MINED: Final = "mined"


@dataclass(frozen=True, slots=True)
class Finality:
    """How deep an anchored record's block is."""

    confirmations: int
    required: int

    @property
    def final(self) -> bool:
        """True once ``required`` blocks are on top of the anchoring block."""
        return self.confirmations >= self.required  # verifier.protocol.finality.is_final

    def as_json(self) -> dict[str, Any]:
        """The bundle's ``finality`` member (informational: verifiers count for themselves)."""
        return {"final": self.final, "confirmations": self.confirmations, "required": self.required}


class FinalityReader:
    """Checks mined (not yet final) leaves against the node."""

    def __init__(self, chain: ChainHandle) -> None:
        self.chain = chain

    @property
    def required(self) -> int:
        """Confirmations the deployment requires before a batch is final."""
        return self.chain.client.confirmations

    def check(self, leaf: AnchoredLeaf) -> Finality | None:
        """The leaf's finality; ``None`` when its transaction is not in its block on the node's
        chain now (reorganised away, mined again in another block, or the node did not
        answer)."""
        try:
            block, head = self.chain.receipt_block(leaf.tx_hash), self.chain.probe()
        except Exception as exc:  # an outage serves the record as pending, never a 500
            log.warning("finality of %s unknown: %s", leaf.tx_hash, self.chain.redact(str(exc)))
            return None
        if block != (leaf.block_number, leaf.timestamp):
            return None
        return Finality(confirmations(leaf.block_number, head), self.required)


_reader: FinalityReader | None = None


def install(chain: ChainHandle | None) -> None:
    """Use ``chain`` to check mined leaves from now on (``None``: no chain, serve them pending)."""
    global _reader
    _reader = None if chain is None else FinalityReader(chain)


def served_leaf(leaf: AnchoredLeaf | None) -> tuple[AnchoredLeaf | None, Finality | None]:
    """The leaf to serve and, while it is not final, its finality.

    A final leaf is served as it is; a mined one only while its block is on the chain (with its
    confirmations), else not at all (the record reads as pending).
    """
    if leaf is None or leaf.final:
        return leaf, None
    reader = _reader
    finality = None if reader is None else reader.check(leaf)
    if finality is None:
        return None, None
    return leaf, finality


def anchor_state(
    session: Session, *, record_type: str, record_id: str
) -> tuple[str | None, Finality | None]:
    """A record's anchor status as served, with its finality while its batch is not final.

    ``anchored`` (final, or deep enough already), ``mined`` (in a block still on the chain, fewer
    confirmations than required), ``batched`` (in flight, or its block left the chain: the bundle
    is then pending too), ``pending`` (queued), ``None`` (never queued). The finality is the
    bundle's ``finality`` member (:func:`served_leaf`)."""
    leaf = ledger.anchored_leaf(session, record_type=record_type, record_id=record_id)
    if leaf is None:
        status = ledger.record_status(session, record_type=record_type, record_id=record_id)
        return state_of(None, status)
    return state_of(leaf, ledger.RECORD_ANCHORED)


def state_of(
    leaf: AnchoredLeaf | None, record_status: str | None
) -> tuple[str | None, Finality | None]:
    """:func:`anchor_state` of a record whose anchored leaf (``None``: not anchored in a mined
    or final batch) and ledger status were read already (e.g. in one joined statement)."""
    if leaf is None:
        # An anchored record whose batch is no longer mined or final is in flight again.
        status = record_status
        return (ledger.RECORD_BATCHED if status == ledger.RECORD_ANCHORED else status), None
    served, finality = served_leaf(leaf)
    if served is None:
        return ledger.RECORD_BATCHED, None
    if finality is not None and not finality.final:
        return MINED, finality
    return ledger.RECORD_ANCHORED, finality
