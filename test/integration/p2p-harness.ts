// Spawns p2p-child.ts processes (real libp2p on loopback) and talks to them over IPC.
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildCommand, ChildConfig, ChildEvent } from "./p2p-child.ts";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "p2p-child.ts");

export interface ChildNode {
  peerId: string;
  addr: string;
  events: ChildEvent[];
  call<T = unknown>(command: ChildCommand, timeoutMs?: number): Promise<T>;
  /** Resolves with the first event (past or future) that matches, or rejects after `timeoutMs`. */
  waitForEvent(match: (e: ChildEvent) => boolean, timeoutMs?: number, what?: string): Promise<ChildEvent>;
  stop(): Promise<void>;
  process: ChildProcess;
}

export type NodeConfig = Omit<ChildConfig, "keyFile"> & { keyFile?: string };

export async function spawnNode(config: NodeConfig): Promise<ChildNode> {
  const keyFile = config.keyFile ?? join(mkdtempSync(join(tmpdir(), "megaseq-p2p-")), "peer.key");
  const child = fork(CHILD, [], {
    execPath: process.execPath,
    execArgv: ["--expose-gc", "--no-warnings"],
    env: { ...process.env, P2P_CHILD_CONFIG: JSON.stringify({ ...config, keyFile }) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const events: ChildEvent[] = [];
  const waiters = new Set<{ match: (e: ChildEvent) => boolean; resolve: (e: ChildEvent) => void }>();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  child.on(
    "message",
    (raw: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string }) => {
      if (raw.id !== undefined) {
        const p = pending.get(raw.id);
        pending.delete(raw.id);
        if (raw.ok) p?.resolve(raw.result);
        else p?.reject(new Error(raw.error));
        return;
      }
      const event = raw as ChildEvent;
      events.push(event);
      for (const w of waiters) {
        if (w.match(event)) {
          waiters.delete(w);
          w.resolve(event);
        }
      }
    },
  );
  child.on("exit", () => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error("child exited"));
    pending.clear();
  });

  const waitForEvent = (
    match: (e: ChildEvent) => boolean,
    timeoutMs = 20_000,
    what = "event",
  ): Promise<ChildEvent> => {
    const seen = events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (e: ChildEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const call = <T>(command: ChildCommand, timeoutMs = 15_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error("child exited"));
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`command ${command.cmd} timed out`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      child.send({ id, ...command });
    });

  const ready = (await waitForEvent((e) => e.event === "ready", 120_000, "child ready")) as Extract<
    ChildEvent,
    { event: "ready" }
  >;
  return {
    peerId: ready.peerId,
    addr: `${ready.addrs[0]}/p2p/${ready.peerId}`.replace(/\/p2p\/[^/]+\/p2p\//, "/p2p/"),
    events,
    call,
    waitForEvent,
    process: child,
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      await call({ cmd: "stop" }, 5_000).catch(() => child.kill("SIGKILL"));
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3_000).unref())]);
      if (!exited) child.kill("SIGKILL");
    },
  };
}

/** Polls `check` (an IPC query, not a sleep-and-hope) until it holds or `timeoutMs` passes. */
export async function until(
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Connects every pair and waits until every node sees every other on each topic it needs. */
export async function fullMesh(nodes: ChildNode[], kinds: string[]): Promise<void> {
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) await nodes[i].call({ cmd: "dial", addr: nodes[j].addr });
  }
  for (const node of nodes) {
    for (const kind of kinds) {
      await until(
        async () =>
          (await node.call<string[]>({ cmd: "topicPeers", kind: kind as never })).length >= nodes.length - 1,
        20_000,
        `subscriptions to ${kind}`,
      );
    }
  }
}
