// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BLS} from "./lib/BLS.sol";
import {SigningRoot} from "./lib/SigningRoot.sol";

/// @notice What Slashing needs from the StakingManager.
interface IStakingForSlashing {
    function currentEpoch() external view returns (uint256);
    function evidenceWindow() external view returns (uint256);
    function validatorSet(uint256 epoch)
        external
        view
        returns (address[] memory validators, bytes[] memory blsPubkeys, uint256[] memory powers);
    function membership(uint256 epoch, address validator) external view returns (bool member, uint256 startTime);
    function slash(address validator, address reporter) external returns (uint256 fromStake, uint256 fromUnbonding);
}

/// @title Double-sign slashing on BLS evidence
/// @notice Anyone may submit two messages of one kind (proposal header, vote or timeout), both
///         SSZ-serialized exactly as src/types encodes them, signed by the same validator for the
///         same (epoch, round) with different content. The contract recomputes both signing roots
///         (domain(kind, chainId, epoch) ++ hashTreeRoot(message), see SigningRoot.sol), verifies
///         both BLS signatures (EIP-2537, 256-byte G2) under the key that sat at `validatorIndex`
///         in that epoch's frozen set, checks the evidence window, and has the StakingManager
///         slash, tombstone and pay the reporter. An offence (validator, kind, epoch, round) is
///         slashed once.
contract Slashing {
    bytes public constant MESSAGE_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

    error UnknownKind(uint8 kind);
    error BadMessageLength(uint256 length, uint256 expected);
    error BadSignatureLength(uint256 length);
    error DifferentEpochs(uint64 epochA, uint64 epochB);
    error DifferentRounds(uint64 roundA, uint64 roundB);
    error IdenticalMessages();
    error WrongProposer(uint64 proposerIndex, uint64 validatorIndex);
    error EvidenceFromFuture(uint64 epoch);
    error NotInSet(uint64 epoch, uint64 validatorIndex);
    error StaleEvidence(uint64 epoch, uint256 deadline);
    error InvalidSignature(uint8 which);
    error AlreadySlashed(bytes32 offence);

    event DoubleSignSlashed(
        address indexed validator,
        uint8 kind,
        uint64 epoch,
        uint64 round,
        address indexed reporter,
        uint256 fromStake,
        uint256 fromUnbonding
    );

    IStakingForSlashing public immutable staking;
    /// The consensus (L2) chain id that signing domains commit to.
    uint64 public immutable chainId;
    mapping(bytes32 => bool) public slashed;

    constructor(IStakingForSlashing staking_, uint64 chainId_) {
        staking = staking_;
        chainId = chainId_;
    }

    /// The 64-byte signing root the validator signed for `message` (SSZ bytes) of `kind`.
    function signingRoot(uint8 kind, bytes calldata message) external view returns (bytes memory) {
        return SigningRoot.compute(kind, chainId, message);
    }

    /// Offence id: one slash per (validator, kind, epoch, round).
    function offenceId(address validator, uint8 kind, uint64 epoch, uint64 round) public pure returns (bytes32) {
        return keccak256(abi.encode(validator, kind, epoch, round));
    }

    /// Two conflicting signed messages: SSZ bytes as src/types encodes them, EIP-2537 G2 signatures.
    struct Evidence {
        uint8 kind;
        uint64 validatorIndex;
        bytes messageA;
        bytes signatureA;
        bytes messageB;
        bytes signatureB;
    }

    function submitDoubleSign(Evidence calldata e) external returns (uint256 fromStake, uint256 fromUnbonding) {
        (uint64 epoch, uint64 round) = _checkShape(e);
        (address validator, bytes memory pubkey) = _signer(epoch, e.validatorIndex);
        bytes32 offence = offenceId(validator, e.kind, epoch, round);
        if (slashed[offence]) revert AlreadySlashed(offence);
        _verify(e.kind, pubkey, e.messageA, e.signatureA, 0);
        _verify(e.kind, pubkey, e.messageB, e.signatureB, 1);
        slashed[offence] = true;
        (fromStake, fromUnbonding) = staking.slash(validator, msg.sender);
        emit DoubleSignSlashed(validator, e.kind, epoch, round, msg.sender, fromStake, fromUnbonding);
    }

    /// Lengths, same (epoch, round), different content, and for proposals the proposer index.
    function _checkShape(Evidence calldata e) private pure returns (uint64 epoch, uint64 round) {
        uint256 expected = SigningRoot.messageLength(e.kind);
        if (expected == 0) revert UnknownKind(e.kind);
        if (e.messageA.length != expected) revert BadMessageLength(e.messageA.length, expected);
        if (e.messageB.length != expected) revert BadMessageLength(e.messageB.length, expected);
        if (e.signatureA.length != BLS.G2_LEN) revert BadSignatureLength(e.signatureA.length);
        if (e.signatureB.length != BLS.G2_LEN) revert BadSignatureLength(e.signatureB.length);
        epoch = SigningRoot.readUint64(e.messageA, 0);
        round = SigningRoot.readUint64(e.messageA, 8);
        uint64 epochB = SigningRoot.readUint64(e.messageB, 0);
        if (epoch != epochB) revert DifferentEpochs(epoch, epochB);
        uint64 roundB = SigningRoot.readUint64(e.messageB, 8);
        if (round != roundB) revert DifferentRounds(round, roundB);
        if (keccak256(e.messageA) == keccak256(e.messageB)) revert IdenticalMessages();
        if (e.kind == SigningRoot.KIND_PROPOSAL) {
            uint64 pa = SigningRoot.readUint64(e.messageA, 16);
            if (pa != e.validatorIndex) revert WrongProposer(pa, e.validatorIndex);
            uint64 pb = SigningRoot.readUint64(e.messageB, 16);
            if (pb != e.validatorIndex) revert WrongProposer(pb, e.validatorIndex);
        }
    }

    /// The validator at `validatorIndex` of `epoch`'s frozen set, inside the evidence window.
    function _signer(uint64 epoch, uint64 validatorIndex) private view returns (address validator, bytes memory pubkey) {
        if (epoch > staking.currentEpoch()) revert EvidenceFromFuture(epoch);
        (address[] memory vals, bytes[] memory keys,) = staking.validatorSet(epoch);
        if (validatorIndex >= vals.length) revert NotInSet(epoch, validatorIndex);
        validator = vals[validatorIndex];
        pubkey = keys[validatorIndex];
        (, uint256 startTime) = staking.membership(epoch, validator);
        uint256 deadline = startTime + staking.evidenceWindow();
        if (block.timestamp > deadline) revert StaleEvidence(epoch, deadline);
    }

    function _verify(uint8 kind, bytes memory pubkey, bytes calldata message, bytes calldata signature, uint8 which)
        private
        view
    {
        if (!BLS.verify(pubkey, SigningRoot.compute(kind, chainId, message), signature, MESSAGE_DST)) {
            revert InvalidSignature(which);
        }
    }
}
