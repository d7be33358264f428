/**
 * Public face of the consensus core: a pure, deterministic Jolteon (2-chain HotStuff) state
 * machine. `new ConsensusCore(opts, modules).handle(input)` returns effects for the host to run in
 * order. See docs/consensus.md for the contract.
 */
export { ConsensusCore, type CoreStatus } from "./core.ts";
export {
  INSECURE_TEST_SCHEME_NAME,
  InsecureTestScheme,
  InsecureTestSigner,
  insecureTestCommittee,
  insecureTestPubkey,
} from "./insecure-test-scheme.ts";
export { initialSafetyData, JolteonSafetyRules } from "./safety-rules.ts";
export type * from "./types.ts";
