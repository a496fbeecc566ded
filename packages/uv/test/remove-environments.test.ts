import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lock } from "proper-lockfile";
import { expect, it } from "vitest";
import { removeEnvironments } from "../src/index.js";
import { tempDir } from "./helpers.js";

it("skips an environment another process is building, and removes the rest", async () => {
  const projectDir = tempDir();
  const envRoot = join(projectDir, ".bridge", "envs");
  for (const key of ["busy", "idle", "kept"]) mkdirSync(join(envRoot, key, ".venv"), { recursive: true });
  writeFileSync(join(projectDir, "demo.bridge.lock"), "version = 1\n");
  const release = await lock(join(envRoot, "busy"), { realpath: false });
  try {
    const result = await removeEnvironments(projectDir, { keep: ["kept"] });
    expect(result).toEqual({ removed: [join(envRoot, "idle")], skipped: [join(envRoot, "busy")] });
    expect(existsSync(join(envRoot, "busy"))).toBe(true);
    expect(existsSync(join(envRoot, "kept"))).toBe(true);
    expect(existsSync(join(projectDir, "demo.bridge.lock"))).toBe(true);
  } finally {
    await release();
  }
  expect(await removeEnvironments(projectDir)).toEqual({ removed: [join(envRoot, "busy"), join(envRoot, "kept")], skipped: [] });
  expect(existsSync(envRoot)).toBe(false);
  expect(await removeEnvironments(projectDir)).toEqual({ removed: [], skipped: [] });
});
