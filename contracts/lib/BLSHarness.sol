// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BLS} from "./BLS.sol";

/// @notice Exposes the BLS library for tests and the gas bench; not part of the deployed suite.
contract BLSHarness {
    function expandMessage(bytes calldata message, bytes calldata dst) external view returns (bytes memory) {
        return BLS.expandMessage(message, dst);
    }

    function hashToField(bytes calldata message, bytes calldata dst) external view returns (bytes memory) {
        return BLS.hashToField(message, dst);
    }

    function hashToG2(bytes calldata message, bytes calldata dst) external view returns (bytes memory) {
        return BLS.hashToG2(message, dst);
    }

    function verify(bytes calldata pubkey, bytes calldata message, bytes calldata signature, bytes calldata dst)
        external
        view
        returns (bool)
    {
        return BLS.verify(pubkey, message, signature, dst);
    }
}
