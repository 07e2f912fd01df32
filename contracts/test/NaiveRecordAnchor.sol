// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title NaiveRecordAnchor
/// @notice Benchmark baseline only (bench/gas.js), never deployed: anchors one record per call,
///         one SSTORE and one event per record, the way a registry without Merkle batching would.
/// @dev Deliberately has no access control, so it is cheaper per record than any real design:
///      the batching ratio measured against it understates Tanji's saving.
contract NaiveRecordAnchor {
    mapping(bytes32 recordHash => uint256 anchoredAt) private _anchoredAt;

    event RecordAnchored(bytes32 indexed recordHash, uint64 timestamp);

    /// @notice Store when `recordHash` was anchored (block number and timestamp in one slot).
    function anchorRecord(bytes32 recordHash) external {
        _anchoredAt[recordHash] = (block.number << 64) | block.timestamp;
        emit RecordAnchored(recordHash, uint64(block.timestamp));
    }
}
