import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { WORKER_REQUIREMENTS, WORKER_VERSION, bundledWorkerPath } from "../src/index.js";

it("WORKER_REQUIREMENTS matches the worker's pyproject.toml", () => {
  const pyproject = readFileSync(`${bundledWorkerPath()}/pyproject.toml`, "utf8");
  const block = /^dependencies = \[([\s\S]*?)^\]/m.exec(pyproject)?.[1] ?? "";
  const declared = [...block.matchAll(/^\s*"([^"]+)",?\s*$/gm)].map((m) => m[1]);
  expect([...WORKER_REQUIREMENTS].sort()).toEqual(declared.sort());
});

it("WORKER_VERSION matches bridge_worker.__version__", () => {
  const init = readFileSync(`${bundledWorkerPath()}/bridge_worker/__init__.py`, "utf8");
  expect(/^__version__ = "([^"]+)"/m.exec(init)?.[1]).toBe(WORKER_VERSION);
});
