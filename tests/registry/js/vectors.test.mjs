// The browser verifier reproduces the shared protocol vectors: OpenZeppelin StandardMerkleTree
// trees (tests/assets/merkle_vectors.json, made with @openzeppelin/merkle-tree) and the record /
// commitment / bundle vectors (tests/assets/protocol_vectors.json, made by the Python package).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as tv from "../../../registry/static/verify/tanji-verify.js";
import { readJson } from "./fixture.mjs";

const merkle = readJson("tests/assets/merkle_vectors.json");
const protocol = readJson("tests/assets/protocol_vectors.json");

describe("OpenZeppelin StandardMerkleTree vectors", () => {
  test("every tree has leaves to check", () => {
    assert.ok(merkle.trees.length >= 10);
    assert.ok(merkle.negative.length >= 5);
  });

  for (const tree of merkle.trees) {
    test(`${tree.name}: leaf hashes and proofs give the root`, () => {
      for (const leaf of tree.leaves) {
        const hash = tv.leafHash(tree.leafEncoding, leaf.value);
        assert.equal(hash, leaf.leafHash.toLowerCase(), `${tree.name} value ${leaf.valueIndex}`);
        assert.equal(hash, tree.dump.tree[leaf.treeIndex].toLowerCase());
        assert.equal(tv.processProof(hash, leaf.proof), tree.root.toLowerCase());
      }
    });
  }

  for (const neg of merkle.negative) {
    test(`negative ${neg.name}: does not reach the root (${neg.why})`, () => {
      let reached = false;
      try {
        reached =
          tv.processProof(tv.leafHash(neg.leafEncoding, neg.value), neg.proof) === neg.root.toLowerCase();
      } catch (exc) {
        assert.ok(exc instanceof tv.BundleFormatError, String(exc));
      }
      assert.equal(reached, false);
    });
  }

  test("hashPair is commutative and sorts by bytes", () => {
    const [a, b] = merkle.trees.find((t) => t.leaves.length >= 2).leaves.map((l) => l.leafHash);
    assert.equal(tv.hashPair(a, b), tv.hashPair(b, a));
    assert.equal(tv.hashPair(a.toUpperCase().replace("0X", "0x"), b), tv.hashPair(a, b));
  });

  test("a proof longer than 64 hashes is refused", () => {
    const h = merkle.trees[0].root;
    assert.throws(
      () => tv.processProof(h, Array(65).fill(h)),
      (e) => e.code === tv.Code.FORMAT_PROOF_TOO_LONG,
    );
  });
});

describe("record and commitment vectors", () => {
  for (const vec of protocol.records) {
    test(`${vec.record.type} ${vec.record.id}: JCS, salts, commitments, digest, leaf`, () => {
      assert.equal(tv.canonicalize(vec.record), vec.recordJcs);
      const commitments = {};
      for (const f of vec.fields) {
        assert.equal(tv.canonicalize([f.name, vec.record[f.name]]), f.jcs, f.name);
        assert.equal(tv.fieldSalt(vec.masterSalt, f.name), f.salt, f.name);
        assert.equal(tv.fieldCommitment(f.name, vec.record[f.name], f.salt), f.commitment, f.name);
        commitments[f.name] = f.commitment;
      }
      assert.deepEqual(
        vec.fields.map((f) => f.name),
        tv.jcsOrder(Object.keys(vec.record)),
      );
      assert.equal(tv.commitmentsDigest(commitments), vec.digest);
      assert.deepEqual(tv.recordLeafValue(vec.record, vec.masterSalt), vec.leafValue);
      assert.deepEqual([...vec.leafEncoding], [...tv.LEAF_ENCODING]);
      assert.equal(tv.leafHash(vec.leafEncoding, vec.leafValue), vec.leafHash);
    });
  }

  test("the vector tree's proofs lead to its root", () => {
    const { tree } = protocol;
    tree.values.forEach((value, i) => {
      assert.equal(tv.processProof(tv.leafHash(tree.leafEncoding, value), tree.proofs[i]), tree.root);
    });
  });

  for (const name of Object.keys(protocol.bundles)) {
    test(`bundle ${name}: format, integrity and inclusion hold offline`, async () => {
      const report = await tv.verifyBundle(protocol.bundles[name], {});
      const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
      for (const check of ["format", "integrity", "inclusion"])
        assert.equal(byName[check].status, "VALID", JSON.stringify(byName[check]));
    });
  }
});

describe("numbers are judged by value, not spelling (PROTOCOL.md section 2)", () => {
  for (const group of protocol.numbers.accepted) {
    const spellings = group.bundles.map((b) => b.spelling).join(", ");
    test(`${spellings}: one value ${group.jcs}, one digest`, async () => {
      for (const spelt of group.bundles) {
        const report = await tv.verifyBundle(spelt.json, {});
        const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
        for (const check of ["format", "integrity", "inclusion"])
          assert.equal(byName[check].status, "VALID", `${spelt.spelling}: ${byName[check].reason}`);
        const record = JSON.parse(spelt.json).record;
        assert.equal(tv.canonicalize(record.footprint.value), group.jcs, spelt.spelling);
        assert.equal(tv.canonicalize(["footprint", record.footprint]), group.fieldJcs, spelt.spelling);
        assert.equal(
          tv.recordLeafValue(record, protocol.numbers.masterSalt)[2],
          group.digest,
          spelt.spelling,
        );
      }
    });
  }

  for (const r of protocol.numbers.refused) {
    test(`${r.field} = ${r.spelling}: refused with ${r.code}`, async () => {
      const report = await tv.verifyBundle(r.json, {});
      const format = report.checks.find((c) => c.name === "format");
      assert.equal(report.status, "INVALID");
      assert.equal(format.status, "INVALID");
      assert.equal(format.code, r.code);
      assert.equal(format.code, tv.Code.FORMAT_NUMBER_OUT_OF_RANGE);
      assert.equal(format.data.field, r.field, format.reason);
    });
  }
});

describe("signed statements: EIP-712 (verifier/protocol/eip712.py)", () => {
  test("the structs' type hashes are the protocol's", async () => {
    const { ethers } = await import("./ethers.mjs");
    for (const kind of [tv.ATTESTATION, tv.RECOGNITION]) {
      const types = { [kind.primaryType]: kind.struct.map((m) => ({ ...m })) };
      const encodeType = ethers.TypedDataEncoder.from(types).encodeType(kind.primaryType);
      assert.equal(ethers.id(encodeType), protocol.constants.typeHashes[kind.primaryType], kind.primaryType);
    }
  });

  test("the domain separator is the vector's", async () => {
    const { ethers } = await import("./ethers.mjs");
    const { domain } = protocol.eip712;
    assert.equal(domain.domain.name, tv.EIP712_DOMAIN_NAME);
    assert.equal(domain.domain.version, tv.EIP712_DOMAIN_VERSION);
    assert.equal(ethers.TypedDataEncoder.hashDomain(domain.domain), domain.separator);
  });

  for (const vec of protocol.eip712.attestations) {
    test(`attestation ${vec.record.message.componentId}: digest = id, the supplier recovered`, () => {
      const { record } = vec;
      const message = tv.ATTESTATION.validate(record.message);
      const digest = tv.statementDigest(tv.ATTESTATION, message, {
        chainId: record.chainId,
        contract: record.verifyingContract,
      });
      assert.equal(digest, vec.digest);
      assert.equal(digest, record.id);
      assert.equal(tv.recoverSigner(digest, record.signature), vec.signer);
      assert.equal(tv.verifyStatementRecord(tv.ATTESTATION, record), vec.signer);
    });
  }
});

describe("signed statements: hops and recognitions (PROTOCOL.md 10.7, 10.7a)", () => {
  const STATEMENT_CHECKS = ["attestation_signature", "recognition"];
  const { cases } = protocol.statements;

  test("the cases cover every code of both checks", () => {
    const codes = new Set(cases.flatMap((c) => c.expected.map((e) => e.code)));
    const statementCodes = Object.entries(tv.Code)
      .filter(([name]) => /^(ATTESTATION|RECOGNITION)_/.test(name))
      .map(([, code]) => code)
      .filter((code) => code !== tv.Code.RECOGNITION_UNTRUSTED_RECOGNIZER); // retired, never reported
    for (const code of [0, ...statementCodes]) assert.ok(codes.has(code), `no case for ${code}`);
  });

  for (const c of cases) {
    test(`${c.why}: ${c.expected.map((e) => e.code).join(", ")}`, async () => {
      const report = await tv.verifyBundle(c.bundle, { trust: c.trust, now: c.now });
      const statements = report.checks
        .filter((r) => STATEMENT_CHECKS.includes(r.check))
        .map(({ name, status, code }) => ({ name, status, code }));
      assert.deepEqual(statements, c.expected);
      // Only the statements are at stake: the offline checks of every bundle hold.
      for (const r of report.checks.filter((r) => ["format", "integrity", "inclusion"].includes(r.check)))
        assert.equal(r.status, "VALID", `${r.name}: ${r.reason}`);
    });
  }
});

describe("contract interface", () => {
  const artifact = readJson("anchoring/artifacts/TanjiAnchorRegistry.json");

  test("check() matches the compiled artifact (selector and output types)", async () => {
    const { ethers } = await import("./ethers.mjs");
    const compiled = new ethers.Interface(artifact.abi).getFunction("check");
    const ours = new ethers.Interface([tv.CHECK_SIGNATURE]).getFunction("check");
    assert.equal(ours.selector, compiled.selector);
    assert.equal(ours.outputs[0].format("sighash"), compiled.outputs[0].format("sighash"));
    assert.deepEqual(
      ours.outputs[0].components.map((c) => [c.name, c.type]),
      compiled.outputs[0].components.map((c) => [c.name, c.type]),
    );
  });

  test("RootAnchored's topic is the compiled event's", async () => {
    const { ethers } = await import("./ethers.mjs");
    assert.equal(
      new ethers.Interface(artifact.abi).getEvent("RootAnchored").topicHash,
      tv.ROOT_ANCHORED_TOPIC,
    );
  });
});
