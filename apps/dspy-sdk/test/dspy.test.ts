import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PythonError, type Bridge, type PyRef } from "@bridge/runtime";
import { createDspyBridge } from "../src/dspy-bridge.js";

// Real DSPy in real workers; DSPy's own DummyLM stands in for the network model.
let bridge: Bridge;

beforeAll(async () => {
  bridge = await createDspyBridge(
    {
      kind: "dummy",
      // Keyed by a text found in the prompt, so every call (in any worker) gets its answer.
      answers: {
        "Capital of France?": { reasoning: "Paris is the capital of France.", answer: "Paris" },
        "Capital of Italy?": { reasoning: "Rome is the capital of Italy.", answer: "Rome" },
      },
    },
    { workers: 2 },
  );
});

afterAll(async () => {
  await bridge?.close();
});

describe("DSPy through Bridge", () => {
  it("runs dspy.Predict on a string signature", async () => {
    await using predict = await bridge.call<PyRef>("dspy.Predict", ["question -> answer"]);
    expect(predict.type).toBe("dspy.predict.predict.Predict");
    await using prediction = await predict.call<PyRef>("", [], { question: "Capital of France?" });
    expect(prediction.type).toBe("dspy.primitives.prediction.Prediction");
    expect(await prediction.get("answer")).toBe("Paris");
  });

  it("runs dspy.ChainOfThought, which adds a reasoning field", async () => {
    await using cot = await bridge.call<PyRef>("dspy.ChainOfThought", ["question -> answer"]);
    await using result = await cot.call<PyRef>("", [], { question: "Capital of France?" });
    expect(await result.get("reasoning")).toBe("Paris is the capital of France.");
    expect(await result.get("answer")).toBe("Paris");
  });

  it("configures the language model in every worker", async () => {
    // Predict objects land on both workers (least-loaded routing); each answers.
    const predictors = await Promise.all(
      Array.from({ length: 4 }, () => bridge.call<PyRef>("dspy.Predict", ["question -> answer"])),
    );
    expect(new Set(predictors.map((p) => p.workerId)).size).toBe(2);
    for (const predictor of predictors) {
      const prediction = await predictor.call<PyRef>("", [], { question: "Capital of Italy?" });
      expect(await prediction.get("answer")).toBe("Rome");
      await prediction.release();
      await predictor.release();
    }
  });

  it("builds dspy.Example data and reads it back as plain values", async () => {
    await using example = await bridge.call<PyRef>("dspy.Example", [], { question: "2+2?", answer: "4" });
    await using withInputs = await example.call<PyRef>("with_inputs", ["question"]);
    expect(await withInputs.call("toDict")).toEqual({ question: "2+2?", answer: "4" });
    await using inputs = await withInputs.call<PyRef>("inputs");
    expect(await inputs.call("keys")).toEqual(["question"]);
  });

  it("reports a bad signature as a Python ValueError", async () => {
    const error = (await bridge.call("dspy.Predict", ["no arrow here"]).catch((e: unknown) => e)) as PythonError;
    expect(error).toBeInstanceOf(PythonError);
    expect(error.pythonType).toBe("builtins.ValueError");
    expect(error.traceback).toContain("signature");
  });
});
