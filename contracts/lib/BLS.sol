// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title BLS12-381 signature verification (min-pk: public keys in G1, signatures in G2)
/// @notice Built on the EIP-2537 precompiles (Prague). Points use the EIP-2537 encodings:
///         G1 = 128 bytes (x, y as 64-byte big-endian field elements, 16 zero bytes + 48),
///         G2 = 256 bytes (x.c0, x.c1, y.c0, y.c1). Hash-to-G2 follows RFC 9380
///         (BLS12381G2_XMD:SHA-256_SSWU_RO_): expand_message_xmd with SHA-256 (precompile 0x02),
///         hash_to_field reduced mod p with MODEXP (0x05), MAP_FP2_TO_G2 (0x11, which clears the
///         cofactor) on both field elements, then G2ADD (0x0d). Verification is one PAIRING (0x0f)
///         check: e(pk, H(m)) * e(-G1, sig) == 1. The precompiles reject non-canonical field
///         elements, points off the curve and points outside the subgroup; this library also
///         refuses the point at infinity as a key or a signature.
library BLS {
    error BadPointLength(uint256 length);

    uint256 internal constant G1_LEN = 128;
    uint256 internal constant G2_LEN = 256;

    address private constant SHA256 = address(0x02);
    address private constant MODEXP = address(0x05);
    address private constant G2ADD = address(0x0d);
    address private constant PAIRING = address(0x0f);
    address private constant MAP_FP2_TO_G2 = address(0x11);

    /// The field modulus p, 48 bytes big-endian (the MODEXP modulus).
    bytes private constant P =
        hex"1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab";

    /// -G1 (the negated generator) in the EIP-2537 encoding.
    bytes private constant NEG_G1 =
        hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb00000000000000000000000000000000114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca";

    /// RFC 9380 expand_message_xmd with SHA-256, len_in_bytes = 256 (two Fp2 elements, L = 64).
    function expandMessage(bytes memory message, bytes memory dst) internal view returns (bytes memory out) {
        require(dst.length <= 255, "BLS: DST too long");
        bytes memory dstPrime = abi.encodePacked(dst, uint8(dst.length));
        bytes32 b0 = _sha256(abi.encodePacked(new bytes(64), message, uint16(256), uint8(0), dstPrime));
        bytes32 bi = _sha256(abi.encodePacked(b0, uint8(1), dstPrime));
        out = new bytes(256);
        assembly ("memory-safe") {
            mstore(add(out, 32), bi)
        }
        for (uint256 i = 2; i <= 8; i++) {
            bi = _sha256(abi.encodePacked(b0 ^ bi, uint8(i), dstPrime));
            assembly ("memory-safe") {
                mstore(add(out, mul(i, 32)), bi)
            }
        }
    }

    /// RFC 9380 hash_to_field for Fp2, count = 2: four 64-byte EIP-2537 field elements
    /// (u0.c0, u0.c1, u1.c0, u1.c1), each reduced mod p.
    function hashToField(bytes memory message, bytes memory dst) internal view returns (bytes memory out) {
        bytes memory uniform = expandMessage(message, dst);
        out = new bytes(256);
        for (uint256 j = 0; j < 4; j++) {
            bytes32 hi;
            bytes32 lo;
            assembly ("memory-safe") {
                hi := mload(add(uniform, add(32, mul(j, 64))))
                lo := mload(add(uniform, add(64, mul(j, 64))))
            }
            // MODEXP(base = 64 bytes, exponent = 1, modulus = p): base mod p, 48 bytes out.
            bytes memory input = abi.encodePacked(uint256(64), uint256(1), uint256(48), hi, lo, uint8(1), P);
            (bool ok, bytes memory reduced) = MODEXP.staticcall(input);
            require(ok && reduced.length == 48, "BLS: modexp failed");
            // Left-pad the 48-byte element to 64 bytes.
            assembly ("memory-safe") {
                let dstPtr := add(out, add(32, mul(j, 64)))
                mstore(dstPtr, 0)
                mstore(add(dstPtr, 16), mload(add(reduced, 32)))
                mstore(add(dstPtr, 48), mload(add(reduced, 64)))
            }
        }
    }

    /// Hash to G2 (RFC 9380 hash_to_curve, random oracle variant) as a 256-byte EIP-2537 point.
    function hashToG2(bytes memory message, bytes memory dst) internal view returns (bytes memory) {
        bytes memory u = hashToField(message, dst);
        bytes memory u0 = new bytes(128);
        bytes memory u1 = new bytes(128);
        for (uint256 k = 0; k < 128; k += 32) {
            assembly ("memory-safe") {
                mstore(add(add(u0, 32), k), mload(add(add(u, 32), k)))
                mstore(add(add(u1, 32), k), mload(add(add(u, 160), k)))
            }
        }
        (bool ok0, bytes memory q0) = MAP_FP2_TO_G2.staticcall(u0);
        (bool ok1, bytes memory q1) = MAP_FP2_TO_G2.staticcall(u1);
        require(ok0 && ok1 && q0.length == G2_LEN && q1.length == G2_LEN, "BLS: map to G2 failed");
        (bool okAdd, bytes memory sum) = G2ADD.staticcall(abi.encodePacked(q0, q1));
        require(okAdd && sum.length == G2_LEN, "BLS: G2 add failed");
        return sum;
    }

    /// Verifies `signature` on `message` under `pubkey` with the given DST. Returns false (never
    /// reverts) for a wrong signature, a malformed or non-subgroup point, or the point at infinity;
    /// reverts only when a length is wrong, which is a caller bug rather than a bad signature.
    function verify(bytes memory pubkey, bytes memory message, bytes memory signature, bytes memory dst)
        internal
        view
        returns (bool)
    {
        if (pubkey.length != G1_LEN) revert BadPointLength(pubkey.length);
        if (signature.length != G2_LEN) revert BadPointLength(signature.length);
        if (isZero(pubkey) || isZero(signature)) return false;
        bytes memory h = hashToG2(message, dst);
        (bool ok, bytes memory out) = PAIRING.staticcall(abi.encodePacked(pubkey, h, NEG_G1, signature));
        return ok && out.length == 32 && uint256(bytes32(out)) == 1;
    }

    /// True when every byte is zero: the EIP-2537 encoding of the point at infinity.
    function isZero(bytes memory data) internal pure returns (bool) {
        uint256 acc;
        for (uint256 i = 0; i < data.length; i += 32) {
            uint256 word;
            assembly ("memory-safe") {
                word := mload(add(add(data, 32), i))
            }
            acc |= word;
        }
        // The last word may read past the end; data lengths here are multiples of 32.
        return acc == 0;
    }

    function _sha256(bytes memory data) private view returns (bytes32 digest) {
        (bool ok, bytes memory out) = SHA256.staticcall(data);
        require(ok && out.length == 32, "BLS: sha256 failed");
        digest = bytes32(out);
    }
}
