import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManifestError, findManifest, loadManifest, manifestHash } from "@bridge/manifest";

const example = fileURLToPath(new URL("../examples/dspy.bridge.yaml", import.meta.url));

describe("loadManifest and findManifest", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bridge-manifest-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads the DSPy example", async () => {
    const loaded = await loadManifest(example);
    expect(loaded.file).toBe(example);
    expect(loaded.dir).toBe(fileURLToPath(new URL("../examples", import.meta.url)));
    expect(loaded.hash).toBe(manifestHash(loaded.manifest));
    const dspy = loaded.manifest.libraries["dspy"];
    expect(dspy?.module).toBe("dspy");
    expect(dspy?.include).toContain("utils.DummyLM");
    expect(dspy?.rename).toEqual({ "Predict.__call__": "call" });
    expect(loaded.manifest.python.dependencies).toEqual(["dspy>=3"]);
    expect(loaded.manifest.pool.env["OPENAI_API_KEY"]).toEqual({ env: "OPENAI_API_KEY" });
  });

  it("points editors at the JSON Schema", async () => {
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(example, "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/bridge.schema.json");
  });

  it("reads JSON manifests and resolves relative paths", async () => {
    writeFileSync(join(dir, "app.bridge.json"), '{ "version": 1, "pool": { "size": 3 } }');
    const loaded = await loadManifest(join(dir, "sub", "..", "app.bridge.json"));
    expect(loaded.file).toBe(join(dir, "app.bridge.json"));
    expect(loaded.manifest.pool.size).toBe(3);
  });

  it("names the absolute file in errors", async () => {
    const file = join(dir, "bad.bridge.yaml");
    writeFileSync(file, "version: 1\npool:\n  size: many\n");
    const error = await loadManifest(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toBe(`${file}:3:3 pool.size: expected a positive integer, found "many"`);
  });

  it("reports a missing file as a ManifestError", async () => {
    const file = join(dir, "missing.bridge.yaml");
    const error = await loadManifest(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).issues[0]).toMatchObject({ code: "io", file, line: 1, column: 1, found: "no such file" });
  });

  it("finds the one manifest in a directory", () => {
    expect(findManifest(dir)).toBeUndefined();
    writeFileSync(join(dir, "notes.yaml"), "x: 1");
    mkdirSync(join(dir, "dir.bridge.yaml"));
    expect(findManifest(dir)).toBeUndefined();
    writeFileSync(join(dir, "app.bridge.yml"), "version: 1");
    expect(findManifest(dir)).toBe(join(dir, "app.bridge.yml"));
  });

  it("refuses to guess between several manifests", () => {
    writeFileSync(join(dir, "a.bridge.yaml"), "version: 1");
    writeFileSync(join(dir, "b.bridge.json"), '{"version": 1}');
    const error = (() => {
      try {
        return findManifest(dir);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ManifestError);
    const issues = (error as ManifestError).issues;
    expect(issues.map((issue) => issue.file)).toEqual([join(dir, "a.bridge.yaml"), join(dir, "b.bridge.json")]);
    expect(issues[0]?.message).toContain("a.bridge.yaml, b.bridge.json");
  });

  it("finds nothing in a directory that does not exist", () => {
    expect(findManifest(join(dir, "nope"))).toBeUndefined();
  });
});
