import { dirname, resolve } from "node:path";
import { ManifestError, findManifest, loadManifest, type LoadedManifest } from "@bridge/manifest";
import { WORKER_REQUIREMENTS, bundledWorkerPath } from "@bridge/pool";
import { specFromManifest, type EnsureEnvironmentOptions, type EnvironmentSpec } from "@bridge/uv";

/** Options every environment command accepts. */
export interface ManifestOptions {
  manifest?: string;
}

/** A manifest, located and loaded, with what @bridge/uv needs to build its environment. */
export interface ProjectContext {
  loaded: LoadedManifest;
  spec: EnvironmentSpec;
  projectDir: string;
  worker: EnsureEnvironmentOptions["worker"];
}

/** Finds (or takes) the manifest, loads it, resolves its secrets and maps it to an environment spec. */
export async function loadProject(options: ManifestOptions, cwd: string, env: NodeJS.ProcessEnv): Promise<ProjectContext> {
  const file = options.manifest ? resolve(cwd, options.manifest) : findManifest(cwd);
  if (!file) {
    throw new ManifestError([
      {
        file: cwd,
        line: 1,
        column: 1,
        path: [],
        expected: "a *.bridge.yaml or *.bridge.json manifest",
        found: "none in this directory",
        message: `no manifest found in ${cwd}; pass --manifest FILE`,
      },
    ]);
  }
  const loaded = await loadManifest(file);
  const spec: EnvironmentSpec = specFromManifest(loaded, env);
  return {
    loaded,
    spec,
    projectDir: dirname(loaded.file),
    worker: { source: bundledWorkerPath(), requirements: [...WORKER_REQUIREMENTS] },
  };
}
