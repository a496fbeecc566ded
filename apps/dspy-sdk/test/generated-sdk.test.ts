import { afterAll, beforeAll, expect, expectTypeOf, it } from "vitest";
import { PythonError, type Bridge } from "@bridge/runtime";
import { createDspyBridge } from "../src/dspy-bridge.js";
import { ChainOfThought, Example, Predict, Prediction, createDspy } from "../src/generated/dspy/index.js";

let bridge: Bridge;
beforeAll(async () => {
  bridge = await createDspyBridge({ kind: "dummy", answers: { "Capital of France?": { reasoning: "It is Paris.", answer: "Paris" } } });
});
afterAll(() => bridge?.close());

it("the generated DSPy SDK creates typed objects and runs them", async () => {
  const dspy = createDspy(bridge);
  await using predict = await dspy.Predict.create("question -> answer");
  expect(predict).toBeInstanceOf(Predict);
  const prediction = await predict.call({ question: "Capital of France?" });
  // DSPy's Prediction class is generated and registered: the ref arrives as one, typed so.
  expectTypeOf(prediction).toEqualTypeOf<Prediction>();
  expect(prediction).toBeInstanceOf(Prediction);
  expect(await prediction.get("answer")).toBe("Paris");

  await using cot = await dspy.ChainOfThought.create("question -> answer");
  expect(cot).toBeInstanceOf(ChainOfThought);
  const thought = await cot.call({ question: "Capital of France?" }, { timeoutMs: 60_000 });
  expectTypeOf(thought).toEqualTypeOf<Prediction>();
  expect(await thought.keys()).toEqual(["reasoning", "answer"]);

  await using example = await dspy.Example.create({ question: "2+2?", answer: "4" });
  expect(example).toBeInstanceOf(Example);
  // with_inputs is unannotated in DSPy; the manifest's members override types it.
  const withInputs = await example.withInputs("question");
  expectTypeOf(withInputs).toEqualTypeOf<Example>();
  expect(await withInputs.toDict()).toEqual({ question: "2+2?", answer: "4" });
  // Inherited from the generated Module class: one home, the same method.
  expect(Object.hasOwn(Predict.prototype, "namedPredictors")).toBe(false);
  expect(typeof predict.namedPredictors).toBe("function");

  const error = await dspy.Predict.create("no arrow").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PythonError);
});
