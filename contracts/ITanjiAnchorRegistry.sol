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

    error TanjiZeroRoot();
    error TanjiRootAlreadyAnchored(bytes32 root, uint64 blockNumber);
    error TanjiRootNotAnchored(bytes32 root);
    error TanjiRootAlreadyRevoked(bytes32 root, uint16 reason);
    error TanjiLeafAlreadyRevoked(bytes32 root, bytes32 leaf, uint16 reason);
    error TanjiInvalidProof(bytes32 root, bytes32 leaf);
    error TanjiInvalidReason(uint16 reason);
    error TanjiEmptyBatch();

    event RootAnchored(bytes32 indexed root, bytes32 indexed batchRef, uint64 recordCount, uint64 timestamp);
    event RootRevoked(bytes32 indexed root, uint16 reason);
    event LeafRevoked(bytes32 indexed root, bytes32 indexed leaf, uint16 reason);

    function anchor(bytes32 root, uint64 recordCount, bytes32 batchRef) external;
    function revokeRoot(bytes32 root, uint16 reason) external;
    function revokeLeaf(bytes32 root, bytes32 leaf, bytes32[] calldata proof, uint16 reason) external;
    function anchorOf(bytes32 root) external view returns (Anchor memory);
    function leafRevokedReason(bytes32 root, bytes32 leaf) external view returns (uint16);
    function check(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (Status memory);
}
