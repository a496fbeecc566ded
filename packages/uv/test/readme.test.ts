import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";
import { WORKER, removeAfterAll, runPython, tempDir } from "./helpers.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

it("runs the README's example", async () => {
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  // The example's two inputs, pointed at a temporary project and this repository's worker.
  const projectDir = tempDir();
  const code = example!
    .replace(`from "@bridge/uv"`, `from ${JSON.stringify(join(packageDir, "src", "index.ts"))}`)
    .replace(/^const projectDir = .*$/m, `const projectDir = ${JSON.stringify(projectDir)};`)
    .replace(/^const workerSource = .*$/m, `const workerSource = ${JSON.stringify(WORKER.source)};`);
  const dir = join(packageDir, "node_modules", ".cache", "bridge-uv-test");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `readme-example-${process.pid}.ts`);
  writeFileSync(file, code);
  removeAfterAll(file);

  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const progress = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    await import(file);
    expect(log).toHaveBeenCalledTimes(1);
    const [python, version, changed] = log.mock.calls[0]!;
    expect(changed).toBe(true);
    expect(version).toMatch(/^3\./);
    expect(await runPython(String(python), "import packaging, bridge_worker; print('ok')")).toBe("ok");
    expect(progress.mock.calls.at(-1)?.[0]).toMatchObject({ phase: "done", changed: true });
    expect(readFileSync(join(projectDir, "demo.bridge.lock"), "utf8")).toContain('name = "packaging"');
  } finally {
    log.mockRestore();
    progress.mockRestore();
  }
});
