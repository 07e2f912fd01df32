"""Errors raised by the anchoring package.

Every error derives from :class:`AnchoringError` and carries a machine-readable ``code``.
Contract reverts are decoded against the registry ABI into :class:`ContractRevertError`
subclasses, one per custom error the contract declares.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AnchoringError(Exception):
    """Root of every error raised by ``anchoring``."""

    code: ClassVar[str] = "anchoring_error"


class ChainLockedError(AnchoringError):
    """The embedded chain's data directory is already opened by another process."""

    code = "chain_locked"


class ChainUnavailableError(AnchoringError):
    """The chain node cannot be reached (connection refused, reset, DNS failure)."""

    code = "chain_unavailable"


class ChainTimeoutError(AnchoringError, TimeoutError):
    """Waiting on the chain took longer than allowed; the message says what was awaited."""

    code = "chain_timeout"

    def __init__(self, message: str, *, tx_hash: str | None = None, waited: float = 0.0) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.waited = waited


class NonceConsumedError(AnchoringError):
    """A signed transaction can never be mined: its nonce was used by another transaction."""

    code = "nonce_consumed"

    def __init__(self, message: str, *, tx_hash: str, nonce: int) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.nonce = nonce


class UnderpricedError(AnchoringError):
    """The node refused a transaction for its fees: below the base fee, or a replacement that
    does not outbid the transaction it replaces."""

    code = "underpriced"

    def __init__(self, message: str, *, tx_hash: str, nonce: int) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.nonce = nonce


class FeeCapError(AnchoringError):
    """The fees the chain asks now are above the configured cap (``max_fee_per_gas``): the
    transaction waits for them to fall."""

    code = "fee_cap_reached"


class SignerConflictError(AnchoringError):
    """Another sender uses the anchoring key: our transactions keep losing their nonces.

    A second process (or machine) signing with the same key is a mistake in operations; the
    batcher stops re-signing after a few such conflicts in a row and reports this instead.
    """

    code = "signer_conflict"


class SignerError(AnchoringError):
    """The signing key cannot be loaded (missing, malformed, wrong keystore password).

    Messages never contain key material or passwords.
    """

    code = "signer_error"


class BatchError(AnchoringError):
    """The batcher met a state it cannot make progress from."""

    code = "batch_error"


class LedgerError(AnchoringError):
    """A ledger operation was refused (conflicting leaf, record not anchored, ...)."""

    code = "ledger_error"

    def __init__(self, message: str, *, code: str = "ledger_error", field: str | None = None):
        super().__init__(message)
        self.code = code  # type: ignore[misc]
        self.field = field


class TreeError(AnchoringError, ValueError):
    """A Merkle tree cannot be built or loaded (no leaves, a bad value, a corrupted dump)."""

    code = "tree_error"

    def __init__(self, message: str, *, code: str = "tree_error", field: str | None = None):
        super().__init__(message)
        self.code = code  # type: ignore[misc]
        self.field = field


class BundleError(AnchoringError):
    """A verification bundle cannot be built from the given record and ledger entry."""

    code = "bundle_error"


class ContractRevertError(AnchoringError):
    """A registry call reverted; ``name`` and ``args`` are the decoded custom error.

    ``name`` is ``""`` when the revert data matches no error in the ABI (``args`` then holds
    the raw revert data as its only element).
    """

    code = "contract_revert"
    #: The Solidity custom error this class stands for (set on subclasses).
    error_name: ClassVar[str] = ""

    def __init__(self, name: str, args: dict[str, Any], *, tx_hash: str | None = None) -> None:
        self.name = name
        self.args_by_name = args
        self.tx_hash = tx_hash
        shown = ", ".join(f"{k}={_show(v)}" for k, v in args.items())
        where = f" (tx {tx_hash})" if tx_hash else ""
        super().__init__(f"contract reverted with {name or 'unknown error'}({shown}){where}")


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


class ZeroRootError(ContractRevertError):
    """``TanjiZeroRoot``: the zero root cannot be anchored."""

    code = "zero_root"
    error_name = "TanjiZeroRoot"


class RootAlreadyAnchoredError(ContractRevertError):
    """``TanjiRootAlreadyAnchored(root, blockNumber)``."""

    code = "root_already_anchored"
    error_name = "TanjiRootAlreadyAnchored"


class RootNotAnchoredError(ContractRevertError):
    """``TanjiRootNotAnchored(root)``."""

    code = "root_not_anchored"
    error_name = "TanjiRootNotAnchored"


class RootAlreadyRevokedError(ContractRevertError):
    """``TanjiRootAlreadyRevoked(root, reason)``."""

    code = "root_already_revoked"
    error_name = "TanjiRootAlreadyRevoked"


class LeafAlreadyRevokedError(ContractRevertError):
    """``TanjiLeafAlreadyRevoked(root, leaf, reason)``."""

    code = "leaf_already_revoked"
    error_name = "TanjiLeafAlreadyRevoked"


class InvalidProofError(ContractRevertError):
    """``TanjiInvalidProof(root, leaf)``: the proof does not lead from the leaf to the root."""

    code = "invalid_proof"
    error_name = "TanjiInvalidProof"


class InvalidReasonError(ContractRevertError):
    """``TanjiInvalidReason(reason)``."""

    code = "invalid_reason"
    error_name = "TanjiInvalidReason"


class EmptyBatchError(ContractRevertError):
    """``TanjiEmptyBatch``: a batch must hold at least one record."""

    code = "empty_batch"
    error_name = "TanjiEmptyBatch"


class UnauthorizedError(ContractRevertError):
    """``AccessControlUnauthorizedAccount(account, role)``: the signer lacks the role."""

    code = "unauthorized"
    error_name = "AccessControlUnauthorizedAccount"


#: Custom error name -> exception class, used by the revert decoder.
REVERT_ERRORS: dict[str, type[ContractRevertError]] = {
    cls.error_name: cls
    for cls in (
        ZeroRootError,
        RootAlreadyAnchoredError,
        RootNotAnchoredError,
        RootAlreadyRevokedError,
        LeafAlreadyRevokedError,
        InvalidProofError,
        InvalidReasonError,
        EmptyBatchError,
        UnauthorizedError,
    )
}
