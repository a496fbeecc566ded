import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createBridge, type PyRef } from "@bridge/runtime";
import { bridge } from "./run-cli.js";


function project(manifest: string): string {
  const dir = mkdtempSync(join(tmpdir(), "bridge-cli-"));
  writeFileSync(join(dir, "demo.bridge.yaml"), manifest);
  return dir;
}

const MANIFEST = `version: 1
python:
  version: ">=3.10"
  dependencies: ["packaging>=23"]
libraries:
  packaging:
    module: packaging.version
`;

describe("bridge env / doctor / clean", () => {
  let dir: string;
  beforeAll(() => {
    dir = project(MANIFEST);
  });

  let python: string;
  it("env sync builds the locked environment, and a second sync does no work", async () => {
    const first = await bridge(dir, "env", "sync");
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain("environment ready");
    expect(first.err).toMatch(/resolving|installing/); // progress went to stderr
    expect(existsSync(join(dir, "demo.bridge.lock"))).toBe(true);
    expect(readFileSync(join(dir, "demo.bridge.lock"), "utf8")).toContain('name = "packaging"');

    const second = await bridge(dir, "env", "sync", "--json");
    expect(second.code).toBe(0);
    const result = second.json() as { ok: boolean; environment: { changed: boolean; python: string } };
    expect(result.ok).toBe(true);
    expect(result.environment.changed).toBe(false);
    python = result.environment.python;
  });

  it("the runtime starts workers from the environment produced", async () => {
    await using py = await createBridge({ python, workerPath: false });
    await using version = await py.call<PyRef>("packaging.version.Version", ["1.2.3rc1"]);
    expect(version.type).toBe("packaging.version.Version");
    expect(await version.get("is_prerelease")).toBe(true);
    expect(await version.get("release")).toEqual([1, 2, 3]);
  });

  it("env info and doctor report a healthy project, as JSON for scripts", async () => {
    const info = await bridge(dir, "env", "info", "--json");
    expect(info.code).toBe(0);
    const env = (info.json() as { environment: { exists: boolean; fresh: boolean; packages: Array<{ name: string }> } }).environment;
    expect(env.exists).toBe(true);
    expect(env.fresh).toBe(true);
    expect(env.packages.map((p) => p.name)).toContain("packaging");

    const doctor = await bridge(dir, "doctor");
    expect(doctor.code, doctor.out).toBe(0);
    for (const name of ["uv", "manifest", "python", "environment", "worker"]) expect(doctor.out).toMatch(new RegExp(`^ok\\s+${name}`, "m"));
    expect(doctor.out).toMatch(/a worker started \(pid \d+, Python 3\.\d+/);
  });

  it("doctor names what is wrong and how to fix it", async () => {
    const stale = project(MANIFEST.replace('"packaging>=23"', '"packaging>=23", "six"'));
    const result = await bridge(stale, "doctor", "--json");
    expect(result.code).toBe(1);
    const report = result.json() as { healthy: boolean; checks: Array<{ name: string; ok: boolean; fix?: string }> };
    expect(report.healthy).toBe(false);
    const env = report.checks.find((c) => c.name === "environment")!;
    expect(env.ok).toBe(false);
    expect(env.fix).toContain("bridge env sync");
  });

  it("clean removes the environments and keeps the lockfile", async () => {
    const result = await bridge(dir, "clean", "--json");
    expect(result.code).toBe(0);
    // The one environment env sync built: <envDir>/.venv/bin/python.
    expect((result.json() as { removed: string[] }).removed).toEqual([dirname(dirname(dirname(python)))]);
    expect(existsSync(join(dir, "demo.bridge.lock"))).toBe(true);
    const info = await bridge(dir, "env", "info", "--json");
    expect((info.json() as { environment: { exists: boolean } }).environment.exists).toBe(false);
  });
});

describe("errors", () => {
  it("a bad requirement fails env sync with uv's reason, naming the requirement", async () => {
    const dir = project(MANIFEST.replace('"packaging>=23"', '"bridge-no-such-package-xyz==1.0"'));
    const result = await bridge(dir, "env", "sync", "--json");
    expect(result.code).toBe(1);
    const error = (result.json() as { error: { code: string; requirement: string; message: string } }).error;
    expect(error.code).toBe("resolution_failed");
    expect(error.requirement).toContain("bridge-no-such-package-xyz");
  });

  it("a bad manifest fails with file:line:column for every issue", async () => {
    const dir = project("version: 1\npython:\n  dependecies: [packaging]\nlibraries:\n  x:\n    depth: deep\n");
    const result = await bridge(dir, "env", "sync");
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/demo\.bridge\.yaml:3:3 .*dependecies.*dependencies/);
    expect(result.err).toMatch(/demo\.bridge\.yaml:5:3 libraries\.x\.module: .*required/);
    expect(result.err).toMatch(/demo\.bridge\.yaml:6:5 libraries\.x\.depth: expected a non-negative integer, found "deep"/);
  });

  it("no manifest, and usage errors, exit with clear codes", async () => {
    const empty = mkdtempSync(join(tmpdir(), "bridge-cli-empty-"));
    const none = await bridge(empty, "env", "info");
    expect(none.code).toBe(1);
    expect(none.err).toContain("no manifest found");
    expect((await bridge(empty, "no-such-command")).code).toBe(2);
    expect((await bridge(empty, "--help")).code).toBe(0);
  });
});

