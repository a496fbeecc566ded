import { createHash } from "node:crypto";
import type { Manifest } from "./manifest-schema.js";

function canonical(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item) ?? "null").join(",")}]`;
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const member = canonical((value as Record<string, unknown>)[key]);
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
  }
  return `{${members.join(",")}}`;
}

/**
 * The manifest as canonical JSON: keys sorted at every level, no whitespace, absent
 * optional fields left out, secrets as `{"env":"NAME"}` (never their values).
 */
export function canonicalManifest(manifest: Manifest): string {
  return canonical(manifest) ?? "null";
}

/**
 * SHA-256 (hex) of {@link canonicalManifest}: a cache key that stays the same under key
 * order, comments, formatting and YAML versus JSON, and changes with any setting.
 */
export function manifestHash(manifest: Manifest): string {
  return createHash("sha256").update(canonicalManifest(manifest)).digest("hex");
}
