import { readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ManifestError } from "./manifest-error.js";
import { manifestHash } from "./manifest-hash.js";
import type { Manifest } from "./manifest-schema.js";
import { parseManifest } from "./parse-manifest.js";

/** A manifest read from disk, with where it lives and its hash. */
export interface LoadedManifest {
  /** The validated manifest, defaults applied. */
  manifest: Manifest;
  /** Absolute path of the manifest file. */
  file: string;
  /** Absolute directory of the manifest; relative paths in it (codegen.outDir) start here. */
  dir: string;
  /** {@link manifestHash} of the manifest. */
  hash: string;
}

const MANIFEST_NAME = /\.bridge\.(?:ya?ml|json)$/;

function ioError(file: string, expected: string, found: string, message: string, cause?: unknown): ManifestError {
  return new ManifestError(
    [{ code: "io", file, line: 1, column: 1, path: [], expected, found, message }],
    cause === undefined ? {} : { cause },
  );
}

/**
 * Reads, parses and validates a manifest file. Every failure, including a missing or
 * unreadable file, is a {@link ManifestError}; issues name the absolute path.
 */
export async function loadManifest(path: string): Promise<LoadedManifest> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "an error";
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory" : code;
    throw ioError(file, "a readable manifest file", reason, `cannot read the manifest: ${reason}`, cause);
  }
  const manifest = parseManifest(text, { file });
  return { manifest, file, dir: dirname(file), hash: manifestHash(manifest) };
}

/**
 * The absolute path of the one `*.bridge.yaml`, `*.bridge.yml` or `*.bridge.json` file
 * in `cwd` (not its parents), or undefined when there is none. Several are ambiguous:
 * that throws a {@link ManifestError} listing them.
 */
export function findManifest(cwd: string): string | undefined {
  const dir = resolve(cwd);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const found = names
    .filter((name) => MANIFEST_NAME.test(name))
    .sort()
    .map((name) => join(dir, name))
    .filter((file) => {
      try {
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
  if (found.length <= 1) return found[0];
  const listed = found.map((file) => file.slice(dir.length + 1)).join(", ");
  throw new ManifestError(
    found.map((file) => ({
      code: "io" as const,
      file,
      line: 1,
      column: 1,
      path: [],
      expected: `a single manifest in ${dir}`,
      found: `${found.length} manifests (${listed})`,
      message: `one of ${found.length} manifests in ${dir} (${listed}): keep one, or name the manifest to use`,
    })),
  );
}
