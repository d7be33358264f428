import {
  type Account,
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import type { Evidence } from "../consensus/types.ts";
import type { MegaseqMetrics } from "../metrics/index.ts";
import type { Log } from "../node/logger.ts";
import { CodedError } from "../util/coded-error.ts";
import { SlashingAbi } from "./artifacts.ts";
import { backoffDelayMs, type RetryCaps } from "./backoff.ts";
import { proposalEvidence, type SlashingEvidence, timeoutEvidence, voteEvidence } from "./evidence.ts";
import { explainRevert, L1RevertError } from "./revert.ts";
import { errorLine } from "./validator-set-follower.ts";

export class EvidenceSubmitterError extends CodedError<"BAD_OPTIONS"> {}

/**
 * What became of one piece of evidence:
 * - slashed: our transaction slashed the validator;
 * - duplicate: this offence was already handled (or is being handled) by this submitter, nothing sent;
 * - already_slashed: the contract says someone already slashed this offence;
 * - rejected: the contract (or the conversion) refused the evidence; final, not retried;
 * - failed: L1 kept failing for maxAttempts; the offence may be submitted again later.
 */
export type EvidenceResult = "slashed" | "duplicate" | "already_slashed" | "rejected" | "failed";

export interface EvidenceOutcome {
  result: EvidenceResult;
  /** (kind, validator index, epoch, round) of the offence. */
  offence: string;
  attempts: number;
  txHash?: Hex;
  /** Why it was refused or failed, in words. */
  reason?: string;
}

export interface EvidenceSubmitterOpts extends Partial<RetryCaps> {
  slashing: Address;
  /** Attempts for transient failures (RPC down, timeouts) before giving up. Default 5. */
  maxAttempts?: number;
  /** Gas limit of the submitDoubleSign transaction (BLS verification costs ~0.3M). Default 2M. */
  gasLimit?: bigint;
  /** Offences remembered for deduplication. Default 4096. */
  dedupeCapacity?: number;
  /** How long to wait for a receipt. Default 60 s. */
  receiptTimeoutMs?: number;
}

export interface EvidenceSubmitterModules {
  publicClient: PublicClient<Transport, Chain | undefined>;
  /** The reporter key: it pays the gas and receives the reporter reward. */
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  log: Log;
  metrics?: MegaseqMetrics["l1"];
}

/**
 * Sends consensus equivocation evidence to the Slashing contract, once per offence. Contract
 * refusals are final and logged in words; L1 outages are retried with capped backoff.
 */
export class EvidenceSubmitter {
  readonly #opts: Required<EvidenceSubmitterOpts>;
  readonly #m: EvidenceSubmitterModules;
  /** Offences seen, oldest first (a Map keeps insertion order), capped at dedupeCapacity. */
  readonly #seen = new Map<string, true>();

  constructor(opts: EvidenceSubmitterOpts, modules: EvidenceSubmitterModules) {
    const maxAttempts = opts.maxAttempts ?? 5;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new EvidenceSubmitterError("BAD_OPTIONS", "maxAttempts must be a whole number >= 1");
    }
    this.#opts = {
      slashing: opts.slashing,
      maxAttempts,
      gasLimit: opts.gasLimit ?? 2_000_000n,
      dedupeCapacity: Math.max(1, opts.dedupeCapacity ?? 4096),
      receiptTimeoutMs: opts.receiptTimeoutMs ?? 60_000,
      backoffBaseMs: opts.backoffBaseMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
    };
    this.#m = modules;
  }

  /** Submits `evidence` unless this offence was already handled. Never throws. */
  async submit(evidence: Evidence): Promise<EvidenceOutcome> {
    const offence = offenceKey(evidence);
    if (this.#seen.has(offence)) return this.#finish({ result: "duplicate", offence, attempts: 0 });
    this.#remember(offence);
    let args: SlashingEvidence;
    try {
      args = toSlashingEvidence(evidence);
    } catch (error) {
      return this.#finish({
        result: "rejected",
        offence,
        attempts: 0,
        reason: `cannot convert: ${errorLine(error)}`,
      });
    }
    let attempts = 0;
    let lastReason = "";
    while (attempts < this.#opts.maxAttempts) {
      attempts++;
      try {
        const txHash = await this.#send(args);
        return this.#finish({ result: "slashed", offence, attempts, txHash });
      } catch (error) {
        const refused = refusal(error);
        if (refused) {
          const result = refused.errorName === "AlreadySlashed" ? "already_slashed" : "rejected";
          return this.#finish({ result, offence, attempts, reason: refused.message });
        }
        lastReason = errorLine(error);
        this.#m.metrics?.rpcErrors.inc();
        if (attempts < this.#opts.maxAttempts) {
          const delay = backoffDelayMs(attempts, this.#opts);
          this.#m.log.warn(
            { offence, attempts, retryInMs: delay, err: lastReason },
            "evidence submission failed; retrying",
          );
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    }
    // Forget it so that the same offence seen again later gets another chance.
    this.#seen.delete(offence);
    return this.#finish({ result: "failed", offence, attempts, reason: lastReason });
  }

  async #send(args: SlashingEvidence): Promise<Hex> {
    const { publicClient, walletClient } = this.#m;
    // Simulating first turns a refusal into a decoded error without spending gas.
    const { request } = await publicClient.simulateContract({
      address: this.#opts.slashing,
      abi: SlashingAbi,
      functionName: "submitDoubleSign",
      args: [args],
      account: walletClient.account,
      gas: this.#opts.gasLimit,
    });
    const hash = await walletClient.writeContract(request);
    const receipt = await publicClient.waitForTransactionReceipt({
      hash,
      timeout: this.#opts.receiptTimeoutMs,
    });
    if (receipt.status === "success") return hash;
    // Mined but reverted (someone slashed it in between, most likely): ask again for the reason.
    await publicClient.simulateContract({ ...request, account: walletClient.account });
    throw new L1RevertError("Unknown", [], `reverted: submitDoubleSign failed in a mined tx ${hash}`);
  }

  #remember(offence: string): void {
    this.#seen.set(offence, true);
    for (const old of this.#seen.keys()) {
      if (this.#seen.size <= this.#opts.dedupeCapacity) break;
      this.#seen.delete(old);
    }
  }

  #finish(outcome: EvidenceOutcome): EvidenceOutcome {
    this.#m.metrics?.evidenceSubmitted.inc({ result: outcome.result });
    const fields = { ...outcome };
    if (outcome.result === "slashed") this.#m.log.info(fields, "evidence submitted: validator slashed on L1");
    else if (outcome.result === "duplicate") this.#m.log.debug(fields, "evidence already handled");
    else if (outcome.result === "already_slashed") this.#m.log.info(fields, "offence already slashed on L1");
    else this.#m.log.warn(fields, `evidence not accepted: ${outcome.reason ?? outcome.result}`);
    return outcome;
  }
}

/** (kind, validator index, epoch, round): one offence, as the Slashing contract counts them. */
export function offenceKey(evidence: Evidence): string {
  switch (evidence.kind) {
    case "vote": {
      const e = evidence.evidence;
      return `vote:${e.validatorIndex}:${e.voteA.epoch}:${e.voteA.round}`;
    }
    case "timeout": {
      const e = evidence.evidence;
      return `timeout:${e.validatorIndex}:${e.timeoutA.epoch}:${e.timeoutA.round}`;
    }
    case "proposal": {
      const e = evidence.evidence;
      return `proposal:${e.validatorIndex}:${e.headerA.epoch}:${e.headerA.round}`;
    }
  }
}

function toSlashingEvidence(evidence: Evidence): SlashingEvidence {
  switch (evidence.kind) {
    case "vote":
      return voteEvidence(evidence.evidence);
    case "timeout":
      return timeoutEvidence(evidence.evidence);
    case "proposal":
      return proposalEvidence(evidence.evidence);
  }
}

/** The contract's refusal in words, or undefined when the failure looks transient. */
function refusal(error: unknown): { errorName: string; message: string } | undefined {
  if (error instanceof L1RevertError) return { errorName: error.errorName, message: error.message };
  const reverted =
    error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError) !== null;
  try {
    explainRevert(error);
  } catch (explained) {
    if (explained instanceof L1RevertError && (explained.errorName !== "Unknown" || reverted)) {
      return { errorName: explained.errorName, message: explained.message };
    }
  }
  return undefined;
}
