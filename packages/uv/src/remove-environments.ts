import { readdirSync, rmSync, rmdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { check, lock } from "proper-lockfile";
import { defaultEnvRoot } from "./environment-layout.js";
import { throwIfAborted } from "./uv-error.js";

/** Options for {@link removeEnvironments}. */
export interface RemoveEnvironmentsOptions {
  /** Where environments live (default `<projectDir>/.bridge/envs`). */
  envRoot?: string;
  /** Keys of environments to keep (e.g. the current one, for a "remove stale" clean). */
  keep?: string[];
  signal?: AbortSignal;
}

/** What {@link removeEnvironments} did. */
export interface RemoveEnvironmentsResult {
  /** Environment directories removed. */
  removed: string[];
  /** Environment directories left because another process is using them right now. */
  skipped: string[];
}

/**
 * Removes a project's environments (for `bridge clean`); lockfiles next to the
 * manifest are kept. An environment another process is building is skipped, not
 * broken: each is removed under its lock.
 */
export async function removeEnvironments(
  projectDir: string,
  options: RemoveEnvironmentsOptions = {},
): Promise<RemoveEnvironmentsResult> {
  const envRoot = resolve(projectDir, options.envRoot ?? defaultEnvRoot(projectDir));
  const keep = new Set(options.keep ?? []);
  const removed: string[] = [];
  const skipped: string[] = [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(envRoot, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return { removed, skipped };
  }
  for (const entry of entries) {
    throwIfAborted(options.signal, "removing environments");
    if (!entry.isDirectory() || entry.name.endsWith(".lock") || entry.name.startsWith(".") || keep.has(entry.name)) continue;
    const dir = join(envRoot, entry.name);
    let release: (() => Promise<void>) | undefined;
    try {
      release = await lock(dir, { realpath: false, stale: 30_000, retries: 0, onCompromised: () => undefined });
    } catch {
      skipped.push(dir);
      continue;
    }
    try {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } finally {
      await release().catch(() => undefined);
    }
  }
  // Lock directories left by processes that died holding them.
  for (const entry of readdirSync(envRoot, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.endsWith(".lock")) continue;
    const dir = join(envRoot, entry.name.slice(0, -".lock".length));
    if (!(await check(dir, { realpath: false, stale: 30_000 }).catch(() => true))) {
      await rm(join(envRoot, entry.name), { recursive: true, force: true });
    }
  }
  try {
    if (readdirSync(envRoot).every((name) => name === ".gitignore")) {
      rmSync(join(envRoot, ".gitignore"), { force: true });
      rmdirSync(envRoot);
    }
  } catch {
    // Not empty (kept or busy environments): leave it.
  }
  return { removed, skipped };
}
