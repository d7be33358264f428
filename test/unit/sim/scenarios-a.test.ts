import { describeScenarioSweep } from "./sweep-shipped.ts";

// The shipped scenarios are split over two files so that vitest's two workers share the sweep.
describeScenarioSweep(0);
