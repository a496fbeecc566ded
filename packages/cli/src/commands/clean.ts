import { removeEnvironments } from "@bridge/uv";
import { loadProject, type ManifestOptions } from "../context.js";
import type { CliIO } from "../io.js";
import { printResult, type OutputOptions } from "../output.js";

/** `bridge clean`: remove the project's environments under `.bridge/` (lockfiles are kept). */
export async function clean(options: ManifestOptions & OutputOptions, io: CliIO): Promise<number> {
  const project = await loadProject(options, io.cwd, io.env);
  const { removed } = await removeEnvironments(project.projectDir);
  printResult(io, options, { removed }, () =>
    removed.length === 0 ? "nothing to remove" : `removed:\n${removed.map((r) => `  ${r}`).join("\n")}`,
  );
  return 0;
}
