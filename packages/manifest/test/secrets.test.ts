import { describe, expect, it } from "vitest";
import {
  ManifestError,
  isSecretRef,
  manifestHash,
  manifestSecrets,
  parseManifest,
  resolveSecret,
  resolveSecrets,
} from "@bridge/manifest";

const text = [
  "version: 1",
  "python:",
  "  indexUrl: { env: INDEX_URL }",
  "  extraIndexUrls: [https://pypi.example.com/simple, { env: EXTRA_URL }]",
  "pool:",
  "  env:",
  "    OPENAI_API_KEY: { env: OPENAI_API_KEY }",
  "    PLAIN: value",
  "",
].join("\n");

describe("secrets", () => {
  const manifest = parseManifest(text, { file: "app.bridge.yaml" });

  it("keeps secrets as { env } references after parsing", () => {
    expect(manifest.python.indexUrl).toEqual({ env: "INDEX_URL" });
    expect(manifest.pool.env["OPENAI_API_KEY"]).toEqual({ env: "OPENAI_API_KEY" });
    expect(isSecretRef(manifest.pool.env["OPENAI_API_KEY"])).toBe(true);
    expect(isSecretRef(manifest.pool.env["PLAIN"])).toBe(false);
  });

  it("lists every secret with where it is", () => {
    expect(manifestSecrets(manifest).map((secret) => [secret.where, secret.ref.env])).toEqual([
      ["python.indexUrl", "INDEX_URL"],
      ["python.extraIndexUrls[1]", "EXTRA_URL"],
      ["pool.env.OPENAI_API_KEY", "OPENAI_API_KEY"],
    ]);
  });

  it("resolves secrets from the environment at run time", () => {
    const env = { OPENAI_API_KEY: "sk-test", INDEX_URL: "https://user:pw@pypi.example.com/simple" };
    expect(resolveSecret(manifest.pool.env["OPENAI_API_KEY"] ?? "", "pool.env.OPENAI_API_KEY", env)).toBe("sk-test");
    expect(resolveSecret("plain", "anywhere", {})).toBe("plain");
    expect(resolveSecrets(manifest.pool.env, "pool.env", env)).toEqual({ OPENAI_API_KEY: "sk-test", PLAIN: "value" });
  });

  it("reads process.env by default", () => {
    process.env["BRIDGE_TEST_SECRET"] = "from-process";
    try {
      expect(resolveSecret({ env: "BRIDGE_TEST_SECRET" }, "test")).toBe("from-process");
    } finally {
      delete process.env["BRIDGE_TEST_SECRET"];
    }
  });

  it("names the variable, the use and the manifest line when a secret is missing", () => {
    const ref = manifest.pool.env["OPENAI_API_KEY"] ?? "";
    const error = (() => {
      try {
        resolveSecret(ref, "pool.env.OPENAI_API_KEY", {});
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ManifestError);
    const issue = (error as ManifestError).issues[0];
    expect(issue).toMatchObject({
      code: "missing_secret",
      file: "app.bridge.yaml",
      line: 7,
      column: 5,
      path: ["pool", "env", "OPENAI_API_KEY"],
    });
    expect((error as ManifestError).message).toBe(
      "app.bridge.yaml:7:5 pool.env.OPENAI_API_KEY: environment variable OPENAI_API_KEY is not set (needed for pool.env.OPENAI_API_KEY)",
    );
  });

  it("treats an empty variable as missing", () => {
    expect(() => resolveSecret({ env: "EMPTY" }, "python.indexUrl", { EMPTY: "" })).toThrow(
      "environment variable EMPTY is empty (needed for python.indexUrl)",
    );
  });

  it("reports a hand-written reference without a location", () => {
    expect(() => resolveSecret({ env: "NOPE" }, "pool.env.NOPE", {})).toThrow(
      /^environment variable NOPE is not set \(needed for pool\.env\.NOPE\)$/,
    );
  });

  it("reports every missing secret of a mapping at once", () => {
    const env = { A: { env: "MISSING_A" }, B: { env: "MISSING_B" }, C: "c" };
    try {
      resolveSecrets(env, "pool.env", {});
      expect.unreachable();
    } catch (error) {
      expect((error as ManifestError).issues.map((issue) => issue.message)).toEqual([
        "environment variable MISSING_A is not set (needed for pool.env.A)",
        "environment variable MISSING_B is not set (needed for pool.env.B)",
      ]);
    }
  });

  it("never puts a secret's value into the hash", () => {
    const before = manifestHash(manifest);
    process.env["OPENAI_API_KEY"] = "sk-should-not-matter";
    try {
      resolveSecret(manifest.pool.env["OPENAI_API_KEY"] ?? "", "pool.env.OPENAI_API_KEY");
      expect(manifestHash(manifest)).toBe(before);
      expect(manifestHash(parseManifest(text, { file: "app.bridge.yaml" }))).toBe(before);
      expect(JSON.stringify(manifest)).not.toContain("sk-should-not-matter");
    } finally {
      delete process.env["OPENAI_API_KEY"];
    }
  });
});
