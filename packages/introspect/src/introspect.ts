import type { LoadedManifest } from "@bridge/manifest";
import type { DescriptorDocument } from "@bridge/codegen";
import { DESCRIPTOR_SCHEMA_VERSION } from "@bridge/codegen";
import { agentFingerprint } from "./agent-fingerprint.js";
import { BridgeError, createBridge, type BridgeOptions } from "@bridge/runtime";
import { currentKey, readSnapshot, sameKey, snapshotPath, writeSnapshot, type ApiSnapshot } from "./api-snapshot.js";

/** Options for {@link introspect}. */
export interface IntrospectOptions {
  loaded: LoadedManifest;
  /** The manifest's name (`dspy` for dspy.bridge.yaml): names the snapshot file. */
  name: string;
  /** The environment's lockfile, part of the cache key. */
  lockFile: string;
  /** Resolves the Python to describe with; called only when the snapshot is stale. */
  python: () => Promise<string>;
  /** Describe again even if the snapshot is fresh. */
  force?: boolean;
  /** Passed to the bridge started for describing (env, onLog...). */
  bridgeOptions?: Omit<BridgeOptions, "python">;
  /** Reports what is happening (for the CLI). */
  onProgress?: (message: string) => void;
}

/** The snapshot, and whether it came from disk without starting Python. */
export interface IntrospectResult {
  snapshot: ApiSnapshot;
  path: string;
  fromCache: boolean;
}

/**
 * Describes every library of a manifest, unless the committed snapshot already
 * matches the manifest, the lockfile and the agent: then no Python starts at all.
 */
export async function introspect(options: IntrospectOptions): Promise<IntrospectResult> {
  const path = snapshotPath(options.loaded, options.name);
  const existing = await readSnapshot(path);
  if (!options.force && existing && sameKey(existing.key, await currentKey(options.loaded, options.lockFile, agentFingerprint()))) {
    return { snapshot: existing, path, fromCache: true };
  }
  const python = await options.python();
  // Preparing the environment may have written or updated the lockfile: key it now.
  const key = await currentKey(options.loaded, options.lockFile, agentFingerprint());
  const libraries = await describeLibraries(options.loaded, python, options.bridgeOptions, options.onProgress);
  const snapshot: ApiSnapshot = { snapshot_version: 1, key, libraries };
  await writeSnapshot(path, snapshot);
  return { snapshot, path, fromCache: false };
}

/** Starts one worker with `python` and describes each library of the manifest. */
export async function describeLibraries(
  loaded: LoadedManifest,
  python: string,
  bridgeOptions: Omit<BridgeOptions, "python"> = {},
  onProgress?: (message: string) => void,
): Promise<Record<string, DescriptorDocument>> {
  const bridge = await createBridge({ ...bridgeOptions, python, workerPath: false, workers: 1 });
  try {
    const libraries: Record<string, DescriptorDocument> = {};
    for (const [name, library] of Object.entries(loaded.manifest.libraries)) {
      onProgress?.(`describing ${library.module}`);
      libraries[name] = await describeModule(bridge.pool, library.module, {
        depth: library.depth,
        include: library.include ?? [],
        exclude: library.exclude,
      });
    }
    return libraries;
  } finally {
    await bridge.close();
  }
}

/** Describes one module through a pool (or a bridge's pool) and checks the schema version. */
export async function describeModule(
  pool: { describe: (request: { module: string; depth?: number; include?: readonly string[]; exclude?: readonly string[] }) => Promise<{ descriptorJson: string; schemaVersion: number }> },
  module: string,
  options: { depth?: number; include?: readonly string[]; exclude?: readonly string[] } = {},
): Promise<DescriptorDocument> {
  const response = await pool.describe({ module, ...options });
  if (response.schemaVersion !== DESCRIPTOR_SCHEMA_VERSION) {
    throw new BridgeError(
      "unavailable",
      `the worker describes ${module} with descriptor schema ${response.schemaVersion}; this @bridge/codegen reads ${DESCRIPTOR_SCHEMA_VERSION} (upgrade the older of the two)`,
    );
  }
  return JSON.parse(response.descriptorJson) as DescriptorDocument;
}
