import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UvError, environmentKey, type ProgressEvent } from "../src/index.js";
import { requiresPython } from "../src/environment-spec.js";
import { resolveIndexSettings } from "../src/index-settings.js";
import { parseIni } from "../src/pip-config.js";
import { UvProgressParser } from "../src/progress.js";
import { renderPyproject } from "../src/pyproject.js";
import { diagnoseUvFailure } from "../src/uv-diagnostics.js";
import { hermeticUvEnv } from "../src/uv-environment.js";
import { spec, tempDir } from "./helpers.js";

describe("environmentKey", () => {
  it("is short and stable, ignores dependency order, and changes with anything that changes the environment", () => {
    const key = environmentKey(spec(["six", "packaging"]), ["msgpack"]);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(environmentKey(spec(["packaging", " six"]), ["msgpack"])).toBe(key);
    expect(environmentKey(spec(["six", "packaging"], { extraIndexUrls: [] }), ["msgpack"])).toBe(key);
    for (const other of [
      environmentKey(spec(["six", "packaging<26"]), ["msgpack"]),
      environmentKey(spec(["six", "packaging"], { pythonVersion: ">=3.11" }), ["msgpack"]),
      environmentKey(spec(["six", "packaging"], { name: "other" }), ["msgpack"]),
      environmentKey(spec(["six", "packaging"], { indexUrl: "https://mirror.example/simple" }), ["msgpack"]),
      environmentKey(spec(["six", "packaging"]), ["msgpack>=1"]),
    ]) {
      expect(other).not.toBe(key);
    }
  });

  it("writes a virtual project that is its own workspace root", () => {
    const text = renderPyproject(spec(["six"], { name: "My App", pythonVersion: "3.11" }), ["msgpack>=1.0.0"]);
    expect(text).toContain('name = "bridge-env-my-app"');
    expect(text).toContain('requires-python = "==3.11.*"');
    expect(text).toContain('    "six",\n    "msgpack>=1.0.0",\n');
    expect(text).toContain("[tool.uv.workspace]\nmembers = []");
    expect(text).not.toContain("build-system");
    expect(requiresPython(">=3.10,<3.13")).toBe(">=3.10,<3.13");
  });
});

describe("diagnoseUvFailure", () => {
  const deps = ["six", "nonexistent-pkg-xyz>=1", "Foo_Bar[extra]==2"];

  it("names the direct requirement that has no candidates", () => {
    const stderr = [
      "Using CPython 3.11.7 interpreter at: /usr/bin/python3",
      "  × No solution found when resolving dependencies:",
      "  ╰─▶ Because nonexistent-pkg-xyz was not found in the package registry and your project depends on nonexistent-pkg-xyz>=1, we can conclude that your project's requirements are unsatisfiable.",
    ].join("\n");
    const d = diagnoseUvFailure(stderr, "lock", deps);
    expect(d).toMatchObject({ code: "resolution_failed", requirement: "nonexistent-pkg-xyz>=1" });
    expect(d.excerpt).not.toContain("Using CPython");
  });

  it("names a version that does not exist, matching names the PEP 503 way", () => {
    const stderr =
      "error: No solution found when resolving dependencies\n  cause: Because there is no version of foo-bar==2 and your project depends on foo-bar==2, we can conclude that your project's requirements are unsatisfiable.";
    expect(diagnoseUvFailure(stderr, "lock", deps)).toMatchObject({ code: "resolution_failed", requirement: "Foo_Bar[extra]==2" });
  });

  it("names the first package of a transitive conflict", () => {
    const stderr =
      "error: No solution found when resolving dependencies\n  cause: Because only protobuf<=5.29 is available and grpcio-tools==1.60 depends on protobuf>=6, we can conclude that grpcio-tools==1.60 cannot be used.";
    expect(diagnoseUvFailure(stderr, "lock", deps)).toMatchObject({ code: "resolution_failed", requirement: "protobuf" });
  });

  it("recognises a stale lock, a missing interpreter and a failed build", () => {
    expect(
      diagnoseUvFailure("error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided.", "lock", deps).code,
    ).toBe("lock_stale");
    expect(diagnoseUvFailure("error: No interpreter found for Python >=3.99 in search path", "sync", deps).code).toBe(
      "python_not_found",
    );
    expect(
      diagnoseUvFailure("error: Failed to build `six==1.16.0`\n  Caused by: The build backend returned an error", "sync", deps),
    ).toMatchObject({ code: "install_failed", requirement: "six" });
    expect(diagnoseUvFailure("error: something else entirely", "sync", deps)).toMatchObject({ code: "install_failed" });
  });
});

describe("UvProgressParser", () => {
  it("turns uv's lines into counted download and install events", () => {
    const events: ProgressEvent[] = [];
    const parser = new UvProgressParser((e) => events.push(e));
    parser.planned(["Would download 3 packages", "Would install 4 packages", " + grpcio==1.75.1"]);
    for (const line of [
      "Resolved 5 packages in 12ms",
      "Downloading grpcio (5.9MiB)",
      " Downloaded grpcio",
      "Prepared 3 packages in 95ms",
      "Installed 2 packages in 4ms",
      " + grpcio==1.75.1",
      " + six==1.17.0",
    ]) {
      parser.line(line);
    }
    expect(events).toEqual([
      { phase: "download", done: 0, total: 3 },
      { phase: "resolve", message: "Resolved 5 packages in 12ms", packages: 5 },
      { phase: "download", done: 0, total: 3, name: "grpcio" },
      { phase: "download", done: 1, total: 3, name: "grpcio" },
      { phase: "download", done: 3, total: 3 },
      { phase: "install", done: 0, total: 2 },
      { phase: "install", done: 1, total: 2, name: "grpcio" },
      { phase: "install", done: 2, total: 2, name: "six" },
    ]);
  });
});

describe("index settings", () => {
  const noConfig = (extra: Record<string, string> = {}) => {
    const home = tempDir("bridge-uv-home-");
    return { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_CONFIG_DIRS: join(home, "etc"), ...extra };
  };

  it("prefers the spec, then uv's variables, then pip's variables, then pip's config files", () => {
    const env = noConfig();
    mkdirSync(join(env.XDG_CONFIG_HOME, "pip"), { recursive: true });
    writeFileSync(
      join(env.XDG_CONFIG_HOME, "pip", "pip.conf"),
      "[global]\nindex-url = https://global.example/simple\nextra_index_url =\n  https://a.example/simple\n  https://b.example/simple\n[install]\nindex-url = https://install.example/simple\n",
    );
    expect(resolveIndexSettings(spec([]), env)).toEqual({
      defaultIndex: "https://install.example/simple",
      extraIndexes: ["https://a.example/simple", "https://b.example/simple"],
      source: "pip-config",
    });
    expect(resolveIndexSettings(spec([]), { ...env, PIP_INDEX_URL: "https://pipenv.example/simple" })).toMatchObject({
      defaultIndex: "https://pipenv.example/simple",
      source: "pip-env",
    });
    expect(resolveIndexSettings(spec([]), { ...env, UV_INDEX_URL: "https://uv.example/simple" })).toEqual({
      defaultIndex: "https://uv.example/simple",
      extraIndexes: [],
      source: "uv-env",
    });
    expect(
      resolveIndexSettings(spec([], { indexUrl: "https://spec.example/simple" }), { ...env, UV_DEFAULT_INDEX: "https://uv.example/simple" }),
    ).toEqual({ defaultIndex: "https://spec.example/simple", extraIndexes: [], source: "spec" });
    expect(resolveIndexSettings(spec([]), noConfig())).toEqual({ extraIndexes: [], source: "pypi" });
  });

  it("reads PIP_CONFIG_FILE instead of the user's files", () => {
    const env = noConfig();
    const file = join(env.HOME, "custom.conf");
    writeFileSync(file, "[global]\nindex-url = https://custom.example/simple\n");
    mkdirSync(join(env.XDG_CONFIG_HOME, "pip"), { recursive: true });
    writeFileSync(join(env.XDG_CONFIG_HOME, "pip", "pip.conf"), "[global]\nextra-index-url = https://user.example/simple\n");
    expect(resolveIndexSettings(spec([]), { ...env, PIP_CONFIG_FILE: file })).toEqual({
      defaultIndex: "https://custom.example/simple",
      extraIndexes: [],
      source: "pip-config",
    });
    expect(parseIni("; c\n[Global]\nIndex_URL: x\n").get("global")?.get("index-url")).toBe("x");
  });

  it("gives uv an environment without the user's uv settings, with the chosen indexes", () => {
    const env = hermeticUvEnv(
      {
        PATH: "/bin",
        UV_PYTHON: "3.99",
        UV_CONSTRAINT: "c.txt",
        UV_INDEX_URL: "https://old.example/simple",
        UV_CACHE_DIR: "/cache",
        UV_INDEX_PRIVATE_PASSWORD: "secret",
        VIRTUAL_ENV: "/somewhere",
      },
      { index: { defaultIndex: "https://mirror.example/simple", extraIndexes: ["https://x.example/simple"], source: "spec" }, projectEnvironment: "/env/.venv" },
    );
    expect(env).toEqual({
      PATH: "/bin",
      UV_CACHE_DIR: "/cache",
      UV_INDEX_PRIVATE_PASSWORD: "secret",
      UV_NO_CONFIG: "1",
      UV_PYTHON_DOWNLOADS: "never",
      UV_PYTHON_PREFERENCE: "only-system",
      NO_COLOR: "1",
      UV_DEFAULT_INDEX: "https://mirror.example/simple",
      UV_INDEX: "https://x.example/simple",
      UV_PROJECT_ENVIRONMENT: "/env/.venv",
    });
  });
});

describe("UvError", () => {
  it("reports errors as UvError with the code in the message", () => {
    const error = new UvError("locked", "busy");
    expect(error.message).toBe("[locked] busy");
    expect(error).toMatchObject({ code: "locked", rawMessage: "busy", stderr: "", command: [] });
    expect("requirement" in error).toBe(false);
    expect(new UvError("resolution_failed", "x", { requirement: "six==99" }).requirement).toBe("six==99");
  });
});

describe("isTransientNetworkFailure", () => {
  it("tells a dropped connection from a real resolution failure", async () => {
    const { isTransientNetworkFailure } = await import("../src/build-environment.js");
    expect(isTransientNetworkFailure("error: Failed to fetch: https://pypi.org/simple/grpcio/\n  Caused by: error sending request for url\n  Caused by: client error (Connect)")).toBe(true);
    expect(isTransientNetworkFailure("error: dns error: failed to lookup address information")).toBe(true);
    expect(isTransientNetworkFailure("× No solution found when resolving dependencies:\n  ╰─▶ Because there is no version of nonexistent-pkg==1.0")).toBe(false);
  });
});
