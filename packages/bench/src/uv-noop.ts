import { fileURLToPath } from "node:url";
import { loadManifest } from "@bridge/manifest";
import { WORKER_REQUIREMENTS, bundledWorkerPath } from "@bridge/pool";
import { ensureEnvironment, specFromManifest } from "@bridge/uv";

/**
 * A no-op ensureEnvironment (nothing changed: no uv process) on the DSPy example's
 * environment that scripts/setup.sh builds: median and p99 over 101 calls, in ms.
 * Tests check that no uv runs; how fast it is belongs here.
 */
export async function uvNoop(): Promise<string> {
  const loaded = await loadManifest(fileURLToPath(new URL("../../../apps/dspy-sdk/dspy.bridge.yaml", import.meta.url)));
  const worker = { source: bundledWorkerPath(), requirements: [...WORKER_REQUIREMENTS] };
  const times: number[] = [];
  for (let i = 0; i < 101; i++) {
    times.push((await ensureEnvironment(specFromManifest(loaded), { projectDir: loaded.dir, worker, frozen: true })).durationMs);
  }
  times.sort((x, y) => x - y);
  return `no-op ensureEnvironment (apps/dspy-sdk): median ${times[50]!.toFixed(2)} ms, p99 ${times[99]!.toFixed(2)} ms over 101 calls`;
}
