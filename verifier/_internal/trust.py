"""The verifier's own trust configuration, ``tanji-trust/1`` (docs/PROTOCOL.md, "Trust file").

A bundle only *claims* a chain and a contract; a verifier believes an anchor only when the chain id
and the contract address are in its trust file, and the anchoring transaction's sender is one of
its trusted issuers.

A partner's trust profile (mutual recognition) also lists the certification bodies whose signed
recognitions it accepts, with the schemes and categories it accepts from each
(``certificationBodies``), and optionally the schemes it accepts at all (``acceptedSchemes``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from verifier.errors import BundleFormatError, TrustConfigError
from verifier.protocol import wire
from verifier.protocol.finality import DEFAULT_REQUIRED
from verifier.protocol.records import TRUST_FORMAT as TRUST_FORMAT

if TYPE_CHECKING:
    from verifier._internal.local_node import Patience

MAX_TRUST_BYTES: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class TrustedChain:
    """A chain the verifier trusts, its default node URL and the anchor contracts trusted on it."""

    chain_id: int
    rpc_url: str | None
    contracts: frozenset[str]  # lower-case addresses
    #: Blocks on top of an anchor's block before it is final (verifier.protocol.finality).
    confirmations: int = DEFAULT_REQUIRED


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """An address trusted to anchor roots (the anchoring transaction's sender)."""

    address: str  # lower-case
    name: str


@dataclass(frozen=True, slots=True)
class CertificationBody:
    """A body whose recognitions the verifier accepts; empty ``schemes``/``categories``: any."""

    address: str  # lower-case
    name: str
    schemes: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()

    def accepts_scheme(self, scheme: str) -> bool:
        """True when recognitions under ``scheme`` are accepted from this body."""
        return not self.schemes or scheme in self.schemes

    def accepts_category(self, category: str) -> bool:
        """True when recognitions for ``category`` are accepted from this body.

        A recognition for every category (``""``) is accepted only from a body trusted for every
        category: a profile limited to laptops must not accept a blanket recognition as one.
        """
        if not self.categories:
            return True
        return bool(category) and category in self.categories


@dataclass(frozen=True, slots=True)
class TrustConfig:
    """A parsed trust file."""

    name: str
    chains: tuple[TrustedChain, ...]
    issuers: tuple[TrustedIssuer, ...] = ()
    certification_bodies: tuple[CertificationBody, ...] = ()
    accepted_schemes: frozenset[str] | None = None  # None: whatever each body allows

    def chain(self, chain_id: int) -> TrustedChain | None:
        """The trusted chain with ``chain_id``, or None."""
        return next((c for c in self.chains if c.chain_id == chain_id), None)

    def trusts_contract(self, chain_id: int, contract: str) -> bool:
        """True when ``contract`` is a trusted anchor contract on chain ``chain_id``."""
        chain = self.chain(chain_id)
        return chain is not None and contract.lower() in chain.contracts

    def issuer(self, address: str) -> TrustedIssuer | None:
        """The trusted issuer with ``address`` (any letter case), or None."""
        lowered = address.lower()
        return next((i for i in self.issuers if i.address == lowered), None)

    def certification_body(self, address: str) -> CertificationBody | None:
        """The trusted certification body with ``address`` (any letter case), or None."""
        lowered = address.lower()
        return next((b for b in self.certification_bodies if b.address == lowered), None)

    def accepts_scheme(self, scheme: str) -> bool:
        """True unless ``acceptedSchemes`` is given and does not list ``scheme``."""
        return self.accepted_schemes is None or scheme in self.accepted_schemes


def parse_trust(data: Mapping[str, Any] | bytes | str) -> TrustConfig:
    """Parse a ``tanji-trust/1`` document; raise ``TrustConfigError`` naming the bad field."""
    try:
        obj = json.loads(data) if isinstance(data, bytes | bytearray | str) else data
        return _parse(obj)
    except TrustConfigError:
        raise
    except BundleFormatError as exc:
        raise TrustConfigError(f"trust file: {exc}", field=exc.field) from exc
    except (ValueError, RecursionError) as exc:
        raise TrustConfigError(f"trust file is not JSON: {exc}") from exc


def load_trust(path: str | Path) -> TrustConfig:
    """Read and parse a trust file."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_TRUST_BYTES + 1)
    except OSError as exc:
        raise TrustConfigError(f"cannot read trust file {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_TRUST_BYTES:
        raise TrustConfigError(f"trust file {path} is larger than {MAX_TRUST_BYTES} bytes")
    return parse_trust(data)


def is_trust_url(source: str) -> bool:
    """True when ``source`` names a trust file by URL rather than by path."""
    return source.startswith(("http://", "https://"))


def fetch_trust(url: str, *, timeout: float, patience: Patience | None = None) -> TrustConfig:
    """Fetch and parse the trust file at ``url``: https, or http only on this machine (loopback).

    A deployment publishes its own at ``/.well-known/tanji-trust.json``. A local server that is
    still starting is waited for within ``patience`` (:mod:`verifier._internal.local_node`).
    """
    import httpx

    from verifier._internal.local_node import is_loopback_url

    if not url.startswith("https://") and not is_loopback_url(url):
        raise TrustConfigError(
            f"a trust file is fetched over https (plain http only from this machine): {url}",
            field="trust",
        )

    def get() -> bytes:
        with httpx.stream(
            "GET", url, timeout=timeout, headers={"Accept": "application/json"}
        ) as response:
            if response.status_code != 200:
                raise TrustConfigError(f"GET {url} answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_TRUST_BYTES:
                    raise TrustConfigError(
                        f"trust file {url} is larger than {MAX_TRUST_BYTES} bytes"
                    )
            return bytes(body)

    try:
        if patience is None:
            data = get()
        else:
            data = patience.call(url, get, lambda exc: isinstance(exc, httpx.ConnectError))
    except httpx.HTTPError as exc:
        raise TrustConfigError(f"GET {url} failed: {type(exc).__name__}: {exc}") from exc
    return parse_trust(data)


def _parse(obj: Any) -> TrustConfig:
    obj = wire.json_object(obj, "")
    if obj.get("format") != TRUST_FORMAT:
        raise TrustConfigError(f"trust file format must be {TRUST_FORMAT!r}", field="format")
    chains: list[TrustedChain] = []
    for i, item in enumerate(wire.json_list(wire.member(obj, "chains", ""), "chains")):
        path = f"chains[{i}]"
        chain = wire.json_object(item, path)
        rpc_url = chain.get("rpcUrl")
        if rpc_url is not None:
            rpc_url = wire.text(rpc_url, path + ".rpcUrl")
        contracts = wire.json_list(wire.member(chain, "contracts", path + "."), path + ".contracts")
        parsed = TrustedChain(
            chain_id=wire.uint(
                wire.member(chain, "chainId", path + "."), path + ".chainId", minimum=1
            ),
            rpc_url=rpc_url,
            contracts=frozenset(
                wire.address(c, f"{path}.contracts[{j}]") for j, c in enumerate(contracts)
            ),
            confirmations=wire.uint(
                chain.get("confirmations", DEFAULT_REQUIRED), path + ".confirmations"
            ),
        )
        if any(c.chain_id == parsed.chain_id for c in chains):
            raise TrustConfigError(f"chain {parsed.chain_id} listed twice", field=path + ".chainId")
        chains.append(parsed)
    issuers = tuple(
        TrustedIssuer(
            address=wire.address(
                wire.member(wire.json_object(item, f"issuers[{i}]"), "address", f"issuers[{i}]."),
                f"issuers[{i}].address",
            ),
            name=str(item.get("name") or ""),
        )
        for i, item in enumerate(wire.json_list(obj.get("issuers", []), "issuers"))
    )
    bodies: list[CertificationBody] = []
    listed = wire.json_list(obj.get("certificationBodies", []), "certificationBodies")
    for i, item in enumerate(listed):
        path = f"certificationBodies[{i}]"
        entry = wire.json_object(item, path)
        body = CertificationBody(
            address=wire.address(wire.member(entry, "address", path + "."), path + ".address"),
            name=str(entry.get("name") or ""),
            schemes=_names(entry.get("schemes", []), path + ".schemes"),
            categories=_names(entry.get("categories", []), path + ".categories"),
        )
        if any(b.address == body.address for b in bodies):
            raise TrustConfigError(f"{body.address} listed twice", field=path + ".address")
        bodies.append(body)
    accepted = obj.get("acceptedSchemes")
    name = obj.get("name", "")
    return TrustConfig(
        name=name if isinstance(name, str) else "",
        chains=tuple(chains),
        issuers=issuers,
        certification_bodies=tuple(bodies),
        accepted_schemes=None if accepted is None else _names(accepted, "acceptedSchemes"),
    )


def _names(value: Any, field: str) -> frozenset[str]:
    return frozenset(
        wire.text(item, f"{field}[{i}]") for i, item in enumerate(wire.json_list(value, field))
    )
