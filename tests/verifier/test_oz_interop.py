"""Our bundles verify with @openzeppelin/merkle-tree's ``StandardMerkleTree.verify`` (Node).

Also checks that our tree layout in tests/verifier/factories.py matches ``StandardMerkleTree.of``.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.nodes import require_tool
from tests.verifier.factories import anchored_set, hx, make_bundle, redact
from verifier._internal.bundle import NESTED_KEYS
from verifier.protocol.leaf import LEAF_ENCODING

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "assets" / "protocol_vectors.json"

_SCRIPT = r"""
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const verified = input.bundles.map(b => {
  try { return StandardMerkleTree.verify(b.root, b.leafEncoding, b.leafValue, b.proof); }
  catch (e) { return "error: " + e.message; }
});
const trees = input.trees.map(values => {
  const t = StandardMerkleTree.of(values, input.encoding);
  return { root: t.root, proofs: values.map((_, i) => t.getProof(i)) };
});
process.stdout.write(JSON.stringify({ verified, trees }));
"""


def oz(bundles: list[dict[str, Any]], trees: list[list[list[str]]]) -> dict[str, Any]:
    require_tool("node")
    done = subprocess.run(
        ["node", "-e", _SCRIPT],
        input=json.dumps({"bundles": bundles, "trees": trees, "encoding": list(LEAF_ENCODING)}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    return dict(json.loads(done.stdout))


def all_bundles(bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``bundle`` and every bundle nested in it (attestations, recognitions, at any depth)."""
    yield bundle
    for key in NESTED_KEYS:
        for nested in bundle.get(key) or ():
            yield from all_bundles(nested)


def test_standard_merkle_tree_verify_accepts_ours_and_rejects_tampered() -> None:
    good: list[dict[str, Any]] = []
    for count in (1, 2, 3, 4, 5, 8, 13):
        tree, records, salts = anchored_set(count)
        good += [make_bundle(records[i], salts[i], tree, i) for i in range(count)]
    good.append(redact(good[-1], ["footprint"]))
    vectors = json.loads(VECTORS.read_text("utf-8"))
    good += list(vectors["bundles"].values())

    tampered = []
    for b in good[-6:]:
        for mutate in (
            lambda x: x["leafValue"].__setitem__(2, hx(b"\x01" * 32)),
            lambda x: x["leafValue"].__setitem__(1, x["leafValue"][1] + "x"),
            lambda x: x.update(root=hx(b"\x02" * 32)),
            lambda x: (
                x["proof"].__setitem__(0, hx(b"\x03" * 32))
                if x["proof"]
                else x.update(root=hx(b"\x04" * 32))
            ),
        ):
            t = copy.deepcopy(b)
            mutate(t)
            tampered.append(t)

    result = oz(good + tampered, [])
    assert result["verified"][: len(good)] == [True] * len(good)
    assert result["verified"][len(good) :] == [False] * len(tampered)


def test_our_tree_layout_is_standard_merkle_trees() -> None:
    sets = [anchored_set(n) for n in (1, 2, 3, 4, 7)]
    values = [
        [make_bundle(r, s, tree, 0)["leafValue"] for r, s in zip(records, salts, strict=True)]
        for tree, records, salts in sets
    ]
    result = oz([], values)
    for (tree, _, _), theirs in zip(sets, result["trees"], strict=True):
        assert hx(tree.root) == theirs["root"]
        assert [[hx(p) for p in tree.proof(i)] for i in range(len(theirs["proofs"]))] == theirs[
            "proofs"
        ]


def test_protocol_vectors_file_is_what_the_generator_makes() -> None:
    """tests/assets/protocol_vectors.json is current: regenerated with @openzeppelin/merkle-tree."""
    import importlib.util

    require_tool("node")
    spec = importlib.util.spec_from_file_location(
        "gen", ROOT / "scripts" / "gen_protocol_vectors.py"
    )
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.build() == json.loads(VECTORS.read_text("utf-8"))
