import { main, type CliIO } from "../src/index.js";

/** What one `bridge ...` run printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
  json: () => Record<string, unknown>;
}

/** Runs the CLI in-process in `cwd`, capturing stdout and stderr (not a terminal). */
export async function bridge(cwd: string, ...argv: string[]): Promise<CliRun> {
  let out = "";
  let err = "";
  const io: CliIO = { out: (t) => (out += t), err: (t) => (err += t), interactive: false, cwd, env: process.env };
  const code = await main(argv, io);
  return { code, out, err, json: () => JSON.parse(out) as Record<string, unknown> };
}
