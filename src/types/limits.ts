/**
 * Wire-format bounds. Every list on the wire has a limit so that a decoder rejects oversize input
 * before allocating for it. Changing any of these changes hashTreeRoot of the containers that use
 * them (SSZ mixes list limits into the Merkle depth): treat them as part of the wire format.
 */
export const MAX_VALIDATORS = 1024;
/** Transactions in one mini-block payload. */
export const MAX_TXS_PER_PAYLOAD = 4096;
/** Bytes of one signed transaction. */
export const MAX_TX_BYTES = 131072;
/** L1 deposits carried by one mini-block. */
export const MAX_DEPOSITS_PER_PAYLOAD = 256;
/** Calldata bytes of one deposit. */
export const MAX_DEPOSIT_DATA_BYTES = 4096;
/** Blocks in one catch-up answer. */
export const MAX_BLOCKS_PER_FETCH = 256;
/** Byte sizes of BLS12-381 min-pk points in compressed form. */
export const BLS_PUBKEY_BYTES = 48;
export const BLS_SIGNATURE_BYTES = 96;
