import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll } from "vitest";
import { findUv, type EnvironmentSpec, type WorkerSource } from "../src/index.js";

/** The monorepo's worker package and its runtime requirements. */
export const WORKER: WorkerSource = {
  source: fileURLToPath(new URL("../../../python", import.meta.url)),
  requirements: ["grpcio>=1.75.1", "grpcio-health-checking>=1.75.1", "protobuf>=6.31.1,<8", "msgpack>=1.0.0"],
};

/** A small spec; `dependencies` is all a test usually changes. */
export function spec(dependencies: string[], extra: Partial<EnvironmentSpec> = {}): EnvironmentSpec {
  return { name: "demo", pythonVersion: ">=3.10", dependencies, ...extra };
}

const temps: string[] = [];
afterAll(() => {
  if (process.env.BRIDGE_KEEP_TEMP) return;
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Removes `path` after the file's tests. */
export function removeAfterAll(path: string): void {
  temps.push(path);
}

/** A fresh temporary directory, removed after the file's tests. */
export function tempDir(prefix = "bridge-uv-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/**
 * A uv wrapper that appends each invocation to a log before exec'ing the real uv:
 * lets a test prove that a call ran no uv at all.
 */
export async function uvSpy(): Promise<{ path: string; calls: () => string[] }> {
  const real = (await findUv({ bootstrap: false })).path;
  const dir = tempDir("bridge-uv-spy-");
  const log = join(dir, "calls.log");
  const path = join(dir, "uv");
  writeFileSync(path, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(path, 0o755);
  return {
    path,
    calls: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "") : []),
  };
}

/** Runs Python code in an environment's interpreter; stdout trimmed. */
export async function runPython(python: string, code: string): Promise<string> {
  const result = await execa(python, ["-I", "-c", code]);
  return result.stdout.trim();
}

/** The version of `name` recorded in a uv lockfile. */
export function lockedVersion(lockFile: string, name: string): string | undefined {
  const text = readFileSync(lockFile, "utf8");
  return new RegExp(`\\[\\[package\\]\\]\\nname = "${name}"\\nversion = "([^"]+)"`).exec(text)?.[1];
}

/** The repository root (for tools installed there, like esbuild). */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/**
 * Bundles test/fixtures/ensure-child.ts into a Node script (esbuild from the repo's
 * devDependencies; dependencies stay external and resolve from this package), or
 * undefined when esbuild is not installed.
 */
export async function buildChildScript(): Promise<string | undefined> {
  const esbuild = join(REPO_ROOT, "node_modules", ".bin", "esbuild");
  if (!existsSync(esbuild)) return undefined;
  const packageDir = fileURLToPath(new URL("..", import.meta.url));
  const out = join(packageDir, "node_modules", ".cache", "bridge-uv-test", `ensure-child-${process.pid}.mjs`);
  await execa(esbuild, [
    join(packageDir, "test", "fixtures", "ensure-child.ts"),
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--packages=external",
    `--outfile=${out}`,
    "--log-level=warning",
  ]);
  temps.push(out);
  return out;
}
