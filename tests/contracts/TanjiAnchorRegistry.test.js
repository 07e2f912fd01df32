// Hardhat tests of the anchor contract, in the style of OpenZeppelin's test/access/Ownable.test.js and
// test/utils/cryptography/MerkleProof.test.js. Trees are built with @openzeppelin/merkle-tree using
// Tanji's leaf encoding (verifier/protocol/leaf.py: LEAF_ENCODING = ("string", "string", "bytes32")).
const { ethers } = require("hardhat");
const { expect } = require("chai");
const { loadFixture, time } = require("@nomicfoundation/hardhat-network-helpers");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");

const LEAF_ENCODING = ["string", "string", "bytes32"];
const BATCH_REF = ethers.id("tanji-batch-0001");
// Any non-zero uint16 is a valid reason for the contract; docs/PROTOCOL.md gives them meanings.
const REASON = 1;
const OTHER_REASON = 7;

// Tanji leaf values [type, id, digest]; the digest stands for the record's commitments digest.
function leafValues(prefix, count) {
  const types = ["footprint", "label", "attestation", "recognition", "revocation"];
  return Array.from({ length: count }, (_, i) => [
    types[i % types.length],
    `${prefix}-${i}`,
    ethers.id(`${prefix}-${i} digest`),
  ]);
}

// Every [value, leaf hash, proof] of a tree, in tree order.
function entriesOf(tree) {
  return Array.from(tree.entries(), ([i, value]) => ({ value, leaf: tree.leafHash(value), proof: tree.getProof(i) }));
}

// Flip the last bit of a 32-byte hex string.
function tamper(hex) {
  const bytes = ethers.getBytes(hex);
  bytes[31] ^= 1;
  return ethers.hexlify(bytes);
}

function interfaceId(iface) {
  let id = 0n;
  iface.forEachFunction((fn) => {
    id ^= BigInt(fn.selector);
  });
  return ethers.toBeHex(id, 4);
}

async function fixture() {
  const [admin, anchorer, revoker, other] = await ethers.getSigners();
  const registry = await ethers.deployContract("TanjiAnchorRegistry", [admin]);
  const ANCHORER_ROLE = await registry.ANCHORER_ROLE();
  const REVOKER_ROLE = await registry.REVOKER_ROLE();
  const DEFAULT_ADMIN_ROLE = await registry.DEFAULT_ADMIN_ROLE();
  await registry.connect(admin).grantRole(ANCHORER_ROLE, anchorer);
  await registry.connect(admin).grantRole(REVOKER_ROLE, revoker);

  const values = leafValues("cq", 7); // 7 leaves: proofs of depth 2 and 3
  const tree = StandardMerkleTree.of(values, LEAF_ENCODING);
  const otherTree = StandardMerkleTree.of(leafValues("sg", 4), LEAF_ENCODING);
  return {
    admin, anchorer, revoker, other, registry, ANCHORER_ROLE, REVOKER_ROLE, DEFAULT_ADMIN_ROLE,
    values, tree, otherTree, entries: entriesOf(tree),
  };
}

async function anchoredFixture() {
  const f = await fixture();
  const tx = await f.registry.connect(f.anchorer).anchor(f.tree.root, f.values.length, BATCH_REF);
  const receipt = await tx.wait();
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  return { ...f, anchoredAt: { blockNumber: BigInt(receipt.blockNumber), timestamp: BigInt(block.timestamp) } };
}

describe("TanjiAnchorRegistry", function () {
  describe("deployment", function () {
    beforeEach(async function () {
      Object.assign(this, await loadFixture(fixture));
    });

    it("gives the admin the admin, anchorer and revoker roles", async function () {
      for (const role of [this.DEFAULT_ADMIN_ROLE, this.ANCHORER_ROLE, this.REVOKER_ROLE]) {
        expect(await this.registry.hasRole(role, this.admin)).to.be.true;
        expect(await this.registry.hasRole(role, this.other)).to.be.false;
      }
    });

    it("names its roles after their keccak256 ids", async function () {
      expect(this.ANCHORER_ROLE).to.equal(ethers.id("ANCHORER_ROLE"));
      expect(this.REVOKER_ROLE).to.equal(ethers.id("REVOKER_ROLE"));
    });

    it("supports ERC-165 for ITanjiAnchorRegistry, IAccessControl and IERC165", async function () {
      const tanji = (await ethers.getContractAt("ITanjiAnchorRegistry", this.registry)).interface;
      const accessControl = (await ethers.getContractAt("IAccessControl", this.registry)).interface;
      expect(await this.registry.supportsInterface(interfaceId(tanji))).to.be.true;
      expect(await this.registry.supportsInterface(interfaceId(accessControl))).to.be.true;
      expect(await this.registry.supportsInterface("0x01ffc9a7")).to.be.true;
      expect(await this.registry.supportsInterface("0xffffffff")).to.be.false;
    });
  });

  describe("access control", function () {
    beforeEach(async function () {
      Object.assign(this, await loadFixture(anchoredFixture));
      this.newRoot = this.otherTree.root;
      const [entry] = this.entries;
      this.entry = entry;
    });

    describe("anchor", function () {
      for (const role of ["revoker", "other"]) {
        it(`reverts for the ${role} (no ANCHORER_ROLE)`, async function () {
          await expect(this.registry.connect(this[role]).anchor(this.newRoot, 4, BATCH_REF))
            .to.be.revertedWithCustomError(this.registry, "AccessControlUnauthorizedAccount")
            .withArgs(this[role], this.ANCHORER_ROLE);
        });
      }

      it("is allowed to the anchorer", async function () {
        await expect(this.registry.connect(this.anchorer).anchor(this.newRoot, 4, BATCH_REF)).to.emit(
          this.registry,
          "RootAnchored",
        );
      });
    });

    describe("revokeRoot", function () {
      for (const role of ["anchorer", "other"]) {
        it(`reverts for the ${role} (no REVOKER_ROLE)`, async function () {
          await expect(this.registry.connect(this[role]).revokeRoot(this.tree.root, REASON))
            .to.be.revertedWithCustomError(this.registry, "AccessControlUnauthorizedAccount")
            .withArgs(this[role], this.REVOKER_ROLE);
        });
      }
    });

    describe("revokeLeaf", function () {
      for (const role of ["anchorer", "other"]) {
        it(`reverts for the ${role} (no REVOKER_ROLE)`, async function () {
          const { leaf, proof } = this.entry;
          await expect(this.registry.connect(this[role]).revokeLeaf(this.tree.root, leaf, proof, REASON))
            .to.be.revertedWithCustomError(this.registry, "AccessControlUnauthorizedAccount")
            .withArgs(this[role], this.REVOKER_ROLE);
        });
      }
    });

    describe("role administration", function () {
      it("lets the admin grant and revoke the anchorer role", async function () {
        await expect(this.registry.connect(this.admin).grantRole(this.ANCHORER_ROLE, this.other))
          .to.emit(this.registry, "RoleGranted")
          .withArgs(this.ANCHORER_ROLE, this.other, this.admin);
        await expect(this.registry.connect(this.other).anchor(this.newRoot, 4, BATCH_REF)).to.emit(
          this.registry,
          "RootAnchored",
        );

        await expect(this.registry.connect(this.admin).revokeRole(this.ANCHORER_ROLE, this.other))
          .to.emit(this.registry, "RoleRevoked")
          .withArgs(this.ANCHORER_ROLE, this.other, this.admin);
        await expect(this.registry.connect(this.other).anchor(ethers.id("next root"), 1, BATCH_REF))
          .to.be.revertedWithCustomError(this.registry, "AccessControlUnauthorizedAccount")
          .withArgs(this.other, this.ANCHORER_ROLE);
      });

      it("lets the admin grant and revoke the revoker role", async function () {
        await this.registry.connect(this.admin).grantRole(this.REVOKER_ROLE, this.other);
        await expect(this.registry.connect(this.other).revokeRoot(this.tree.root, REASON))
          .to.emit(this.registry, "RootRevoked")
          .withArgs(this.tree.root, REASON);

        await this.registry.connect(this.admin).revokeRole(this.REVOKER_ROLE, this.other);
        const { leaf, proof } = this.entry;
        await expect(this.registry.connect(this.other).revokeLeaf(this.tree.root, leaf, proof, REASON))
          .to.be.revertedWithCustomError(this.registry, "AccessControlUnauthorizedAccount")
          .withArgs(this.other, this.REVOKER_ROLE);
      });

      for (const role of ["anchorer", "revoker", "other"]) {
        it(`does not let the ${role} grant roles`, async function () {
          await expect(this.registry.connect(this[role]).grantRole(this.ANCHORER_ROLE, this[role]))
            .to.be.revertedWithCustomError(this.registry, "AccessControlUnauthorizedAccount")
            .withArgs(this[role], this.DEFAULT_ADMIN_ROLE);
        });
      }

      it("stops an admin that renounced the anchorer role from anchoring", async function () {
        await this.registry.connect(this.admin).renounceRole(this.ANCHORER_ROLE, this.admin);
        await expect(this.registry.connect(this.admin).anchor(this.newRoot, 4, BATCH_REF))
          .to.be.revertedWithCustomError(this.registry, "AccessControlUnauthorizedAccount")
          .withArgs(this.admin, this.ANCHORER_ROLE);
      });
    });
  });

  describe("anchor", function () {
    beforeEach(async function () {
      Object.assign(this, await loadFixture(fixture));
    });

    it("emits RootAnchored with the indexed root and batch reference", async function () {
      const timestamp = (await time.latest()) + 100;
      await time.setNextBlockTimestamp(timestamp);
      await expect(this.registry.connect(this.anchorer).anchor(this.tree.root, this.values.length, BATCH_REF))
        .to.emit(this.registry, "RootAnchored")
        .withArgs(this.tree.root, BATCH_REF, this.values.length, timestamp);

      // The root is an indexed topic: a verifier finds the anchoring transaction by filtering on it.
      const events = await this.registry.queryFilter(this.registry.filters.RootAnchored(this.tree.root));
      expect(events).to.have.lengthOf(1);
      expect(events[0].topics[1]).to.equal(this.tree.root);
      expect(events[0].topics[2]).to.equal(BATCH_REF);
      expect(await this.registry.queryFilter(this.registry.filters.RootAnchored(this.otherTree.root))).to.be.empty;
    });

    it("stores the block number, timestamp and record count in anchorOf", async function () {
      const timestamp = (await time.latest()) + 3600;
      await time.setNextBlockTimestamp(timestamp);
      const tx = await this.registry.connect(this.anchorer).anchor(this.tree.root, this.values.length, BATCH_REF);
      const { blockNumber } = await tx.wait();

      const anchor = await this.registry.anchorOf(this.tree.root);
      expect(anchor.toObject()).to.deep.equal({
        blockNumber: BigInt(blockNumber),
        timestamp: BigInt(timestamp),
        recordCount: BigInt(this.values.length),
        revokedReason: 0n,
      });
    });

    it("answers zeros in anchorOf for a root never anchored", async function () {
      expect((await this.registry.anchorOf(this.tree.root)).toObject()).to.deep.equal({
        blockNumber: 0n,
        timestamp: 0n,
        recordCount: 0n,
        revokedReason: 0n,
      });
    });

    it("accepts the largest record count (uint64)", async function () {
      const max = 2n ** 64n - 1n;
      await this.registry.connect(this.anchorer).anchor(this.tree.root, max, BATCH_REF);
      expect((await this.registry.anchorOf(this.tree.root)).recordCount).to.equal(max);
    });

    it("anchors independent roots independently", async function () {
      await this.registry.connect(this.anchorer).anchor(this.tree.root, this.values.length, BATCH_REF);
      expect((await this.registry.anchorOf(this.otherTree.root)).blockNumber).to.equal(0n);
      await this.registry.connect(this.anchorer).anchor(this.otherTree.root, 4, ethers.ZeroHash);
      expect((await this.registry.anchorOf(this.otherTree.root)).recordCount).to.equal(4n);
      expect((await this.registry.anchorOf(this.tree.root)).recordCount).to.equal(BigInt(this.values.length));
    });

    it("reverts on the zero root", async function () {
      await expect(this.registry.connect(this.anchorer).anchor(ethers.ZeroHash, 1, BATCH_REF))
        .to.be.revertedWithCustomError(this.registry, "TanjiZeroRoot")
        .withArgs();
    });

    it("reverts on an empty batch", async function () {
      await expect(this.registry.connect(this.anchorer).anchor(this.tree.root, 0, BATCH_REF))
        .to.be.revertedWithCustomError(this.registry, "TanjiEmptyBatch")
        .withArgs();
    });

    it("reverts on a root already anchored, naming its block", async function () {
      const tx = await this.registry.connect(this.anchorer).anchor(this.tree.root, this.values.length, BATCH_REF);
      const { blockNumber } = await tx.wait();
      await expect(this.registry.connect(this.anchorer).anchor(this.tree.root, 1, ethers.id("another batch")))
        .to.be.revertedWithCustomError(this.registry, "TanjiRootAlreadyAnchored")
        .withArgs(this.tree.root, blockNumber);
    });
  });

  describe("revokeRoot", function () {
    beforeEach(async function () {
      Object.assign(this, await loadFixture(anchoredFixture));
    });

    it("emits RootRevoked with the indexed root and records the reason", async function () {
      await expect(this.registry.connect(this.revoker).revokeRoot(this.tree.root, REASON))
        .to.emit(this.registry, "RootRevoked")
        .withArgs(this.tree.root, REASON);
      const [event] = await this.registry.queryFilter(this.registry.filters.RootRevoked(this.tree.root));
      expect(event.topics[1]).to.equal(this.tree.root);

      const anchor = await this.registry.anchorOf(this.tree.root);
      expect(anchor.revokedReason).to.equal(REASON);
      // Revocation keeps when the root was anchored.
      expect(anchor.blockNumber).to.equal(this.anchoredAt.blockNumber);
      expect(anchor.timestamp).to.equal(this.anchoredAt.timestamp);
    });

    it("reverts on the zero reason", async function () {
      await expect(this.registry.connect(this.revoker).revokeRoot(this.tree.root, 0))
        .to.be.revertedWithCustomError(this.registry, "TanjiInvalidReason")
        .withArgs(0);
    });

    it("reverts on a root not anchored", async function () {
      await expect(this.registry.connect(this.revoker).revokeRoot(this.otherTree.root, REASON))
        .to.be.revertedWithCustomError(this.registry, "TanjiRootNotAnchored")
        .withArgs(this.otherTree.root);
    });

    it("reverts on a root already revoked, naming the first reason", async function () {
      await this.registry.connect(this.revoker).revokeRoot(this.tree.root, REASON);
      await expect(this.registry.connect(this.revoker).revokeRoot(this.tree.root, OTHER_REASON))
        .to.be.revertedWithCustomError(this.registry, "TanjiRootAlreadyRevoked")
        .withArgs(this.tree.root, REASON);
    });
  });

  describe("revokeLeaf", function () {
    beforeEach(async function () {
      Object.assign(this, await loadFixture(anchoredFixture));
    });

    it("accepts a StandardMerkleTree proof of every leaf and emits LeafRevoked", async function () {
      for (const { leaf, proof } of this.entries) {
        await expect(this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof, REASON))
          .to.emit(this.registry, "LeafRevoked")
          .withArgs(this.tree.root, leaf, REASON);
        expect(await this.registry.leafRevokedReason(this.tree.root, leaf)).to.equal(REASON);
      }
    });

    it("indexes the root and the leaf of LeafRevoked", async function () {
      const { leaf, proof } = this.entries[2];
      await this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof, OTHER_REASON);
      const events = await this.registry.queryFilter(this.registry.filters.LeafRevoked(this.tree.root, leaf));
      expect(events).to.have.lengthOf(1);
      expect(events[0].topics.slice(1)).to.deep.equal([this.tree.root, leaf]);
    });

    it("revokes only that leaf", async function () {
      const [revoked, ...rest] = this.entries;
      await this.registry.connect(this.revoker).revokeLeaf(this.tree.root, revoked.leaf, revoked.proof, REASON);
      for (const { leaf } of rest) {
        expect(await this.registry.leafRevokedReason(this.tree.root, leaf)).to.equal(0);
      }
      expect((await this.registry.anchorOf(this.tree.root)).revokedReason).to.equal(0);
    });

    it("is allowed on a revoked root, keeping the leaf's own reason", async function () {
      const { leaf, proof } = this.entries[1];
      await this.registry.connect(this.revoker).revokeRoot(this.tree.root, REASON);
      await expect(this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof, OTHER_REASON))
        .to.emit(this.registry, "LeafRevoked")
        .withArgs(this.tree.root, leaf, OTHER_REASON);
    });

    it("reverts on the zero reason", async function () {
      const { leaf, proof } = this.entries[0];
      await expect(this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof, 0))
        .to.be.revertedWithCustomError(this.registry, "TanjiInvalidReason")
        .withArgs(0);
    });

    it("reverts on a root not anchored", async function () {
      const [entry] = entriesOf(this.otherTree);
      await expect(this.registry.connect(this.revoker).revokeLeaf(this.otherTree.root, entry.leaf, entry.proof, REASON))
        .to.be.revertedWithCustomError(this.registry, "TanjiRootNotAnchored")
        .withArgs(this.otherTree.root);
    });

    it("reverts on a tampered proof", async function () {
      const { leaf, proof } = this.entries[0];
      const badProof = [tamper(proof[0]), ...proof.slice(1)];
      await expect(this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, badProof, REASON))
        .to.be.revertedWithCustomError(this.registry, "TanjiInvalidProof")
        .withArgs(this.tree.root, leaf);
    });

    it("reverts on a truncated proof", async function () {
      const { leaf, proof } = this.entries[0];
      await expect(this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof.slice(0, -1), REASON))
        .to.be.revertedWithCustomError(this.registry, "TanjiInvalidProof")
        .withArgs(this.tree.root, leaf);
    });

    it("reverts on a tampered leaf", async function () {
      const [type, id, digest] = this.values[0];
      const leaf = this.tree.leafHash([type, id, tamper(digest)]);
      const { proof } = this.entries.find((e) => e.value === this.values[0]);
      await expect(this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof, REASON))
        .to.be.revertedWithCustomError(this.registry, "TanjiInvalidProof")
        .withArgs(this.tree.root, leaf);
    });

    it("reverts on a leaf of another tree", async function () {
      const [entry] = entriesOf(this.otherTree);
      await expect(this.registry.connect(this.revoker).revokeLeaf(this.tree.root, entry.leaf, entry.proof, REASON))
        .to.be.revertedWithCustomError(this.registry, "TanjiInvalidProof")
        .withArgs(this.tree.root, entry.leaf);
    });

    it("reverts on a leaf already revoked, naming the first reason", async function () {
      const { leaf, proof } = this.entries[3];
      await this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof, REASON);
      await expect(this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof, OTHER_REASON))
        .to.be.revertedWithCustomError(this.registry, "TanjiLeafAlreadyRevoked")
        .withArgs(this.tree.root, leaf, REASON);
    });
  });

  describe("check", function () {
    beforeEach(async function () {
      Object.assign(this, await loadFixture(anchoredFixture));
      this.status = async (root, leaf, proof) => (await this.registry.check(root, leaf, proof)).toObject();
      this.expected = (fields) => ({
        anchored: true,
        included: true,
        active: true,
        blockNumber: this.anchoredAt.blockNumber,
        timestamp: this.anchoredAt.timestamp,
        rootRevokedReason: 0n,
        leafRevokedReason: 0n,
        ...fields,
      });
    });

    it("answers active for a valid proof of every leaf", async function () {
      for (const { leaf, proof, value } of this.entries) {
        expect(StandardMerkleTree.verify(this.tree.root, LEAF_ENCODING, value, proof)).to.be.true;
        expect(await this.status(this.tree.root, leaf, proof)).to.deep.equal(this.expected({}));
      }
    });

    it("answers not included for a tampered proof", async function () {
      for (const { leaf, proof } of this.entries) {
        for (let i = 0; i < proof.length; i++) {
          const badProof = proof.map((p, j) => (j === i ? tamper(p) : p));
          expect(await this.status(this.tree.root, leaf, badProof)).to.deep.equal(
            this.expected({ included: false, active: false }),
          );
        }
      }
    });

    it("answers not included for a truncated, extended or reordered proof", async function () {
      const { leaf, proof } = this.entries.find((e) => e.proof.length >= 2);
      const notIncluded = this.expected({ included: false, active: false });
      expect(await this.status(this.tree.root, leaf, proof.slice(1))).to.deep.equal(notIncluded);
      expect(await this.status(this.tree.root, leaf, [...proof, ethers.id("extra")])).to.deep.equal(notIncluded);
      expect(await this.status(this.tree.root, leaf, [...proof].reverse())).to.deep.equal(notIncluded);
      expect(await this.status(this.tree.root, leaf, [])).to.deep.equal(notIncluded);
    });

    it("answers not included for a tampered leaf", async function () {
      for (const { value, proof } of this.entries) {
        const [type, id, digest] = value;
        for (const tampered of [[type, id, tamper(digest)], [type, `${id}x`, digest], ["label", id, digest]]) {
          if (tampered[0] === type && tampered[1] === id && tampered[2] === digest) continue;
          const leaf = this.tree.leafHash(tampered);
          expect(await this.status(this.tree.root, leaf, proof)).to.deep.equal(
            this.expected({ included: false, active: false }),
          );
        }
      }
    });

    it("does not accept the single hash of a leaf value (leaves are double-hashed)", async function () {
      const { value, proof } = this.entries[0];
      const singleHash = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(LEAF_ENCODING, value));
      expect((await this.status(this.tree.root, singleHash, proof)).included).to.be.false;
    });

    it("answers not anchored for an unanchored root", async function () {
      for (const { leaf, proof } of entriesOf(this.otherTree)) {
        expect(await this.status(this.otherTree.root, leaf, proof)).to.deep.equal({
          anchored: false,
          included: true,
          active: false,
          blockNumber: 0n,
          timestamp: 0n,
          rootRevokedReason: 0n,
          leafRevokedReason: 0n,
        });
      }
    });

    it("answers inactive with the reason for a revoked root", async function () {
      await this.registry.connect(this.revoker).revokeRoot(this.tree.root, OTHER_REASON);
      for (const { leaf, proof } of this.entries) {
        expect(await this.status(this.tree.root, leaf, proof)).to.deep.equal(
          this.expected({ active: false, rootRevokedReason: BigInt(OTHER_REASON) }),
        );
      }
    });

    it("answers inactive with the reason for a revoked leaf, and active for its siblings", async function () {
      const [revoked, ...rest] = this.entries;
      await this.registry.connect(this.revoker).revokeLeaf(this.tree.root, revoked.leaf, revoked.proof, REASON);
      expect(await this.status(this.tree.root, revoked.leaf, revoked.proof)).to.deep.equal(
        this.expected({ active: false, leafRevokedReason: BigInt(REASON) }),
      );
      for (const { leaf, proof } of rest) {
        expect(await this.status(this.tree.root, leaf, proof)).to.deep.equal(this.expected({}));
      }
    });

    it("answers both reasons for a revoked leaf of a revoked root", async function () {
      const { leaf, proof } = this.entries[4];
      await this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof, REASON);
      await this.registry.connect(this.revoker).revokeRoot(this.tree.root, OTHER_REASON);
      expect(await this.status(this.tree.root, leaf, proof)).to.deep.equal(
        this.expected({ active: false, rootRevokedReason: BigInt(OTHER_REASON), leafRevokedReason: BigInt(REASON) }),
      );
    });

    it("checks a single-record batch, whose root is its leaf, with an empty proof", async function () {
      const single = StandardMerkleTree.of(leafValues("single", 1), LEAF_ENCODING);
      const [{ leaf, proof }] = entriesOf(single);
      expect(proof).to.be.empty;
      expect(leaf).to.equal(single.root);
      const tx = await this.registry.connect(this.anchorer).anchor(single.root, 1, BATCH_REF);
      const { blockNumber } = await tx.wait();
      const s = await this.status(single.root, leaf, proof);
      expect(s).to.include({ anchored: true, included: true, active: true, blockNumber: BigInt(blockNumber) });

      await this.registry.connect(this.revoker).revokeLeaf(single.root, leaf, proof, REASON);
      expect((await this.status(single.root, leaf, proof)).active).to.be.false;
    });
  });

  describe("a third-party contract checking a label on chain", function () {
    beforeEach(async function () {
      Object.assign(this, await loadFixture(anchoredFixture));
      this.consumer = await ethers.deployContract("LabelConsumer", [this.registry]);
    });

    it("derives the same leaf as StandardMerkleTree from Tanji's leaf value", async function () {
      for (const { value, leaf } of this.entries) {
        expect(await this.consumer.leafOf(...value)).to.equal(leaf);
      }
    });

    it("accepts an anchored label and refuses it once revoked", async function () {
      const { value, proof, leaf } = this.entries[5];
      expect(await this.consumer.isActive(this.tree.root, ...value, proof)).to.be.true;
      const [type, id, digest] = value;
      expect(await this.consumer.isActive(this.tree.root, type, id, tamper(digest), proof)).to.be.false;

      await this.registry.connect(this.revoker).revokeLeaf(this.tree.root, leaf, proof, REASON);
      expect(await this.consumer.isActive(this.tree.root, ...value, proof)).to.be.false;
    });
  });
});
