import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";

// The README's example runs as written (with this repo's paths) and prints what its comments say.
it("the README example runs and prints what its comments say", async () => {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const expected = [...block.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
  expect(expected).toHaveLength(3);
  const file = fileURLToPath(new URL("./.readme-example.ts", import.meta.url));
  writeFileSync(
    file,
    block
      .replace('from "@bridge/pool"', `from ${JSON.stringify(fileURLToPath(new URL("../src/index.ts", import.meta.url)))}`)
      .replace('"python/.venv/bin/python"', JSON.stringify(process.env.BRIDGE_PYTHON)),
  );
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    await import(/* @vite-ignore */ file);
    expect(log.mock.calls.map((args) => args.map(String).join(" "))).toEqual(expected);
  } finally {
    log.mockRestore();
  }
});
