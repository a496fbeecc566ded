import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";

const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const source = fileURLToPath(new URL("../src/index.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "bridge-manifest-readme-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("README", () => {
  it("runs the example and prints what its comments say", async () => {
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const file = join(dir, "example.ts");
    writeFileSync(file, (block ?? "").replace('from "@bridge/manifest"', `from ${JSON.stringify(source)}`));
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await import(/* @vite-ignore */ file);
      expect(log.mock.calls).toEqual([
        [1],
        [64],
        ["sk-test"],
        ['dspy.bridge.yaml:5:5 libraries.dspy.depth: expected a non-negative integer, found "deep"'],
      ]);
    } finally {
      log.mockRestore();
    }
  });

  it("shows error lines the parser really prints", async () => {
    const { ManifestError, parseManifest } = await import("@bridge/manifest");
    const shown = /## Errors[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1]?.trim().split("\n") ?? [];
    const text = [
      "version: 1",
      "python:",
      '  version: "3.11"',
      "  dependecies: []",
      "libraries:",
      "  dspy:",
      "    depth: deep",
      "    module: dspy",
      "",
    ].join("\n");
    const error = (() => {
      try {
        parseManifest(text, { file: "dspy.bridge.yaml" });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as Error).message.split("\n")).toEqual(shown);
  });
});
