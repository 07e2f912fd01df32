"""The direct encoder of Tanji leaves must be byte-identical to eth-abi's abi.encode."""

import random

import pytest
from eth_abi import encode as abi_encode

from verifier.errors import BundleFormatError
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import LEAF_ENCODING
from verifier.protocol.merkle import _encode_tanji_leaf, leaf_hash

SAMPLES = [
    "",
    "a",
    "footprint",
    "x" * 31,
    "y" * 32,
    "z" * 33,
    "碳足迹·重庆",
    "emoji 🚗🔋",
    "é" * 40,
]


@pytest.mark.parametrize("first", SAMPLES)
@pytest.mark.parametrize("second", SAMPLES[:5])
def test_direct_encoding_equals_eth_abi(first: str, second: str) -> None:
    digest = bytes(range(32))
    direct = _encode_tanji_leaf([first, second, "0x" + digest.hex()])
    assert direct == abi_encode(list(LEAF_ENCODING), [first, second, digest])


def test_random_leaves_hash_like_eth_abi() -> None:
    rng = random.Random(8785)
    for _ in range(500):
        first = "".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(0, 80)))
        second = "".join(chr(rng.randrange(32, 127)) for _ in range(rng.randrange(1, 70)))
        digest = rng.randbytes(32)
        expected = keccak(keccak(abi_encode(list(LEAF_ENCODING), [first, second, digest])))
        assert leaf_hash(LEAF_ENCODING, [first, second, "0x" + digest.hex()]) == expected


@pytest.mark.parametrize(
    "values",
    [
        ["a", "b", "0x12"],  # short bytes32: refused by the generic path (below)
        ["a", "b", "0x" + "ab" * 31 + "  "],  # 66 characters, but bytes.fromhex skips spaces
        ["a", "b", "12" * 32],  # no 0x prefix
        ["a", "b", "0x" + "zz" * 32],  # not hex
        ["a", 1, "0x" + "00" * 32],  # not a string
        ["a", "b"],  # too few values
        ["a", "\ud800", "0x" + "00" * 32],  # lone surrogate: not encodable as UTF-8
    ],
)
def test_irregular_values_fall_back_to_eth_abi(values: list[object]) -> None:
    assert _encode_tanji_leaf(values) is None


def test_irregular_values_keep_eth_abi_behaviour() -> None:
    with pytest.raises(BundleFormatError):
        leaf_hash(LEAF_ENCODING, ["a", 1, "0x" + "00" * 32])


@pytest.mark.parametrize(
    "digest",
    [
        "0x12",  # eth-abi would right-pad it; a JavaScript ABI coder (ethers) refuses it
        "0x" + "ab" * 33,
        "0x" + "ab" * 31 + "  ",
        "0x" + "ab" * 31 + " a",
        "0x" + "abc",
        "ab" * 32,
    ],
)
def test_a_bytes32_value_is_exactly_32_bytes_of_hex(digest: str) -> None:
    """docs/PROTOCOL.md section 5, "Leaf values": one rule for every verifier, no padding."""
    with pytest.raises(BundleFormatError):
        leaf_hash(LEAF_ENCODING, ["a", "b", digest])
    with pytest.raises(BundleFormatError):
        leaf_hash(["bytes32"], [digest])


def test_upper_case_hex_is_the_same_bytes32() -> None:
    lower, upper = "0x" + "ab" * 32, "0x" + "AB" * 32
    assert leaf_hash(LEAF_ENCODING, ["a", "b", upper]) == leaf_hash(
        LEAF_ENCODING, ["a", "b", lower]
    )
