import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";

/**
 * What a successful `ensureEnvironment` recorded in `<envDir>/.bridge-env.json`:
 * the inputs it built from, so the next call can prove nothing changed without
 * running uv.
 * @private
 */
export interface EnvMarker {
  format: 1;
  name: string;
  key: string;
  specHash: string;
  /** sha256 of the lockfile the environment was synced from. */
  lockHash: string;
  /** {@link workerFingerprint} of the installed worker. */
  workerHash: string;
  workerVersion: string;
  python: string;
  pythonVersion: string;
  uv: { path: string; version: string };
  /** ISO time of the sync. */
  syncedAt: string;
}

/** sha256 of a file's bytes, or undefined when it does not exist. @private */
export function fileHash(path: string): string | undefined {
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch {
    return undefined;
  }
}

/** Reads a marker; undefined when missing or unreadable (which means "not fresh"). @private */
export function readMarker(path: string): EnvMarker | undefined {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as Partial<EnvMarker>;
    return value.format === 1 && typeof value.specHash === "string" ? (value as EnvMarker) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a file atomically (temporary file, then rename), so readers never see half of it. @private */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, data);
  await rename(temp, path);
}

/** Writes a marker atomically. @private */
export async function writeMarker(path: string, marker: EnvMarker): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(marker, null, 2)}\n`);
}
