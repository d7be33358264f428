/**
 * Public face of the consensus core: a pure, deterministic Jolteon (2-chain HotStuff) state
 * machine. `new ConsensusCore(opts, modules).handle(input)` returns effects for the host to run in
 * order. See docs/consensus.md for the contract.
 */

export type {
  Block,
  MiniBlockPayload,
  QuorumCertificate,
  SignedVote,
  TimeoutCertificate,
  TimeoutMessage,
} from "../types/index.ts";
export { BLS_SCHEME_NAME, BlsScheme, BlsSigner } from "./bls-scheme.ts";
export { ConsensusCore, type CoreStatus } from "./core.ts";
export { ConsensusError } from "./errors.ts";
export {
  INSECURE_TEST_SCHEME_NAME,
  InsecureTestScheme,
  InsecureTestSigner,
  insecureTestCommittee,
  insecureTestPubkey,
} from "./insecure-test-scheme.ts";
export { buildRotation, leaderFor, placeTerm } from "./leader-schedule.ts";
export { initialSafetyData, JolteonSafetyRules } from "./safety-rules.ts";
export type * from "./types.ts";
export { DEFAULT_LIMITS } from "./validate-opts.ts";
