// The main demo: DSPy question answering driven from TypeScript through Bridge.
// Offline by default (DSPy's DummyLM); set BRIDGE_DSPY_MODEL=openai/gpt-4o-mini and
// BRIDGE_DSPY_API_KEY (or the provider's own variable) to use a real model.
import { PythonError, type PyRef } from "@bridge/runtime";
import { createDspyBridge, modelFromEnv } from "./dspy-bridge.js";

const model = modelFromEnv([
  { answer: "Paris" },
  { reasoning: "The Eiffel Tower stands in Paris, the capital of France.", answer: "Paris" },
]);
console.log(model.kind === "dummy" ? "model: dspy.utils.DummyLM (offline)" : `model: ${model.model}`);

const bridge = await createDspyBridge(model);
try {
  const version = await bridge.get<string>("dspy.__version__");
  const [worker] = bridge.pool.workers;
  console.log(`DSPy ${version} in Python ${worker?.pythonVersion} (worker pid ${worker?.pid})\n`);

  // dspy.Predict("question -> answer") is a Python object: it stays in Python as a ref.
  await using predict = await bridge.call<PyRef>("dspy.Predict", ["question -> answer"]);
  const question = "What is the capital of France?";
  await using prediction = await predict.call<PyRef>("", [], { question });
  console.log(`Predict         ${question} -> ${await prediction.get<string>("answer")}`);

  await using cot = await bridge.call<PyRef>("dspy.ChainOfThought", ["question -> answer"]);
  await using thought = await cot.call<PyRef>("", [], { question: "Which city is the Eiffel Tower in?" });
  console.log(`ChainOfThought  reasoning: ${await thought.get<string>("reasoning")}`);
  console.log(`                answer:    ${await thought.get<string>("answer")}`);

  // Python errors arrive typed, with the Python traceback.
  try {
    await bridge.call("dspy.Predict", ["this is not a signature"]);
  } catch (error) {
    if (!(error instanceof PythonError)) throw error;
    console.log(`\nA bad signature raises ${error.pythonType}: ${error.pythonMessage.split("\n")[0]}`);
  }
} finally {
  await bridge.close();
}
