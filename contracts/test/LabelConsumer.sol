// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITanjiAnchorRegistry} from "../ITanjiAnchorRegistry.sol";

/// @title LabelConsumer
/// @notice Test-only example of a third-party contract (a green-finance loan, a points scheme)
///         that accepts a Tanji label on chain: it derives the leaf from the label's leaf value
///         itself, as a verifier must, and asks the registry whether it is anchored and active.
contract LabelConsumer {
    ITanjiAnchorRegistry public immutable registry;

    constructor(ITanjiAnchorRegistry registry_) {
        registry = registry_;
    }

    /// @notice StandardMerkleTree leaf of Tanji's leaf encoding `["string","string","bytes32"]`.
    function leafOf(string calldata recordType, string calldata id, bytes32 digest) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(recordType, id, digest))));
    }

    /// @notice True when the record `[recordType, id, digest]` is anchored under `root` and not revoked.
    function isActive(
        bytes32 root,
        string calldata recordType,
        string calldata id,
        bytes32 digest,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return registry.check(root, leafOf(recordType, id, digest), proof).active;
    }
}
