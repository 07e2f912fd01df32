"""Run the checks over a bundle and its nested bundles, and aggregate one verdict.

Aggregation (docs/PROTOCOL.md, "Verdict"; :func:`verifier.protocol.verdicts.verdict_of`): any
INVALID → INVALID; else any ERROR → ERROR; else a superseded record → SUPERSEDED; else any pending
bundle → PENDING; else VALID. SKIPPED never fails a bundle, and PENDING is never valid.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from verifier._internal.bundle import Bundle, parse_bundle
from verifier._internal.chain import DEFAULT_TIMEOUT, ChainReader
from verifier._internal.checks import (
    DEFAULT_CHECKS,
    OFFLINE_CHECKS,
    ChainEvidence,
    Check,
    CheckResult,
    Target,
    run_check,
)
from verifier._internal.trust import TrustConfig
from verifier.errors import BundleFormatError
from verifier.protocol.codes import Code
from verifier.protocol.verdicts import Verdict, verdict_of

REPORT_FORMAT: Final = "tanji-verification/1"
# Nested bundles' chain questions are put to the node concurrently, at most this many at a time.
MAX_CONCURRENT_QUERIES: Final = 8


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Every check's result and the verdict drawn from them."""

    status: Verdict
    results: tuple[CheckResult, ...]
    offline: bool = False
    record_type: str | None = None
    record_id: str | None = None

    @property
    def valid(self) -> bool:
        """True only for a VALID verdict."""
        return self.status is Verdict.VALID

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON object."""
        return {
            "format": REPORT_FORMAT,
            "status": self.status.value,
            "mode": "offline" if self.offline else "online",
            "record": {"type": self.record_type, "id": self.record_id},
            "checks": [r.to_dict() for r in self.results],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON text (UTF-8 characters kept as they are)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def aggregate(results: Sequence[CheckResult], *, pending: bool = False) -> Verdict:
    """Draw the verdict from check results (``pending``: some bundle is not yet anchored), by
    :func:`verifier.protocol.verdicts.verdict_of`."""
    return verdict_of((r.status for r in results), pending=pending)


class Verifier:
    """Verifies bundles against the caller's own trust file and chain nodes.

    ``trust`` decides which chains, contracts and issuers are believed; ``rpc_url_override``
    (``--rpc-url``) replaces the ``rpcUrl`` of the outer bundle's chain, for every bundle anchored
    on that chain (every bundle, when the outer one is pending; docs/PROTOCOL.md section 7);
    ``timeout`` bounds each node request.
    ``checks`` replaces the default list (``DEFAULT_CHECKS``) and ``chain_reader_factory`` the way
    a node is reached (by default a ``ChainReader`` over HTTP).
    """

    def __init__(
        self,
        *,
        trust: TrustConfig,
        rpc_url_override: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        checks: Sequence[Check] = DEFAULT_CHECKS,
        chain_reader_factory: Callable[[str, float], ChainReader] | None = None,
    ) -> None:
        """Keep the trust material and settings; nothing is contacted before ``verify``."""
        self.trust = trust
        self.rpc_url_override = rpc_url_override
        self.timeout = timeout
        self.checks = tuple(checks)
        self._factory = chain_reader_factory or (lambda url, t: ChainReader(url, timeout=t))

    def verify(self, bundle: Mapping[str, Any] | bytes | str) -> VerificationReport:
        """Verify a bundle (decoded JSON, or its bytes/text) and everything nested in it."""
        readers: dict[str, ChainReader] = {}
        lock = threading.Lock()

        def reader_for(url: str) -> ChainReader:
            # One reader per node per verification: nested bundles on the same chain share it.
            with lock:
                if url not in readers:
                    readers[url] = self._factory(url, self.timeout)
                return readers[url]

        def evidence(b: Bundle, top: Bundle) -> ChainEvidence | None:
            if b.pending or b.anchor is None:
                return None
            # --rpc-url names the node of the chain the user is verifying on; a nested bundle
            # anchored on another chain (a recognition on a partner's chain) keeps its own node.
            same_chain = top.anchor is not None and top.anchor.chain_id == b.anchor.chain_id
            override = self.rpc_url_override if same_chain or top.anchor is None else None
            return ChainEvidence(b, self.trust, reader_for, override)

        return _verify(bundle, self.checks, evidence, self.trust, offline=False)


def verify_offline(
    bundle: Mapping[str, Any] | bytes | str, *, checks: Sequence[Check] = OFFLINE_CHECKS
) -> VerificationReport:
    """Run only the checks that need no chain: ``format``, ``integrity``, ``inclusion``.

    A VALID offline report proves the record is in the tree with that root, not that the root is
    anchored: the report says ``mode: offline``.
    """
    return _verify(bundle, checks, lambda b, top: None, None, offline=True)


def _verify(
    data: Mapping[str, Any] | bytes | str,
    checks: Sequence[Check],
    evidence: Callable[[Bundle, Bundle], ChainEvidence | None],
    trust: TrustConfig | None,
    *,
    offline: bool,
) -> VerificationReport:
    try:
        bundle: Bundle | None = parse_bundle(data)
        error: BaseException | None = None
    except BundleFormatError as exc:
        bundle, error = None, exc
    except Exception as exc:  # reported by the format check as ERROR, never a crash
        bundle, error = None, exc
    results: list[CheckResult] = []
    pending = False
    if bundle is None:
        results.extend(
            run_check(c, Target(bundle=None, format_error=error, trust=trust)) for c in checks
        )
    else:
        targets: list[Target] = []
        for path, b, parent in _walk(bundle, "", None):
            pending = pending or b.pending
            try:
                ev = evidence(b, bundle)
            except Exception:  # evidence is lazy; building it cannot fail on a parsed bundle
                ev = None
            targets.append(Target(bundle=b, evidence=ev, trust=trust, path=path, parent=parent))
        _prefetch([t.evidence for t in targets if t.evidence is not None])
        for target in targets:
            results.extend(run_check(c, target) for c in checks if _applies(c, target))
        # An anchor not final yet (fewer confirmations than the trust file requires) is
        # pending, never VALID (verifier.protocol.finality).
        pending = pending or any(r.code == Code.ANCHORED_NOT_FINAL for r in results)
    return VerificationReport(
        status=aggregate(results, pending=pending),
        results=tuple(results),
        offline=offline,
        record_type=str(bundle.record["type"]) if bundle else None,
        record_id=str(bundle.record["id"]) if bundle else None,
    )


def _prefetch(evidence: Sequence[ChainEvidence]) -> None:
    # A label with its supply-chain hops and recognitions is a dozen bundles, each a few node
    # round trips: asked one after another they dominate a foreign certifier's check.
    if len(evidence) < 2:
        return
    with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_QUERIES, len(evidence))) as pool:
        list(pool.map(ChainEvidence.prefetch, evidence))


def _applies(check: Check, target: Target) -> bool:
    # A check may declare the records it is about (``recognition``): others get no result at all,
    # rather than a SKIPPED line on every bundle.
    applies = getattr(check, "applies", None)
    return applies is None or bool(applies(target))


def _walk(
    bundle: Bundle, path: str, parent: Bundle | None
) -> Iterator[tuple[str, Bundle, Bundle | None]]:
    yield path, bundle, parent
    for child_path, child in bundle.nested():
        yield from _walk(child, f"{path}.{child_path}" if path else child_path, bundle)
