import { describe, expect, it } from "vitest";
import { nextBaseFee } from "../../../src/execution/base-fee.ts";
import { encodeHeader, headerHash } from "../../../src/execution/block-header.ts";
import { type CommittedMiniBlock, EvmBlockAssembler } from "../../../src/execution/evm-block-assembler.ts";
import { evmCommon } from "../../../src/execution/evm-common.ts";
import { decodeExecTx } from "../../../src/execution/exec-tx.ts";
import { MiniBlockBuilder } from "../../../src/execution/mini-block-builder.ts";
import { SequentialExecutor } from "../../../src/execution/sequential-executor.ts";
import { computeStateRoot, StateRootComputer } from "../../../src/execution/state-root.ts";
import type { ExecTx, Hex } from "../../../src/execution/types.ts";
import { EMPTY_TRIE_ROOT } from "../../../src/execution/types.ts";
import { deriveAccounts } from "../../../src/execution/workloads/accounts.ts";
import {
  fundedState,
  signedTransfer,
  WORKLOAD_CHAIN_ID,
} from "../../../src/execution/workloads/generators.ts";

const FEE_A = "0x000000000000000000000000000000000000fee1" as Hex;
const FEE_B = "0x000000000000000000000000000000000000fee2" as Hex;

function transfers(count: number, startNonce: number): ExecTx[] {
  const accounts = deriveAccounts(3, 9);
  const common = evmCommon(WORKLOAD_CHAIN_ID, "cancun");
  return Array.from({ length: count }, (_, i) =>
    decodeExecTx(
      signedTransfer(accounts[0], BigInt(startNonce + i), accounts[1 + (i % 2)].address, 1000n + BigInt(i)),
      common,
    ),
  );
}

async function setup() {
  const accounts = deriveAccounts(3, 9);
  const state = fundedState(accounts);
  const roots = new StateRootComputer();
  const genesisRoot = computeStateRoot(state);
  roots.apply(
    {
      accounts: new Map([...state.entries()]),
      storage: new Map(),
      clearedStorage: new Set(),
      code: new Map(),
    },
    state,
  );
  const executor = new SequentialExecutor();
  const assembler = new EvmBlockAssembler(
    {
      chainId: WORKLOAD_CHAIN_ID,
      fork: "cancun",
      gasLimit: 30_000_000n,
      coinbase: FEE_A,
      blockTimeUs: 1_000_000n,
      parent: { hash: `0x${"11".repeat(32)}`, number: 0n, baseFee: 8n, gasUsed: 0n, gasLimit: 30_000_000n },
      baseFee: { floor: 7n, changeDenominator: 8n, elasticity: 2n },
    },
    { executor, state, roots },
  );
  return { state, roots, assembler, executor, genesisRoot };
}

describe("EVM block assembly from committed mini-blocks", () => {
  it("groups mini-blocks by time window without splitting one, and chains headers", async () => {
    const { assembler, state } = await setup();
    const txs = transfers(6, 0);
    const minis: CommittedMiniBlock[] = [
      { sequence: 1n, timestampUs: 10_000_000n, feeRecipient: FEE_A, txs: txs.slice(0, 2) },
      { sequence: 2n, timestampUs: 10_500_000n, feeRecipient: FEE_B, txs: txs.slice(2, 4) },
      // past the 1 s window: seals block 1 before executing
      { sequence: 3n, timestampUs: 11_000_001n, feeRecipient: FEE_A, txs: txs.slice(4, 6) },
    ];
    const r1 = await assembler.push(minis[0]);
    const r2 = await assembler.push(minis[1]);
    expect(r1.sealed).toBeUndefined();
    expect(r2.sealed).toBeUndefined();
    expect(r2.receipts[0].transactionIndex).toBe(2);
    expect(r2.receipts[0].miniBlock).toEqual({ sequence: 2n, index: 0 });
    const r3 = await assembler.push(minis[2]);
    const block1 = r3.sealed;
    expect(block1).toBeDefined();
    if (block1 === undefined) return;
    expect(block1.miniBlocks).toEqual([1n, 2n]);
    expect(block1.header.number).toBe(1n);
    expect(block1.header.gasUsed).toBe(4n * 21_000n);
    expect(block1.receipts.map((r) => r.cumulativeGasUsed)).toEqual([21_000n, 42_000n, 63_000n, 84_000n]);
    expect(block1.header.transactionsRoot).not.toBe(EMPTY_TRIE_ROOT);
    expect(block1.hash).toBe(headerHash(block1.header));
    expect(encodeHeader(block1.header)[0]).toBeGreaterThanOrEqual(0xf7);
    const block2 = assembler.seal();
    expect(block2?.header.parentHash).toBe(block1.hash);
    expect(block2?.header.number).toBe(2n);
    expect(block2?.receipts[0].transactionIndex).toBe(0);
    // the incremental root after block 2 equals a root of the whole state from scratch
    expect(block2?.header.stateRoot).toBe(computeStateRoot(state));
    // base fee is EIP-1559 with a floor (a nearly empty block lowers it)
    expect(block2?.header.baseFeePerGas).toBe(
      nextBaseFee(
        { baseFee: block1.header.baseFeePerGas, gasUsed: 84_000n, gasLimit: 30_000_000n },
        {
          floor: 7n,
          changeDenominator: 8n,
          elasticity: 2n,
        },
      ),
    );
    // priority fees went to each mini-block's own fee recipient
    expect(state.getAccount(FEE_B)?.balance).toBe(2n * 21_000n * 2n);
  });

  it("the leader's preconfirmations equal the receipts of the committed execution", async () => {
    const { assembler, state, executor } = await setup();
    const envelope = await executor.envelope(WORKLOAD_CHAIN_ID, "cancun");
    const builder = new MiniBlockBuilder({ count: 3, intervalMs: 60_000 }, { envelope });
    const pool = transfers(5, 0);
    let cursor = 0;
    const preconfirmed: string[] = [];
    const built = await builder.build(
      assembler.envFor({ timestampUs: 5_000_000n, feeRecipient: FEE_A }),
      state,
      { next: () => pool[cursor++] },
      (receipt) => preconfirmed.push(receipt.txHash),
    );
    expect(built.txs).toHaveLength(3);
    expect(preconfirmed).toEqual(built.txs.map((t) => t.hash));
    // nothing reached the canonical state before commit
    expect(state.getAccount(pool[0].sender)?.nonce).toBe(0n);
    const committed = await assembler.push({
      sequence: 1n,
      timestampUs: 5_000_000n,
      feeRecipient: FEE_A,
      txs: built.txs,
    });
    expect(committed.receipts.map((r) => ({ ...r, miniBlock: undefined }))).toEqual(built.receipts);
    expect(state.getAccount(pool[0].sender)?.nonce).toBe(3n);
  });

  it("stops a mini-block at the gas cap and leaves the rest for later", async () => {
    const { state, executor, assembler } = await setup();
    const envelope = await executor.envelope(WORKLOAD_CHAIN_ID, "cancun");
    const builder = new MiniBlockBuilder({ gas: 50_000n, intervalMs: 60_000 }, { envelope });
    const pool = transfers(4, 0);
    let cursor = 0;
    const skipped: ExecTx[] = [];
    const built = await builder.build(assembler.envFor({ timestampUs: 1n, feeRecipient: FEE_A }), state, {
      next: () => pool[cursor++],
      skip: (tx) => skipped.push(tx),
    });
    expect(built.txs).toHaveLength(2);
    expect(built.gasUsed).toBe(42_000n);
    expect(skipped[0]).toBe(pool[2]);
  });
});
