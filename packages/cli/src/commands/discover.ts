import { readFile, writeFile } from "node:fs/promises";
import { parseDocument, stringify } from "yaml";
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
  /** Add the entry to the manifest (YAML; comments and layout kept) instead of printing it. */
  write?: boolean;
}

/** `bridge discover <module>`: a starter `libraries` entry for a module, from introspection. */
export async function discover(module: string, options: DiscoverOptions, io: CliIO): Promise<number> {
  let python = options.python;
  const project = options.write || !python ? await loadProject(options, io.cwd, io.env) : undefined;
  if (!python && project) {
    python = (await ensureEnvironment(project.spec, { projectDir: project.projectDir, worker: project.worker })).python;
  }
  if (!python) throw new Error("no Python to describe with: pass --python or use a manifest");
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
    if (options.write && project) {
      const file = project.loaded.file;
      if (/\.json$/.test(file)) throw new Error(`--write edits YAML manifests; add the entry to ${file} by hand`);
      const yaml = parseDocument(await readFile(file, "utf8"));
      if (yaml.hasIn(["libraries", key])) throw new Error(`${file} already has libraries.${key}; remove it first or edit it`);
      yaml.setIn(["libraries", key], yaml.createNode({ module, include, depth }));
      await writeFile(file, yaml.toString());
      printResult(io, options, { written: file, entry }, () => `added libraries.${key} to ${file} (${include.length} names; trim \`include\` to what you need)`);
      return 0;
    }
    printResult(io, options, { entry, warnings: document.warnings }, () =>
      [`# ${counts}; ${document.warnings.length} warnings`, `# add to your manifest and trim \`include\` to what you need:`, stringify(entry).trimEnd()].join("\n"),
    );
    return 0;
  } finally {
    await bridge.close();
  }
}
