import { type Hex, toHex } from "viem";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sign } from "../../../src/crypto/index.ts";
import { MegaTokenAbi, SlashingAbi, StakingManagerAbi } from "../../../src/l1/artifacts.ts";
import { DEFAULT_L2_CHAIN_ID } from "../../../src/l1/deploy.ts";
import {
  proposalEvidence,
  type SlashingEvidence,
  timeoutEvidence,
  voteEvidence,
} from "../../../src/l1/evidence.ts";
import {
  type BlockHeader,
  signingRootOfHeader,
  signingRootOfTimeout,
  signingRootOfVote,
  type Timeout,
  type Vote,
} from "../../../src/types/index.ts";
import {
  blsSecret,
  type Fixture,
  increaseTime,
  MEGA,
  nextEpoch,
  register,
  revertName,
  revertTo,
  send,
  setUpSuite,
  snapshot,
} from "./fixture.ts";

const CHAIN = Number(DEFAULT_L2_CHAIN_ID);
const root = (b: number): Uint8Array => new Uint8Array(32).fill(b);

describe("Slashing.submitDoubleSign on anvil", () => {
  let f: Fixture;
  let base: Hex;
  let epoch: number;
  let secretA: Uint8Array; // validator at index 0 (most stake)
  let secretB: Uint8Array; // validator at index 1
  // biome-ignore lint/suspicious/noExplicitAny: read helper over the typed ABI
  const read = (fn: string, args: readonly unknown[] = []): Promise<any> =>
    f.pc.readContract({
      address: f.staking,
      abi: StakingManagerAbi,
      functionName: fn as never,
      args: args as never,
    });
  const submit = (e: SlashingEvidence, who = 9): Promise<Hex> =>
    send(f.pc, f.wallets[who], f.slashing, SlashingAbi, "submitDoubleSign", [e]);
  const signVote = (sk: Uint8Array, v: Vote): Uint8Array => sign(sk, signingRootOfVote(CHAIN, v));
  const votes = (sk: Uint8Array, a: Vote, b: Vote, index = 0, skB = sk): SlashingEvidence =>
    voteEvidence({
      validatorIndex: index,
      voteA: a,
      signatureA: signVote(sk, a),
      voteB: b,
      signatureB: signVote(skB, b),
    });

  beforeAll(async () => {
    f = await setUpSuite();
    secretA = (await register(f, 1, 11, MEGA("2000"))).secret;
    secretB = (await register(f, 2, 12, MEGA("1000"))).secret;
    await send(f.pc, f.wallets[3], f.staking, StakingManagerAbi, "delegate", [
      f.accounts[1].address,
      MEGA("1000"),
      0n,
    ]);
    await send(f.pc, f.wallets[3], f.staking, StakingManagerAbi, "undelegate", [
      f.accounts[1].address,
      MEGA("500"),
      2n ** 255n,
    ]);
    await nextEpoch(f);
    epoch = Number(await read("currentEpoch"));
    base = await snapshot(f);
  });
  afterAll(async () => {
    await f?.close();
  });
  beforeEach(async () => {
    await revertTo(f, base);
    base = await snapshot(f);
  });

  it("recomputes the signing roots of src/types byte for byte", async () => {
    const vote: Vote = { epoch: 3, round: 77, blockRoot: root(5) };
    const timeout: Timeout = { epoch: 3, round: 78, highQcRound: 76 };
    const header: BlockHeader = {
      epoch: 3,
      round: 79,
      proposerIndex: 2,
      parentRoot: root(1),
      parentRound: 78,
      payloadRoot: root(2),
      stateBlockNumber: 9,
      stateRoot: root(3),
      justifyRoot: root(4),
    };
    const onChain = (kind: number, message: Hex): Promise<Hex> =>
      f.pc.readContract({
        address: f.slashing,
        abi: SlashingAbi,
        functionName: "signingRoot",
        args: [kind, message],
      });
    const ev = voteEvidence({
      validatorIndex: 0,
      voteA: vote,
      signatureA: signVote(secretA, vote),
      voteB: vote,
      signatureB: signVote(secretA, vote),
    });
    expect(await onChain(2, ev.messageA)).toBe(toHex(signingRootOfVote(CHAIN, vote)));
    const tev = timeoutEvidence({
      validatorIndex: 0,
      timeoutA: timeout,
      signatureA: sign(secretA, new Uint8Array(1)),
      timeoutB: timeout,
      signatureB: sign(secretA, new Uint8Array(1)),
    });
    expect(await onChain(3, tev.messageA)).toBe(toHex(signingRootOfTimeout(CHAIN, timeout)));
    const pev = proposalEvidence({
      validatorIndex: 2,
      headerA: header,
      signatureA: sign(secretA, new Uint8Array(1)),
      headerB: header,
      signatureB: sign(secretA, new Uint8Array(1)),
    });
    expect(await onChain(1, pev.messageA)).toBe(toHex(signingRootOfHeader(CHAIN, header)));
  });

  it("slashes a double vote: stake and pending unbonds by the fraction, tombstone, reporter paid, once", async () => {
    const v = (await read("getValidator", [f.accounts[1].address])) as {
      stake: bigint;
      unbondingTokens: bigint;
    };
    const reporterBefore = await f.pc.readContract({
      address: f.token,
      abi: MegaTokenAbi,
      functionName: "balanceOf",
      args: [f.accounts[9].address],
    });
    const a: Vote = { epoch, round: 10, blockRoot: root(1) };
    const b: Vote = { epoch, round: 10, blockRoot: root(2) };
    await submit(votes(secretA, a, b));
    const after = (await read("getValidator", [f.accounts[1].address])) as {
      stake: bigint;
      unbondingTokens: bigint;
      tombstoned: boolean;
      jailed: boolean;
    };
    expect(after.stake).toBe(v.stake - v.stake / 10n);
    expect(after.unbondingTokens).toBe(v.unbondingTokens - v.unbondingTokens / 10n);
    expect(after.tombstoned).toBe(true);
    expect(after.jailed).toBe(true);
    const reporterAfter = await f.pc.readContract({
      address: f.token,
      abi: MegaTokenAbi,
      functionName: "balanceOf",
      args: [f.accounts[9].address],
    });
    expect(reporterAfter - reporterBefore).toBe((v.stake / 10n + v.unbondingTokens / 10n) / 10n);
    expect(await revertName(() => submit(votes(secretA, a, b)))).toBe("AlreadySlashed");
    // Another offence by the tombstoned validator is not slashed again.
    const c: Vote = { epoch, round: 11, blockRoot: root(1) };
    const d: Vote = { epoch, round: 11, blockRoot: root(2) };
    expect(await revertName(() => submit(votes(secretA, c, d)))).toBe("Tombstoned");
    // The delegator's pending unbond lost the fraction too.
    const pending = await read("unbondingValue", [f.accounts[3].address, 0n]);
    expect(pending).toBeLessThanOrEqual(MEGA("450"));
    expect(pending).toBeGreaterThan(MEGA("449.99"));
  });

  it("slashes double timeouts and double proposals", async () => {
    const ta: Timeout = { epoch, round: 5, highQcRound: 3 };
    const tb: Timeout = { epoch, round: 5, highQcRound: 4 };
    const sigT = (t: Timeout): Uint8Array => sign(secretB, signingRootOfTimeout(CHAIN, t));
    await submit(
      timeoutEvidence({
        validatorIndex: 1,
        timeoutA: ta,
        signatureA: sigT(ta),
        timeoutB: tb,
        signatureB: sigT(tb),
      }),
    );
    expect((await read("getValidator", [f.accounts[2].address])).tombstoned).toBe(true);
    const header = (payload: number): BlockHeader => ({
      epoch,
      round: 6,
      proposerIndex: 0,
      parentRoot: root(1),
      parentRound: 5,
      payloadRoot: root(payload),
      stateBlockNumber: 0,
      stateRoot: root(0),
      justifyRoot: root(9),
    });
    const sigH = (h: BlockHeader): Uint8Array => sign(secretA, signingRootOfHeader(CHAIN, h));
    const [ha, hb] = [header(1), header(2)];
    const wrongIndex = proposalEvidence({
      validatorIndex: 0,
      headerA: { ...ha, proposerIndex: 1 },
      signatureA: sigH(ha),
      headerB: hb,
      signatureB: sigH(hb),
    });
    expect(await revertName(() => submit(wrongIndex))).toBe("WrongProposer");
    await submit(
      proposalEvidence({
        validatorIndex: 0,
        headerA: ha,
        signatureA: sigH(ha),
        headerB: hb,
        signatureB: sigH(hb),
      }),
    );
    expect((await read("getValidator", [f.accounts[1].address])).tombstoned).toBe(true);
  });

  it("rejects every kind of forged evidence", async () => {
    const a: Vote = { epoch, round: 10, blockRoot: root(1) };
    const b: Vote = { epoch, round: 10, blockRoot: root(2) };
    // Another signer: B's signature presented as A's.
    expect(await revertName(() => submit(votes(secretA, a, b, 0, secretB)))).toBe("InvalidSignature");
    // Index pointing at a validator that did not sign.
    expect(await revertName(() => submit(votes(secretA, a, b, 1)))).toBe("InvalidSignature");
    // Identical messages.
    expect(await revertName(() => submit(votes(secretA, a, a)))).toBe("IdenticalMessages");
    // Different rounds, different epochs.
    expect(await revertName(() => submit(votes(secretA, a, { ...b, round: 11 })))).toBe("DifferentRounds");
    expect(await revertName(() => submit(votes(secretA, a, { ...b, epoch: epoch - 1 })))).toBe(
      "DifferentEpochs",
    );
    // A bad signature (signature over another message).
    const bad = votes(secretA, a, b);
    bad.signatureB = bad.signatureA;
    expect(await revertName(() => submit(bad))).toBe("InvalidSignature");
    // The point at infinity as signature.
    const inf = votes(secretA, a, b);
    inf.signatureA = toHex(new Uint8Array(256));
    expect(await revertName(() => submit(inf))).toBe("InvalidSignature");
    // A signature under another chain's domain.
    const otherChain = voteEvidence({
      validatorIndex: 0,
      voteA: a,
      signatureA: sign(secretA, signingRootOfVote(CHAIN + 1, a)),
      voteB: b,
      signatureB: sign(secretA, signingRootOfVote(CHAIN + 1, b)),
    });
    expect(await revertName(() => submit(otherChain))).toBe("InvalidSignature");
    // Not in the set, an epoch that has not started, malformed lengths, unknown kind.
    expect(await revertName(() => submit(votes(secretA, a, b, 5)))).toBe("NotInSet");
    const future = { ...a, epoch: epoch + 5 };
    expect(await revertName(() => submit(votes(secretA, future, { ...future, blockRoot: root(3) })))).toBe(
      "EvidenceFromFuture",
    );
    const short = votes(secretA, a, b);
    short.messageA = `${short.messageA.slice(0, -2)}` as Hex;
    expect(await revertName(() => submit(short))).toBe("BadMessageLength");
    expect(await revertName(() => submit({ ...votes(secretA, a, b), kind: 4 }))).toBe("UnknownKind");
    // Stale: past the evidence window.
    await increaseTime(f, 501);
    expect(await revertName(() => submit(votes(secretA, a, b)))).toBe("StaleEvidence");
  });

  it("reaches the validator's set membership of the epoch, not the current one", async () => {
    // Epoch 0's set (frozen at deployment, before anyone registered) is empty.
    expect(epoch).toBeGreaterThan(0);
    const a: Vote = { epoch: 0, round: 1, blockRoot: root(1) };
    const b: Vote = { epoch: 0, round: 1, blockRoot: root(2) };
    expect(await revertName(() => submit(votes(secretA, a, b)))).toBe("NotInSet");
    expect(blsSecret(11)).toEqual(secretA);
  });
});
