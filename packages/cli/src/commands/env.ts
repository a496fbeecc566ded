import { ensureEnvironment, inspectEnvironment } from "@bridge/uv";
import { loadProject, type ManifestOptions } from "../context.js";
import type { CliIO } from "../io.js";
import { progressRenderer } from "../progress.js";
import { printResult, type OutputOptions } from "../output.js";

/** Options of `bridge env sync`. */
export interface EnvSyncOptions extends ManifestOptions, OutputOptions {
  /** Fail instead of re-locking when the lockfile no longer matches the manifest (CI). */
  frozen?: boolean;
  /** Use only uv's cache; no network. */
  offline?: boolean;
}

/** `bridge env sync`: build (or confirm) the manifest's locked Python environment. */
export async function envSync(options: EnvSyncOptions, io: CliIO): Promise<number> {
  const project = await loadProject(options, io.cwd, io.env);
  const progress = progressRenderer(io, !options.json);
  try {
    const environment = await ensureEnvironment(project.spec, {
      projectDir: project.projectDir,
      worker: project.worker,
      ...(options.frozen ? { frozen: true } : {}),
      ...(options.offline ? { offline: true } : {}),
      onProgress: progress.onProgress,
    });
    progress.finish();
    printResult(io, options, { environment }, () =>
      [
        environment.changed
          ? `environment ready in ${(environment.durationMs / 1000).toFixed(1)} s`
          : `environment up to date (${environment.durationMs.toFixed(0)} ms)`,
        `  python:   ${environment.python} (Python ${environment.pythonVersion})`,
        `  lockfile: ${environment.lockFile}`,
        `  uv:       ${environment.uv.path} (${environment.uv.version})`,
      ].join("\n"),
    );
    return 0;
  } finally {
    progress.finish();
  }
}

/** `bridge env info`: what the manifest's environment is, without changing anything. */
export async function envInfo(options: ManifestOptions & OutputOptions, io: CliIO): Promise<number> {
  const project = await loadProject(options, io.cwd, io.env);
  const status = await inspectEnvironment(project.spec, { projectDir: project.projectDir, worker: project.worker });
  printResult(io, options, { manifest: project.loaded.file, hash: project.loaded.hash, environment: status }, () => {
    const lines = [
      `manifest:    ${project.loaded.file}`,
      `environment: ${status.envDir}${status.exists ? "" : " (not created: run `bridge env sync`)"}`,
      `lockfile:    ${status.lockFile}${status.lockPresent ? (status.lockMatchesSpec ? "" : " (stale: run `bridge env sync`)") : " (missing)"}`,
    ];
    if (status.python) lines.push(`python:      ${status.python} (Python ${status.pythonVersion ?? "?"})`);
    lines.push(`worker:      ${status.workerImportable ? "bridge_worker importable" : "bridge_worker not importable"}`);
    if (status.packages?.length) {
      lines.push("packages:");
      for (const p of status.packages) lines.push(`  ${p.name}==${p.version}`);
    }
    return lines.join("\n");
  });
  return 0;
}
