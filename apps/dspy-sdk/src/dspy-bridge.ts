import { fileURLToPath } from "node:url";
import { createBridge, type Bridge, type BridgeOptions, type PyRef } from "@bridge/runtime";

/** The interpreter of this app's locked DSPy environment (`pnpm --filter @bridge/dspy-sdk env`). */
export const dspyPython =
  process.env.BRIDGE_DSPY_PYTHON ?? fileURLToPath(new URL("../python/.venv/bin/python", import.meta.url));

/** What dspy.utils.DummyLM answers: in order, or by a key found in the prompt. */
export type DummyAnswers =
  | ReadonlyArray<Readonly<Record<string, string>>>
  | Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Which language model the examples use. */
export type ModelChoice =
  | {
      kind: "dummy";
      /** DummyLM's answers: a list used in order, or outputs keyed by a text that appears in the prompt. */
      answers: DummyAnswers;
    }
  | { kind: "lm"; model: string; apiKey?: string };

/**
 * The model chosen by the environment: `BRIDGE_DSPY_MODEL` (e.g. `openai/gpt-4o-mini`,
 * with its provider's key such as `OPENAI_API_KEY`) opts into a real model; otherwise
 * DSPy's offline `DummyLM` answers with the given canned outputs.
 */
export function modelFromEnv(dummyAnswers: DummyAnswers): ModelChoice {
  const model = process.env.BRIDGE_DSPY_MODEL;
  if (!model) return { kind: "dummy", answers: dummyAnswers };
  const apiKey = process.env.BRIDGE_DSPY_API_KEY;
  return apiKey ? { kind: "lm", model, apiKey } : { kind: "lm", model };
}

/**
 * Starts workers in the DSPy environment with DSPy's language model configured in
 * each (and in every replacement after a crash), through the bridge's `setup` hook.
 */
export async function createDspyBridge(model: ModelChoice, options: BridgeOptions = {}): Promise<Bridge> {
  return createBridge({
    python: dspyPython,
    ...options,
    setup: async (worker) => {
      const lm =
        model.kind === "dummy"
          ? await worker.call<PyRef>("dspy.utils.DummyLM", [model.answers])
          : await worker.call<PyRef>("dspy.LM", [model.model], model.apiKey ? { api_key: model.apiKey } : {});
      await worker.call("dspy.configure", [], { lm });
    },
  });
}
