// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Signing roots of megaseq consensus messages, recomputed on chain
/// @notice Mirrors src/types (docs/wire-format.md):
///         signingRoot = domain(kind, chainId, epoch) ++ hashTreeRoot(message)   (64 bytes)
///         domain      = hashTreeRoot(DomainData{domainType: Bytes4, chainId: uint64, epoch: uint64})
///         domainType  = "msq" ++ kind (0x01 proposal, 0x02 vote, 0x03 timeout)
///         The messages are SSZ fixed-size containers whose fields are uint64 (8 bytes little-
///         endian, one chunk each, zero-padded on the right) and Bytes32 (one chunk):
///           Vote        (48 B):  epoch, round, blockRoot
///           Timeout     (24 B):  epoch, round, highQcRound
///           BlockHeader (168 B): epoch, round, proposerIndex, parentRoot, parentRound,
///                                payloadRoot, stateBlockNumber, stateRoot, justifyRoot
///         hashTreeRoot merkleizes the field chunks, padded with zero chunks to a power of two,
///         with sha256 (precompile 0x02).
library SigningRoot {
    uint8 internal constant KIND_PROPOSAL = 1;
    uint8 internal constant KIND_VOTE = 2;
    uint8 internal constant KIND_TIMEOUT = 3;

    /// SSZ length of a message of `kind`, 0 for an unknown kind.
    function messageLength(uint8 kind) internal pure returns (uint256) {
        if (kind == KIND_PROPOSAL) return 168;
        if (kind == KIND_VOTE) return 48;
        if (kind == KIND_TIMEOUT) return 24;
        return 0;
    }

    /// Reads a little-endian uint64 at `offset`.
    function readUint64(bytes calldata data, uint256 offset) internal pure returns (uint64 value) {
        for (uint256 i = 0; i < 8; i++) {
            value |= uint64(uint8(data[offset + i])) << uint64(8 * i);
        }
    }

    function compute(uint8 kind, uint64 chainId, bytes calldata message) internal pure returns (bytes memory) {
        uint256 expected = messageLength(kind);
        require(expected != 0 && message.length == expected, "SigningRoot: bad message");
        bytes32 dom = domain(kind, chainId, bytes8(message[0:8]));
        bytes32 root;
        if (kind == KIND_PROPOSAL) {
            bytes32[16] memory leaves;
            leaves[0] = bytes32(bytes8(message[0:8])); // epoch
            leaves[1] = bytes32(bytes8(message[8:16])); // round
            leaves[2] = bytes32(bytes8(message[16:24])); // proposerIndex
            leaves[3] = bytes32(message[24:56]); // parentRoot
            leaves[4] = bytes32(bytes8(message[56:64])); // parentRound
            leaves[5] = bytes32(message[64:96]); // payloadRoot
            leaves[6] = bytes32(bytes8(message[96:104])); // stateBlockNumber
            leaves[7] = bytes32(message[104:136]); // stateRoot
            leaves[8] = bytes32(message[136:168]); // justifyRoot
            root = _merkle16(leaves);
        } else if (kind == KIND_VOTE) {
            root = _merkle4(bytes32(bytes8(message[0:8])), bytes32(bytes8(message[8:16])), bytes32(message[16:48]), 0);
        } else {
            root = _merkle4(
                bytes32(bytes8(message[0:8])), bytes32(bytes8(message[8:16])), bytes32(bytes8(message[16:24])), 0
            );
        }
        return abi.encodePacked(dom, root);
    }

    /// hashTreeRoot(DomainData{domainType, chainId, epoch}); `epochLe` is the epoch as SSZ bytes.
    function domain(uint8 kind, uint64 chainId, bytes8 epochLe) internal pure returns (bytes32) {
        bytes32 domainType = bytes32(bytes4(abi.encodePacked(bytes3("msq"), kind)));
        return _merkle4(domainType, bytes32(_le64(chainId)), bytes32(epochLe), 0);
    }

    function _le64(uint64 v) private pure returns (bytes8 out) {
        uint64 r;
        for (uint256 i = 0; i < 8; i++) {
            r = (r << 8) | (v & 0xff);
            v >>= 8;
        }
        out = bytes8(r);
    }

    function _h(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return sha256(abi.encodePacked(a, b));
    }

    function _merkle4(bytes32 a, bytes32 b, bytes32 c, bytes32 d) private pure returns (bytes32) {
        return _h(_h(a, b), _h(c, d));
    }

    function _merkle16(bytes32[16] memory l) private pure returns (bytes32) {
        bytes32[8] memory n1;
        for (uint256 i = 0; i < 8; i++) {
            n1[i] = _h(l[2 * i], l[2 * i + 1]);
        }
        bytes32[4] memory n2;
        for (uint256 i = 0; i < 4; i++) {
            n2[i] = _h(n1[2 * i], n1[2 * i + 1]);
        }
        return _h(_h(n2[0], n2[1]), _h(n2[2], n2[3]));
    }
}
