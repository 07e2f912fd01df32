"""The independent checks of a bundle, each giving one ``CheckResult``.

See docs/PROTOCOL.md, "Checks".

Every check is a small object with a ``name``, a ``skip`` condition and a ``run``; a caller may add,
remove or replace checks. ``run_check`` turns anything a check did not foresee into an ERROR result:
an unexpected exception never crashes verification and never reads as VALID. A chain node that does
not answer is ERROR, never INVALID.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, Protocol, TypeVar

from verifier.attestation import RECORD_TYPE as ATTESTATION_RECORD_TYPE
from verifier.attestation import verify_attestation_record
from verifier.bundle import Bundle
from verifier.chain import AnchoringTransaction, AnchorStatus, ChainReader
from verifier.protocol.codes import Code
from verifier.eip712 import RECORD_MEMBERS
from verifier.errors import (
    AttestationError,
    BundleFormatError,
    ChainResponseError,
    ChainUnavailableError,
)
from verifier.merkle import process_proof
from verifier.recognition import RECOGNITION, scheme_subject
from verifier.recognition import RECORD_TYPE as RECOGNITION_RECORD_TYPE
from verifier.record import (
    LEAF_ENCODING,
    commitments_digest,
    field_commitment,
    leaf_value,
    record_commitments,
)
from verifier.revocation import revocation_reason
from verifier.trust import TrustConfig, TrustedChain

_T = TypeVar("_T")


class Status(StrEnum):
    """The outcome of one check."""

    VALID = "VALID"
    INVALID = "INVALID"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's result: a stable ``code`` and reasons in English and Chinese."""

    name: str
    status: Status
    code: int
    reason: str
    reason_zh: str
    data: Mapping[str, Any] = field(default_factory=dict)
    path: str = ""  # where the bundle sits in its parent: "" or "attestations[0]" ...

    @property
    def qualified_name(self) -> str:
        """The check name prefixed with the nested bundle's path (``attestations[0].anchored``)."""
        return f"{self.path}.{self.name}" if self.path else self.name

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON object (camelCase, as on the wire)."""
        return {
            "name": self.qualified_name,
            "check": self.name,
            "path": self.path,
            "status": self.status.value,
            "code": int(self.code),
            "reason": self.reason,
            "reasonZh": self.reason_zh,
            "data": dict(self.data),
        }


class NoRpcUrlError(Exception):
    """The trust file names no node for a chain and none was given on the command line."""


class ChainEvidence:
    """What the chain says about one bundle's anchor, fetched lazily and at most once per question.

    Failures are remembered too, so that a dead node costs one timeout, not one per check.
    """

    def __init__(
        self,
        bundle: Bundle,
        trust: TrustConfig,
        reader_for: Callable[[str], ChainReader],
        rpc_url_override: str | None = None,
    ) -> None:
        """Gather evidence for ``bundle`` (which must not be pending) under ``trust``."""
        if bundle.anchor is None or bundle.root is None:
            raise ValueError("a pending bundle has no anchor to gather evidence for")
        self.anchor = bundle.anchor
        self.root = bundle.root
        self.bundle = bundle
        self.trust = trust
        self.trusted_chain: TrustedChain | None = trust.chain(self.anchor.chain_id)
        self.contract_trusted = trust.trusts_contract(self.anchor.chain_id, self.anchor.contract)
        self._reader_for = reader_for
        self._override = rpc_url_override
        self._memo: dict[str, tuple[bool, Any]] = {}

    @property
    def rpc_url(self) -> str | None:
        """The node to ask: the command line's ``--rpc-url`` first, else the trust file's."""
        if self._override:
            return self._override
        return self.trusted_chain.rpc_url if self.trusted_chain else None

    def node_chain_id(self) -> int:
        """The chain id the node reports."""
        return self._once("chain_id", lambda: self._reader().chain_id())

    def status(self) -> AnchorStatus:
        """The contract's ``check(root, leaf, proof)`` answer."""
        return self._once(
            "status",
            lambda: self._reader().check(
                self.anchor.contract, self.root, self.bundle.leaf, self.bundle.proof
            ),
        )

    def transaction(self) -> AnchoringTransaction | None:
        """The anchoring transaction named by the bundle, or None if the node has none."""
        return self._once("tx", lambda: self._reader().transaction(self.anchor.tx_hash))

    def prefetch(self) -> None:
        """Ask the node now what the checks will ask (answers and failures are remembered).

        Lets a verifier put the questions about many nested bundles to the node concurrently.
        Nothing is asked about an anchor the trust file does not trust (the checks will not).
        """
        if self.trusted_chain is None or not self.contract_trusted:
            return
        for question in (self.node_chain_id, self.status, self.transaction):
            try:
                question()
            except Exception:
                return  # remembered by _once: the checks report it as they would have

    def anchor_trusted(self) -> bool:
        """Chain and contract are in the trust file and the node really serves that chain."""
        return (
            self.trusted_chain is not None
            and self.contract_trusted
            and self.node_chain_id() == self.anchor.chain_id
        )

    def _reader(self) -> ChainReader:
        url = self.rpc_url
        if not url:
            raise NoRpcUrlError(f"no RPC URL for chain {self.anchor.chain_id}")
        return self._reader_for(url)

    def _once(self, key: str, fn: Callable[[], _T]) -> _T:
        if key not in self._memo:
            try:
                self._memo[key] = (True, fn())
            except Exception as exc:
                self._memo[key] = (False, exc)
        ok, value = self._memo[key]
        if not ok:
            raise value
        return value


@dataclass(slots=True)
class Target:
    """One bundle under verification, as the checks see it."""

    bundle: Bundle | None
    format_error: BaseException | None = None
    evidence: ChainEvidence | None = None
    trust: TrustConfig | None = None
    path: str = ""
    parent: Bundle | None = None  # the bundle this one is nested in (a recognition's label)


class Check(Protocol):
    """A verification check: ``skip`` returns a SKIPPED result when the check does not apply."""

    @property
    def name(self) -> str:
        """The stable check name (``format``, ``integrity`` ...)."""
        ...

    def skip(self, target: Target) -> CheckResult | None:
        """A SKIPPED result, or None when the check should run."""
        ...

    def run(self, target: Target) -> CheckResult:
        """Run the check on a target it applies to."""
        ...


def run_check(check: Check, target: Target) -> CheckResult:
    """Run one check; turn any exception into an ERROR result (never VALID, never a crash)."""
    make = _Results(check.name, target.path)
    try:
        result = check.skip(target)
        if result is None:
            result = check.run(target)
    except NoRpcUrlError as exc:
        return make.error(
            Code.ANCHORED_NO_RPC_URL,
            f"{exc}: give --rpc-url or add rpcUrl to the trust file",
            f"没有链 {_chain_id(target)} 的节点地址：请使用 --rpc-url 或在信任文件中填写 rpcUrl",
        )
    except ChainResponseError as exc:
        return make.error(
            Code.CHAIN_BAD_ANSWER,
            f"chain node gave an unusable answer: {exc}",
            f"链节点返回了无法使用的应答：{exc}",
        )
    except ChainUnavailableError as exc:
        return make.error(
            Code.CHAIN_UNAVAILABLE, f"chain node unavailable: {exc}", f"链节点不可用：{exc}"
        )
    except Exception as exc:
        return make.error(
            Code.INTERNAL_ERROR,
            f"unexpected error in the {check.name} check: {type(exc).__name__}: {exc}",
            f"{check.name} 检查发生意外错误：{type(exc).__name__}",
            exception=type(exc).__name__,
        )
    return result


class _Results:
    """Builds results for one check at one path."""

    def __init__(self, name: str, path: str) -> None:
        self.name, self.path = name, path

    def valid(self, reason: str, zh: str, **data: Any) -> CheckResult:
        return CheckResult(self.name, Status.VALID, Code.OK, reason, zh, data, self.path)

    def invalid(self, code: Code, reason: str, zh: str, **data: Any) -> CheckResult:
        return CheckResult(self.name, Status.INVALID, code, reason, zh, data, self.path)

    def error(self, code: Code, reason: str, zh: str, **data: Any) -> CheckResult:
        return CheckResult(self.name, Status.ERROR, code, reason, zh, data, self.path)

    def skipped(self, code: Code, reason: str, zh: str, **data: Any) -> CheckResult:
        return CheckResult(self.name, Status.SKIPPED, code, reason, zh, data, self.path)


def _skip_unparsed_or_pending(name: str, target: Target) -> CheckResult | None:
    make = _Results(name, target.path)
    if target.bundle is None:
        return make.skipped(
            Code.SKIPPED_FORMAT_INVALID,
            "not checked: the bundle is malformed",
            "未检查：证明包格式错误",
        )
    if target.bundle.pending:
        return make.skipped(
            Code.SKIPPED_PENDING,
            "not checked: the record is pending, not yet anchored",
            "未检查：记录尚待上链",
        )
    return None


def _chain_id(target: Target) -> object:
    anchor = target.bundle.anchor if target.bundle else None
    return anchor.chain_id if anchor else "?"


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


class FormatCheck:
    """``format``: the input is a well-formed ``tanji-bundle/1``."""

    name: Final = "format"

    def skip(self, target: Target) -> CheckResult | None:
        """Never skipped."""
        return None

    def run(self, target: Target) -> CheckResult:
        """VALID when parsing succeeded; INVALID with the parser's code and field otherwise."""
        make = _Results(self.name, target.path)
        error = target.format_error
        if error is None and target.bundle is not None:
            return make.valid("the bundle is a well-formed tanji-bundle/1", "证明包格式正确")
        if isinstance(error, BundleFormatError):
            return make.invalid(
                Code(error.code) if error.code is not None else Code.FORMAT_BAD_VALUE,
                f"malformed bundle: {error}",
                f"证明包格式错误：{error.field or '整体'}",
                field=error.field,
            )
        raise error or RuntimeError("no bundle and no format error")


class IntegrityCheck:
    """``integrity``: the record (fields, salts, hidden commitments) gives ``leafValue``."""

    name: Final = "integrity"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped only when the bundle could not be parsed."""
        if target.bundle is None:
            return _skip_unparsed_or_pending(self.name, target)
        return None

    def run(self, target: Target) -> CheckResult:
        """Recompute the record digest and compare it with the leaf value."""
        make = _Results(self.name, target.path)
        bundle = target.bundle
        assert bundle is not None
        if bundle.leaf_encoding != LEAF_ENCODING:
            return make.invalid(
                Code.INTEGRITY_WRONG_ENCODING,
                f"leafEncoding is {list(bundle.leaf_encoding)}, not {list(LEAF_ENCODING)}",
                f"叶编码应为 {list(LEAF_ENCODING)}",
            )
        if bundle.salt is not None:
            commitments = record_commitments(bundle.record, bundle.salt)
            hidden = 0
        else:
            assert bundle.disclosure is not None
            salts = bundle.disclosure.salts
            commitments = {
                name: field_commitment(name, value, salts[name])
                for name, value in bundle.record.items()
            }
            commitments.update(bundle.disclosure.hidden)
            hidden = len(bundle.disclosure.hidden)
        digest = commitments_digest(commitments)
        expected = leaf_value(bundle.record, digest)
        given = list(bundle.leaf_value)
        if given[:2] != expected[:2]:
            return make.invalid(
                Code.INTEGRITY_LEAF_MISMATCH,
                f"leafValue names {given[:2]} but the record is {expected[:2]}",
                "叶值中的类型或编号与记录不符",
            )
        if not isinstance(given[2], str) or given[2].lower() != expected[2]:
            return make.invalid(
                Code.INTEGRITY_DIGEST_MISMATCH,
                "the record does not produce the leaf value: a field value, a salt or a hidden "
                "commitment was changed",
                "记录与叶值不符：字段值、盐值或隐藏字段的承诺已被改动",
                digest=expected[2],
                leafDigest=given[2],
            )
        return make.valid(
            f"the record ({len(commitments)} fields, {hidden} hidden) produces the leaf value",
            f"记录与叶值一致（{len(commitments)} 个字段，{hidden} 个隐藏）",
            digest=expected[2],
        )


class InclusionCheck:
    """``inclusion``: the leaf hash and the proof lead to the bundle's root."""

    name: Final = "inclusion"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed and pending bundles."""
        return _skip_unparsed_or_pending(self.name, target)

    def run(self, target: Target) -> CheckResult:
        """Fold the proof (sorted pairs) from the leaf and compare with the root."""
        make = _Results(self.name, target.path)
        bundle = target.bundle
        assert bundle is not None and bundle.root is not None
        computed = process_proof(bundle.leaf, bundle.proof)
        # Not secret data, but compare whole digests only; == on bytes is enough here.
        if computed != bundle.root:
            return make.invalid(
                Code.INCLUSION_ROOT_MISMATCH,
                "the proof does not lead from the leaf to the root",
                "默克尔证明无法从叶推导出根",
                leaf=_hex(bundle.leaf),
                computedRoot=_hex(computed),
                root=_hex(bundle.root),
            )
        return make.valid(
            f"the proof ({len(bundle.proof)} hashes) leads from the leaf to the root",
            f"默克尔证明成立（{len(bundle.proof)} 个哈希）",
            leaf=_hex(bundle.leaf),
            root=_hex(bundle.root),
        )


class AnchoredCheck:
    """``anchored``: the root is anchored on a trusted contract of a trusted chain, by that tx."""

    name: Final = "anchored"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed and pending bundles."""
        return _skip_unparsed_or_pending(self.name, target)

    def run(self, target: Target) -> CheckResult:
        """Check trust, node chain id, ``check()`` and the anchoring transaction's receipt."""
        make = _Results(self.name, target.path)
        ev = target.evidence
        assert ev is not None
        anchor = ev.anchor
        # 1. The claimed chain is one the verifier trusts (the bundle's word counts for nothing).
        if ev.trusted_chain is None:
            return make.invalid(
                Code.ANCHORED_UNTRUSTED_CHAIN,
                f"chain {anchor.chain_id} is not in the trust file",
                f"链 {anchor.chain_id} 不在信任文件中",
                chainId=anchor.chain_id,
            )
        # 2. The claimed contract is trusted on that chain.
        if not ev.contract_trusted:
            return make.invalid(
                Code.ANCHORED_UNTRUSTED_CONTRACT,
                f"contract {anchor.contract} is not a trusted anchor contract on chain "
                f"{anchor.chain_id}",
                f"合约 {anchor.contract} 不是链 {anchor.chain_id} 上受信任的锚定合约",
                contract=anchor.contract,
            )
        # 3. The node really serves that chain.
        node_chain = ev.node_chain_id()
        if node_chain != anchor.chain_id:
            return make.invalid(
                Code.ANCHORED_CHAIN_ID_MISMATCH,
                f"the node serves chain {node_chain}, the bundle claims chain {anchor.chain_id}",
                f"节点所在链为 {node_chain}，证明包声称为链 {anchor.chain_id}",
                nodeChainId=node_chain,
                chainId=anchor.chain_id,
            )
        # 4. The contract says the root is anchored and the proof holds.
        status = ev.status()
        if not status.anchored:
            return make.invalid(
                Code.ANCHORED_ROOT_NOT_ANCHORED,
                "the root is not anchored on the trusted contract",
                "该默克尔根未在受信任合约上锚定",
                root=_hex(ev.root),
            )
        if not status.included:
            return make.invalid(
                Code.ANCHORED_NOT_INCLUDED,
                "the contract does not accept the proof of the leaf under the root",
                "合约不认可该叶的默克尔证明",
            )
        # 5. The named transaction emitted RootAnchored(root) from that contract.
        tx = ev.transaction()
        if tx is None or not tx.succeeded:
            return make.invalid(
                Code.ANCHORED_TX_NOT_FOUND,
                f"anchoring transaction {_hex(anchor.tx_hash)} is not mined (or failed) on this "
                "chain",
                "链上找不到该锚定交易（或交易失败）",
                txHash=_hex(anchor.tx_hash),
            )
        event = tx.root_anchored(anchor.contract, ev.root)
        if event is None:
            return make.invalid(
                Code.ANCHORED_NO_EVENT,
                "the transaction did not emit RootAnchored for this root from the trusted contract",
                "该交易没有由受信任合约发出此根的 RootAnchored 事件",
                txHash=_hex(anchor.tx_hash),
            )
        # 6. Block and time agree between bundle, receipt and contract.
        if (
            tx.block_number != status.block_number
            or anchor.block_number != status.block_number
            or (anchor.timestamp is not None and anchor.timestamp != status.timestamp)
        ):
            return make.invalid(
                Code.ANCHORED_BLOCK_MISMATCH,
                f"the bundle says block {anchor.block_number} (time {anchor.timestamp}); the chain "
                f"says block {status.block_number} (time {status.timestamp})",
                "证明包中的区块号或时间与链上不符",
                blockNumber=status.block_number,
                timestamp=status.timestamp,
            )
        return make.valid(
            f"anchored on chain {anchor.chain_id} by contract {anchor.contract} in block "
            f"{status.block_number}",
            f"已于区块 {status.block_number} 锚定在链 {anchor.chain_id} 的受信任合约上",
            chainId=anchor.chain_id,
            contract=anchor.contract,
            blockNumber=status.block_number,
            timestamp=status.timestamp,
            txHash=_hex(anchor.tx_hash),
        )


def _skip_untrusted_anchor(name: str, target: Target) -> CheckResult | None:
    skipped = _skip_unparsed_or_pending(name, target)
    if skipped is not None:
        return skipped
    assert target.evidence is not None
    if not target.evidence.anchor_trusted():
        # Asking an untrusted contract whether it revoked something would mean nothing.
        return _Results(name, target.path).skipped(
            Code.SKIPPED_ANCHOR_UNTRUSTED,
            "not checked: the anchor is not on a trusted chain and contract",
            "未检查：锚定不在受信任的链和合约上",
        )
    return None


class NotRevokedCheck:
    """``not_revoked``: neither the root nor the leaf is revoked on the trusted contract."""

    name: Final = "not_revoked"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed, pending and untrusted anchors."""
        return _skip_untrusted_anchor(self.name, target)

    def run(self, target: Target) -> CheckResult:
        """Read the revocation reasons from ``check()``."""
        make = _Results(self.name, target.path)
        assert target.evidence is not None
        status = target.evidence.status()
        for code, reason_code, what, what_zh in (
            (Code.REVOKED_ROOT, status.root_revoked_reason, "the whole batch (root)", "整批（根）"),
            (Code.REVOKED_LEAF, status.leaf_revoked_reason, "this record (leaf)", "该记录（叶）"),
        ):
            if reason_code:
                reason = revocation_reason(reason_code)
                return make.invalid(
                    code,
                    f"{what} was revoked on chain: reason {reason.code} ({reason.en})",
                    f"{what_zh}已在链上撤销：原因 {reason.code}（{reason.zh}）",
                    reasonCode=reason.code,
                    reasonName=reason.name,
                )
        return make.valid("not revoked", "未被撤销")


class IssuerCheck:
    """``issuer``: the anchoring transaction was sent by an issuer of the trust file."""

    name: Final = "issuer"

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed, pending and untrusted anchors, and when no issuers are listed."""
        skipped = _skip_unparsed_or_pending(self.name, target)
        if skipped is not None:
            return skipped
        if target.trust is not None and not target.trust.issuers:
            return _Results(self.name, target.path).skipped(
                Code.ISSUER_NONE_CONFIGURED,
                "not checked: the trust file lists no issuers",
                "未检查：信任文件未列出发证方",
            )
        return _skip_untrusted_anchor(self.name, target)

    def run(self, target: Target) -> CheckResult:
        """Compare the transaction's sender with the trusted issuers."""
        make = _Results(self.name, target.path)
        ev = target.evidence
        assert ev is not None
        tx = ev.transaction()
        if tx is None:
            return make.invalid(
                Code.ISSUER_TX_NOT_FOUND,
                "the anchoring transaction is not on this chain",
                "链上找不到锚定交易",
            )
        issuer = ev.trust.issuer(tx.sender)
        if issuer is None:
            return make.invalid(
                Code.ISSUER_UNTRUSTED,
                f"anchored by {tx.sender}, which is not a trusted issuer",
                f"锚定方 {tx.sender} 不是受信任的发证方",
                sender=tx.sender,
            )
        return make.valid(
            f"anchored by trusted issuer {issuer.name or issuer.address}",
            f"由受信任的发证方锚定：{issuer.name or issuer.address}",
            sender=tx.sender,
            issuer=issuer.name,
        )


# A label's scheme id is its certificate number without the trailing "-<year>-<serial>"
# ("CQ-CFL-2026-000123" -> "CQ-CFL") unless the record names it in a "scheme" member.
_CERTIFICATE_NUMBER: Final = re.compile(r"(?P<scheme>.+)-\d{4}-\d+")


def label_scheme_id(record: Mapping[str, Any]) -> str | None:
    """The certification scheme a label record was issued under (docs/PROTOCOL.md), or None."""
    scheme = record.get("scheme")
    if isinstance(scheme, str) and scheme:
        return scheme
    number = record.get("certificate_number")
    match = _CERTIFICATE_NUMBER.fullmatch(number) if isinstance(number, str) else None
    return match["scheme"] if match else None


def label_category(record: Mapping[str, Any]) -> str | None:
    """The product category code of a label record (``product.category``), or None."""
    product = record.get("product")
    category = product.get("category") if isinstance(product, Mapping) else None
    return category if isinstance(category, str) and category else None


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


class RecognitionCheck:
    """``recognition``: a nested recognition is genuinely signed, about the label it is nested in,
    and, when its recognizer is a body of the trust file, under an accepted scheme and category and
    in force now.

    A recognition by a body the trust file does not list is SKIPPED (891), not INVALID: it is no
    evidence of forgery, only nothing this verifier can rely on. Its own ``integrity`` ...
    ``issuer`` results still judge it like any nested bundle. Applies to ``recognition`` records
    only; whether the recognition was withdrawn is the ``not_revoked`` check of the same nested
    bundle (a withdrawal revokes its leaf on chain).
    """

    name: Final = "recognition"

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        """``clock`` gives the unix time the recognition must be in force at (default: now)."""
        self._clock = clock

    def applies(self, target: Target) -> bool:
        """Only recognition records get a ``recognition`` result."""
        return (
            target.bundle is not None
            and target.bundle.record.get("type") == RECOGNITION_RECORD_TYPE
        )

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed bundles."""
        if target.bundle is None:
            return _skip_unparsed_or_pending(self.name, target)
        return None

    def run(self, target: Target) -> CheckResult:
        """Signature, domain, subject; then, for a body of the trust file, validity, scheme and
        category (docs/PROTOCOL.md, section 10.7)."""
        make = _Results(self.name, target.path)
        bundle = target.bundle
        assert bundle is not None
        record = bundle.record
        # 1. Every signed member is disclosed: a redacted signature proves nothing about who.
        hidden = [name for name in RECORD_MEMBERS if name not in record]
        if hidden:
            return make.invalid(
                Code.RECOGNITION_REDACTED,
                f"the recognition's signed members are not disclosed ({', '.join(hidden)})",
                f"认可声明的签名字段未公开（{', '.join(hidden)}）",
                hidden=hidden,
            )
        # 2. The EIP-712 signature recovers to the recognizer named in the message.
        try:
            signer = RECOGNITION.verify_record(dict(record))
        except AttestationError as exc:  # SignatureError is an AttestationError
            return make.invalid(
                Code.RECOGNITION_BAD_SIGNATURE,
                f"the recognition's signature does not hold: {exc} ({exc.code}, {exc.field})",
                f"认可声明的签名无效：{exc.code}（{exc.field}）",
                errorCode=exc.code,
                field=exc.field,
            )
        message = RECOGNITION.validate(record["message"])
        scheme, category = message["scheme"], message["category"]
        facts: dict[str, Any] = {
            "recognizer": signer,
            "scheme": scheme,
            "subjectType": message["subjectType"],
            "category": category,
            "validFrom": message["validFrom"],
            "validUntil": message["validUntil"],
        }
        trust = target.trust
        # 3. Signed for a deployment this verifier trusts (no replay from another registry).
        if trust is not None and not trust.trusts_contract(
            record["chainId"], record["verifyingContract"]
        ):
            return make.invalid(
                Code.RECOGNITION_UNTRUSTED_DOMAIN,
                f"signed for contract {record['verifyingContract']} on chain {record['chainId']}, "
                "which the trust file does not list",
                f"签名所属的合约 {record['verifyingContract']}（链 {record['chainId']}）"
                "不在信任文件中",
                **facts,
            )
        # 4. About the label it is nested in.
        parent = target.parent
        label_cat = label_category(parent.record) if parent is not None else None
        if parent is not None:
            mismatch = self._subject_mismatch(message, parent, label_cat)
            if mismatch is not None:
                return make.invalid(
                    Code.RECOGNITION_SUBJECT_MISMATCH, mismatch[0], mismatch[1], **facts
                )
            # 4a. Counted once: a genuine recognition listed again under the same label (same
            # record id, so the same signed statement) is reported, not relied on a second time.
            first = _first_listing(bundle, parent)
            if first is not None:
                return make.skipped(
                    Code.RECOGNITION_DUPLICATE,
                    f"the same recognition is listed at recognitions[{first}]: counted once",
                    f"同一认可声明已列于 recognitions[{first}]：只计一次",
                    duplicateOf=f"recognitions[{first}]",
                    **facts,
                )
        # 5. Relied on only if signed by a body of the trust file. Steps 1-4 hold for anybody's
        # recognition (a forged or misplaced one is INVALID whoever claims to have signed it), but
        # a genuine recognition by a body this verifier does not know is no evidence against the
        # label: it is reported, not relied on, and does not decide the verdict.
        if trust is None or not trust.certification_bodies:
            return make.skipped(
                Code.RECOGNITION_NONE_CONFIGURED,
                f"signature holds (by {signer}), but the trust file lists no certification bodies:"
                " not relied on",
                f"签名有效（{signer}），但信任文件未列出认证机构：未予采信",
                **facts,
            )
        body = trust.certification_body(signer)
        if body is None:
            return make.skipped(
                Code.RECOGNITION_RECOGNIZER_NOT_IN_PROFILE,
                f"signature holds, but the recognizer {signer} is not a certification body of "
                "this trust file: not relied on",
                f"签名有效，但认可方 {signer} 不是本信任文件列出的认证机构：未予采信",
                **facts,
            )
        # 6. In force now (a withdrawal is the not_revoked check's finding).
        now = int(self._clock())
        if now < message["validFrom"]:
            return make.invalid(
                Code.RECOGNITION_NOT_YET_VALID,
                f"the recognition is valid only from {_utc(message['validFrom'])}",
                f"该认可自 {_utc(message['validFrom'])} 起才生效",
                **facts,
            )
        if message["validUntil"] and now >= message["validUntil"]:
            return make.invalid(
                Code.RECOGNITION_EXPIRED,
                f"the recognition expired at {_utc(message['validUntil'])}",
                f"该认可已于 {_utc(message['validUntil'])} 到期",
                **facts,
            )
        # 7. Under a scheme and for a category the trust file accepts from that body.
        who = body.name or body.address
        facts["recognizerName"] = body.name
        if not (body.accepts_scheme(scheme) and trust.accepts_scheme(scheme)):
            return make.invalid(
                Code.RECOGNITION_SCHEME_NOT_ACCEPTED,
                f"scheme {scheme} of {who} is not accepted by the trust file",
                f"信任文件不接受 {who} 的认可方案 {scheme}",
                **facts,
            )
        effective = category or (label_cat if message["subjectType"] == "label" else "") or ""
        if not body.accepts_category(effective):
            return make.invalid(
                Code.RECOGNITION_CATEGORY_NOT_ACCEPTED,
                f"category {effective or '(every category)'} is not accepted from {who}",
                f"不接受 {who} 对类别 {effective or '（全部类别）'} 的认可",
                **facts,
            )
        until = _utc(message["validUntil"]) if message["validUntil"] else "withdrawn"
        until_zh = f"至 {_utc(message['validUntil'])}" if message["validUntil"] else "直至撤回"
        return make.valid(
            f"recognised by {who} under {scheme} for {effective or 'every category'} "
            f"(since {_utc(message['validFrom'])}, until {until})",
            f"已获 {who} 依 {scheme} 认可，类别 {effective or '全部'}"
            f"（自 {_utc(message['validFrom'])} 起，{until_zh}）",
            **facts,
        )

    @staticmethod
    def _subject_mismatch(
        message: Mapping[str, Any], parent: Bundle, label_cat: str | None
    ) -> tuple[str, str] | None:
        category = message["category"]
        if category and label_cat is not None and category != label_cat:
            return (
                f"the recognition is for category {category}, the label is {label_cat}",
                f"认可的类别为 {category}，标签类别为 {label_cat}",
            )
        if message["subjectType"] == "label":
            if message["subject"] != _hex(parent.leaf):
                return (
                    "the recognition is about another label (subject is not this label's leaf)",
                    "该认可针对的是另一个标签（主体不是本标签的叶）",
                )
            return None
        scheme_id = label_scheme_id(parent.record)
        if scheme_id is None or message["subject"] != scheme_subject(scheme_id, category):
            return (
                f"the recognition is about another scheme than this label's ({scheme_id})",
                f"该认可针对的不是本标签的认证方案（{scheme_id}）",
            )
        return None


class AttestationSignatureCheck:
    """``attestation_signature``: a supplier attestation is signed by its supplier, for a trusted
    deployment, and is the component (or upstream) its parent bundle names.

    Applies to ``attestation`` records only, so a label reports one result per supply-chain hop
    (``attestations[0].attestation_signature``, ``attestations[0].attestations[0]...``). Needs
    no chain: it runs offline too (without a trust file the domain step is left out).
    """

    name: Final = "attestation_signature"

    def applies(self, target: Target) -> bool:
        """Only attestation records get an ``attestation_signature`` result."""
        return (
            target.bundle is not None
            and target.bundle.record.get("type") == ATTESTATION_RECORD_TYPE
        )

    def skip(self, target: Target) -> CheckResult | None:
        """Skipped for malformed bundles, and when the signed members are redacted."""
        if target.bundle is None:
            return _skip_unparsed_or_pending(self.name, target)
        hidden = [name for name in RECORD_MEMBERS if name not in target.bundle.record]
        if hidden:
            # Hiding the message is a supplier's right (docs/ATTESTATIONS.md, section 4); the
            # commitment still binds it, but who signed what cannot be shown to this reader.
            return _Results(self.name, target.path).skipped(
                Code.ATTESTATION_REDACTED,
                f"not checked: the attestation's signed members are hidden ({', '.join(hidden)})",
                f"未检查：供应商声明的签名字段未公开（{', '.join(hidden)}）",
                hidden=hidden,
            )
        return None

    def run(self, target: Target) -> CheckResult:
        """Digest = id and signer = supplier; trusted domain; named by the parent."""
        make = _Results(self.name, target.path)
        assert target.bundle is not None
        record = target.bundle.record
        try:
            signer = verify_attestation_record(dict(record))
        except AttestationError as exc:  # SignatureError is an AttestationError
            return make.invalid(
                Code.ATTESTATION_BAD_SIGNATURE,
                f"the attestation's signature does not hold: {exc} ({exc.code}, {exc.field})",
                f"供应商声明的签名无效：{exc.code}（{exc.field}）",
                errorCode=exc.code,
                field=exc.field,
            )
        message = record["message"]
        facts: dict[str, Any] = {
            "supplier": signer,
            "componentId": message.get("componentId"),
            "kgCo2ePerUnit": message.get("kgCo2ePerUnit"),
            "declaredUnit": message.get("declaredUnit"),
        }
        trust = target.trust
        if trust is not None and not trust.trusts_contract(
            record["chainId"], record["verifyingContract"]
        ):
            return make.invalid(
                Code.ATTESTATION_UNTRUSTED_DOMAIN,
                f"signed for contract {record['verifyingContract']} on chain {record['chainId']}, "
                "which the trust file does not list",
                f"签名所属的合约 {record['verifyingContract']}（链 {record['chainId']}）"
                "不在信任文件中",
                **facts,
            )
        linked = _attestation_linked(str(record["id"]), target.parent)
        if linked is False:
            return make.invalid(
                Code.ATTESTATION_NOT_LINKED,
                "the attestation is not one its parent names (components / upstream)",
                "该供应商声明不在上级记录的组件或上游列表中",
                **facts,
            )
        return make.valid(
            f"signed by supplier {signer}"
            + ("" if linked else " (its parent's component list is hidden)"),
            f"由供应商 {signer} 签名" + ("" if linked else "（上级组件列表未公开）"),
            linked=linked,
            **facts,
        )


def _first_listing(bundle: Bundle, parent: Bundle) -> int | None:
    """The index of an earlier recognition of ``parent`` with ``bundle``'s record id, or None."""
    record_id = str(bundle.record["id"]).lower()
    for index, sibling in enumerate(parent.recognitions):
        if sibling is bundle:
            return None
        if str(sibling.record["id"]).lower() == record_id:
            return index
    return None


def _attestation_linked(attestation_id: str, parent: Bundle | None) -> bool | None:
    """Whether ``parent`` names the attestation; None when that cannot be seen (hidden)."""
    if parent is None:
        return True  # a bundle of the attestation itself
    record = parent.record
    if record.get("type") == ATTESTATION_RECORD_TYPE:
        message = record.get("message")
        if not isinstance(message, Mapping):
            return None
        return attestation_id in (message.get("upstream") or [])
    components = record.get("components")
    if components is None:
        return None
    if not isinstance(components, list):
        return False
    return any(
        isinstance(c, Mapping) and c.get("attestation_id") == attestation_id for c in components
    )


OFFLINE_CHECKS: Final[tuple[Check, ...]] = (
    FormatCheck(),
    IntegrityCheck(),
    InclusionCheck(),
    AttestationSignatureCheck(),
)
DEFAULT_CHECKS: Final[tuple[Check, ...]] = (
    *OFFLINE_CHECKS,
    AnchoredCheck(),
    NotRevokedCheck(),
    IssuerCheck(),
    RecognitionCheck(),
)
