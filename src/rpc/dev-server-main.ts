/**
 * Runs the JSON-RPC server over a DevChain in its own process:
 *   node src/rpc/dev-server-main.ts [--port N] [--host H] [--chain-id N] [--fund 0xaddr=wei ...] [--admin]
 * Prints one JSON line `{"url", "wsUrl", "chainId"}` once listening; stops on SIGINT/SIGTERM.
 * Without --fund, the ten anvil dev accounts get 10,000 ETH each.
 */
import { parseArgs } from "node:util";
import { privateKeyToAddress } from "viem/accounts";
import { ANVIL_DEV_KEYS } from "../l1/anvil.ts";
import { DevChain } from "./dev-chain.ts";
import type { Hex } from "./hex.ts";
import { RpcServer } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8545" },
    host: { type: "string", default: "127.0.0.1" },
    "chain-id": { type: "string", default: "4242" },
    fund: { type: "string", multiple: true },
    admin: { type: "boolean", default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, got ${values.port}`);
if (!/^[0-9]+$/.test(values["chain-id"]))
  fail(`--chain-id must be a decimal integer, got ${values["chain-id"]}`);
const alloc = (values.fund ?? []).map((entry) => {
  const m = /^(0x[0-9a-fA-F]{40})=([0-9]+)$/.exec(entry);
  if (m === null) fail(`--fund must look like 0x<20-byte address>=<wei>, got ${entry}`);
  return { address: m[1].toLowerCase() as Hex, balance: BigInt(m[2]) };
});
if (alloc.length === 0) {
  for (const key of ANVIL_DEV_KEYS) {
    alloc.push({ address: privateKeyToAddress(key).toLowerCase() as Hex, balance: 10_000n * 10n ** 18n });
  }
}

const chainId = BigInt(values["chain-id"]);
const chain = await DevChain.create({ chainId, alloc });
const server = new RpcServer(
  { host: values.host, port, enableAdmin: values.admin },
  {
    backend: chain,
    onInternalError: (method, error) =>
      process.stderr.write(`internal error in ${method}: ${String(error)}\n`),
  },
);
const { url, wsUrl } = await server.start();
process.stdout.write(`${JSON.stringify({ url, wsUrl, chainId: Number(chainId) })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.stop().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
