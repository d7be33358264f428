import { describe, expect, it } from "vitest";
import { PollLoop } from "../../../src/l1/poll-loop.ts";

describe("PollLoop", () => {
  it("backs off after failures with the deterministic delays, resets on success, and stops", async () => {
    const outcomes = ["fail", "fail", "fail", "ok", "fail"];
    const failures: Array<[number, number]> = [];
    let polls = 0;
    let lastPoll: () => void = () => {};
    const fifthPoll = new Promise<void>((resolve) => {
      lastPoll = resolve;
    });
    const loop: PollLoop = new PollLoop(
      { pollIntervalMs: 5, backoffBaseMs: 2, backoffMaxMs: 6 },
      {
        poll: async () => {
          const outcome = outcomes[polls++] ?? "ok";
          if (polls === 5) lastPoll();
          if (outcome === "fail") throw new Error("L1 down");
          expect(loop.succeeded()).toBe(3);
          return false;
        },
        onFailure: (_error, count, retryInMs) => failures.push([count, retryInMs]),
      },
    );
    loop.start();
    loop.start(); // a second start is a no-op, not a second loop
    await fifthPoll;
    await loop.stop();
    expect(failures).toEqual([
      [1, 2],
      [2, 4],
      [3, 6],
      [1, 2],
    ]);
    expect(loop.failures).toBe(1);
    const stoppedAt = polls;
    await new Promise((r) => setTimeout(r, 30));
    expect(polls).toBe(stoppedAt);
  });

  it("polls again at once when a poll says it is still behind, and wakeNow cuts a wait short", async () => {
    let polls = 0;
    let woken: () => void = () => {};
    const third = new Promise<void>((resolve) => {
      woken = resolve;
    });
    const loop = new PollLoop(
      { pollIntervalMs: 60_000, backoffBaseMs: 1, backoffMaxMs: 1 },
      {
        poll: async () => {
          polls++;
          if (polls === 3) woken();
          return polls === 1; // behind once: the second poll follows at once
        },
        onFailure: () => {},
      },
    );
    loop.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(polls).toBe(2); // now waiting a minute
    loop.wakeNow();
    await third;
    await loop.stop();
    expect(polls).toBe(3);
  });
});
