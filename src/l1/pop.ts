import { type Address, concat, type Hex, hexToBytes, numberToHex, toBytes, toHex } from "viem";
import { g1ToEip2537, g2ToEip2537, popProve, publicKeyFromSecretKey } from "../crypto/index.ts";

/** Domain tag at the start of every proof-of-possession message (StakingManager.POP_DOMAIN). */
export const POP_DOMAIN = "megaseq-pop-v1";

/**
 * The bytes a validator's BLS key signs, with the PoP DST, to register:
 * "megaseq-pop-v1" || chainId (uint256 big-endian) || StakingManager (20 B) || operator (20 B)
 * || pubkey (128 B, EIP-2537 G1). It binds the key to one operator on one chain and one
 * contract, so a proof seen on chain cannot be replayed by someone else or elsewhere.
 */
export function popMessage(
  chainId: bigint | number,
  staking: Address,
  operator: Address,
  pubkey128: Hex,
): Uint8Array {
  return hexToBytes(
    concat([
      toHex(toBytes(POP_DOMAIN)),
      numberToHex(BigInt(chainId), { size: 32 }),
      staking,
      operator,
      pubkey128,
    ]),
  );
}

export interface RegistrationKey {
  /** EIP-2537 G1 public key (128 bytes). */
  pubkey: Hex;
  /** EIP-2537 G2 proof of possession (256 bytes). */
  pop: Hex;
}

/** Public key and proof of possession in the forms registerValidator takes. */
export function registrationKey(
  secretKey: Uint8Array,
  chainId: bigint | number,
  staking: Address,
  operator: Address,
): RegistrationKey {
  const pubkey = toHex(g1ToEip2537(publicKeyFromSecretKey(secretKey)));
  const pop = toHex(g2ToEip2537(popProve(secretKey, popMessage(chainId, staking, operator, pubkey))));
  return { pubkey, pop };
}
