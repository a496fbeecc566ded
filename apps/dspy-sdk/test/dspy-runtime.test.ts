import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PyRef, createBridge, type Bridge } from "@bridge/runtime";
import { dspyPython } from "../src/dspy-bridge.js";

// Real DSPy driven through the plain runtime (bridge.call, refs, host functions, streams),
// on DSPy's offline DummyLM. Each module gets its own LM with set_lm, so nothing global
// (dspy.configure may be called from one thread only) stands between the tests.
const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let bridge: Bridge;
beforeAll(async () => {
  bridge = await createBridge({ python: await dspyPython(), workers: 1, env: { PYTHONPATH: fixtures } });
});
afterAll(() => bridge?.close());

const dummyLM = (answers: unknown) => bridge.call<PyRef>("dspy.utils.DummyLM", [answers]);

describe("TypeScript tools in dspy.ReAct", () => {
  interface Booking {
    city: string;
    nights: number;
    guest: { name: string };
  }
  const weatherCalls: string[] = [];
  const bookings: Booking[] = [];

  // A declared parameter list; the tool nests a call back into Python while DSPy waits.
  const getWeather = () =>
    bridge.fn(
      async (city: string) => {
        weatherCalls.push(city);
        const letters = await bridge.call<number>("builtins.len", [city]);
        return `Sunny in ${city} (${letters} letters)`;
      },
      {
        name: "get_weather",
        description: "Get the weather in a city.",
        parameters: [{ name: "city", type: "string", description: "the city" }],
      },
    );
  // A JSON Schema object: TS receives one object, an object-typed field included.
  const bookHotel = () =>
    bridge.fn(
      (booking: Booking) => {
        bookings.push(booking);
        return `Booked ${booking.nights} nights in ${booking.city} for ${booking.guest.name}`;
      },
      {
        name: "book_hotel",
        description: "Book a hotel room.",
        parameters: {
          type: "object",
          properties: { city: { type: "string" }, nights: { type: "integer" }, guest: { type: "object" } },
          required: ["city", "nights", "guest"],
        },
      },
    );

  it("dspy.Tool(fn) shows the TS function's name, description and argument spec", async () => {
    await using weather = await bridge.call<PyRef>("dspy.Tool", [getWeather()]);
    expect(await weather.get("name")).toBe("get_weather");
    expect(await weather.get("desc")).toBe("Get the weather in a city.");
    expect(await weather.get("args")).toEqual({ city: { type: "string" } });
    await using hotel = await bridge.call<PyRef>("dspy.Tool", [bookHotel()]);
    expect(await hotel.get("name")).toBe("book_hotel");
    expect(await hotel.get("args")).toEqual({
      city: { type: "string" },
      nights: { type: "integer" },
      guest: { type: "object", additionalProperties: true },
    });
    // And DSPy calls it with validated, parsed arguments.
    expect(await weather.call("", [], { city: "Oslo" })).toBe("Sunny in Oslo (4 letters)");
  });

  it("ReAct picks TS tools, calls them with the LM's arguments, and finishes", async () => {
    weatherCalls.length = 0;
    bookings.length = 0;
    const lm = await dummyLM([
      { next_thought: "Check the weather first.", next_tool_name: "get_weather", next_tool_args: { city: "Paris" } },
      {
        next_thought: "Sunny: book it.",
        next_tool_name: "book_hotel",
        next_tool_args: { city: "Paris", nights: 2, guest: { name: "Ada" } },
      },
      { next_thought: "All done.", next_tool_name: "finish", next_tool_args: {} },
      { reasoning: "The hotel is booked.", answer: "Booked 2 nights in sunny Paris." },
    ]);
    await using react = await bridge.call<PyRef>("dspy.ReAct", ["question -> answer"], { tools: [getWeather(), bookHotel()] });
    await react.call("set_lm", [lm]);
    await using prediction = await react.call<PyRef>("", [], { question: "Book me two nights in Paris if it is sunny." });
    expect(prediction.type).toBe("dspy.primitives.prediction.Prediction");
    expect(await prediction.get("answer")).toBe("Booked 2 nights in sunny Paris.");
    expect(weatherCalls).toEqual(["Paris"]);
    expect(bookings).toEqual([{ city: "Paris", nights: 2, guest: { name: "Ada" } }]);
    const trajectory = await prediction.get<Record<string, unknown>>("trajectory");
    expect(trajectory).toMatchObject({
      tool_name_0: "get_weather",
      tool_args_0: { city: "Paris" },
      observation_0: "Sunny in Paris (5 letters)",
      tool_name_1: "book_hotel",
      observation_1: "Booked 2 nights in Paris for Ada",
      tool_name_2: "finish",
      observation_2: "Completed.",
    });
    await lm.release();
  });

  it("async DSPy (ReAct.acall, run as a coroutine on the worker's loop) awaits the TS tools", async () => {
    weatherCalls.length = 0;
    const lm = await dummyLM([
      { next_thought: "Weather.", next_tool_name: "get_weather", next_tool_args: { city: "Rome" } },
      { next_thought: "Done.", next_tool_name: "finish", next_tool_args: {} },
      { reasoning: "Known.", answer: "Sunny in Rome." },
    ]);
    await using react = await bridge.call<PyRef>("dspy.ReAct", ["question -> answer"], { tools: [getWeather()] });
    await react.call("set_lm", [lm]);
    await using prediction = await react.call<PyRef>("acall", [], { question: "Weather in Rome?" });
    expect(await prediction.get("answer")).toBe("Sunny in Rome.");
    expect(weatherCalls).toEqual(["Rome"]);
    expect((await prediction.get<Record<string, string>>("trajectory")).observation_0).toBe("Sunny in Rome (4 letters)");
    await lm.release();
  });

  it("a TS tool that throws becomes the observation ReAct sees (a HostError it caught)", async () => {
    const lm = await dummyLM([
      { next_thought: "Try it.", next_tool_name: "flaky", next_tool_args: {} },
      { next_thought: "It failed; stop.", next_tool_name: "finish", next_tool_args: {} },
      { reasoning: "The tool failed.", answer: "Could not do it." },
    ]);
    const flaky = bridge.fn(
      () => {
        throw new Error("the service is down");
      },
      { name: "flaky", description: "Always fails.", parameters: [] },
    );
    await using react = await bridge.call<PyRef>("dspy.ReAct", ["question -> answer"], { tools: [flaky] });
    await react.call("set_lm", [lm]);
    await using prediction = await react.call<PyRef>("", [], { question: "Do it." });
    const trajectory = await prediction.get<Record<string, string>>("trajectory");
    expect(trajectory.observation_0).toContain("Execution error in flaky");
    expect(trajectory.observation_0).toContain("HostError");
    expect(trajectory.observation_0).toContain("the service is down");
    expect(await prediction.get("answer")).toBe("Could not do it.");
    await lm.release();
  });
});

describe("a TypeScript metric in BootstrapFewShot", () => {
  it("compiles a program, keeping the demos the TS metric accepts", async () => {
    const lm = await dummyLM({
      "2+2?": { answer: "4" },
      "3+3?": { answer: "7" }, // wrong: the metric must reject it
      "Capital of France?": { answer: "Paris" },
    });
    const trainset: PyRef[] = [];
    for (const [question, answer] of [
      ["2+2?", "4"],
      ["3+3?", "6"],
      ["Capital of France?", "Paris"],
    ]) {
      const example = await bridge.call<PyRef>("dspy.Example", [], { question, answer });
      trainset.push(await example.call<PyRef>("with_inputs", ["question"]));
      await example.release();
    }
    const judged: Array<{ question: string; expected: string; got: string; traced: boolean }> = [];
    const exactAnswer = bridge.fn(
      async (example: PyRef, prediction: PyRef, trace: unknown) => {
        const [question, expected, got] = await Promise.all([
          example.get<string>("question"),
          example.get<string>("answer"),
          prediction.get<string>("answer"),
        ]);
        judged.push({ question, expected, got, traced: Array.isArray(trace) && trace.length > 0 });
        return expected === got;
      },
      { name: "exact_answer", description: "The predicted answer equals the label.", parameters: [{ name: "example" }, { name: "prediction" }, { name: "trace", default: null }] },
    );
    await using student = await bridge.call<PyRef>("dspy.Predict", ["question -> answer"]);
    await student.call("set_lm", [lm]);
    await using optimizer = await bridge.call<PyRef>("dspy.teleprompt.BootstrapFewShot", [], {
      metric: exactAnswer,
      max_bootstrapped_demos: 4,
      max_labeled_demos: 0,
    });
    await using compiled = await optimizer.call<PyRef>("compile", [student], { trainset });
    expect(judged).toEqual([
      { question: "2+2?", expected: "4", got: "4", traced: true },
      { question: "3+3?", expected: "6", got: "7", traced: true },
      { question: "Capital of France?", expected: "Paris", got: "Paris", traced: true },
    ]);
    const demos = await compiled.get<PyRef[]>("demos");
    const demoQuestions = await Promise.all(demos.map((d) => d.get<string>("question")));
    expect(demoQuestions).toEqual(["2+2?", "Capital of France?"]);
    // The compiled program runs, with the accepted demos in its prompt.
    await compiled.call("set_lm", [lm]);
    await using answer = await compiled.call<PyRef>("", [], { question: "Capital of France?" });
    expect(await answer.get("answer")).toBe("Paris");
    for (const ref of [...demos, ...trainset, lm]) await ref.release();
  });
});

describe("dspy.streamify with a StreamListener", () => {
  it("yields the listened field's chunks as they stream, then the Prediction", async () => {
    await using session = await bridge.session();
    const lm = await session.call<PyRef>("dspy_fixtures.StreamingDummyLM", [
      [{ reasoning: "It is the capital.", answer: "Paris is the capital of France." }],
    ]);
    const program = await session.call<PyRef>("dspy.ChainOfThought", ["question -> answer"]);
    await program.call("set_lm", [lm]);
    const listener = await session.call<PyRef>("dspy.streaming.StreamListener", [], { signature_field_name: "answer" });
    const streaming = await session.call<PyRef>("dspy.streamify", [program], { stream_listeners: [listener] });
    const output = await streaming.call<PyRef>("", [], { question: "Capital of France?" });
    const chunks: string[] = [];
    const kinds: string[] = [];
    let final: PyRef | undefined;
    for await (const item of output.iterate<PyRef>({ highWaterMark: 2 })) {
      kinds.push(item.type);
      if (item.type === "dspy.streaming.messages.StreamResponse") {
        expect(await item.get("signature_field_name")).toBe("answer");
        chunks.push(await item.get<string>("chunk"));
      } else final = item;
    }
    expect(chunks.length).toBeGreaterThan(3); // word by word, not one piece
    expect(chunks.join("").trim()).toBe("Paris is the capital of France.");
    expect(kinds.at(-1)).toBe("dspy.primitives.prediction.Prediction");
    expect(await final!.get("answer")).toBe("Paris is the capital of France.");
    expect(session.size).toBeGreaterThan(chunks.length); // every streamed object belongs to the session
  });

  it("breaking out early closes the stream in its own task, and the worker goes on", async () => {
    await using session = await bridge.session();
    const lm = await session.call<PyRef>("dspy_fixtures.StreamingDummyLM", [
      [{ reasoning: "Long.", answer: "one two three four five six seven eight nine ten" }],
    ]);
    const program = await session.call<PyRef>("dspy.Predict", ["question -> reasoning, answer"]);
    await program.call("set_lm", [lm]);
    const listener = await session.call<PyRef>("dspy.streaming.StreamListener", [], { signature_field_name: "answer" });
    const streaming = await session.call<PyRef>("dspy.streamify", [program], { stream_listeners: [listener] });
    const output = await streaming.call<PyRef>("", [], { question: "Count." });
    const chunks: string[] = [];
    for await (const item of output.iterate<PyRef>({ highWaterMark: 1 })) {
      if (item.type === "dspy.streaming.messages.StreamResponse") chunks.push(await item.get<string>("chunk"));
      if (chunks.length === 2) break;
    }
    expect(chunks).toEqual(["one", " two"]);
    expect(await bridge.call("operator.add", [20, 22])).toBe(42);
  });
});

describe("lm.history", () => {
  it("decodes exactly: plain data as values, the Response object as a ref", async () => {
    await using lm = await dummyLM([{ answer: "Paris" }]);
    await using predict = await bridge.call<PyRef>("dspy.Predict", ["question -> answer"]);
    await predict.call("set_lm", [lm]);
    await using prediction = await predict.call<PyRef>("", [], { question: "Capital of France?" });
    expect(await prediction.get("answer")).toBe("Paris");

    const history = await lm.get<Array<Record<string, unknown>>>("history");
    expect(history).toHaveLength(1);
    const entry = history[0]!;
    expect(Object.keys(entry)).toEqual([
      "prompt",
      "messages",
      "kwargs",
      "response",
      "outputs",
      "usage",
      "cost",
      "timestamp",
      "uuid",
      "model",
      "response_model",
      "model_type",
    ]);
    expect(entry.prompt).toBeNull();
    expect(entry.cost).toBeNull();
    expect(entry.kwargs).toEqual({});
    expect(entry.outputs).toEqual(["[[ ## answer ## ]]\nParis"]);
    expect(entry).toMatchObject({ model: "dummy", response_model: "dummy", model_type: "chat" });
    const messages = entry.messages as Array<{ role: string; content: string }>;
    expect(messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(messages[1]!.content).toContain("Capital of France?");
    expect(entry.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: null });
    // The provider response is an object, not data: a ref to it, usable as one.
    const response = entry.response as PyRef;
    expect(response).toBeInstanceOf(PyRef);
    expect(response.type).toBe("dspy._vendor.lm15.types.Response");
    expect(await response.get("text")).toBe("[[ ## answer ## ]]\nParis");
    // Exactly: sent back, the decoded history is the same Python value (same repr, same objects).
    expect(await bridge.call("builtins.repr", [history])).toBe(await lm.call("history.__repr__"));
    const again = await lm.call<Record<string, unknown>>("history.__getitem__", [0]);
    expect(await bridge.call("operator.is_", [response, again.response])).toBe(true);
  });
});
