import { describeScenarioSweep } from "./sweep-shipped.ts";

describeScenarioSweep(1);
