"""``tanji audit verify``: recompute the audit log's hash chain and check its anchors on chain.

What is checked (docs/AUDIT.md), entry by entry in id order:

1. the ids run 1, 2, 3, ... without a gap (``missing_entry``);
2. each entry's ``prev`` is the previous entry's digest (``chain_broken``);
3. each entry's fields and salt give its stored digest (``digest_mismatch``, ``bad_salt``);
4. its ledger row exists (``not_queued``) and holds the leaf ``["audit", id, digest]``
   (``leaf_mismatch``); once anchored, the stored proof leads from that leaf to its batch's root
   (``proof_invalid``, ``batch_missing``);

then for the log as a whole: the head row names the last entry (``truncated``), no ledger row
belongs to an entry that is gone (``missing_entry``), and every batch holding an audit leaf has
its root on chain, on this deployment's chain and contract, in the block and with the record count
the database says (``root_not_anchored``, ``wrong_chain``, ``wrong_contract``,
``anchor_mismatch``). A chain that cannot be asked is an error (exit 2), never a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from sqlmodel import Session, col, func, select
from web3 import Web3

from anchoring.ledger import (
    BATCH_ANCHORED,
    RECORD_ANCHORED,
    AnchorBatch,
    AnchorRecord,
    leaf_hash_hex,
)
from registry.audit import (
    GENESIS_DIGEST,
    HEAD_ID,
    RECORD_TYPE,
    AuditEntry,
    AuditHead,
    leaf_of,
    record_of,
)
from registry.chain import anchor_address, chain_error_code, node_provider, redact_url_secrets
from registry.config import Settings
from verifier.protocol.contract_abi import ANCHOR_REGISTRY_ABI
from verifier.protocol.merkle import process_proof

#: Entries read per query.
PAGE: Final = 1000
#: Findings kept in a report (the first ones, by entry id); the count is always exact.
MAX_FINDINGS: Final = 100


@dataclass(frozen=True, slots=True)
class Finding:
    """One sign of tampering: the entry it shows at (``None``: the log as a whole), a code and
    what was found."""

    entry_id: int | None
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"entry": self.entry_id, "code": self.code, "message": self.message}


@dataclass
class AuditReport:
    """The outcome of :func:`verify_log`."""

    entries: int = 0
    anchored: int = 0
    pending: int = 0
    batches: int = 0
    chain_id: int | None = None
    findings: list[Finding] = field(default_factory=list)
    finding_count: int = 0
    #: Why the roots could not be checked on chain (``code: message``), if they could not.
    chain_error: str | None = None

    def add(self, entry_id: int | None, code: str, message: str) -> None:
        self.finding_count += 1
        self.findings.append(Finding(entry_id, code, message))
        self.findings.sort(key=lambda f: (f.entry_id is None, f.entry_id or 0))
        del self.findings[MAX_FINDINGS:]

    @property
    def status(self) -> str:
        """``valid``, ``invalid`` (tampering found) or ``error`` (the chain could not be asked)."""
        if self.finding_count:
            return "invalid"
        return "error" if self.chain_error else "valid"

    @property
    def first_bad(self) -> Finding | None:
        """The finding at the lowest entry id."""
        return self.findings[0] if self.findings else None

    def to_dict(self) -> dict[str, Any]:
        first = self.first_bad
        return {
            "status": self.status,
            "entries": self.entries,
            "anchored": self.anchored,
            "pending": self.pending,
            "batches": self.batches,
            "chainId": self.chain_id,
            "firstBadEntry": None if first is None else first.entry_id,
            "findingCount": self.finding_count,
            "findings": [f.to_dict() for f in self.findings],
            "chainError": self.chain_error,
        }


@dataclass(frozen=True, slots=True)
class RootAnchor:
    """What the contract stores about a root (``anchorOf``)."""

    block_number: int
    record_count: int


class RootReader(Protocol):
    """Read-only access to the anchor contract of the chain the data dir uses."""

    def chain_id(self) -> int: ...

    def contract(self) -> str | None: ...

    def anchor_of(self, root: bytes) -> RootAnchor | None: ...


class AuditChainError(Exception):
    """The chain could not be asked (down, locked by another process, no contract known)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Web3RootReader:
    """:class:`RootReader` over a web3 connection (embedded chain or JSON-RPC node)."""

    def __init__(self, w3: Web3, settings: Settings) -> None:
        self._w3 = w3
        self._settings = settings
        self._chain_id: int | None = None
        self._contract: Any = None

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._w3.eth.chain_id)
        return self._chain_id

    def contract(self) -> str | None:
        address = anchor_address(self._settings, self.chain_id())
        return None if address is None else Web3.to_checksum_address(address)

    def anchor_of(self, root: bytes) -> RootAnchor | None:
        if self._contract is None:
            address = self.contract()
            if address is None:
                raise AuditChainError(
                    "no_contract",
                    f"no anchor contract is known for chain {self.chain_id()} "
                    "(set TANJI_ANCHOR_ADDRESS)",
                )
            self._contract = self._w3.eth.contract(
                address=Web3.to_checksum_address(address), abi=ANCHOR_REGISTRY_ABI
            )
        block, _timestamp, count, _reason = self._contract.functions.anchorOf(root).call()
        return None if int(block) == 0 else RootAnchor(int(block), int(count))


@contextmanager
def open_root_reader(settings: Settings, rpc_url: str | None = None) -> Iterator[RootReader]:
    """A reader of the chain ``settings`` use (embedded by default), or of ``rpc_url``.

    Raises :class:`AuditChainError` when the embedded chain is held by another process.
    """
    url = rpc_url or settings.rpc_url
    if url is not None:
        yield Web3RootReader(Web3(node_provider(url, attempts=1)), settings)
        return
    from anchoring.embedded import EmbeddedChain
    from anchoring.errors import AnchoringError

    try:
        chain = EmbeddedChain.open(settings.data_dir)
    except AnchoringError as exc:
        raise AuditChainError(
            exc.code,
            f"{exc} (while `tanji serve` runs, pass --rpc-url http://HOST:PORT/rpc)",
        ) from None
    try:
        yield Web3RootReader(chain.w3, settings)
    finally:
        chain.close()


def verify_log(
    session: Session,
    *,
    reader: Callable[[], Any] | None,
    redact: Callable[[str], str] = lambda text: text,
) -> AuditReport:
    """Check the whole audit log in ``session``'s database (see the module docstring).

    ``reader`` opens a :class:`RootReader` context (``None``: do not check roots on chain); it
    is opened only when some entry is anchored.
    """
    report = AuditReport()
    batches: dict[int, AnchorBatch | None] = {}
    first_entry_of_batch: dict[int, int] = {}
    gaps: list[tuple[int, int]] = []
    last_id, last_digest = 0, GENESIS_DIGEST
    while True:
        page = list(
            session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.id) > last_id)
                .order_by(col(AuditEntry.id))
                .limit(PAGE)
            ).all()
        )
        if not page:
            break
        ledger_rows = {
            row.record_id: row
            for row in session.exec(
                select(AnchorRecord).where(
                    AnchorRecord.record_type == RECORD_TYPE,
                    col(AnchorRecord.record_id).in_([str(e.id) for e in page]),
                )
            ).all()
        }
        for entry in page:
            entry_id = int(entry.id or 0)
            report.entries += 1
            if entry_id != last_id + 1:
                gaps.append((last_id + 1, entry_id - 1))
                missing = _span(last_id + 1, entry_id - 1)
                report.add(entry_id, "missing_entry", f"{missing} missing before entry {entry_id}")
            if entry.prev_digest != last_digest:
                report.add(
                    entry_id,
                    "chain_broken",
                    f"entry {entry_id}'s prev {entry.prev_digest} is not the digest of the entry "
                    f"before it ({last_digest}): an entry was edited, removed or moved",
                )
            digest = _check_digest(report, entry, entry_id)
            _check_leaf(report, session, entry_id, digest, ledger_rows.get(str(entry_id)), batches)
            row = ledger_rows.get(str(entry_id))
            if row is not None and row.batch_id is not None:
                first_entry_of_batch.setdefault(row.batch_id, entry_id)
            last_id, last_digest = entry_id, entry.digest
    _check_head(report, session, last_id, last_digest)
    _check_orphans(report, session, last_id, gaps)
    anchored = {
        batch_id: batch
        for batch_id, batch in batches.items()
        if batch is not None and batch.status == BATCH_ANCHORED and batch_id in first_entry_of_batch
    }
    report.batches = len(anchored)
    if anchored and reader is not None:
        _check_roots(report, session, reader, anchored, first_entry_of_batch, redact)
    return report


def _span(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first}..{last} are"


def _check_digest(report: AuditReport, entry: AuditEntry, entry_id: int) -> str | None:
    try:
        leaf = leaf_of(record_of(entry), entry.master_salt)
    except (ValueError, TypeError) as exc:
        report.add(entry_id, "bad_salt", f"entry {entry_id}'s salt is unusable: {exc}")
        return None
    except Exception as exc:  # a field edited into something the record cannot hold
        report.add(entry_id, "digest_mismatch", f"entry {entry_id} cannot be hashed: {exc}")
        return None
    if leaf[2] != entry.digest:
        report.add(
            entry_id,
            "digest_mismatch",
            f"entry {entry_id}'s fields give the digest {leaf[2]}, not the stored "
            f"{entry.digest}: the entry was edited",
        )
    return leaf[2]


def _check_leaf(
    report: AuditReport,
    session: Session,
    entry_id: int,
    digest: str | None,
    row: AnchorRecord | None,
    batches: dict[int, AnchorBatch | None],
) -> None:
    if row is None:
        report.add(entry_id, "not_queued", f"entry {entry_id} has no ledger row (it was removed)")
        return
    if row.status != RECORD_ANCHORED:
        report.pending += 1
    expected = [RECORD_TYPE, str(entry_id), digest]
    if digest is not None and list(row.leaf_value) != expected:
        report.add(
            entry_id,
            "leaf_mismatch",
            f"entry {entry_id} gives the leaf digest {digest}; its ledger row holds "
            f"{row.leaf_value[2] if len(row.leaf_value) == 3 else row.leaf_value}",
        )
        return
    try:
        leaf = leaf_hash_hex(list(row.leaf_value))
    except Exception:  # a leaf value edited into something that does not encode
        leaf = ""
    if leaf != row.leaf_hash:
        report.add(entry_id, "leaf_mismatch", f"entry {entry_id}'s leaf hash was edited")
        return
    if row.status != RECORD_ANCHORED:
        return
    batch_id = row.batch_id
    batch = None if batch_id is None else _batch(session, batches, batch_id)
    if batch is None or batch.status != BATCH_ANCHORED:
        report.add(entry_id, "batch_missing", f"entry {entry_id} is anchored in no anchored batch")
        return
    try:
        root = process_proof(bytes.fromhex(leaf[2:]), [_b32(p) for p in row.proof or []])
    except (ValueError, TypeError):
        root = b""
    if "0x" + root.hex() != batch.root:
        report.add(
            entry_id,
            "proof_invalid",
            f"entry {entry_id}'s proof does not lead to batch {batch.id}'s root {batch.root}",
        )
        return
    report.anchored += 1


def _b32(value: str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError("a proof node is 32 bytes")
    return raw


def _batch(
    session: Session, batches: dict[int, AnchorBatch | None], batch_id: int
) -> AnchorBatch | None:
    if batch_id not in batches:
        batches[batch_id] = session.get(AnchorBatch, batch_id)
    return batches[batch_id]


def _check_head(report: AuditReport, session: Session, last_id: int, last_digest: str) -> None:
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        if last_id:
            report.add(None, "truncated", "the audit log's head row is missing")
        return
    if head.last_id != last_id or head.last_digest != last_digest:
        where = last_id + 1 if head.last_id > last_id else None
        report.add(
            where,
            "truncated",
            f"the head records {head.last_id} entries ending in {head.last_digest}; the log "
            f"ends at entry {last_id} ({last_digest}): entries were removed from its end",
        )


def _check_orphans(
    report: AuditReport, session: Session, last_id: int, gaps: list[tuple[int, int]]
) -> None:
    """Ledger rows of entries that are gone: a deleted entry's leaf stays queued or anchored."""
    count = session.exec(
        select(func.count())
        .select_from(AnchorRecord)
        .where(AnchorRecord.record_type == RECORD_TYPE)
    ).one()
    present = last_id - sum(last - first + 1 for first, last in gaps)
    if int(count) == present:
        return  # every entry has at most one row (unique), and each present one was matched
    for record_id in session.exec(
        select(AnchorRecord.record_id).where(AnchorRecord.record_type == RECORD_TYPE)
    ).all():
        try:
            number = int(record_id)
        except ValueError:
            number = 0
        if number > last_id or any(first <= number <= last for first, last in gaps):
            report.add(
                number or None,
                "missing_entry",
                f"entry {record_id} is gone from the log; its leaf is still in the ledger",
            )


def _check_roots(
    report: AuditReport,
    session: Session,
    reader: Callable[[], Any],
    batches: dict[int, AnchorBatch],
    first_entry: dict[int, int],
    redact: Callable[[str], str],
) -> None:
    try:
        with reader() as chain:
            chain_id = chain.chain_id()
            report.chain_id = chain_id
            contract = chain.contract()
            for batch_id, batch in sorted(batches.items()):
                entry_id = first_entry[batch_id]
                _check_root(report, session, chain, chain_id, contract, batch, entry_id)
    except AuditChainError as exc:
        report.chain_error = redact(f"{exc.code}: {exc.message}")
    except Exception as exc:  # the node is down, slow, or answers nonsense: not a finding
        report.chain_error = redact(f"{chain_error_code(exc)}: {type(exc).__name__}: {exc}")


def _check_root(
    report: AuditReport,
    session: Session,
    chain: RootReader,
    chain_id: int,
    contract: str | None,
    batch: AnchorBatch,
    entry_id: int,
) -> None:
    if batch.chain_id != chain_id:
        report.add(
            entry_id,
            "wrong_chain",
            f"batch {batch.id} says chain {batch.chain_id}; this deployment's chain is {chain_id}",
        )
        return
    if contract is not None and (batch.contract or "").lower() != contract.lower():
        report.add(
            entry_id,
            "wrong_contract",
            f"batch {batch.id} says contract {batch.contract}; this deployment's is {contract}",
        )
        return
    anchor = chain.anchor_of(bytes.fromhex(batch.root.removeprefix("0x")))
    if anchor is None:
        report.add(
            entry_id,
            "root_not_anchored",
            f"batch {batch.id}'s root {batch.root} is not anchored on chain {chain_id}",
        )
        return
    stored = session.exec(
        select(func.count()).select_from(AnchorRecord).where(AnchorRecord.batch_id == batch.id)
    ).one()
    if anchor.block_number != batch.block_number or anchor.record_count != batch.record_count:
        report.add(
            entry_id,
            "anchor_mismatch",
            f"batch {batch.id} was anchored in block {anchor.block_number} with "
            f"{anchor.record_count} records; the database says block {batch.block_number} "
            f"with {batch.record_count}",
        )
    elif int(stored) != anchor.record_count:
        report.add(
            entry_id,
            "anchor_mismatch",
            f"batch {batch.id} was anchored with {anchor.record_count} records; the ledger "
            f"holds {int(stored)} of them (rows were removed)",
        )


def redactor(settings: Settings, rpc_url: str | None) -> Callable[[str], str]:
    """Takes the node URL's secrets out of error text."""
    url = rpc_url or settings.rpc_url
    return lambda text: redact_url_secrets(text, url)
