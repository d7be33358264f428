/**
 * The compiled contracts (committed under contracts/artifacts by `npm run build:contracts`):
 * typed ABIs for viem plus the creation bytecode for deployment.
 */
import type { Hex } from "viem";
import {
  BLSHarnessAbi,
  MegaGovernorAbi,
  MegaTimelockAbi,
  MegaTokenAbi,
  SlashingAbi,
  StakingManagerAbi,
} from "../../contracts/artifacts/abis.ts";
import blsHarness from "../../contracts/artifacts/BLSHarness.json" with { type: "json" };
import megaGovernor from "../../contracts/artifacts/MegaGovernor.json" with { type: "json" };
import megaTimelock from "../../contracts/artifacts/MegaTimelock.json" with { type: "json" };
import megaToken from "../../contracts/artifacts/MegaToken.json" with { type: "json" };
import slashing from "../../contracts/artifacts/Slashing.json" with { type: "json" };
import stakingManager from "../../contracts/artifacts/StakingManager.json" with { type: "json" };

export { BLSHarnessAbi, MegaGovernorAbi, MegaTimelockAbi, MegaTokenAbi, SlashingAbi, StakingManagerAbi };

export const BYTECODE = {
  MegaToken: megaToken.bytecode as Hex,
  StakingManager: stakingManager.bytecode as Hex,
  Slashing: slashing.bytecode as Hex,
  MegaGovernor: megaGovernor.bytecode as Hex,
  MegaTimelock: megaTimelock.bytecode as Hex,
  BLSHarness: blsHarness.bytecode as Hex,
} as const;

/** Every custom error of the suite, for decoding a revert whichever contract raised it. */
export const ALL_ERRORS_ABI = [
  ...MegaTokenAbi,
  ...StakingManagerAbi,
  ...SlashingAbi,
  ...MegaGovernorAbi,
  ...MegaTimelockAbi,
].filter((item) => item.type === "error");
