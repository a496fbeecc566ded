import { cpSync, rmSync } from "node:fs";
import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.shared.js";

export default defineConfig({
  ...packageBuild,
  // Ship the Python worker inside the npm package: `npm install @bridge/pool` is all a
  // machine needs besides an interpreter with the worker's dependencies.
  onSuccess: async () => {
    rmSync("dist/python", { recursive: true, force: true });
    cpSync("../../python/bridge_worker", "dist/python/bridge_worker", {
      recursive: true,
      filter: (src) => !src.includes("__pycache__"),
    });
    // With its pyproject, the shipped copy is also installable (`uv pip install dist/python`).
    for (const file of ["pyproject.toml", "README.md"]) cpSync(`../../python/${file}`, `dist/python/${file}`);
  },
});
