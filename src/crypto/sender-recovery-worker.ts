import { workerData } from "node:worker_threads";
import { createNativeCommon, decodeSignedTx, TxCryptoError, type TxCryptoErrorCode } from "./secp256k1.ts";
import { serveBatches } from "./worker-serve.ts";

/** Worker of SenderRecoveryPool: decodes raw signed txs and recovers their senders natively. */
export type RecoveryResult =
  | { ok: true; sender: Uint8Array }
  | { ok: false; code: TxCryptoErrorCode; message: string };

export interface SenderRecoveryWorkerData {
  chainId: bigint;
  hardfork: string;
}

const data = workerData as SenderRecoveryWorkerData;
const common = createNativeCommon(data.chainId, data.hardfork);

serveBatches<Uint8Array, RecoveryResult>((raws) =>
  raws.map((raw) => {
    try {
      return { ok: true, sender: decodeSignedTx(raw, common).sender.bytes };
    } catch (err) {
      if (err instanceof TxCryptoError) return { ok: false, code: err.code, message: err.message };
      return { ok: false, code: "TX_MALFORMED", message: String(err) };
    }
  }),
);
