// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ITanjiAnchorRegistry} from "./ITanjiAnchorRegistry.sol";

/// @title TanjiAnchorRegistry
/// @notice Anchors Merkle roots of Tanji record batches and their revocations.
/// @dev One storage slot per root (block, timestamp, count and revocation packed into `Anchor`) keeps
///      an anchor at a constant gas cost whatever the batch size (bench/GAS.md). Leaves are never
///      stored: a leaf is only written when it is revoked.
///
///      `check` and `revokeLeaf` take a leaf *hash*. A verifier must compute it from the record
///      (StandardMerkleTree double-hashes `abi.encode(values)`), never accept one from a bundle:
///      an inner node of a tree, passed as a "leaf" with a shorter proof, also verifies.
///
///      `anchor` needs `ANCHORER_ROLE`, `revokeRoot` and `revokeLeaf` need `REVOKER_ROLE`; any other
///      caller gets OpenZeppelin's `AccessControlUnauthorizedAccount(account, role)`. The documentation
///      of every external function, error and event is in `ITanjiAnchorRegistry`.
contract TanjiAnchorRegistry is ITanjiAnchorRegistry, AccessControl {
    /// @notice Role allowed to anchor batch roots.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @notice Role allowed to revoke roots and leaves.
    bytes32 public constant REVOKER_ROLE = keccak256("REVOKER_ROLE");

    mapping(bytes32 root => Anchor) private _anchors;
    mapping(bytes32 root => mapping(bytes32 leaf => uint16 reason)) private _revokedLeaves;

    /// @param admin Receives the admin, anchorer and revoker roles; it may grant them to others
    ///        (an anchoring service key, a certification body's revocation key) and renounce its own.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, admin);
        _grantRole(REVOKER_ROLE, admin);
    }

    /// @inheritdoc ITanjiAnchorRegistry
    function anchor(bytes32 root, uint64 recordCount, bytes32 batchRef) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0)) revert TanjiZeroRoot();
        if (recordCount == 0) revert TanjiEmptyBatch();
        Anchor storage existing = _anchors[root];
        if (existing.blockNumber != 0) revert TanjiRootAlreadyAnchored(root, existing.blockNumber);
        _anchors[root] = Anchor(uint64(block.number), uint64(block.timestamp), recordCount, 0);
        emit RootAnchored(root, batchRef, recordCount, uint64(block.timestamp));
    }

    /// @inheritdoc ITanjiAnchorRegistry
    function revokeRoot(bytes32 root, uint16 reason) external onlyRole(REVOKER_ROLE) {
        if (reason == 0) revert TanjiInvalidReason(reason);
        Anchor storage a = _requireAnchored(root);
        if (a.revokedReason != 0) revert TanjiRootAlreadyRevoked(root, a.revokedReason);
        a.revokedReason = reason;
        emit RootRevoked(root, reason);
    }

    /// @inheritdoc ITanjiAnchorRegistry
    function revokeLeaf(bytes32 root, bytes32 leaf, bytes32[] calldata proof, uint16 reason)
        external
        onlyRole(REVOKER_ROLE)
    {
        if (reason == 0) revert TanjiInvalidReason(reason);
        _requireAnchored(root);
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert TanjiInvalidProof(root, leaf);
        uint16 existing = _revokedLeaves[root][leaf];
        if (existing != 0) revert TanjiLeafAlreadyRevoked(root, leaf, existing);
        _revokedLeaves[root][leaf] = reason;
        emit LeafRevoked(root, leaf, reason);
    }

    /// @inheritdoc ITanjiAnchorRegistry
    function anchorOf(bytes32 root) external view returns (Anchor memory) {
        return _anchors[root];
    }

    /// @inheritdoc ITanjiAnchorRegistry
    function leafRevokedReason(bytes32 root, bytes32 leaf) external view returns (uint16) {
        return _revokedLeaves[root][leaf];
    }

    /// @inheritdoc ITanjiAnchorRegistry
    function check(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (Status memory s) {
        Anchor memory a = _anchors[root];
        s.anchored = a.blockNumber != 0;
        s.included = MerkleProof.verifyCalldata(proof, root, leaf);
        s.blockNumber = a.blockNumber;
        s.timestamp = a.timestamp;
        s.rootRevokedReason = a.revokedReason;
        s.leafRevokedReason = _revokedLeaves[root][leaf];
        s.active = s.anchored && s.included && s.rootRevokedReason == 0 && s.leafRevokedReason == 0;
    }

    /// @inheritdoc AccessControl
    /// @dev Also answers for `ITanjiAnchorRegistry`, so that a consumer contract can probe a registry.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(ITanjiAnchorRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    function _requireAnchored(bytes32 root) private view returns (Anchor storage a) {
        a = _anchors[root];
        if (a.blockNumber == 0) revert TanjiRootNotAnchored(root);
    }
}
