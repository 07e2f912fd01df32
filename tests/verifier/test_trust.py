"""The trust file ``tanji-trust/1``."""

import json
from pathlib import Path
from typing import Any

import pytest

from verifier._internal.trust import load_trust, parse_trust
from verifier.errors import TrustConfigError

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ISSUER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def doc(**overrides: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "format": "tanji-trust/1",
        "name": "demo",
        "chains": [{"chainId": 31337, "rpcUrl": "http://127.0.0.1:8545", "contracts": [CONTRACT]}],
        "issuers": [{"address": ISSUER, "name": "Chongqing Carbon Label Center"}],
    }
    d.update(overrides)
    return d


def test_parse_and_lookups(tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(doc()))
    trust = load_trust(path)
    assert trust.name == "demo"
    assert trust.chain(31337) is not None and trust.chain(1) is None
    assert trust.trusts_contract(31337, CONTRACT.lower())
    assert trust.trusts_contract(31337, CONTRACT.upper().replace("0X", "0x"))
    assert not trust.trusts_contract(1, CONTRACT)
    issuer = trust.issuer(ISSUER.lower())
    assert issuer is not None and issuer.name == "Chongqing Carbon Label Center"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (doc(format="tanji-trust/2"), "format"),
        ({"format": "tanji-trust/1"}, "chains"),
        (doc(chains=[{"chainId": "1", "contracts": []}]), "chains[0].chainId"),
        (doc(chains=[{"chainId": 1, "contracts": ["0x12"]}]), "chains[0].contracts[0]"),
        (doc(chains=[{"chainId": 1}]), "chains[0].contracts"),
        (
            doc(chains=[{"chainId": 1, "contracts": []}, {"chainId": 1, "contracts": []}]),
            "chains[1].chainId",
        ),
        (doc(issuers=[{"name": "x"}]), "issuers[0].address"),
        (doc(issuers=[{"address": "nope"}]), "issuers[0].address"),
    ],
)
def test_malformed_trust_file_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(TrustConfigError) as info:
        parse_trust(data)
    assert info.value.field == field


def test_unreadable_trust_file(tmp_path: Path) -> None:
    with pytest.raises(TrustConfigError):
        load_trust(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(TrustConfigError):
        load_trust(bad)
