import { join } from "node:path";
import { describeLibraries, diffApi, readSnapshot, snapshotPath, type ApiChange } from "@bridge/introspect";
import { ensureEnvironment } from "@bridge/uv";
import { ManifestError } from "@bridge/manifest";
import { loadProject, type ManifestOptions } from "../context.js";
import type { CliIO } from "../io.js";
import { printResult, type OutputOptions } from "../output.js";

/** `bridge diff`: the committed API snapshot against a fresh introspection. */
export async function diff(options: ManifestOptions & OutputOptions, io: CliIO): Promise<number> {
  const project = await loadProject(options, io.cwd, io.env);
  const path = snapshotPath(project.loaded, project.spec.name);
  const before = await readSnapshot(path);
  if (!before) {
    throw new ManifestError([{ file: path, line: 1, column: 1, path: [], expected: "an API snapshot", found: "none", message: `no API snapshot at ${path}: run \`bridge generate\` first` }]);
  }
  const environment = await ensureEnvironment(project.spec, { projectDir: project.projectDir, worker: project.worker, lockFile: join(project.projectDir, `${project.spec.name}.bridge.lock`) });
  const after = await describeLibraries(project.loaded, environment.python, { onLog: () => undefined });
  const changes: Record<string, ApiChange[]> = {};
  for (const name of new Set([...Object.keys(before.libraries), ...Object.keys(after)])) {
    const a = before.libraries[name];
    const b = after[name];
    if (a && b) changes[name] = diffApi(a, b);
    else if (b) changes[name] = diffApi({ ...b, modules: [] }, b);
    else if (a) changes[name] = diffApi(a, { ...a, modules: [] });
  }
  const total = Object.values(changes).reduce((n, c) => n + c.length, 0);
  printResult(io, options, { changes }, () =>
    total === 0
      ? "no API changes against the snapshot"
      : Object.entries(changes)
          .flatMap(([library, list]) => [
            `${library}:`,
            ...list.map((c) =>
              c.kind === "changed" ? `  ~ ${c.path}\n      - ${c.before}\n      + ${c.after}` : `  ${c.kind === "added" ? "+" : "-"} ${c.path} ${c.after ?? c.before ?? ""}`,
            ),
          ])
          .join("\n"),
  );
  return 0;
}
