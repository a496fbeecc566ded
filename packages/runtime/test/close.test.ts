import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const entry = JSON.stringify(new URL("../src/index.ts", import.meta.url).href);

/** Whether `pid` is a live process (a zombie is not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), "bridge-close-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let scripts = 0;

/** Runs `body` as a TypeScript module in a fresh Node process (through tsx); its stdout lines. Rejects unless it exits 0. */
async function script(body: string): Promise<string[]> {
  const file = join(dir, `script-${++scripts}.mts`);
  writeFileSync(file, body);
  const { stdout } = await run(process.execPath, ["--conditions=@bridge/source", "--import", "tsx", file], {
    encoding: "utf8",
    timeout: 30_000,
    env: process.env,
  });
  return stdout.trim().split("\n");
}

describe("a script that awaits close() runs to its end", () => {
  // Once the last call is answered nothing else holds the event loop: if close() let
  // go of it before the workers were gone, Node would exit with close() still pending.
  it("await bridge.close()", async () => {
    const lines = await script(`
      const { createBridge } = await import(${entry});
      const bridge = await createBridge({ workers: 2 });
      console.log(JSON.stringify(bridge.pool.workers.map((w) => w.pid)));
      console.log("sum", await bridge.call("operator.add", [2, 3]));
      await bridge.close({ drainMs: 1000 });
      console.log("closed");
    `);
    expect(lines.slice(1)).toEqual(["sum 5", "closed"]);
    const pids = JSON.parse(lines[0]!) as number[];
    expect(pids.some(alive)).toBe(false);
  });

  it("await using, at the end of its scope", async () => {
    const lines = await script(`
      const { createBridge } = await import(${entry});
      {
        await using bridge = await createBridge();
        console.log("sqrt", await bridge.call("math.sqrt", [16]));
      }
      console.log("disposed");
    `);
    expect(lines).toEqual(["sqrt 4", "disposed"]);
  });
});
