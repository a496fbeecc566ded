import { runTool } from "./run-tool.js";
import { stderrExcerpt } from "./uv-diagnostics.js";
import { UvError } from "./uv-error.js";
import { hermeticUvFlags } from "./uv-environment.js";

/** An interpreter uv found on this machine. @private */
export interface FoundPython {
  version: string;
  path: string;
}

/** The system interpreters uv can see (for messages); [] if uv cannot list them. */
async function listPythons(uv: string, env: Record<string, string>, signal?: AbortSignal): Promise<FoundPython[]> {
  const result = await runTool(uv, ["python", "list", ...hermeticUvFlags(), "--output-format", "json"], { env, signal });
  if (result.exitCode !== 0) return [];
  try {
    const rows = JSON.parse(result.stdout) as Array<{ version?: unknown; path?: unknown }>;
    const seen = new Set<string>();
    const out: FoundPython[] = [];
    for (const row of rows) {
      if (typeof row.version !== "string" || typeof row.path !== "string" || seen.has(row.version)) continue;
      seen.add(row.version);
      out.push({ version: row.version, path: row.path });
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * Picks the interpreter for an environment: the first system Python (never a
 * downloaded build) satisfying `requiresPython`, as `uv python find` sees it. Fails
 * with UvError("python_not_found") naming the constraint and what the machine has.
 * @private
 */
export async function findPython(
  uv: string,
  requiresPython: string,
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<string> {
  const result = await runTool(uv, ["python", "find", ...hermeticUvFlags(), "--no-project", requiresPython], {
    env,
    signal,
  });
  const path = result.stdout.trim().split("\n")[0]?.trim();
  if (result.exitCode === 0 && path) return path;
  const found = await listPythons(uv, env, signal);
  const seen = found.length
    ? `found ${found.map((p) => `${p.version} (${p.path})`).join(", ")}`
    : "found no Python interpreter at all";
  throw new UvError(
    "python_not_found",
    `no Python on this machine satisfies ${requiresPython} (${seen}); Bridge never downloads Python builds: install a matching Python or relax python.version${
      result.stderr.trim() ? `\n${stderrExcerpt(result.stderr, 4)}` : ""
    }`,
    { stderr: result.stderr, command: result.command, requirement: `python${requiresPython}` },
  );
}
