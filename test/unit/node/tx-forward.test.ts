import { describe, expect, it } from "vitest";
import { leaderFirst } from "../../../src/node/tx-forward.ts";

describe("leaderFirst", () => {
  it("moves the connected leader to the front and keeps the others' order", () => {
    expect(leaderFirst(["a", "b", "c"], "c")).toEqual(["c", "a", "b"]);
    expect(leaderFirst(["a", "b", "c"], "a")).toEqual(["a", "b", "c"]);
  });

  it("leaves the list as it is when the leader is this node or not connected", () => {
    expect(leaderFirst(["a", "b"], undefined)).toEqual(["a", "b"]);
    expect(leaderFirst(["a", "b"], "z")).toEqual(["a", "b"]);
  });
});
