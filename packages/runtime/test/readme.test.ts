import { readFileSync, writeFileSync } from "node:fs";
import { format } from "node:util";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";

// Every ts example in the README runs as written (with this repo's paths) and prints what its comments say.
const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

it("the README has its examples", () => {
  expect(blocks.map((block) => [...block.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].length)).toEqual([8, 8, 5]);
});

it.each(blocks.map((block, index) => [index + 1, block] as const))("README example %i runs and prints what its comments say", async (index, block) => {
  const expected = [...block.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
  const file = fileURLToPath(new URL(`./.readme-example-${index}.ts`, import.meta.url));
  writeFileSync(
    file,
    block
      .replace('from "@bridge/runtime"', `from ${JSON.stringify(fileURLToPath(new URL("../src/index.ts", import.meta.url)))}`)
      .replace('"python/.venv/bin/python"', JSON.stringify(process.env.BRIDGE_PYTHON)),
  );
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    await import(/* @vite-ignore */ file);
    // As console.log formats them.
    expect(log.mock.calls.map((args) => format(...args))).toEqual(expected);
  } finally {
    log.mockRestore();
  }
});
