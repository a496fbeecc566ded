import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBridge, type Bridge } from "@bridge/runtime";
import { fidelityReport, generateLibrary, type DescriptorDocument, type GeneratedLibrary } from "../src/index.js";

// Real descriptors from a real worker, generated, compiled with tsc --strict, then called.
const here = fileURLToPath(new URL(".", import.meta.url));
const support = join(here, "../../../python/tests/support");
const outRoot = join(here, ".generated");

const TYPE_ASSERTIONS = `
import type { Bridge, CallOptions } from "@bridge/runtime";
import { createMath } from "./math/index.js";
import { createJson } from "./json/index.js";
import { createFixture, Counter, type Movie, Point } from "./fixture/index.js";
import { createFidelity, Shape, Square } from "./fidelity/index.js";
declare const bridge: Bridge;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assert<T extends true>(): T | void {}
const math = createMath(bridge);
assert<Equal<Parameters<typeof math.sqrt>, [x: number | bigint, options?: CallOptions]>>();
assert<Equal<ReturnType<typeof math.sqrt>, Promise<number>>>();
assert<Equal<typeof math.pi, number>>();
const json = createJson(bridge);
assert<Equal<ReturnType<typeof json.dumps>, Promise<string>>>();
assert<Equal<Parameters<typeof json.dumps>[0], unknown>>();
const fixture = createFixture(bridge);
assert<Equal<ReturnType<typeof fixture.countUp>, Promise<AsyncIterable<number>>>>();
assert<Equal<Awaited<ReturnType<typeof fixture.Counter.create>>, Counter>>();
assert<Equal<Movie, { title: string; year?: number | bigint }>>();
// TypeVars are generics: the result is typed by the argument.
async function generics() {
  const t: string[] = await fixture.typevars("x", 1);
  return t;
}
void generics;
// Optional positionals may be given positionally, or skipped for keyword arguments.
void fixture.forwardRefs({} as Point, [], null);
void fixture.forwardRefs({} as Point, [], { q: null }, { timeoutMs: 5 });
// *args without currying: positionals, items, then kwargs and options.
void fixture.kinds(1, "b", 2.5, 7, 8, { d: true, extra: "x" });
const fidelity = createFidelity(bridge);
async function fidelityTypes(square: Square, shape: Shape) {
  // Self is the class itself (this), a subclass is its base.
  const same: Square = await square.same();
  const lt: boolean = await shape.lt(square);
  const n: number = await fidelity.double(2);
  const windows: Array<[number]> = await fidelity.windowed([1], 1);
  return [same, lt, n, windows];
}
void fidelityTypes;
// @ts-expect-error a string is not a number
void math.sqrt("16");
// @ts-expect-error kinds needs its keyword-only argument d
void fixture.kinds(1);
`;

let bridge: Bridge;
const generated = new Map<string, GeneratedLibrary>();

async function describeAndGenerate(library: string, module: string, depth = 0, options: Omit<Parameters<typeof generateLibrary>[1], "library"> = {}): Promise<GeneratedLibrary> {
  const response = await bridge.pool.describe({ module, depth });
  const document = JSON.parse(response.descriptorJson) as DescriptorDocument;
  const result = generateLibrary(document, { library, ...options });
  const dir = join(outRoot, library);
  rmSync(dir, { recursive: true, force: true });
  for (const [file, source] of result.files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), source);
  }
  generated.set(library, result);
  return result;
}

beforeAll(async () => {
  bridge = await createBridge({ env: { PYTHONPATH: support } });
  for (const [library, module, depth] of [
    ["math", "math", 0],
    ["json", "json", 0],
    ["statistics", "statistics", 0],
    ["difflib", "difflib", 0],
    ["fixture", "bridge_typed_fixture", 1],
    ["fidelity", "bridge_fidelity_fixture", 0],
  ] as const) {
    await describeAndGenerate(library, module, depth);
  }
  // The manifest's memo hints: statistics.mean is pure, median cacheable for a while.
  await describeAndGenerate("memo", "statistics", 0, { members: { mean: { pure: true }, median: { cacheable: { ttlMs: 60_000 } } } });
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

describe("generated code", () => {
  it("compiles under tsc --strict with zero errors, and its types are the ones users should see", () => {
    const files = [...generated.entries()].flatMap(([library, result]) => [...result.files.keys()].map((f) => join(outRoot, library, f)));
    // Type-level assertions on the generated API (a wrong type is a compile error here).
    writeFileSync(join(outRoot, "types.assert.ts"), TYPE_ASSERTIONS);
    files.push(join(outRoot, "types.assert.ts"));
    const program = ts.createProgram(files, {
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      target: ts.ScriptTarget.ES2023,
      lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      customConditions: ["@bridge/source"],
      types: ["node"],
      noEmit: true,
      skipLibCheck: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      return `${d.file?.fileName.replace(outRoot, "") ?? ""}:${where ? where.line + 1 : 0} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(diagnostics).toEqual([]);
  });

  it("is deterministic and matches the golden files for the fixture package", async () => {
    const again = await describeAndGenerate("fixture", "bridge_typed_fixture", 1);
    // Checked before any snapshot is compared: outside CI, toMatchFileSnapshot writes a
    // missing golden file instead of failing, and a stale extra file would go unseen.
    const golden = join(here, "golden/fixture");
    const onDisk = readdirSync(golden, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(golden, join(entry.parentPath, entry.name)));
    expect(onDisk.sort()).toEqual([...again.files.keys()].sort());
    for (const [file, source] of again.files) {
      await expect(source).toMatchFileSnapshot(join(golden, file));
    }
  });

  it("never emits `any`, and marks every file @generated", () => {
    for (const result of generated.values()) {
      for (const source of result.files.values()) {
        expect(source.startsWith("// @generated by @bridge/codegen")).toBe(true);
        expect(source).not.toMatch(/:\s*any\b|<any>|\bas any\b/);
      }
    }
  });

  it("prints a fidelity report", () => {
    for (const [library, result] of generated) {
      const report = fidelityReport(library, result.callables);
      console.log(`${library}: ${report.callables} callables, ${report.fullyTyped} fully typed, ${report.documented} documented`);
      expect(report.untyped).toHaveLength(report.callables - report.fullyTyped);
    }
    // The fixture is ours, so its numbers are known (the standard library's vary with Python).
    const fixture = fidelityReport("fixture", generated.get("fixture")!.callables);
    expect([fixture.callables, fixture.fullyTyped, fixture.documented]).toEqual([72, 55, 55]);
    expect(fixture.untyped).toContain("bridge_typed_fixture.dynamic.no_signature");
  });
});

describe("calling the generated code against real workers", () => {
  it("math, json, statistics, difflib", async () => {
    const math = (await import(join(outRoot, "math/index.ts"))).createMath(bridge);
    expect(await math.sqrt(16)).toBe(4);
    expect(math.pi).toBeCloseTo(Math.PI);
    const json = (await import(join(outRoot, "json/index.ts"))).createJson(bridge);
    expect(await json.dumps({ b: 1, a: [1, 2] }, { sortKeys: true })).toBe('{"a": [1, 2], "b": 1}');
    expect(await json.loads('{"x": 1}')).toEqual({ x: 1 });
    const statistics = (await import(join(outRoot, "statistics/index.ts"))).createStatistics(bridge);
    expect(await statistics.mean([1, 2, 3, 4])).toBe(2.5);
    expect(await statistics.median([3, 1, 2])).toBe(2);
    const difflib = (await import(join(outRoot, "difflib/index.ts"))).createDifflib(bridge);
    expect(await difflib.getCloseMatches("appel", ["ape", "apple", "peach"])).toEqual(["apple", "ape"]);
    const matcher = await difflib.SequenceMatcher.create({ a: "abcd", b: "bcde" });
    expect(await matcher.ratio()).toBe(0.75);
  });
});

describe("memoized members", () => {
  it("pass the manifest's pure / cacheable to the runtime, which answers repeats from its table", async () => {
    const source = generated.get("memo")!.files.get("statistics.ts")!;
    expect(source).toMatch(/\$(call|invoke)\("mean", .*, true\)/);
    expect(source).toMatch(/\$(call|invoke)\("median", .*, \{ ttlMs: 60000 \}\)/);
    expect(source).not.toMatch(/\$(call|invoke)\("mode", .*(true|ttlMs)/);
    await using memoBridge = await createBridge({ env: { PYTHONPATH: support } });
    const statistics = (await import(join(outRoot, "memo/index.ts"))).createMemo(memoBridge);
    expect(await statistics.mean([1, 2, 3, 4])).toBe(2.5);
    expect(await statistics.mean([1, 2, 3, 4])).toBe(2.5);
    expect(await statistics.mean([1, 2, 3])).toBe(2);
    expect(await statistics.median([3, 1, 2])).toBe(2);
    expect(await statistics.median([3, 1, 2])).toBe(2);
    expect(await statistics.mode([1, 1, 2])).toBe(1);
    expect(await statistics.mode([1, 1, 2])).toBe(1);
    // A caller may opt out.
    expect(await statistics.mean([1, 2, 3, 4], { memo: false })).toBe(2.5);
    expect(memoBridge.memo.stats()).toMatchObject({ hits: 2, misses: 3, entries: 3 });
  });
});

describe("what real libraries needed, through the generated API", () => {
  it("inheritance, Self, dunders, callable objects, defaults, stub overloads", async () => {
    const { createFidelity, Shape, Square, Base } = await import(join(outRoot, "fidelity/index.ts"));
    const fidelity = createFidelity(bridge);
    const small = await fidelity.Shape.create(2);
    const big = await fidelity.Square.create(3);
    expect(big).toBeInstanceOf(Square);
    expect(big).toBeInstanceOf(Shape);
    expect(big).toBeInstanceOf(Base);
    // One home: describe() is declared once, on the generated private base.
    expect(Object.hasOwn(Square.prototype, "describe")).toBe(false);
    expect(await big.describe()).toBe("Square");
    expect(await big.same()).toBeInstanceOf(Square);
    expect(await small.lt(big)).toBe(true);
    expect(await big.str()).toBe("Square(3)");
    expect(await big.len()).toBe(3);
    expect(await big.getItem(4)).toBe(8);
    const items: number[] = [];
    for await (const item of big) items.push(item);
    expect(items).toEqual([0, 1, 2]);
    expect(await (await small.grow()).area()).toBe(3);
    expect(await fidelity.double(2)).toBe(4);
    expect(await fidelity.double(2, 3)).toBe(6);
    expect(await fidelity.windowed([1, 2, 3], 2)).toEqual([[1, 2], [2, 3]]);
    expect(await fidelity.scale(1, true)).toBe(1);
    const source = generated.get("fidelity")!.files.get("bridge_fidelity_fixture.ts")!;
    expect(source).toContain("async scale(x: unknown, ...args: Optionals<[flag: boolean | undefined, label: string | undefined]");
  });
});

describe("the fixture package through its generated API", () => {
  it("classes, kwargs, *args, **kwargs, streams, TypedDicts and errors behave as typed", async () => {
    const { createFixture, Counter, Point } = await import(join(outRoot, "fixture/index.ts"));
    const fixture = createFixture(bridge);
    // A class: created with kwargs, methods, __call__ as call(), properties, a classmethod.
    const counter = await fixture.Counter.create({ start: 5, step: 2 });
    expect(counter).toBeInstanceOf(Counter);
    expect(await counter.add()).toBe(7);
    expect(await counter.add({ n: 10 })).toBe(17);
    expect(await counter.call(1)).toBe(18);
    expect(await counter.aadd(2)).toBe(20);
    expect(await counter.value).toBe(20);
    const parsed = await fixture.Counter.fromString("41");
    expect(parsed).toBeInstanceOf(Counter);
    // Every parameter kind: positional-only, optional positional, *args (rest), keyword-only, **kwargs.
    // kinds returns what each parameter received: positionals, *args, keyword-only, **kwargs.
    const echoed = await fixture.kinds(1, "b", 2.5, 7, 8, { d: true, extra: "x" });
    expect(echoed).toStrictEqual({ a: 1, b: "b", c: 2.5, args: [7, 8], d: true, e: null, kwargs: { extra: "x" } });
    expect(await fixture.kinds(0, { d: false, e: [3] })).toStrictEqual({ a: 0, b: "x", c: 1.5, args: [], d: false, e: [3], kwargs: {} });
    // Optional positionals positionally, or keyword arguments early in their place.
    const point = await fixture.Point.create(1);
    expect(await fixture.forwardRefs(point, [point], null)).toBeInstanceOf(Point);
    expect(await fixture.forwardRefs(point, [point], { q: point }, { timeoutMs: 10_000 })).toBeInstanceOf(Point);
    // Generators and async generators stream.
    const counted: number[] = [];
    for await (const n of await fixture.countUp(5)) counted.push(n);
    expect(counted).toEqual([0, 1, 2, 3, 4]);
    const acounted: number[] = [];
    for await (const n of await fixture.acount(3)) acounted.push(n);
    expect(acounted).toEqual([0, 1, 2]);
    expect(await fixture.fetch("u", { timeout: 2 })).toEqual(new TextEncoder().encode("u"));
    // Constants are inlined.
    expect(fixture.VERSION).toBe("1.2.3");
    await counter.release();
  });
});
