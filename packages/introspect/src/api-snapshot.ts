import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LoadedManifest } from "@bridge/manifest";
import type { DescriptorDocument } from "@bridge/codegen";

/**
 * The described API of a manifest's libraries, committed next to the manifest as
 * `<name>.bridge.api.json`: the descriptor cache that lets `bridge generate` and
 * `bridge generate --check` run without Python when nothing changed.
 */
export interface ApiSnapshot {
  snapshot_version: 1;
  /** What the descriptors were made from; any change means describing again. */
  key: SnapshotKey;
  /** One descriptor document per library of the manifest. */
  libraries: Record<string, DescriptorDocument>;
}

/** The inputs a snapshot depends on. */
export interface SnapshotKey {
  /** The manifest's canonical hash. */
  manifest: string;
  /** sha256 of the environment's lockfile (the installed package versions). */
  lock: string;
  /** The introspection agent: bridge_worker's version and a hash of its code (agentFingerprint). */
  agent: string;
}

/** Where a manifest's API snapshot lives. */
export function snapshotPath(loaded: LoadedManifest, name: string): string {
  return join(loaded.dir, `${name}.bridge.api.json`);
}

/** The key for the current manifest, lockfile and agent; no Python involved. */
export async function currentKey(loaded: LoadedManifest, lockFile: string, agent: string): Promise<SnapshotKey> {
  const lock = existsSync(lockFile) ? createHash("sha256").update(await readFile(lockFile)).digest("hex") : "none";
  return { manifest: loaded.hash, lock, agent };
}

/** Whether two keys are the same inputs. */
export function sameKey(a: SnapshotKey, b: SnapshotKey): boolean {
  return a.manifest === b.manifest && a.lock === b.lock && a.agent === b.agent;
}

/** Reads a snapshot; undefined when there is none (or it is from another format). */
export async function readSnapshot(path: string): Promise<ApiSnapshot | undefined> {
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<ApiSnapshot>;
  return parsed.snapshot_version === 1 && parsed.key && parsed.libraries ? (parsed as ApiSnapshot) : undefined;
}

/** Writes a snapshot atomically, as stable, diff-friendly JSON. */
export async function writeSnapshot(path: string, snapshot: ApiSnapshot): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(snapshot, null, 2)}\n`);
  await rename(temp, path);
}
