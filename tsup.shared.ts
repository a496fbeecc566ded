import type { Options } from "tsup";

/** The build every package shares: ESM for Node 20+, with .d.ts and source maps. */
export const packageBuild: Options = {
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
};
