// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ITanjiAnchorRegistry
/// @notice Anchors Merkle roots of Tanji record batches (OpenZeppelin StandardMerkleTree roots) and
///         records revocations of whole roots or of single leaves.
/// @dev Leaves are StandardMerkleTree leaves: keccak256(bytes.concat(keccak256(abi.encode(values)))).
interface ITanjiAnchorRegistry {
    /// @notice What the registry knows of one anchored root.
    struct Anchor {
        uint64 blockNumber;   // block in which the root was anchored (0: never anchored)
        uint64 timestamp;     // that block's timestamp
        uint64 recordCount;   // number of leaves in the batch
        uint16 revokedReason; // 0: not revoked; otherwise the reason code of the root's revocation
    }

    /// @notice The answer to `check(root, leaf, proof)`.
    struct Status {
        bool anchored;          // root anchored on this contract
        bool included;          // proof shows leaf under root
        bool active;            // anchored, included, and neither root nor leaf revoked
        uint64 blockNumber;     // anchoring block (0 if not anchored)
        uint64 timestamp;       // anchoring block timestamp
        uint16 rootRevokedReason; // 0 if the root is not revoked
        uint16 leafRevokedReason; // 0 if the leaf is not revoked
    }

    /// @notice The zero root cannot be anchored.
    /// @dev No StandardMerkleTree has it: it is what an unset `bytes32` holds, so it marks a caller's bug.
    error TanjiZeroRoot();

    /// @notice `root` is anchored already; a root is anchored once and its first anchoring stands.
    /// @param root The root that was to be anchored.
    /// @param blockNumber Block in which it was first anchored.
    error TanjiRootAlreadyAnchored(bytes32 root, uint64 blockNumber);

    /// @notice `root` was never anchored on this contract, so nothing of it can be revoked.
    /// @param root The root named by the revocation.
    error TanjiRootNotAnchored(bytes32 root);

    /// @notice `root` is revoked already; revocation is final and keeps its first reason.
    /// @param root The revoked root.
    /// @param reason Reason code of its revocation.
    error TanjiRootAlreadyRevoked(bytes32 root, uint16 reason);

    /// @notice `leaf` of `root` is revoked already; revocation is final and keeps its first reason.
    /// @param root The root the leaf is in.
    /// @param leaf The revoked StandardMerkleTree leaf hash.
    /// @param reason Reason code of its revocation.
    error TanjiLeafAlreadyRevoked(bytes32 root, bytes32 leaf, uint16 reason);

    /// @notice The proof does not show `leaf` under `root` (OpenZeppelin MerkleProof, sorted pairs).
    /// @param root The root the leaf was claimed to be in.
    /// @param leaf The leaf hash the proof was given for.
    error TanjiInvalidProof(bytes32 root, bytes32 leaf);

    /// @notice Reason codes of revocations must be non-zero.
    /// @dev Zero is how storage and `check` say "not revoked", so it cannot also name a reason.
    /// @param reason The reason code given.
    error TanjiInvalidReason(uint16 reason);

    /// @notice A batch has at least one record: `recordCount` must not be zero.
    error TanjiEmptyBatch();

    /// @notice `root`, the root of a batch of `recordCount` records, was anchored.
    /// @dev The anchoring transaction's sender is the issuer a verifier checks against its trust file;
    ///      the block number is the log's own.
    /// @param root The batch root (StandardMerkleTree).
    /// @param batchRef The registry's reference of the batch (emitted only, not stored).
    /// @param recordCount Number of leaves in the batch.
    /// @param timestamp Timestamp of the anchoring block, as `anchorOf` returns it.
    event RootAnchored(bytes32 indexed root, bytes32 indexed batchRef, uint64 recordCount, uint64 timestamp);

    /// @notice Every leaf of `root` was revoked.
    /// @param root The revoked root.
    /// @param reason Non-zero reason code (docs/PROTOCOL.md, "Revocation reasons").
    event RootRevoked(bytes32 indexed root, uint16 reason);

    /// @notice The single leaf `leaf` of `root` was revoked.
    /// @param root The root the leaf is in.
    /// @param leaf The revoked StandardMerkleTree leaf hash.
    /// @param reason Non-zero reason code (docs/PROTOCOL.md, "Revocation reasons").
    event LeafRevoked(bytes32 indexed root, bytes32 indexed leaf, uint16 reason);

    /// @notice Anchor the root of a batch of `recordCount` leaves.
    /// @dev Emits `RootAnchored`; the anchoring transaction's sender is the issuer a verifier trusts.
    ///      Reverts with `TanjiZeroRoot`, `TanjiEmptyBatch` or `TanjiRootAlreadyAnchored`.
    /// @param root StandardMerkleTree root of the batch; never zero, never anchored twice.
    /// @param recordCount Number of leaves in the batch (at least one).
    /// @param batchRef The registry's reference of the batch (emitted, not stored).
    function anchor(bytes32 root, uint64 recordCount, bytes32 batchRef) external;

    /// @notice Revoke every leaf of an anchored root. Revocation is final: a root is never un-revoked.
    /// @dev Emits `RootRevoked`. Reverts with `TanjiInvalidReason`, `TanjiRootNotAnchored` or
    ///      `TanjiRootAlreadyRevoked`.
    /// @param root An anchored root not yet revoked.
    /// @param reason Non-zero reason code (docs/PROTOCOL.md, "Revocation reasons").
    function revokeRoot(bytes32 root, uint16 reason) external;

    /// @notice Revoke one leaf of an anchored root, proven to be in it. Final, like `revokeRoot`.
    /// @dev Emits `LeafRevoked`. Allowed on a revoked root too, so that a leaf's own reason is kept on
    ///      record. Reverts with `TanjiInvalidReason`, `TanjiRootNotAnchored`, `TanjiInvalidProof` or
    ///      `TanjiLeafAlreadyRevoked`.
    /// @param root An anchored root.
    /// @param leaf The StandardMerkleTree leaf hash.
    /// @param proof Sibling hashes from leaf to root (OpenZeppelin MerkleProof, sorted pairs).
    /// @param reason Non-zero reason code.
    function revokeLeaf(bytes32 root, bytes32 leaf, bytes32[] calldata proof, uint16 reason) external;

    /// @notice What is known of `root`: a zero block number means never anchored.
    /// @param root Any root; an unknown one is not an error.
    /// @return The root's `Anchor` (all zero when `root` was never anchored).
    function anchorOf(bytes32 root) external view returns (Anchor memory);

    /// @notice Reason code of a revoked leaf of `root`, zero if it is not revoked.
    /// @dev Only leaves revoked one by one: a revoked root's reason is in `anchorOf(root)`.
    /// @param root The root the leaf is in.
    /// @param leaf The StandardMerkleTree leaf hash.
    /// @return The leaf's revocation reason code, zero if it is not revoked.
    function leafRevokedReason(bytes32 root, bytes32 leaf) external view returns (uint16);

    /// @notice One call that tells a verifier whether `leaf` is anchored under `root` and active.
    /// @dev Never reverts on bad input: an unknown root or a wrong proof is reported in the fields.
    /// @param root The batch root claimed by a bundle.
    /// @param leaf The StandardMerkleTree leaf hash.
    /// @param proof Sibling hashes from leaf to root.
    /// @return The `Status` of `leaf` under `root`: anchored, included, active, when, and any revocation.
    function check(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (Status memory);
}
