import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Finds the directory that holds the `bridge_worker` Python package shipped with
 * this npm package (`dist/python` once built, the repo's `python/` in development).
 * Put it on PYTHONPATH and any interpreter with grpcio, protobuf and msgpack can
 * run `python -m bridge_worker`.
 */
export function bundledWorkerPath(): string {
  const candidates = [
    new URL("./python", import.meta.url), // dist/index.js -> dist/python
    new URL("../../../python", import.meta.url), // src/*.ts in the monorepo -> python/
  ];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(`${dir}/bridge_worker/__main__.py`)) return dir;
  }
  throw new Error(
    `bridge_worker was not found next to @bridge/pool (looked in ${candidates
      .map((c) => fileURLToPath(c))
      .join(", ")}); the package is incomplete, reinstall it`,
  );
}
