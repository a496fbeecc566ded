import { execa } from "execa";
import { createBridge } from "@bridge/runtime";
import { findUv, inspectEnvironment, type EnvironmentStatus } from "@bridge/uv";
import { loadProject, type ManifestOptions, type ProjectContext } from "../context.js";
import type { CliIO } from "../io.js";
import { describeFailure, printResult, type OutputOptions } from "../output.js";

/** One doctor check: what was looked at, whether it is fine, and how to fix it if not. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** `bridge doctor`: uv, Python, manifest, environment freshness, worker; each with a fix hint. */
export async function doctor(options: ManifestOptions & OutputOptions, io: CliIO): Promise<number> {
  const checks: DoctorCheck[] = [];
  const check = async (name: string, run: () => Promise<Omit<DoctorCheck, "name">>) => {
    try {
      checks.push({ name, ...(await run()) });
    } catch (error) {
      checks.push({ name, ok: false, detail: describeFailure(error).message });
    }
  };

  let uvPath: string | undefined;
  await check("uv", async () => {
    try {
      const uv = await findUv({ bootstrap: false });
      uvPath = uv.path;
      return { ok: true, detail: `${uv.path} (${uv.version}, found via ${uv.source})` };
    } catch (error) {
      return {
        ok: false,
        detail: describeFailure(error).message,
        fix: "`python3 -m pip install uv`, or run `bridge env sync`, which bootstraps uv itself",
      };
    }
  });

  let project: ProjectContext | undefined;
  await check("manifest", async () => {
    try {
      project = await loadProject(options, io.cwd, io.env);
      return { ok: true, detail: `${project.loaded.file} (hash ${project.loaded.hash.slice(0, 12)})` };
    } catch (error) {
      return { ok: false, detail: describeFailure(error).message, fix: "correct the manifest at the positions above" };
    }
  });

  if (project && uvPath) {
    const wanted = project.spec.pythonVersion;
    const uv = uvPath;
    await check("python", async () => {
      const found = await execa(uv, ["python", "find", "--python-preference", "only-system", "--no-config", wanted], {
        reject: false,
        env: { UV_PYTHON_DOWNLOADS: "never" },
      });
      return found.exitCode === 0
        ? { ok: true, detail: `${found.stdout.trim()} satisfies ${wanted}` }
        : {
            ok: false,
            detail: `no interpreter on this machine satisfies python.version ${wanted}: ${found.stderr.trim().split("\n")[0] ?? ""}`,
            fix: `install a Python matching ${wanted} (Bridge never downloads one), or relax python.version`,
          };
    });
  }

  if (project) {
    const ctx = project;
    let status: EnvironmentStatus | undefined;
    await check("environment", async () => {
      status = await inspectEnvironment(ctx.spec, { projectDir: ctx.projectDir, worker: ctx.worker });
      const problems = status.problems.length ? ` (${status.problems.join("; ")})` : "";
      if (!status.exists) return { ok: false, detail: `${status.envDir} does not exist`, fix: "bridge env sync" };
      if (!status.lockPresent) return { ok: false, detail: `no lockfile at ${status.lockFile}`, fix: "bridge env sync, then commit the lockfile" };
      if (!status.lockMatchesSpec) {
        return { ok: false, detail: `${status.lockFile} does not match the manifest's dependencies${problems}`, fix: "bridge env sync (it re-locks), then commit the lockfile" };
      }
      if (!status.fresh) return { ok: false, detail: `${status.envDir} is out of date with ${status.lockFile}${problems}`, fix: "bridge env sync" };
      return { ok: true, detail: `${status.envDir} is fresh against ${status.lockFile}` };
    });
    const env = status;
    if (env?.exists && env.python) {
      const python = env.python;
      await check("worker", async () => {
        if (!env.workerImportable) return { ok: false, detail: `bridge_worker cannot be imported by ${python}`, fix: "bridge env sync" };
        if (!env.workerCurrent) return { ok: false, detail: "the installed bridge_worker differs from this Bridge's", fix: "bridge env sync" };
        // The real thing: start a worker from the environment and call into it.
        const bridge = await createBridge({ python, workerPath: false, startTimeoutMs: 20_000, onLog: () => undefined });
        try {
          const version = await bridge.call<string>("platform.python_version");
          const [worker] = bridge.pool.workers;
          return { ok: true, detail: `a worker started (pid ${worker?.pid}, Python ${version}, bridge_worker ${worker?.workerVersion}, ${worker?.transport}) and answered` };
        } finally {
          await bridge.close();
        }
      });
    }
  }

  const ok = checks.every((c) => c.ok);
  printResult(io, options, { healthy: ok, checks }, () =>
    checks
      .map((c) => `${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(12)} ${c.detail}${c.ok || !c.fix ? "" : `\n     ${"".padEnd(12)} fix: ${c.fix}`}`)
      .join("\n"),
  );
  return ok ? 0 : 1;
}
