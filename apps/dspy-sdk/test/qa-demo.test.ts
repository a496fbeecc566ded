import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const dir = fileURLToPath(new URL("..", import.meta.url));

it("the README's demo (src/qa.ts) answers on DummyLM", async () => {
  const env = { ...process.env };
  delete env.BRIDGE_DSPY_MODEL; // the demo must be offline by default
  const { stdout } = await run(process.execPath, ["--conditions=@bridge/source", "--import", "tsx", "src/qa.ts"], {
    cwd: dir,
    env,
    timeout: 90_000,
  });
  expect(stdout).toContain("model: dspy.utils.DummyLM (offline)");
  expect(stdout).toMatch(/^DSPy 3\.\d+\.\d+ in Python 3\.\d+/m);
  expect(stdout).toContain("Predict         What is the capital of France? -> Paris");
  expect(stdout).toContain("ChainOfThought  reasoning: The Eiffel Tower stands in Paris, the capital of France.");
  expect(stdout).toContain('fields:    ["reasoning","answer"]');
  expect(stdout).toContain("A bad signature raises builtins.ValueError: Invalid signature format");
});
