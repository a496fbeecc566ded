import { stringify } from "yaml";
import { describeModule } from "@bridge/introspect";
import { createBridge } from "@bridge/runtime";
import { ensureEnvironment } from "@bridge/uv";
import { loadProject, type ManifestOptions } from "../context.js";
import type { CliIO } from "../io.js";
import { printResult, type OutputOptions } from "../output.js";

/** Options of `bridge discover`. */
export interface DiscoverOptions extends ManifestOptions, OutputOptions {
  /** Submodule depth to describe. */
  depth?: string;
  /** The Python to describe with (default: the manifest's environment). */
  python?: string;
}

/** `bridge discover <module>`: a starter `libraries` entry for a module, from introspection. */
export async function discover(module: string, options: DiscoverOptions, io: CliIO): Promise<number> {
  let python = options.python;
  if (!python) {
    const project = await loadProject(options, io.cwd, io.env);
    python = (await ensureEnvironment(project.spec, { projectDir: project.projectDir, worker: project.worker })).python;
  }
  const depth = options.depth === undefined ? 0 : Number(options.depth);
  // An explicit --python uses the worker shipped with Bridge; the manifest environment has it installed.
  const bridge = await createBridge({ python, ...(options.python ? {} : { workerPath: false as const }), onLog: () => undefined });
  try {
    const document = await describeModule(bridge.pool, module, { depth });
    const root = document.modules.find((m) => m.name === module) ?? document.modules[0];
    const include = (root?.members ?? []).filter((m) => m.kind === "function" || m.kind === "class").map((m) => m.name);
    const key = module.split(".").at(-1)!.replace(/\W/g, "_");
    const entry = { libraries: { [key]: { module, include, depth } } };
    const counts = document.modules.map((m) => `${m.name}: ${m.members.length} members`).join(", ");
    printResult(io, options, { entry, warnings: document.warnings }, () =>
      [`# ${counts}; ${document.warnings.length} warnings`, `# add to your manifest and trim \`include\` to what you need:`, stringify(entry).trimEnd()].join("\n"),
    );
    return 0;
  } finally {
    await bridge.close();
  }
}
