import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { manifestJsonSchema } from "@bridge/manifest";

const committed = fileURLToPath(new URL("../schema/bridge.schema.json", import.meta.url));

describe("manifestJsonSchema", () => {
  it("matches the committed schema/bridge.schema.json (run `pnpm generate` if not)", () => {
    expect(readFileSync(committed, "utf8")).toBe(`${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
  });

  it("describes manifests as written: strict, with defaults, descriptions and shared definitions", () => {
    const schema = manifestJsonSchema() as {
      $schema: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { default?: unknown }>;
      definitions: Record<string, unknown>;
    };
    // Draft-07: the draft yaml-language-server and VS Code read everywhere.
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.required).toEqual(["version"]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(["$schema", "version", "python", "libraries", "codegen", "telemetry", "pool"]);
    expect(Object.keys(schema.definitions).sort()).toEqual(["LibraryConfig", "SecretRef"]);
    expect(schema.properties["pool"]?.default).toEqual({});
    expect(JSON.stringify(schema)).toContain("Number of Python worker processes.");
  });

  it("is deterministic", () => {
    expect(JSON.stringify(manifestJsonSchema())).toBe(JSON.stringify(manifestJsonSchema()));
  });
});
