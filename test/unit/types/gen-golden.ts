/** Rewrites golden.json. Run only for a deliberate wire-format change. */
import { writeFileSync } from "node:fs";
import { computeGolden } from "./golden.ts";

writeFileSync(new URL("./golden.json", import.meta.url), `${JSON.stringify(computeGolden(), null, 2)}\n`);
console.log("golden.json written");
