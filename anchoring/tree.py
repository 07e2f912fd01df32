"""Merkle trees compatible with OpenZeppelin's ``StandardMerkleTree``.

The same values and leaf encoding give the same root, the same proof for every value and the same
``standard-v1`` dump as ``StandardMerkleTree.of(values, encoding)`` of ``@openzeppelin/merkle-tree``
in JavaScript, so a proof from us verifies with ``StandardMerkleTree.verify`` and with OpenZeppelin
``MerkleProof.sol`` on chain.

Hashing is defined once, in :mod:`verifier.protocol.merkle`: leaves are
``keccak256(keccak256(abi.encode(values)))`` and inner nodes hash the sorted pair of their children.
Leaves are sorted by hash (OZ's default ``sortLeaves: true``) and laid out as OZ does: a heap
array of ``2n - 1`` nodes, the root at index 0, node ``i``'s children at ``2i + 1`` and ``2i + 2``,
the leaves in the last ``n`` slots in reverse sorted order.

Indexes taken by :meth:`MerkleTree.proof` and friends are *value indexes*: the position of the value
(or leaf hash) in the sequence the tree was built from, as OZ's ``getProof(number)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, TypedDict

from sha3 import keccak_256

from anchoring.errors import TreeError
from verifier.errors import BundleFormatError
from verifier.protocol.merkle import HASH_BYTES, hash_pair, leaf_hash, leaf_hashes, verify_proof

DUMP_FORMAT: Final = "standard-v1"
_HEX_NODE_CHARS: Final = 2 + 2 * HASH_BYTES


class DumpValue(TypedDict):
    """One entry of a ``standard-v1`` dump's ``values``."""

    value: list[Any]
    treeIndex: int


class TreeDump(TypedDict):
    """OpenZeppelin's ``standard-v1`` tree dump (``StandardMerkleTree.dump()``)."""

    format: str
    leafEncoding: list[str]
    tree: list[str]
    values: list[DumpValue]


class MerkleTree:
    """An immutable OZ ``StandardMerkleTree``-compatible tree.

    Build one with :meth:`of` (values and their ABI leaf encoding), :meth:`from_leaf_hashes`
    (already hashed leaves, the batcher's fast path) or :meth:`load` (a ``standard-v1`` dump).
    """

    __slots__ = ("_encoding", "_lookup", "_tree", "_tree_index", "_values")

    def __init__(
        self,
        tree: list[bytes],
        tree_index: list[int],
        encoding: tuple[str, ...] | None,
        values: list[list[Any]] | None,
    ) -> None:
        # Private: use of(), from_leaf_hashes() or load(), which validate their input.
        self._tree = tree
        self._tree_index = tree_index
        self._encoding = encoding
        self._values = values
        self._lookup: dict[bytes, int] | None = None

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def of(
        cls,
        values: Sequence[Sequence[Any]],
        encoding: Sequence[str],
        *,
        sort_leaves: bool = True,
    ) -> MerkleTree:
        """Build the tree of ``values`` under the ABI ``encoding``, as ``StandardMerkleTree.of``.

        Raises :class:`~anchoring.errors.TreeError` for an empty list or a value that does not
        match the encoding (``field`` names it, e.g. ``values[3]``).
        """
        enc = _check_encoding(encoding, "encoding")
        if len(values) == 0:
            raise TreeError(
                "a Merkle tree needs at least one value", code="empty_tree", field="values"
            )
        width = len(enc)
        # Checked over the whole list in C (map) first; the loop below only names the bad value.
        if not set(map(type, values)) <= {list, tuple} or set(map(len, values)) != {width}:
            bad = next(
                i
                for i, v in enumerate(values)
                if not isinstance(v, (list, tuple)) or len(v) != width
            )
            raise TreeError(
                f"value {bad} must be a list of {width} items matching {list(enc)}",
                code="invalid_value",
                field=f"values[{bad}]",
            )
        try:
            hashes = leaf_hashes(enc, values)
        except BundleFormatError:
            for i, value in enumerate(values):
                try:
                    leaf_hash(enc, value)
                except BundleFormatError as exc:
                    raise TreeError(
                        f"value {i}: {exc}", code="invalid_value", field=f"values[{i}]"
                    ) from exc
            raise
        tree, tree_index = _layout(hashes, sort_leaves)
        return cls(tree, tree_index, enc, list(map(list, values)))

    @classmethod
    def from_leaf_hashes(cls, hashes: Sequence[bytes], *, sort_leaves: bool = True) -> MerkleTree:
        """Build a tree from 32-byte leaf hashes (each ``verifier.protocol.merkle.leaf_hash`` of a
        value).

        Gives the same root and proofs as :meth:`of` on the values; such a tree has no values, so
        it cannot :meth:`dump`. Value index ``i`` is ``hashes[i]``.
        """
        if len(hashes) == 0:
            raise TreeError(
                "a Merkle tree needs at least one leaf", code="empty_tree", field="hashes"
            )
        leaves = list(hashes)
        # Checked over the whole list in C (map) rather than per item: this path takes 10^6 leaves.
        if set(map(type, leaves)) != {bytes} or set(map(len, leaves)) != {HASH_BYTES}:
            bad = next(
                i for i, h in enumerate(leaves) if type(h) is not bytes or len(h) != HASH_BYTES
            )
            raise TreeError(
                f"leaf hash {bad} is not {HASH_BYTES} bytes",
                code="invalid_leaf_hash",
                field=f"hashes[{bad}]",
            )
        tree, tree_index = _layout(leaves, sort_leaves)
        return cls(tree, tree_index, None, None)

    @classmethod
    def load(cls, dump: Mapping[str, Any]) -> MerkleTree:
        """Load a ``standard-v1`` dump (ours or ``StandardMerkleTree.dump()``), checking all of it.

        Every leaf is recomputed from its value and every inner node from its children; a dump that
        disagrees anywhere raises :class:`~anchoring.errors.TreeError` naming the first bad field.
        """
        if not isinstance(dump, Mapping):
            raise TreeError("a tree dump must be a JSON object", code="invalid_dump", field="")
        if dump.get("format") != DUMP_FORMAT:
            raise TreeError(
                f"unknown tree dump format {dump.get('format')!r}, expected {DUMP_FORMAT!r}",
                code="invalid_dump",
                field="format",
            )
        enc = _check_encoding(dump.get("leafEncoding"), "leafEncoding", code="invalid_dump")
        raw_tree = dump.get("tree")
        raw_values = dump.get("values")
        if not isinstance(raw_tree, list) or not raw_tree:
            raise TreeError(
                "tree must be a non-empty list of hashes", code="invalid_dump", field="tree"
            )
        if not isinstance(raw_values, list) or not raw_values:
            raise TreeError("values must be a non-empty list", code="invalid_dump", field="values")
        n = len(raw_values)
        if len(raw_tree) != 2 * n - 1:
            raise TreeError(
                f"tree has {len(raw_tree)} nodes; {n} values need {2 * n - 1}",
                code="invalid_dump",
                field="tree",
            )
        tree = [_parse_node(node, f"tree[{i}]") for i, node in enumerate(raw_tree)]

        values, tree_index = _load_values(raw_values, tree, enc)

        rebuilt = _build(tree[n - 1 :][::-1])
        if rebuilt != tree:
            # Name the deepest node that disagrees with its own children, checked the slow way.
            bad = next(
                i
                for i in range(n - 2, -1, -1)
                if tree[i] != hash_pair(tree[2 * i + 1], tree[2 * i + 2])
            )
            raise TreeError(
                f"tree[{bad}] is not the hash of its children",
                code="corrupted_dump",
                field=f"tree[{bad}]",
            )
        return cls(tree, tree_index, enc, values)

    @staticmethod
    def verify(
        root: bytes, encoding: Sequence[str], value: Sequence[Any], proof: Sequence[bytes]
    ) -> bool:
        """True when ``proof`` shows ``value`` under ``root`` (``StandardMerkleTree.verify``).

        A value that does not fit ``encoding`` or a malformed proof (too long, a sibling not 32
        bytes) raises :class:`~verifier.errors.BundleFormatError`, as ``verifier.protocol.merkle``
        does.
        """
        return verify_proof(root, leaf_hash(encoding, value), proof)

    # -- reading ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"MerkleTree(leaves={len(self)}, root={self.root_hex})"

    def __len__(self) -> int:
        """Number of leaves (values)."""
        return len(self._tree_index)

    @property
    def root(self) -> bytes:
        """The 32-byte Merkle root."""
        return self._tree[0]

    @property
    def root_hex(self) -> str:
        """The root as 0x-prefixed lowercase hex (how OZ and bundles write it)."""
        return "0x" + self._tree[0].hex()

    @property
    def leaf_encoding(self) -> tuple[str, ...] | None:
        """The ABI leaf encoding, or ``None`` for a tree built from leaf hashes."""
        return self._encoding

    @property
    def has_values(self) -> bool:
        """False for a tree built by :meth:`from_leaf_hashes`."""
        return self._values is not None

    def value(self, index: int) -> list[Any]:
        """A copy of the value at ``index``."""
        values = self._require_values()
        return list(values[self._check_index(index)])

    def tree_index(self, index: int) -> int:
        """Where value ``index``'s leaf sits in the tree array (the dump's ``treeIndex``)."""
        return self._tree_index[self._check_index(index)]

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash of value ``index``."""
        return self._tree[self.tree_index(index)]

    def index_of(self, value: Sequence[Any]) -> int:
        """The value index of ``value`` (the last one, for a value given twice, as OZ)."""
        enc = self._encoding
        if enc is None:
            raise TreeError(
                "a tree built from leaf hashes has no values", code="no_values", field="value"
            )
        try:
            leaf = leaf_hash(enc, value)
        except BundleFormatError as exc:
            raise TreeError(str(exc), code="invalid_value", field="value") from exc
        return self.index_of_leaf(leaf)

    def index_of_leaf(self, leaf: bytes) -> int:
        """The value index whose leaf hash is ``leaf``."""
        if self._lookup is None:
            tree = self._tree
            self._lookup = {tree[t]: i for i, t in enumerate(self._tree_index)}
        try:
            return self._lookup[leaf]
        except KeyError:
            raise TreeError("leaf is not in this tree", code="not_in_tree", field="value") from None

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from value ``index``'s leaf up to the root (empty for a 1-leaf tree)."""
        tree = self._tree
        node = self.tree_index(index)
        proof: list[bytes] = []
        while node > 0:
            # Odd slots are left children, their sibling is to the right; even slots the reverse.
            proof.append(tree[node + 1] if node & 1 else tree[node - 1])
            node = (node - 1) >> 1
        return proof

    def proof_hex(self, index: int) -> list[str]:
        """:meth:`proof` as 0x-prefixed hex strings (a bundle's ``proof``)."""
        return ["0x" + sibling.hex() for sibling in self.proof(index)]

    def dump(self) -> TreeDump:
        """The tree in OZ's ``standard-v1`` format; ``StandardMerkleTree.load`` accepts it.

        Values are written as JSON: ``bytes`` as 0x-hex, and integers in ``intN``/``uintN`` slots
        as decimal strings (JavaScript numbers lose precision beyond 2**53).
        """
        values = self._require_values()
        enc = self._encoding
        assert enc is not None  # values and encoding are set together
        return {
            "format": DUMP_FORMAT,
            "leafEncoding": list(enc),
            "tree": ["0x" + node.hex() for node in self._tree],
            "values": [
                {"value": _json_value(enc, value), "treeIndex": index}
                for value, index in zip(values, self._tree_index, strict=True)
            ],
        }

    def _check_index(self, index: int) -> int:
        if type(index) is not int or not 0 <= index < len(self._tree_index):
            raise TreeError(
                f"index {index!r} out of range for {len(self._tree_index)} values",
                code="index_out_of_range",
                field="index",
            )
        return index

    def _require_values(self) -> list[list[Any]]:
        if self._values is None:
            raise TreeError(
                "a tree built from leaf hashes has no values to dump",
                code="no_values",
                field="values",
            )
        return self._values


def _layout(hashes: list[bytes], sort_leaves: bool) -> tuple[list[bytes], list[int]]:
    """Sort leaves (stable, as OZ), build the tree, and map value index -> tree index."""
    n = len(hashes)
    last = 2 * n - 2
    if not sort_leaves:
        return _build(hashes), list(range(last, last - n, -1))
    order = sorted(range(n), key=hashes.__getitem__)
    tree = _build(list(map(hashes.__getitem__, order)))
    tree_index = [0] * n
    for position, value_index in enumerate(order):
        tree_index[value_index] = last - position
    return tree, tree_index


def _build(leaves: list[bytes]) -> list[bytes]:
    """OZ's ``makeMerkleTree``: the heap array of ``2n - 1`` nodes with leaves reversed at the end.

    Byte-identical to applying ``verifier.protocol.merkle.hash_pair`` to every inner node (tests
    check it), but built a level at a time in one comprehension: the children of a run of slots
    ``[lo, hi)`` are the run ``[2lo + 1, 2hi + 1)``, and a heap level's children all lie in deeper
    levels.
    """
    n = len(leaves)
    tree: list[bytes] = [b""] * (n - 1)
    tree.extend(reversed(leaves))
    keccak = keccak_256  # local binding: this loop runs once per inner node
    hi = n - 1  # inner nodes are slots [0, n - 1)
    if hi == 0:
        return tree
    lo = (1 << (hi.bit_length() - 1)) - 1  # first slot of the deepest level holding an inner node
    while True:
        children = tree[2 * lo + 1 : 2 * hi + 1]
        tree[lo:hi] = [
            keccak(a + b).digest() if a < b else keccak(b + a).digest()
            for a, b in zip(children[0::2], children[1::2], strict=True)
        ]
        if lo == 0:
            return tree
        hi = lo
        lo = (lo - 1) >> 1


def _check_encoding(
    encoding: object, field: str, *, code: str = "invalid_encoding"
) -> tuple[str, ...]:
    if (
        not isinstance(encoding, (list, tuple))
        or not encoding
        or not all(isinstance(t, str) and t for t in encoding)
    ):
        raise TreeError(
            "leaf encoding must be a non-empty list of ABI type names",
            code=code,
            field=field,
        )
    return tuple(encoding)


def _parse_node(node: object, field: str) -> bytes:
    if isinstance(node, str) and len(node) == _HEX_NODE_CHARS and node[:2] == "0x":
        try:
            return bytes.fromhex(node[2:])
        except ValueError:
            pass
    raise TreeError("tree node must be 0x-prefixed 32-byte hex", code="invalid_dump", field=field)


def _load_values(
    raw_values: list[Any], tree: list[bytes], enc: tuple[str, ...]
) -> tuple[list[list[Any]], list[int]]:
    """A dump's ``values``, each checked to be the leaf at its distinct ``treeIndex``."""
    n = len(raw_values)
    values: list[list[Any]] = []
    tree_index: list[int] = []
    seen: set[int] = set()
    for i, entry in enumerate(raw_values):
        where = f"values[{i}]"
        if not isinstance(entry, Mapping):
            raise TreeError("value entry must be an object", code="invalid_dump", field=where)
        index = entry.get("treeIndex")
        if type(index) is not int or not n - 1 <= index <= 2 * n - 2 or index in seen:
            raise TreeError(
                f"treeIndex must be a distinct leaf slot in [{n - 1}, {2 * n - 2}]: {index!r}",
                code="invalid_dump",
                field=f"{where}.treeIndex",
            )
        seen.add(index)
        value = entry.get("value")
        if not isinstance(value, list) or len(value) != len(enc):
            raise TreeError(
                f"value must be a list of {len(enc)} items matching {list(enc)}",
                code="invalid_dump",
                field=f"{where}.value",
            )
        try:
            computed = leaf_hash(enc, value)
        except BundleFormatError as exc:
            raise TreeError(str(exc), code="invalid_dump", field=f"{where}.value") from exc
        if computed != tree[index]:
            raise TreeError(
                f"tree[{index}] is not the leaf hash of this value",
                code="corrupted_dump",
                field=f"{where}.value",
            )
        values.append(list(value))
        tree_index.append(index)
    return values, tree_index


def _json_value(encoding: tuple[str, ...], value: list[Any]) -> list[Any]:
    out: list[Any] = []
    for abi_type, item in zip(encoding, value, strict=True):
        if isinstance(item, (bytes, bytearray)):
            out.append("0x" + bytes(item).hex())
        elif type(item) is int and abi_type.lstrip("u").startswith("int"):
            out.append(str(item))
        else:
            out.append(item)
    return out
