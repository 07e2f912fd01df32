// The contract against the OpenZeppelin StandardMerkleTree interop vectors that every Tanji
// implementation is checked against (tests/assets/merkle_vectors.json, made by scripts/gen-vectors.js
// with @openzeppelin/merkle-tree). Each proof there must be accepted on chain by check() and
// revokeLeaf(); each negative case must be refused.
const fs = require("fs");
const path = require("path");
const { ethers } = require("hardhat");
const { expect } = require("chai");
const { loadFixture } = require("@nomicfoundation/hardhat-network-helpers");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");

const VECTORS = path.join(__dirname, "..", "assets", "merkle_vectors.json");
const BATCH_REF = ethers.id("tanji-interop-vectors");
const REASON = 1;

// Read at load time: mocha builds one test per tree from the file. A missing file is a failure, not a
// skip: the vectors are committed, and the contract's interop claim rests on them.
const vectors = fs.existsSync(VECTORS) ? JSON.parse(fs.readFileSync(VECTORS, "utf8")) : null;

// The leaf computed here from the value with ethers alone, not taken from the file or the OZ library.
function leafHash(leafEncoding, value) {
  return ethers.keccak256(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(leafEncoding, value)));
}

async function fixture() {
  const [admin] = await ethers.getSigners();
  const registry = await ethers.deployContract("TanjiAnchorRegistry", [admin]);
  for (const tree of vectors.trees) {
    await registry.anchor(tree.root, tree.leaves.length, BATCH_REF);
  }
  return { admin, registry };
}

describe("TanjiAnchorRegistry against the OpenZeppelin interop vectors", function () {
  it("finds tests/assets/merkle_vectors.json (node scripts/gen-vectors.js)", function () {
    expect(vectors, `${VECTORS} is missing`).to.not.equal(null);
    expect(vectors.trees).to.not.be.empty;
    expect(vectors.negative).to.not.be.empty;
  });

  if (vectors === null) return;

  beforeEach(async function () {
    Object.assign(this, await loadFixture(fixture));
  });

  for (const tree of vectors.trees) {
    describe(`tree ${tree.name} (${tree.leaves.length} leaves, ${tree.leafEncoding.join(",")})`, function () {
      it("has leaf hashes and a root that the OZ library and ethers agree on", function () {
        const loaded = StandardMerkleTree.load(tree.dump);
        expect(loaded.root).to.equal(tree.root);
        for (const { value, leafHash: expected } of tree.leaves) {
          expect(leafHash(tree.leafEncoding, value)).to.equal(expected);
          expect(loaded.leafHash(value)).to.equal(expected);
        }
      });

      it("passes check() for every proof", async function () {
        const anchor = await this.registry.anchorOf(tree.root);
        expect(anchor.recordCount).to.equal(BigInt(tree.leaves.length));
        for (const { leafHash: leaf, proof } of tree.leaves) {
          expect((await this.registry.check(tree.root, leaf, proof)).toObject()).to.deep.equal({
            anchored: true,
            included: true,
            active: true,
            blockNumber: anchor.blockNumber,
            timestamp: anchor.timestamp,
            rootRevokedReason: 0n,
            leafRevokedReason: 0n,
          });
        }
      });

      it("accepts every proof in revokeLeaf", async function () {
        const revoked = new Set();
        for (const { leafHash: leaf, proof } of tree.leaves) {
          const tx = this.registry.revokeLeaf(tree.root, leaf, proof, REASON);
          if (revoked.has(leaf)) {
            // A value listed twice is one leaf: revoked once, it is revoked at both positions.
            await expect(tx)
              .to.be.revertedWithCustomError(this.registry, "TanjiLeafAlreadyRevoked")
              .withArgs(tree.root, leaf, REASON);
          } else {
            await expect(tx).to.emit(this.registry, "LeafRevoked").withArgs(tree.root, leaf, REASON);
            revoked.add(leaf);
          }
          const status = await this.registry.check(tree.root, leaf, proof);
          expect(status.included).to.be.true;
          expect(status.active).to.be.false;
          expect(status.leafRevokedReason).to.equal(REASON);
        }
      });
    });
  }

  for (const negative of vectors.negative) {
    it(`refuses the negative vector ${negative.name} (${negative.why})`, async function () {
      // Anchor the root the case names, so that only the proof can be what fails.
      if ((await this.registry.anchorOf(negative.root)).blockNumber === 0n) {
        await this.registry.anchor(negative.root, 1, BATCH_REF);
      }
      const leaf = leafHash(negative.leafEncoding, negative.value);
      const status = await this.registry.check(negative.root, leaf, negative.proof);
      expect(status.anchored).to.be.true;
      expect(status.included).to.equal(negative.expected);
      expect(status.active).to.be.false;
      await expect(this.registry.revokeLeaf(negative.root, leaf, negative.proof, REASON))
        .to.be.revertedWithCustomError(this.registry, "TanjiInvalidProof")
        .withArgs(negative.root, leaf);
    });
  }
});
