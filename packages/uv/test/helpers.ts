import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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

/**
 * The node arguments that run test/fixtures/ensure-child.ts in a child process, through
 * tsx (a devDependency). Throws when tsx is missing: the test needs it, it does not skip.
 */
export function childScriptArgs(): string[] {
  const packageDir = fileURLToPath(new URL("..", import.meta.url));
  let loader: string;
  try {
    loader = createRequire(join(packageDir, "package.json")).resolve("tsx");
  } catch (error) {
    throw new Error(`the cross-process test runs its child through tsx, which is not installed (pnpm install): ${String(error)}`);
  }
  return ["--conditions=@bridge/source", "--import", pathToFileURL(loader).href, join(packageDir, "test", "fixtures", "ensure-child.ts")];
}
