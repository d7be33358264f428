import * as blst from "@chainsafe/blst";
import { decodeSignature } from "./bls.ts";

/**
 * The verification core shared by verifyBatch, the synchronous verifier and the worker threads.
 * A prepared set has already-validated public keys (aggregated when they share one message) and
 * raw signature bytes; `publicKeys.length === messages.length`.
 */
export interface PreparedSet<Pk> {
  publicKeys: Pk[];
  messages: Uint8Array[];
  signature: Uint8Array;
}

interface Unit {
  /** Indices of the prepared sets this unit stands for. */
  members: number[];
  set: blst.SignatureSet;
}

function messageKey(message: Uint8Array): string {
  return Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString("latin1");
}

/**
 * Per-set results; undecodable signatures are `false`, never thrown, never `true`.
 *
 * Single-key sets that share a message (votes for one block) are first folded into one set with
 * random coefficients (blst's aggregateWithRandomness: Σrᵢ·pkᵢ, Σrᵢ·sigᵢ). Then every single-
 * message set is checked in one multi-pairing with another random linear combination
 * (verifyMultipleAggregateSignatures). When that fails, groups and sets are re-checked on their
 * own, so one bad set does not hide which ones are good.
 */
export function verifyPreparedSets(sets: readonly PreparedSet<blst.PublicKey>[]): boolean[] {
  const results = new Array<boolean>(sets.length).fill(false);
  const byMessage = new Map<string, number[]>();
  for (let i = 0; i < sets.length; i++) {
    const set = sets[i];
    if (set.publicKeys.length === 1 && set.messages.length === 1) {
      const key = messageKey(set.messages[0]);
      const group = byMessage.get(key);
      if (group) group.push(i);
      else byMessage.set(key, [i]);
    } else if (set.publicKeys.length === set.messages.length && set.publicKeys.length > 0) {
      const sig = tryDecode(set.signature);
      results[i] = sig !== null && blst.aggregateVerify(set.messages, set.publicKeys, sig, false, false);
    }
  }

  const units: Unit[] = [];
  const alone: number[] = [];
  for (const members of byMessage.values()) {
    if (members.length === 1) {
      const unit = singleUnit(sets, members[0]);
      if (unit) units.push(unit);
      continue;
    }
    try {
      const blinded = blst.aggregateWithRandomness(
        members.map((i) => ({ pk: sets[i].publicKeys[0], sig: sets[i].signature })),
      );
      units.push({ members, set: { msg: sets[members[0]].messages[0], pk: blinded.pk, sig: blinded.sig } });
    } catch {
      // Some signature in the group does not decode: check the members one by one.
      alone.push(...members);
    }
  }

  if (units.length > 0) {
    const all =
      units.length === 1
        ? verifyUnit(units[0])
        : blst.verifyMultipleAggregateSignatures(
            units.map((u) => u.set),
            false,
            false,
          );
    if (all) {
      for (const u of units) for (const i of u.members) results[i] = true;
    } else {
      for (const u of units) {
        if (u.members.length > 1 && units.length > 1 && verifyUnit(u)) {
          for (const i of u.members) results[i] = true;
        } else if (u.members.length > 1) {
          alone.push(...u.members);
        } else {
          results[u.members[0]] = units.length > 1 && verifyUnit(u);
        }
      }
    }
  }

  for (const i of alone) {
    const unit = singleUnit(sets, i);
    results[i] = unit !== null && verifyUnit(unit);
  }
  return results;
}

function tryDecode(bytes: Uint8Array): blst.Signature | null {
  try {
    return decodeSignature(bytes);
  } catch {
    return null;
  }
}

function singleUnit(sets: readonly PreparedSet<blst.PublicKey>[], i: number): Unit | null {
  const sig = tryDecode(sets[i].signature);
  if (sig === null) return null;
  return { members: [i], set: { msg: sets[i].messages[0], pk: sets[i].publicKeys[0], sig } };
}

function verifyUnit(unit: Unit): boolean {
  return blst.verify(unit.set.msg, unit.set.pk, unit.set.sig, false, false);
}
