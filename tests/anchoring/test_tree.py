"""anchoring.tree against OpenZeppelin's StandardMerkleTree: committed vectors and live node."""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from anchoring.errors import TreeError
from anchoring.tree import MerkleTree
from tests.nodes import ROOT, require_tool
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import LEAF_ENCODING
from verifier.protocol.merkle import hash_pair, leaf_hash, verify_proof

VECTORS: dict[str, Any] = json.loads(
    (ROOT / "tests" / "assets" / "merkle_vectors.json").read_text()
)
TREES: list[dict[str, Any]] = VECTORS["trees"]
TREE_IDS = [t["name"] for t in TREES]


def b(hex_str: str) -> bytes:
    return bytes.fromhex(hex_str[2:])


def values_of(vector: dict[str, Any]) -> list[list[Any]]:
    return [leaf["value"] for leaf in vector["leaves"]]


def tanji_values(n: int, tag: str = "t") -> list[list[str]]:
    return [
        ["footprint", f"{tag}-{i}", "0x" + keccak(f"{tag}/{i}".encode()).hex()] for i in range(n)
    ]


# -- the committed OZ vectors --------------------------------------------------------------------


def test_vectors_cover_the_required_shapes() -> None:
    sizes = {len(t["leaves"]) for t in TREES if t["leafEncoding"] == list(LEAF_ENCODING)}
    assert {1, 2, 3, 4, 5, 7, 8, 9, 16, 33, 100} <= sizes
    encodings = {tuple(t["leafEncoding"]) for t in TREES}
    assert ("address", "uint256") in encodings
    assert ("bytes32",) in encodings
    assert VECTORS["negative"]
    assert "description" in VECTORS


def test_committed_vectors_match_a_fresh_run_of_the_npm_package() -> None:
    require_tool("node")
    run = subprocess.run(
        ["node", "scripts/gen-vectors.js", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("vector", TREES, ids=TREE_IDS)
def test_of_reproduces_oz_vector(vector: dict[str, Any]) -> None:
    tree = MerkleTree.of(values_of(vector), vector["leafEncoding"])
    assert tree.root_hex == vector["root"]
    assert tree.root == b(vector["root"])
    assert len(tree) == len(vector["leaves"])
    for leaf in vector["leaves"]:
        i = leaf["valueIndex"]
        assert tree.tree_index(i) == leaf["treeIndex"]
        assert tree.leaf_hash(i) == b(leaf["leafHash"])
        assert tree.proof_hex(i) == leaf["proof"]
        assert tree.proof(i) == [b(p) for p in leaf["proof"]]
    # Byte-for-byte the same JSON object as StandardMerkleTree.dump().
    assert tree.dump() == vector["dump"]
    assert json.dumps(tree.dump()) == json.dumps(vector["dump"])


@pytest.mark.parametrize("vector", TREES, ids=TREE_IDS)
def test_every_vector_proof_verifies_with_verifier_merkle(vector: dict[str, Any]) -> None:
    root = b(vector["root"])
    enc = vector["leafEncoding"]
    for leaf in vector["leaves"]:
        proof = [b(p) for p in leaf["proof"]]
        assert leaf_hash(enc, leaf["value"]) == b(leaf["leafHash"])
        assert verify_proof(root, b(leaf["leafHash"]), proof)
        assert MerkleTree.verify(root, enc, leaf["value"], proof)


@pytest.mark.parametrize("vector", TREES, ids=TREE_IDS)
def test_load_round_trips_oz_dump(vector: dict[str, Any]) -> None:
    loaded = MerkleTree.load(vector["dump"])
    assert loaded.root_hex == vector["root"]
    assert loaded.dump() == vector["dump"]
    for leaf in vector["leaves"]:
        assert loaded.proof_hex(leaf["valueIndex"]) == leaf["proof"]
        assert loaded.value(leaf["valueIndex"]) == leaf["value"]
    assert MerkleTree.load(
        MerkleTree.of(values_of(vector), vector["leafEncoding"]).dump()
    ).root == (loaded.root)


@pytest.mark.parametrize("vector", TREES, ids=TREE_IDS)
def test_from_leaf_hashes_matches_of(vector: dict[str, Any]) -> None:
    tree = MerkleTree.from_leaf_hashes([b(leaf["leafHash"]) for leaf in vector["leaves"]])
    assert tree.root_hex == vector["root"]
    for leaf in vector["leaves"]:
        assert tree.proof_hex(leaf["valueIndex"]) == leaf["proof"]
        assert tree.tree_index(leaf["valueIndex"]) == leaf["treeIndex"]
    assert not tree.has_values
    with pytest.raises(TreeError) as err:
        tree.dump()
    assert err.value.code == "no_values"


@pytest.mark.parametrize("case", VECTORS["negative"], ids=[c["name"] for c in VECTORS["negative"]])
def test_negative_vectors_do_not_verify(case: dict[str, Any]) -> None:
    assert case["expected"] is False
    proof = [b(p) for p in case["proof"]]
    assert MerkleTree.verify(b(case["root"]), case["leafEncoding"], case["value"], proof) is False


def test_fast_build_equals_hash_pair_on_every_inner_node() -> None:
    # The tree build has its own inner loop; it must agree with verifier.protocol.merkle.hash_pair.
    for n in range(1, 70):
        tree = MerkleTree.of(tanji_values(n, f"n{n}"), LEAF_ENCODING)
        nodes = [b(h) for h in tree.dump()["tree"]]
        assert len(nodes) == 2 * n - 1
        for i in range(n - 1):
            assert nodes[i] == hash_pair(nodes[2 * i + 1], nodes[2 * i + 2]), (n, i)


def test_index_of_finds_every_value_and_the_last_duplicate() -> None:
    vector = next(t for t in TREES if t["name"] == "bytes32-7-with-duplicate")
    values = values_of(vector)
    tree = MerkleTree.of(values, vector["leafEncoding"])
    assert values[2] == values[6]
    for i, value in enumerate(values):
        assert tree.index_of(value) == (6 if i == 2 else i)
        assert tree.index_of_leaf(tree.leaf_hash(i)) == (6 if i == 2 else i)
    with pytest.raises(TreeError) as err:
        tree.index_of(["0x" + "ab" * 32])
    assert err.value.code == "not_in_tree"


def test_single_leaf_tree_root_is_the_leaf_hash() -> None:
    value = ["label", "碳标签-0001", "0x" + "11" * 32]
    tree = MerkleTree.of([value], LEAF_ENCODING)
    assert tree.root == leaf_hash(LEAF_ENCODING, value)
    assert tree.proof(0) == []
    assert verify_proof(tree.root, tree.leaf_hash(0), [])
    assert MerkleTree.from_leaf_hashes([tree.root]).root == tree.root


def test_empty_tree_is_an_error() -> None:
    with pytest.raises(TreeError) as err:
        MerkleTree.of([], LEAF_ENCODING)
    assert (err.value.code, err.value.field) == ("empty_tree", "values")
    with pytest.raises(TreeError) as err:
        MerkleTree.from_leaf_hashes([])
    assert err.value.code == "empty_tree"


def test_bad_values_and_hashes_name_the_offender() -> None:
    good = tanji_values(3)
    for bad in (
        ["footprint", "x"],
        ["footprint", "x", "0x" + "00" * 33],
        "abc",
        ["footprint", 5, "0x" + "00" * 32],
    ):
        with pytest.raises(TreeError) as err:
            MerkleTree.of([*good[:1], bad, *good[1:]], LEAF_ENCODING)
        assert (err.value.code, err.value.field) == ("invalid_value", "values[1]")
        assert isinstance(err.value, ValueError)
    with pytest.raises(TreeError) as err:
        MerkleTree.of(good, [])
    assert err.value.code == "invalid_encoding"
    for bad_hash in (b"\x00" * 31, "0x" + "00" * 32):
        with pytest.raises(TreeError) as err:
            MerkleTree.from_leaf_hashes([b"\x01" * 32, b"\x02" * 32, bad_hash])  # type: ignore[list-item]
        assert (err.value.code, err.value.field) == ("invalid_leaf_hash", "hashes[2]")


def test_index_out_of_range() -> None:
    tree = MerkleTree.of(tanji_values(3), LEAF_ENCODING)
    for bad in (3, -1, "0"):
        with pytest.raises(TreeError) as err:
            tree.proof(bad)  # type: ignore[arg-type]
        assert err.value.code == "index_out_of_range"


def test_python_native_values_dump_as_oz_json() -> None:
    vector = next(t for t in TREES if t["name"] == "address-uint256-6")
    native = [[addr, int(amount)] for addr, amount in values_of(vector)]
    assert MerkleTree.of(native, vector["leafEncoding"]).dump() == vector["dump"]
    vector = next(t for t in TREES if t["name"] == "tanji-5")
    native = [[t, i, b(d)] for t, i, d in values_of(vector)]
    assert MerkleTree.of(native, vector["leafEncoding"]).dump() == vector["dump"]


def test_unsorted_tree_keeps_input_order() -> None:
    values = tanji_values(6)
    tree = MerkleTree.of(values, LEAF_ENCODING, sort_leaves=False)
    assert [tree.tree_index(i) for i in range(6)] == [10, 9, 8, 7, 6, 5]
    for i, value in enumerate(values):
        assert MerkleTree.verify(tree.root, LEAF_ENCODING, value, tree.proof(i))
    assert MerkleTree.load(tree.dump()).root == tree.root


# -- corrupted dumps -----------------------------------------------------------------------------


@pytest.fixture
def dump9() -> dict[str, Any]:
    return copy.deepcopy(next(t for t in TREES if t["name"] == "tanji-9")["dump"])


def _load_error(dump: Any) -> TreeError:
    with pytest.raises(TreeError) as err:
        MerkleTree.load(dump)
    return err.value


def test_load_rejects_a_tampered_inner_node(dump9: dict[str, Any]) -> None:
    dump9["tree"][3] = "0x" + "00" * 32
    err = _load_error(dump9)
    assert (err.code, err.field) == ("corrupted_dump", "tree[3]")


def test_load_rejects_a_tampered_value(dump9: dict[str, Any]) -> None:
    dump9["values"][4]["value"][1] += "-forged"
    err = _load_error(dump9)
    assert (err.code, err.field) == ("corrupted_dump", "values[4].value")


def test_load_rejects_a_tampered_leaf_whose_parent_was_not_recomputed(
    dump9: dict[str, Any],
) -> None:
    entry = dump9["values"][0]
    entry["value"][1] += "-forged"
    entry_index = entry["treeIndex"]
    dump9["tree"][entry_index] = "0x" + leaf_hash(dump9["leafEncoding"], entry["value"]).hex()
    err = _load_error(dump9)
    assert (err.code, err.field) == ("corrupted_dump", f"tree[{(entry_index - 1) // 2}]")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(format="standard-v2"), "format"),
        (lambda d: d.update(leafEncoding=[]), "leafEncoding"),
        (lambda d: d["tree"].pop(), "tree"),
        (lambda d: d["tree"].__setitem__(0, "0x1234"), "tree[0]"),
        (lambda d: d["tree"].__setitem__(1, "0x" + "zz" * 32), "tree[1]"),
        (
            lambda d: d["values"][1].update(treeIndex=d["values"][0]["treeIndex"]),
            "values[1].treeIndex",
        ),
        (lambda d: d["values"][1].update(treeIndex=0), "values[1].treeIndex"),
        (lambda d: d["values"][2].update(value=["footprint"]), "values[2].value"),
        (lambda d: d["values"][2]["value"].__setitem__(2, "0xzz"), "values[2].value"),
        (lambda d: d["values"].__setitem__(3, "nope"), "values[3]"),
    ],
)
def test_load_rejects_malformed_dumps(dump9: dict[str, Any], mutate: Any, field: str) -> None:
    mutate(dump9)
    err = _load_error(dump9)
    assert err.field == field
    assert err.code == "invalid_dump"


def test_load_rejects_non_objects() -> None:
    assert _load_error([]).code == "invalid_dump"


# -- scale ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_million_leaves_from_leaf_hashes() -> None:
    n = 1_000_000
    hashes = [keccak(i.to_bytes(8, "big")) for i in range(n)]
    tree = MerkleTree.from_leaf_hashes(hashes)
    rng = random.Random(1)
    sample = [0, 1, n // 2, n - 2, n - 1, *rng.sample(range(n), 300)]
    for i in sample:
        proof = tree.proof(i)
        assert len(proof) in (19, 20)  # a heap of 2n - 1 nodes: leaves sit at depth 19 or 20
        assert verify_proof(tree.root, hashes[i], proof)
        assert not verify_proof(tree.root, hashes[(i + 1) % n], proof)
    # The sorted layout: leaf slots hold the hashes in descending order from the first leaf slot.
    assert tree.leaf_hash(sample[5]) == hashes[sample[5]]
    first_leaf_slot = n - 1
    assert tree.index_of_leaf(max(hashes)) == hashes.index(max(hashes))
    assert tree.tree_index(hashes.index(max(hashes))) == first_leaf_slot


# -- live cross-check against the npm package ----------------------------------------------------

_NODE_CHECK = r"""
const fs = require("fs");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const cases = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const out = cases.map((c) => {
  const loaded = StandardMerkleTree.load(c.dump);
  const enc = c.dump.leafEncoding;
  const values = c.dump.values.map((v) => v.value);
  return {
    loadedRoot: loaded.root,
    rebuiltRoot: StandardMerkleTree.of(values, enc, { sortLeaves: c.sortLeaves }).root,
    ozProofs: values.map((_, i) => loaded.getProof(i)),
    loadedVerify: c.proofs.map((p, i) => loaded.verify(i, p)),
    staticVerify: c.proofs.map((p, i) => StandardMerkleTree.verify(c.root, enc, values[i], p)),
    tamperedVerify: StandardMerkleTree.verify(c.root, enc, values[0], c.tamperedProof),
  };
});
process.stdout.write(JSON.stringify(out));
"""


def test_python_trees_verify_with_openzeppelin_js(tmp_path: Path) -> None:
    require_tool("node")
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    words = ["重庆", "笔记本电脑", "碳足迹", "Singapore", "香港", "é", "🌱", "cell"]

    def random_tanji(n: int) -> list[list[str]]:
        return [
            [
                rng.choice(["footprint", "label", "attestation"]),
                "-".join(rng.choice(words) for _ in range(rng.randint(1, 4))) + f"-{i}",
                "0x" + rng.randbytes(32).hex(),
            ]
            for i in range(n)
        ]

    trees = [
        MerkleTree.of(random_tanji(rng.randint(2, 300)), LEAF_ENCODING),
        MerkleTree.of(random_tanji(rng.randint(2, 50)), LEAF_ENCODING, sort_leaves=False),
        MerkleTree.of(random_tanji(1), LEAF_ENCODING),
        MerkleTree.of(
            [
                ["0x" + rng.randbytes(20).hex(), rng.getrandbits(256)]
                for _ in range(rng.randint(2, 40))
            ],
            ["address", "uint256"],
        ),
    ]
    cases = []
    for tree, sort in zip(trees, [True, False, True, True], strict=True):
        proofs = [tree.proof_hex(i) for i in range(len(tree))]
        other = tree.proof(0)
        tampered = ["0x" + (keccak(other[0]) if other else b"\x07" * 32).hex(), *proofs[0][1:]]
        cases.append(
            {
                "dump": tree.dump(),
                "root": tree.root_hex,
                "proofs": proofs,
                "sortLeaves": sort,
                "tamperedProof": tampered,
            }
        )
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    run = subprocess.run(
        ["node", "-e", _NODE_CHECK, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"seed {seed}: {run.stderr}"
    for tree, case, result in zip(trees, cases, json.loads(run.stdout), strict=True):
        assert result["loadedRoot"] == tree.root_hex, f"seed {seed}"
        assert result["rebuiltRoot"] == tree.root_hex, f"seed {seed}"
        assert result["ozProofs"] == case["proofs"], f"seed {seed}"
        assert all(result["loadedVerify"]) and all(result["staticVerify"]), f"seed {seed}"
        assert result["tamperedVerify"] is False, f"seed {seed}"
