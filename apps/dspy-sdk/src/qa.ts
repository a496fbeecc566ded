// The main demo: DSPy question answering driven from TypeScript through Bridge, with
// the typed SDK generated from dspy.bridge.yaml (src/generated, `bridge generate`).
// Offline by default (DSPy's DummyLM); set BRIDGE_DSPY_MODEL=openai/gpt-4o-mini and
// BRIDGE_DSPY_API_KEY (or the provider's own variable) to use a real model.
import { PythonError } from "@bridge/runtime";
import { createDspyBridge, modelFromEnv } from "./dspy-bridge.js";
import { createDspy } from "./generated/dspy/index.js";

const model = modelFromEnv([
  { answer: "Paris" },
  { reasoning: "The Eiffel Tower stands in Paris, the capital of France.", answer: "Paris" },
]);
console.log(model.kind === "dummy" ? "model: dspy.utils.DummyLM (offline)" : `model: ${model.model}`);

const bridge = await createDspyBridge(model);
try {
  const dspy = createDspy(bridge);
  const version = await bridge.get<string>("dspy.__version__");
  const [worker] = bridge.pool.workers;
  console.log(`DSPy ${version} in Python ${worker?.pythonVersion} (worker pid ${worker?.pid}, ${worker?.transport})\n`);

  // dspy.Predict("question -> answer"): a typed class over the Python object.
  await using predict = await dspy.Predict.create("question -> answer");
  const question = "What is the capital of France?";
  // Predict.__call__(**kwargs): keyword arguments in one object; the result is a typed Prediction.
  const prediction = await predict.call({ question });
  console.log(`Predict         ${question} -> ${String(await prediction.get("answer"))}`);

  await using cot = await dspy.ChainOfThought.create("question -> answer");
  const thought = await cot.call({ question: "Which city is the Eiffel Tower in?" });
  console.log(`ChainOfThought  reasoning: ${String(await thought.get("reasoning"))}`);
  console.log(`                answer:    ${String(await thought.get("answer"))}`);
  console.log(`                fields:    ${JSON.stringify(await thought.keys())}`);

  // Python errors arrive typed, with the Python traceback.
  try {
    await dspy.Predict.create("this is not a signature");
  } catch (error) {
    if (!(error instanceof PythonError)) throw error;
    console.log(`\nA bad signature raises ${error.pythonType}: ${error.pythonMessage.split("\n")[0]}`);
  }
} finally {
  await bridge.close();
}
