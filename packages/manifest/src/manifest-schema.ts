import * as z from "zod";
import { isPep440SpecifierSet, isPep440Version } from "./pep440.js";
import { requirementProblem } from "./pep508.js";

/** A value read from an environment variable at run time, written `{ env: NAME }`. */
export type SecretRef = { env: string };

/** How one Python library is exposed to TypeScript. */
export interface LibraryConfig {
  /** Importable Python module, e.g. `dspy`. */
  module: string;
  /** Names and submodules to expose (`Predict`, `utils.DummyLM`, `teleprompt`); all public names when absent. */
  include?: string[];
  /** Names and submodules to leave out. */
  exclude: string[];
  /** How many levels of submodules introspection walks into. Default 1. */
  depth: number;
  /** TypeScript names for Python members: `"Predict.__call__": "call"`. */
  rename: Record<string, string>;
  /** Members exposed as async iterables. */
  streaming: string[];
  /**
   * Types introspection cannot know, written in TypeScript, per member (`function`,
   * `Class.method`, `Class.__init__`): `returns`, parameter types, the kwargs object.
   */
  members: Record<string, MemberOverride>;
}

/** A member's types as the generated code should declare them (TypeScript type text). */
export interface MemberOverride {
  /** The return type, e.g. `Prediction`. */
  returns?: string;
  /** Parameter types by Python parameter name. */
  params?: Record<string, string>;
  /** The type of the kwargs object, e.g. `{ question: string }`. */
  kwargs?: string;
  /** The result depends on the arguments only and never changes: memoize it on the host. */
  pure?: boolean;
  /** The result may be reused for `ttlMs` milliseconds: memoize it that long. */
  cacheable?: { ttlMs: number };
}

/** A validated manifest with every default applied. */
export interface Manifest {
  /** Manifest format version. */
  version: 1;
  /** The Python environment. */
  python: {
    /** PEP 440 specifier set for the interpreter. Default `>=3.10`. */
    version: string;
    /** PEP 508 requirements, e.g. `dspy>=3`. */
    dependencies: string[];
    /** Replaces PyPI as the package index. */
    indexUrl?: string | SecretRef;
    /** Extra package indexes. */
    extraIndexUrls: Array<string | SecretRef>;
  };
  /** Libraries to expose, by the name their generated module gets. */
  libraries: Record<string, LibraryConfig>;
  /** Generated TypeScript. */
  codegen: {
    /** Where generated modules are written, relative to the manifest. Default `src/generated`. */
    outDir: string;
    /** How Python names become TypeScript names. */
    naming: { members: "camelCase" | "preserve"; classes: "PascalCase" | "preserve" };
  };
  /** Telemetry (OpenTelemetry spans for calls). */
  telemetry: { enabled: boolean };
  /** The worker pool. */
  pool: {
    /** Number of Python worker processes. Default 1. */
    size: number;
    /** How long a worker may take to start. Default 30000. */
    startTimeoutMs: number;
    /** Threads per worker for user code. */
    threads?: number;
    /** Calls in flight per worker before new calls queue. */
    maxInflight?: number;
    /** Environment variables for the workers; secrets as `{ env: NAME }`. */
    env: Record<string, string | SecretRef>;
  };
}

/** Field descriptions and defaults live in one place for the schema, the JSON Schema and the README. */
interface Meta {
  id?: string;
  title?: string;
  description?: string;
  examples?: unknown[];
}

/**
 * Metadata for the JSON Schema export. A private registry, not zod's global one, so
 * loading this module twice (source and dist in one process) cannot clash on ids.
 * @private
 */
export const manifestRegistry = z.registry<Meta>();

function meta<T extends z.ZodType>(schema: T, data: Meta): T {
  manifestRegistry.add(schema, data);
  return schema;
}

/** Zod's error parameter: the message is what users read after "expected". */
function expecting(text: string): { error: string } {
  return { error: text };
}

const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LIBRARY_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const TS_IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const WINDOWS_ABSOLUTE = /^[A-Za-z]:[\\/]/;

/** Expectations, worded to follow "expected". */
const E = {
  one: "1",
  mapping: (keys: string) => `a mapping with ${keys}`,
  module: 'a Python module name such as "dspy" or "sklearn.linear_model"',
  name: 'a Python name such as "Predict" or "utils.DummyLM"',
  names: 'a list of Python names such as ["Predict", "utils.DummyLM"]',
  tsName: "a TypeScript identifier",
  libraryName: "a library name (letters, digits, _ and -, not starting with a digit)",
  envName: "an environment variable name (letters, digits and _, not starting with a digit)",
  requirement: 'a PEP 508 requirement such as "dspy>=3"',
  requirements: 'a list of PEP 508 requirements such as ["dspy>=3"]',
  pythonVersion: 'a PEP 440 version specifier set such as ">=3.10" or ">=3.10,<3.13"',
  url: "an http(s) or file URL",
  urlOrSecret: "an http(s) or file URL, or { env: NAME }",
  urlsOrSecrets: "a list of URLs or { env: NAME } secrets",
  stringOrSecret: "a string or { env: NAME }",
  secret: "{ env: NAME }",
  depth: "a non-negative integer",
  positive: "a positive integer",
  boolean: "true or false",
  outDir: "a relative directory path",
} as const;

/** Keys that would collide with `Object.prototype` once used as record keys. */
function notProto(key: string): boolean {
  return key !== "__proto__";
}

const pythonName = z.string(expecting(E.name)).regex(PYTHON_NAME, expecting(E.name));
const names = z.array(pythonName, expecting(E.names));
/** A new instance per use, so metadata attached to one field does not leak into another. */
const positiveInt = () => z.int(expecting(E.positive)).min(1, expecting(E.positive));

/** `{ env: NAME }`: a value taken from the environment at run time. @private */
export const secretRefSchema = meta(
  z.strictObject(
    {
      env: meta(z.string(expecting(E.envName)).regex(ENV_NAME, expecting(E.envName)), {
        description: "Name of the environment variable that holds the value at run time.",
      }),
    },
    expecting(E.secret),
  ),
  {
    id: "SecretRef",
    description:
      "A secret read from an environment variable when Bridge runs; never written into caches or generated code.",
  },
);

const url = z.string(expecting(E.url)).refine((text) => {
  try {
    const parsed = new URL(text);
    return ["http:", "https:", "file:"].includes(parsed.protocol);
  } catch {
    return false;
  }
}, expecting(E.url));

const requirement = z.string(expecting(E.requirement)).superRefine((text, ctx) => {
  const problem = requirementProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: E.requirement, params: { hint: problem } });
});

const pythonSchema = meta(
  z.strictObject(
    {
      version: meta(
        z
          .string(expecting(E.pythonVersion))
          .superRefine((text, ctx) => {
            if (isPep440SpecifierSet(text)) return;
            // A bare "3.11" is the usual slip: say which operator it probably lacks.
            const hint = isPep440Version(text.trim())
              ? `add an operator, e.g. ">=${text.trim()}" or "==${text.trim()}.*"`
              : undefined;
            ctx.addIssue({ code: "custom", message: E.pythonVersion, ...(hint === undefined ? {} : { params: { hint } }) });
          })
          .default(">=3.10"),
        {
          description: "PEP 440 version specifier set the Python interpreter must satisfy.",
          examples: [">=3.10", ">=3.10,<3.13", "==3.11.*"],
        },
      ),
      dependencies: meta(z.array(requirement, expecting(E.requirements)).default([]), {
        description: "PEP 508 requirements installed into the environment (with uv).",
        examples: [["dspy>=3", "numpy>=2; python_version >= '3.11'"]],
      }),
      indexUrl: meta(z.union([url, secretRefSchema], expecting(E.urlOrSecret)).exactOptional(), {
        description: "Package index replacing PyPI, as a URL or { env: NAME } when it holds credentials.",
      }),
      extraIndexUrls: meta(
        z.array(z.union([url, secretRefSchema], expecting(E.urlOrSecret)), expecting(E.urlsOrSecrets)).default([]),
        { description: "Package indexes searched besides the main one." },
      ),
    },
    expecting(E.mapping("version, dependencies, indexUrl, extraIndexUrls")),
  ),
  { description: "The Python environment Bridge builds with uv." },
);

const tsType = z.string(expecting("a TypeScript type such as \"Prediction\"")).min(1, expecting("a TypeScript type"));

const memberSchema = z.strictObject(
  {
    returns: meta(tsType.exactOptional(), { description: "The return type, in TypeScript (a generated class name, string, number[] ...)." }),
    params: meta(
      z
        .record(pythonName.refine(notProto, expecting(E.name)), tsType, expecting("a mapping from parameter names to TypeScript types"))
        .exactOptional(),
      { description: "Parameter types by Python parameter name, in TypeScript." },
    ),
    kwargs: meta(tsType.exactOptional(), { description: "The type of the keyword-arguments object, in TypeScript, e.g. { question: string }." }),
    pure: meta(z.boolean(expecting(E.boolean)).exactOptional(), {
      description:
        "The result depends on the arguments only and never changes: the host memoizes it by argument value (never for arguments or results holding Python objects or functions).",
    }),
    cacheable: meta(
      z
        .strictObject(
          {
            ttlMs: meta(positiveInt(), { description: "How long a result may be reused, in milliseconds." }),
          },
          expecting(E.mapping("ttlMs")),
        )
        .exactOptional(),
      { description: "The result may be reused for ttlMs: the host memoizes it that long, by argument value.", examples: [{ ttlMs: 60000 }] },
    ),
  },
  expecting(E.mapping("returns, params, kwargs, pure, cacheable")),
).superRefine((member, ctx) => {
  if (member.pure && member.cacheable) {
    ctx.addIssue({
      code: "custom",
      path: ["cacheable"],
      message: "pure or cacheable, not both",
      params: { hint: "pure results are kept until evicted; cacheable ones for ttlMs" },
    });
  }
});

const librarySchema = meta(
  z
    .strictObject(
      {
        module: meta(z.string(expecting(E.module)).regex(PYTHON_NAME, expecting(E.module)), {
          description: "The importable Python module.",
          examples: ["dspy", "sklearn.linear_model"],
        }),
        include: meta(names.exactOptional(), {
          description: "Names and submodules to expose; every public name when absent.",
          examples: [["Predict", "utils.DummyLM", "teleprompt"]],
        }),
        exclude: meta(names.default([]), { description: "Names and submodules to leave out." }),
        depth: meta(z.int(expecting(E.depth)).min(0, expecting(E.depth)).default(1), {
          description: "How many levels of submodules introspection walks into.",
        }),
        rename: meta(
          z
            .record(
              pythonName.refine(notProto, expecting(E.name)),
              z.string(expecting(E.tsName)).regex(TS_IDENTIFIER, expecting(E.tsName)),
              expecting("a mapping from Python names to TypeScript identifiers"),
            )
            .default({}),
          {
            description: "TypeScript names for Python members.",
            examples: [{ "Predict.__call__": "call" }],
          },
        ),
        streaming: meta(names.default([]), { description: "Members exposed as async iterables." }),
        members: meta(
          z
            .record(
              pythonName.refine(notProto, expecting(E.name)),
              memberSchema,
              expecting("a mapping from member names to { returns, params, kwargs, pure, cacheable }"),
            )
            .default({}),
          {
            description: "Types introspection cannot know, per member, written in TypeScript.",
            examples: [{ "Predict.__call__": { returns: "Prediction" }, "utils.normalize_text": { pure: true } }],
          },
        ),
      },
      expecting(E.mapping("module and optionally include, exclude, depth, rename, streaming, members")),
    )
    .superRefine((library, ctx) => {
      const included = new Set(library.include ?? []);
      library.exclude.forEach((name, index) => {
        if (included.has(name)) {
          ctx.addIssue({
            code: "custom",
            path: ["exclude", index],
            message: "a name that is not also in include",
            params: { hint: `"${name}" is both included and excluded` },
          });
        }
      });
    }),
  { id: "LibraryConfig", description: "How one Python library is exposed to TypeScript." },
);

const codegenSchema = meta(
  z.strictObject(
    {
      outDir: meta(
        z
          .string(expecting(E.outDir))
          .min(1, expecting(E.outDir))
          .refine((dir) => !dir.startsWith("/") && !WINDOWS_ABSOLUTE.test(dir), expecting(E.outDir))
          .default("src/generated"),
        { description: "Where generated modules are written, relative to the manifest." },
      ),
      naming: z
        .strictObject(
          {
            members: meta(
              z.enum(["camelCase", "preserve"], expecting('"camelCase" or "preserve"')).default("camelCase"),
              {
                description:
                  "Functions, methods, properties and declared keyword arguments: camelCase (mapped back on the wire) or preserve Python's names.",
              },
            ),
            classes: meta(
              z.enum(["PascalCase", "preserve"], expecting('"PascalCase" or "preserve"')).default("PascalCase"),
              { description: "PascalCase normalizes class names; preserve keeps Python names." },
            ),
          },
          expecting(E.mapping("members, classes")),
        )
        .prefault({}),
    },
    expecting(E.mapping("outDir, naming")),
  ),
  { description: "Generated TypeScript modules." },
);

const telemetrySchema = meta(
  z.strictObject(
    {
      enabled: meta(z.boolean(expecting(E.boolean)).default(false), {
        description: "Emit OpenTelemetry spans for calls.",
      }),
    },
    expecting(E.mapping("enabled")),
  ),
  { description: "Telemetry settings." },
);

const poolSchema = meta(
  z.strictObject(
    {
      size: meta(positiveInt().default(1), { description: "Number of Python worker processes." }),
      startTimeoutMs: meta(positiveInt().default(30_000), {
        description: "How long a worker may take to start and handshake, in milliseconds.",
      }),
      threads: meta(positiveInt().exactOptional(), { description: "Threads per worker for user code." }),
      maxInflight: meta(positiveInt().exactOptional(), {
        description: "Calls in flight per worker before new calls wait.",
      }),
      env: meta(
        z
          .record(
            z.string(expecting(E.envName)).regex(ENV_NAME, expecting(E.envName)).refine(notProto, expecting(E.envName)),
            z.union([z.string(expecting(E.stringOrSecret)), secretRefSchema], expecting(E.stringOrSecret)),
            expecting("a mapping from environment variable names to strings or { env: NAME }"),
          )
          .default({}),
        {
          description: "Environment variables for the workers; write secrets as { env: NAME }.",
          examples: [{ OPENAI_API_KEY: { env: "OPENAI_API_KEY" }, DSP_CACHEBOOL: "false" }],
        },
      ),
    },
    expecting(E.mapping("size, startTimeoutMs, threads, maxInflight, env")),
  ),
  { description: "The pool of Python worker processes." },
);

/**
 * The manifest as written. `$schema` is accepted (JSON editors use it) and dropped.
 * @private
 */
export const manifestSchema = meta(
  z.strictObject(
    {
      $schema: meta(z.string(expecting("a string")).exactOptional(), {
        description: "JSON Schema of this file, for editors.",
      }),
      version: meta(z.literal(1, expecting(E.one)), { description: "Manifest format version." }),
      python: pythonSchema.prefault({}),
      libraries: meta(
        z
          .record(
            z.string(expecting(E.libraryName)).regex(LIBRARY_NAME, expecting(E.libraryName)).refine(notProto, expecting(E.libraryName)),
            librarySchema,
            expecting("a mapping from library names to library settings"),
          )
          .default({}),
        { description: "Python libraries to expose, keyed by the name of their generated module." },
      ),
      codegen: codegenSchema.prefault({}),
      telemetry: telemetrySchema.prefault({}),
      pool: poolSchema.prefault({}),
    },
    expecting(E.mapping("version, python, libraries, codegen, telemetry, pool")),
  ),
  {
    title: "Bridge manifest",
    description: "Which Python libraries Bridge exposes to TypeScript, and how (*.bridge.yaml / *.bridge.json).",
  },
);

// The hand-written interfaces above are the contract; these lines fail to compile when
// the schema's output drifts from them in either direction.
type Parsed = Omit<z.output<typeof manifestSchema>, "$schema">;
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const manifestMatchesSchema: Same<Parsed, Manifest> = true;
const libraryMatchesSchema: Same<z.output<typeof librarySchema>, LibraryConfig> = true;
const secretMatchesSchema: Same<z.output<typeof secretRefSchema>, SecretRef> = true;
void manifestMatchesSchema;
void libraryMatchesSchema;
void secretMatchesSchema;
