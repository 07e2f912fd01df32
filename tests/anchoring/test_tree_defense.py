"""Attacks on Merkle proofs that anchoring.tree and verifier.protocol.merkle must defeat.

After pymerkle's tests/test_defense.py: each test mounts one concrete attack and asserts that the
forged proof does not verify (or is refused as malformed).
"""

from __future__ import annotations

import pytest

from anchoring.tree import MerkleTree
from verifier.errors import BundleFormatError
from verifier.protocol.hashing import keccak
from verifier.protocol.leaf import LEAF_ENCODING
from verifier.protocol.merkle import MAX_PROOF_LENGTH, leaf_hash, process_proof, verify_proof

PAIR_ENCODING = ["bytes32", "bytes32"]


def tanji_values(n: int, tag: str) -> list[list[str]]:
    return [
        ["footprint", f"{tag}-{i}", "0x" + keccak(f"{tag}/{i}".encode()).hex()] for i in range(n)
    ]


def inner_node(tree: MerkleTree, slot: int) -> tuple[bytes, bytes, bytes]:
    """The node at ``slot`` of the tree array and its two children, read from the OZ dump."""
    nodes = [bytes.fromhex(h[2:]) for h in tree.dump()["tree"]]
    return nodes[slot], nodes[2 * slot + 1], nodes[2 * slot + 2]


def proof_of_slot(tree: MerkleTree, slot: int) -> list[bytes]:
    """Sibling path from any node ``slot`` to the root (what an attacker reads off a dump)."""
    nodes = [bytes.fromhex(h[2:]) for h in tree.dump()["tree"]]
    proof = []
    while slot > 0:
        proof.append(nodes[slot + 1] if slot % 2 else nodes[slot - 1])
        slot = (slot - 1) // 2
    return proof


def test_second_preimage_internal_node_presented_as_a_leaf() -> None:
    # Leaves that are pairs of bytes32: abi.encode(value) is exactly 64 bytes, as long as an inner
    # node's preimage (left child || right child), the worst case for this attack.
    values = [["0x" + keccak(b"a%d" % i).hex(), "0x" + keccak(b"b%d" % i).hex()] for i in range(8)]
    tree = MerkleTree.of(values, PAIR_ENCODING)
    node, left, right = inner_node(tree, 1)
    low, high = sorted((left, right))
    forged_value = ["0x" + low.hex(), "0x" + high.hex()]  # abi.encode(forged_value) == low || high
    forged_proof = proof_of_slot(tree, 1)

    # With single-hashed leaves the forgery would pass: keccak(preimage) is the inner node itself.
    assert keccak(low + high) == node
    assert process_proof(keccak(low + high), forged_proof) == tree.root
    # Leaves are keccak(keccak(abi.encode(value))), so the forged "leaf" lands elsewhere.
    assert leaf_hash(PAIR_ENCODING, forged_value) == keccak(node) != node
    assert not MerkleTree.verify(tree.root, PAIR_ENCODING, forged_value, forged_proof)
    assert not verify_proof(tree.root, leaf_hash(PAIR_ENCODING, forged_value), forged_proof)
    with pytest.raises(ValueError):
        tree.index_of(forged_value)


def test_no_internal_node_is_a_leaf_hash_of_its_own_preimage() -> None:
    values = [["0x" + keccak(b"%d" % i).hex(), "0x" + keccak(b"x%d" % i).hex()] for i in range(13)]
    tree = MerkleTree.of(values, PAIR_ENCODING)
    for slot in range(len(tree) - 1):
        node, left, right = inner_node(tree, slot)
        low, high = sorted((left, right))
        assert leaf_hash(PAIR_ENCODING, ["0x" + low.hex(), "0x" + high.hex()]) != node


def test_a_proof_for_one_leaf_does_not_prove_another() -> None:
    for n in (2, 5, 8, 17):
        values = tanji_values(n, f"p{n}")
        tree = MerkleTree.of(values, LEAF_ENCODING)
        for i in range(n):
            proof = tree.proof(i)
            assert MerkleTree.verify(tree.root, LEAF_ENCODING, values[i], proof)
            for j in range(n):
                if j != i:
                    assert not MerkleTree.verify(tree.root, LEAF_ENCODING, values[j], proof), (
                        n,
                        i,
                        j,
                    )


def test_a_changed_value_does_not_verify() -> None:
    values = tanji_values(6, "v")
    tree = MerkleTree.of(values, LEAF_ENCODING)
    proof = tree.proof(3)
    kind, record_id, digest = values[3]
    for forged in (
        [kind, record_id + " ", digest],
        ["label", record_id, digest],
        [kind, record_id, "0x" + "00" * 32],
    ):
        assert not MerkleTree.verify(tree.root, LEAF_ENCODING, forged, proof)


def test_a_proof_too_long_is_rejected() -> None:
    values = tanji_values(4, "long")
    tree = MerkleTree.of(values, LEAF_ENCODING)
    proof = tree.proof(0)
    # One extra sibling: a well-formed proof of the wrong tree height.
    assert not MerkleTree.verify(tree.root, LEAF_ENCODING, values[0], [*proof, proof[0]])
    # Longer than any tree could need: refused as malformed, before any hashing.
    with pytest.raises(BundleFormatError) as err:
        verify_proof(
            tree.root,
            tree.leaf_hash(0),
            proof + [b"\x01" * 32] * (MAX_PROOF_LENGTH + 1 - len(proof)),
        )
    assert err.value.field == "proof"


def test_a_truncated_proof_does_not_verify() -> None:
    values = tanji_values(9, "short")
    tree = MerkleTree.of(values, LEAF_ENCODING)
    proof = tree.proof(4)
    for cut in range(len(proof)):
        assert not MerkleTree.verify(tree.root, LEAF_ENCODING, values[4], proof[:cut])


@pytest.mark.parametrize("length", [0, 1, 31, 33, 64])
def test_siblings_of_the_wrong_length_are_rejected(length: int) -> None:
    values = tanji_values(4, "len")
    tree = MerkleTree.of(values, LEAF_ENCODING)
    proof = tree.proof(2)
    proof[1] = b"\x02" * length
    with pytest.raises(BundleFormatError) as err:
        MerkleTree.verify(tree.root, LEAF_ENCODING, values[2], proof)
    assert err.value.field == "proof"


def test_a_leaf_from_another_tree_does_not_verify() -> None:
    ours_values = tanji_values(8, "ours")
    theirs_values = tanji_values(8, "theirs")
    ours = MerkleTree.of(ours_values, LEAF_ENCODING)
    theirs = MerkleTree.of(theirs_values, LEAF_ENCODING)
    for i in range(8):
        # Their leaf with its own valid proof, checked against our root.
        assert MerkleTree.verify(theirs.root, LEAF_ENCODING, theirs_values[i], theirs.proof(i))
        assert not MerkleTree.verify(ours.root, LEAF_ENCODING, theirs_values[i], theirs.proof(i))
        # Their leaf with each of our proofs.
        for j in range(8):
            assert not MerkleTree.verify(ours.root, LEAF_ENCODING, theirs_values[i], ours.proof(j))
        with pytest.raises(ValueError):
            ours.index_of(theirs_values[i])


def test_a_dump_with_swapped_tree_indexes_is_rejected() -> None:
    # Pointing two values at each other's leaves would hand out proofs for the wrong value.
    dump = MerkleTree.of(tanji_values(5, "swap"), LEAF_ENCODING).dump()
    first, second = dump["values"][0], dump["values"][1]
    first["treeIndex"], second["treeIndex"] = second["treeIndex"], first["treeIndex"]
    with pytest.raises(ValueError, match="leaf hash"):
        MerkleTree.load(dump)
