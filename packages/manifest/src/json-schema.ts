import * as z from "zod";
import { manifestRegistry, manifestSchema } from "./manifest-schema.js";

/**
 * The JSON Schema (draft-07, which every editor reads) of manifests as written: reference it
 * with `# yaml-language-server: $schema=...` or a JSON file's `"$schema"`. The package
 * ships it as `@bridge/manifest/schema.json`.
 */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestSchema, {
    target: "draft-07",
    io: "input",
    metadata: manifestRegistry,
    unrepresentable: "any",
  });
}
