import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/node/config.ts";

const EXAMPLE = fileURLToPath(new URL("../../../config/validator.example.toml", import.meta.url));

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "megaseq-config-"));
  const file = join(dir, "node.toml");
  writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("config loading", () => {
  it("loads the defaults alone", () => {
    const config = loadConfig();
    expect(config.chainId).toBe(4242);
    expect(config.p2p.listen).toEqual(["/ip4/0.0.0.0/tcp/9000"]);
    expect(config.l1.stakingManager).toBeUndefined();
  });

  it("loads the example validator config and resolves paths", () => {
    const config = loadConfig({ file: EXAMPLE });
    expect(config.dataDir).toBe("/var/lib/megaseq");
    expect(config.p2p.peerKeyFile).toBe("/var/lib/megaseq/p2p.key");
    expect(config.keys.blsKeystore).toBe("/var/lib/megaseq/keys/bls-keystore.json");
    expect(config.l1.reporterKeyFile).toBe("/var/lib/megaseq/keys/l1-reporter.key");
    expect(config.l1.confirmations).toBe(12);
    expect(config.l1.stakingManager).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });

  it("merges a partial file over the defaults, data_dir relative to the file", () => {
    const file = configFile('data_dir = "state"\n[p2p]\nstatic_peers = []\nmax_peers = 8\n');
    const config = loadConfig({ file });
    expect(config.dataDir).toBe(join(file, "..", "state"));
    expect(config.p2p.maxPeers).toBe(8);
    expect(config.p2p.listen).toEqual(["/ip4/0.0.0.0/tcp/9000"]);
  });

  it("names the key path and expected form for each kind of bad value", () => {
    const cases: [string, RegExp][] = [
      ['chain_id = "abc"', /chain_id: expected a positive integer \(chain id\), got "abc"/],
      ["chain_id = -3", /chain_id: expected a positive integer \(chain id\), got -3/],
      [
        '[p2p]\nlisten = ["127.0.0.1:9000"]',
        /p2p\.listen\[0\]: expected a multiaddr like "\/ip4\/0\.0\.0\.0\/tcp\/9000", got "127\.0\.0\.1:9000"/,
      ],
      [
        '[p2p]\nstatic_peers = ["/ip4/1.2.3.4/tcp/9000"]',
        /p2p\.static_peers\[0\]: expected a multiaddr ending in the peer id/,
      ],
      ['[metrics]\naddress = "9100"', /metrics\.address: expected "host:port"/],
      [
        '[l1]\nstaking_manager = "0x1234"',
        /l1\.staking_manager: expected a 0x-prefixed 20-byte hex address, got "0x1234"/,
      ],
      ['[l1]\nrpc_url = "localhost"', /l1\.rpc_url: expected an http\(s\) or ws\(s\) URL/],
      ["[rpc]\nenabled = 1", /rpc\.enabled: expected true or false, got 1/],
      [
        '[logging]\nlevel = "loud"',
        /logging\.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"/,
      ],
      // Consensus parameters are the network's (genesis), not one node's: say where they live.
      ["[consensus]\ntimeout_backoff = 1.5", /consensus: not a node setting: .* genesis file/],
      ["[blocks]\nmini_block_interval_ms = 10", /blocks: not a node setting/],
      ["[p2p]\nlisen = []", /p2p\.lisen: unknown key/],
      ["colour = 1", /colour: unknown key/],
      ["p2p = 5", /p2p: expected object, got 5/],
    ];
    for (const [text, message] of cases) {
      const err = errorOf(() => loadConfig({ file: configFile(text) }));
      expect(err.code, text).toBe("CONFIG_INVALID");
      expect(err.message, text).toMatch(message);
    }
  });

  it("reports TOML syntax errors and missing files", () => {
    expect(errorOf(() => loadConfig({ file: configFile("chain_id = = 3") })).code).toBe("CONFIG_PARSE");
    expect(errorOf(() => loadConfig({ file: "/nonexistent/megaseq.toml" })).code).toBe("CONFIG_READ");
  });

  it("applies MEGASEQ_<SECTION>_<KEY> environment overrides over the file", () => {
    const file = configFile("chain_id = 7\n[rpc]\nadmin_enabled = false\n");
    const config = loadConfig({
      file,
      env: {
        MEGASEQ_CHAIN_ID: "9",
        MEGASEQ_P2P_LISTEN: "/ip4/127.0.0.1/tcp/9001, /ip4/127.0.0.1/tcp/9002",
        MEGASEQ_P2P_PEER_KEY_FILE: "/keys/p2p.key",
        MEGASEQ_RPC_ADMIN_ENABLED: "true",
        MEGASEQ_L1_SLASHING: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
        MEGASEQ_UNRELATED_TOOL_SETTING: "ignored",
        PATH: "/usr/bin",
      },
    });
    expect(config.chainId).toBe(9);
    expect(config.p2p.listen).toEqual(["/ip4/127.0.0.1/tcp/9001", "/ip4/127.0.0.1/tcp/9002"]);
    expect(config.p2p.peerKeyFile).toBe("/keys/p2p.key");
    expect(config.rpc.adminEnabled).toBe(true);
    expect(config.l1.slashing).toBe("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
  });

  it("names the environment variable behind a bad or unknown override", () => {
    const bad = errorOf(() => loadConfig({ env: { MEGASEQ_METRICS_ENABLED: "yes" } }));
    expect(bad.message).toMatch(
      /metrics\.enabled: expected true or false, got "yes" \(from MEGASEQ_METRICS_ENABLED\)/,
    );
    const unknown = errorOf(() => loadConfig({ env: { MEGASEQ_P2P_LISTEN_ADDR: "/ip4/1.2.3.4/tcp/1" } }));
    expect(unknown.code).toBe("CONFIG_ENV");
    expect(unknown.message).toMatch(/MEGASEQ_P2P_LISTEN_ADDR: \[p2p\] has no key "listen_addr"/);
  });
});
