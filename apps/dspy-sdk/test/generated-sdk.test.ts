import { afterAll, beforeAll, expect, it } from "vitest";
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
  const prediction = await predict.callWith({ question: "Capital of France?" })();
  // DSPy's Prediction class is generated and registered: the ref arrives as one.
  expect(prediction).toBeInstanceOf(Prediction);
  expect(await (prediction as Prediction).get("answer")).toBe("Paris");

  await using cot = await dspy.ChainOfThought.create("question -> answer");
  expect(cot).toBeInstanceOf(ChainOfThought);
  const thought = await cot.callWith({ question: "Capital of France?" })();
  expect(await thought.keys()).toEqual(["reasoning", "answer"]);

  await using example = await dspy.Example.create({ question: "2+2?", answer: "4" });
  expect(example).toBeInstanceOf(Example);
  const withInputs = (await example.withInputs("question")) as Example; // with_inputs is unannotated in DSPy
  expect(await withInputs.toDict()).toEqual({ question: "2+2?", answer: "4" });

  const error = await dspy.Predict.create("no arrow").catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PythonError);
});
