import { fileURLToPath } from "node:url";
import { loadManifest } from "@bridge/manifest";
import { WORKER_REQUIREMENTS, bundledWorkerPath } from "@bridge/pool";
import { createBridge, type Bridge, type BridgeOptions, type PyRef } from "@bridge/runtime";
import { ensureEnvironment, specFromManifest } from "@bridge/uv";

/** This app's manifest: the DSPy environment and API it declares. */
export const dspyManifest = fileURLToPath(new URL("../dspy.bridge.yaml", import.meta.url));

/**
 * The interpreter of the manifest's locked environment: built by `bridge env sync`
 * (scripts/setup.sh runs it), confirmed here in about a millisecond, or rebuilt if the
 * manifest or lockfile changed. On CI the lockfile must already match (frozen).
 * `BRIDGE_DSPY_PYTHON` overrides it.
 */
export async function dspyPython(): Promise<string> {
  if (process.env.BRIDGE_DSPY_PYTHON) return process.env.BRIDGE_DSPY_PYTHON;
  const loaded = await loadManifest(dspyManifest);
  const environment = await ensureEnvironment(specFromManifest(loaded), {
    projectDir: loaded.dir,
    worker: { source: bundledWorkerPath(), requirements: [...WORKER_REQUIREMENTS] },
    ...(process.env.CI ? { frozen: true } : {}),
  });
  return environment.python;
}

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
    python: await dspyPython(),
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
