// Public face of src/crypto: import from here, not from the files behind it.
export {
  aggregatePublicKeyPoint,
  aggregatePublicKeys,
  aggregateSignatures,
  aggregateVerify,
  BLS_POP_DST,
  BLS_SIG_DST,
  BlsPublicKey,
  DEFAULT_DERIVATION_PATH,
  fastAggregateVerify,
  PUBLIC_KEY_LENGTH,
  type PublicKeyInput,
  publicKeyFromSecretKey,
  SECRET_KEY_LENGTH,
  SIGNATURE_LENGTH,
  secretKeyFromSeed,
  sign,
  validatePublicKey,
  validateSignature,
  verify,
} from "./bls.ts";
export { type BatchItem, verifyBatch } from "./bls-batch.ts";
export { BlsError, type BlsErrorCode } from "./bls-error.ts";
export { popProve, popVerify } from "./bls-pop.ts";
export type { BlsVerifier, SignatureSet } from "./bls-verifier.ts";
export { SyncBlsVerifier } from "./bls-verifier-sync.ts";
export { BlsWorkerPool, type BlsWorkerPoolOptions } from "./bls-worker-pool.ts";
export {
  EIP2537_G1_LENGTH,
  EIP2537_G2_LENGTH,
  EIP2537_PRECOMPILES,
  fp2ToEip2537,
  fpToEip2537,
  G1_GENERATOR_NEG_EIP2537,
  g1FromEip2537,
  g1ToEip2537,
  g2FromEip2537,
  g2ToEip2537,
  hashToG2ForEip2537,
  pairingCheckInput,
} from "./eip2537.ts";
export { BLS12_381_P, expandMessageXmd, type Fp2Element, hashToFieldFp2 } from "./hash-to-field.ts";
export { keccak256 } from "./keccak.ts";
export {
  type CreateKeystoreOptions,
  createKeystore,
  type DecryptedKey,
  decryptKeystore,
  type KdfSetting,
  type Keystore,
  KeystoreError,
  type KeystoreErrorCode,
  kdfFastInsecure,
  loadKeystoreFile,
  parseKeystore,
  readPasswordFile,
  writeKeystoreFile,
} from "./keystore.ts";
export {
  createNativeCommon,
  type DecodedTx,
  decodeSignedTx,
  nativeCustomCrypto,
  nativeEcrecover,
  recoverSender,
  TxCryptoError,
  type TxCryptoErrorCode,
  usesNativeCrypto,
} from "./secp256k1.ts";
export {
  type RecoveryResult,
  SenderRecoveryPool,
  type SenderRecoveryPoolOptions,
} from "./sender-recovery-pool.ts";
