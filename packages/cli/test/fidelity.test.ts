import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentFingerprint, currentKey, readSnapshot, sameKey, type ApiSnapshot } from "@bridge/introspect";
import { loadManifest, type LoadedManifest } from "@bridge/manifest";
import { WORKER_REQUIREMENTS, bundledWorkerPath } from "@bridge/pool";
import { createBridge, type Bridge } from "@bridge/runtime";
import { ensureEnvironment, specFromManifest } from "@bridge/uv";
import { renderSnapshot, reportTable } from "../src/commands/generate.js";

// Fidelity on real third-party libraries (test/fidelity/fidelity.bridge.yaml): the committed
// API snapshot is generated (no Python), compiled under tsc --strict with type-level
// assertions, and the generated functions are called against real workers, with no casts.
const here = fileURLToPath(new URL(".", import.meta.url));
const dir = join(here, "fidelity");
const out = join(dir, ".generated");

let loaded: LoadedManifest;
let snapshot: ApiSnapshot;
let rendered: ReturnType<typeof renderSnapshot>;

const TYPE_TESTS = `
import { expectTypeOf } from "vitest";
import type { Bridge, NDArray } from "@bridge/runtime";
import { createPackaging, Version } from "./packaging/index.js";
import { createMoreItertools } from "./more_itertools/index.js";
import { createHttpx, URL } from "./httpx/index.js";
import { createNumpy } from "./numpy/index.js";
import { createLinalg } from "./linalg/index.js";
import { LinearRegression } from "./sklearn/index.js";
declare const bridge: Bridge;

async function packaging() {
  const pkg = createPackaging(bridge);
  // Submodules are on the library object, though packaging/__init__ does not import them.
  const v = await pkg.version.Version.create("1.2.3");
  expectTypeOf(v).toEqualTypeOf<Version>();
  // Dunders: comparisons and str() by the documented rule.
  expectTypeOf(v).toExtend<Parameters<typeof v.lt>[0]>(); // __lt__(other: _BaseVersion): a generated base
  expectTypeOf(await v.lt(v)).toEqualTypeOf<boolean>();
  expectTypeOf(await v.str()).toEqualTypeOf<string>();
  expectTypeOf(await v.major).toEqualTypeOf<number>();
}

async function moreItertools() {
  const mi = createMoreItertools(bridge);
  // TypeVars are generics; the package's own .pyi types what its source does not.
  const t: number[] = await mi.take(2, [1, 2, 3]);
  expectTypeOf(mi.windowed<number, null>).parameter(1).toEqualTypeOf<number | bigint>();
  // @ts-expect-error n is an int
  await mi.windowed([1, 2], "2");
  return t;
}

async function httpx() {
  const h = createHttpx(bridge);
  const url = await h.URL.create("https://example.org/a/b");
  // Annotations name httpx._urls.URL, refs carry httpx.URL: both are the generated URL.
  const joined = await url.join("c");
  expectTypeOf(joined).toEqualTypeOf<URL>();
  expectTypeOf(await joined.path).toEqualTypeOf<string>();
}

async function numpy() {
  const np = createNumpy(bridge);
  // Optional positionals are positional; ufuncs are callable.
  await np.arange(0, 10, 2);
  await np.matmul([[1, 2]], [[3], [4]], {});
  await np.isscalar(3);
  // ArrayLike accepts nested arrays and ndarrays.
  const linalg = createLinalg(bridge);
  await linalg.det([[1, 2], [3, 4]]);
  await linalg.det({} as NDArray);
}

function sklearn(model: LinearRegression) {
  void model.setFitRequest;
  // @ts-expect-error only set_fit_request / set_score_request exist at run time
  void model.setPredictProbaRequest;
}

void [packaging, moreItertools, httpx, numpy, sklearn];
`;

function compile(files: string[]): string[] {
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
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${d.file?.fileName.replace(out, "") ?? ""}:${where ? where.line + 1 : 0} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

beforeAll(async () => {
  loaded = await loadManifest(join(dir, "fidelity.bridge.yaml"));
  snapshot = (await readSnapshot(join(dir, "fidelity.bridge.api.json")))!;
  rendered = renderSnapshot(snapshot, loaded.manifest);
  rmSync(out, { recursive: true, force: true });
  for (const [file, source] of rendered.files) {
    mkdirSync(dirname(join(out, file)), { recursive: true });
    writeFileSync(join(out, file), source);
  }
  writeFileSync(join(out, "types.test-d.ts"), TYPE_TESTS);
});

describe("generated SDKs of real libraries", () => {
  it("come from a fresh committed API snapshot (run `bridge generate --manifest test/fidelity/fidelity.bridge.yaml` when this fails)", async () => {
    const key = await currentKey(loaded, join(dir, "fidelity.bridge.lock"), agentFingerprint());
    expect(snapshot).toBeDefined();
    expect(sameKey(snapshot.key, key), JSON.stringify({ committed: snapshot.key, now: key })).toBe(true);
  });

  it("compile under tsc --strict, and the important signatures are pinned", () => {
    const files = [...rendered.files.keys()].map((f) => join(out, f));
    expect(compile([...files, join(out, "types.test-d.ts")])).toEqual([]);
  }, 120_000);

  it("report their fidelity", () => {
    const lines = new Map<string, number>();
    for (const [file, source] of rendered.files) {
      const library = file.split(/[\\/]/)[0]!;
      lines.set(library, (lines.get(library) ?? 0) + source.split("\n").length - 1);
    }
    console.log(reportTable(rendered.reports, lines));
    const typed = Object.fromEntries(rendered.reports.map((r) => [r.library, r.fullyTyped / r.callables]));
    expect(typed["more_itertools"]).toBeGreaterThan(0.5);
    expect(typed["packaging"]).toBeGreaterThan(0.6);
    expect(typed["httpx"]).toBeGreaterThan(0.6);
    expect(rendered.renamed).toEqual(["packaging: Version.release -> release_"]);
  });
});

describe("calling them against real workers", () => {
  let bridge: Bridge;
  beforeAll(async () => {
    const environment = await ensureEnvironment(specFromManifest(loaded), {
      projectDir: loaded.dir,
      worker: { source: bundledWorkerPath(), requirements: [...WORKER_REQUIREMENTS] },
      ...(process.env.CI ? { frozen: true } : {}),
    });
    bridge = await createBridge({ python: environment.python, workerPath: false });
  }, 300_000);
  afterAll(async () => {
    await bridge?.close();
  });

  it("packaging: classes, dunders and submodules", async () => {
    const { createPackaging, Version } = await import(join(out, "packaging/index.ts"));
    const pkg = createPackaging(bridge);
    const a = await pkg.version.Version.create("1.2.3");
    const b = await pkg.version.parse("1.10");
    expect(a).toBeInstanceOf(Version);
    expect(b).toBeInstanceOf(Version);
    expect(await a.lt(b)).toBe(true);
    expect(await a.ge(b)).toBe(false);
    expect(await a.eq(await pkg.version.Version.create("1.2.3"))).toBe(true);
    expect(await a.str()).toBe("1.2.3");
    expect(await a.major).toBe(1);
    expect(await a.release_).toEqual([1, 2, 3]);
    const specifiers = await pkg.specifiers.SpecifierSet.create(">=1.0,<2");
    expect(await specifiers.contains("1.5")).toBe(true);
  });

  it("more-itertools: generics, stubs' overloads, streams", async () => {
    const mi = (await import(join(out, "more_itertools/index.ts"))).createMoreItertools(bridge);
    expect(await mi.take(2, [1, 2, 3])).toEqual([1, 2]);
    const windows: unknown[] = [];
    for await (const w of await mi.windowed([1, 2, 3, 4], 2)) windows.push(w);
    expect(windows).toEqual([[1, 2], [2, 3], [3, 4]]);
    expect(await mi.first([], "none")).toBe("none");
  });

  it("httpx: a class named by its public path arrives as the generated class", async () => {
    const { createHttpx, URL } = await import(join(out, "httpx/index.ts"));
    const h = createHttpx(bridge);
    const url = await h.URL.create("https://example.org/a/b");
    const joined = await url.join("c");
    expect(joined).toBeInstanceOf(URL);
    expect(await joined.path).toBe("/a/c");
    expect(await joined.str()).toBe("https://example.org/a/c");
  });

  it("numpy and scikit-learn: plain results", async () => {
    const np = (await import(join(out, "numpy/index.ts"))).createNumpy(bridge);
    expect(await np.isscalar(3)).toBe(true);
    expect(await np.baseRepr(10, 2)).toBe("1010");
    const { createSklearn } = await import(join(out, "sklearn/index.ts"));
    const model = await createSklearn(bridge).LinearRegression.create({ fitIntercept: false });
    expect(await model.getParams()).toMatchObject({ fit_intercept: false });
  });
});
