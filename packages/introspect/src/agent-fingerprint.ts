import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { WORKER_VERSION, bundledWorkerPath } from "@bridge/pool";

let cached: string | undefined;

/**
 * The introspection agent's identity for the snapshot key: bridge_worker's version
 * plus a hash of the code that shapes descriptors (bridge_worker/introspect/; describe.py
 * only carries them), so a changed agent invalidates snapshots even under the same
 * version, and unrelated worker changes do not.
 */
export function agentFingerprint(): string {
  if (cached) return cached;
  const root = join(bundledWorkerPath(), "bridge_worker");
  const hash = createHash("sha256");
  const files: string[] = [];
  const dir = join(root, "introspect");
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".py")).sort()) files.push(join(dir, name));
  }
  for (const file of files) {
    if (!existsSync(file)) continue;
    hash.update(file.slice(root.length)).update("\0").update(readFileSync(file)).update("\0");
  }
  cached = `${WORKER_VERSION}+${hash.digest("hex").slice(0, 12)}`;
  return cached;
}
