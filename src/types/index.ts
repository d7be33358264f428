/** Public face of src/types: the consensus wire format, signing roots and codecs. */
export * from "./codec.ts";
export * from "./containers.ts";
export * from "./domain.ts";
export * from "./limits.ts";
