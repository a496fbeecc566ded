// The model of a generated library, computed once and then printed (emit-*.ts): which
// classes are generated and under which names, and for every callable its TypeScript
// name, parameters laid out in the one call shape, return type and conversion.
import type {
  ClassDescriptor,
  DefaultDescriptor,
  DescriptorDocument,
  FunctionDescriptor,
  ParamDescriptor,
  TypeExpr,
} from "./descriptor.js";
import type { DocParts } from "./jsdoc.js";
import type { ImportSymbol, Printable } from "./printer.js";
import { camelCase, pascalCase, pascalModule, safeIdentifier } from "./ts-names.js";
import { isValueClass, mapType, union, type ClassRef, type TsType, type TypeScope } from "./type-map.js";

/** How names are written (the manifest's `codegen.naming`). */
export interface Naming {
  /** Functions, methods, properties and declared keyword arguments. */
  members: "camelCase" | "preserve";
  /** Classes. */
  classes: "PascalCase" | "preserve";
}

/** A manifest override of one member (`libraries.<name>.members`), types written in TypeScript. */
export interface MemberOverride {
  returns?: string;
  params?: Readonly<Record<string, string>>;
  kwargs?: string;
  /** Memoize: the result depends on the arguments only. */
  pure?: boolean;
  /** Memoize for `ttlMs`. */
  cacheable?: { readonly ttlMs: number };
}

/** How generated code asks the runtime to memoize a member (`CallOptions.memo`). */
export type MemoHint = true | { readonly ttlMs: number };

/** A generated class (or TypedDict interface). */
export interface ClassInfo {
  descriptor: ClassDescriptor;
  tsName: string;
  /** The name refs of it carry at run time (`type(obj).__module__ + "." + __qualname__`). */
  runtimeName: string;
  isInterface: boolean;
  /** The generated base class it extends, if any. */
  base?: ClassInfo;
  /** Exported by no described module: generated only so that subclasses can extend it. */
  supportOnly: boolean;
}

/** Where the generated files of one library put their classes. */
export const CLASSES_FILE = "_classes";

/** Names the runtime exports that generated files import: classes must not take them. */
const RUNTIME_NAMES = [
  "Bridge", "CallOptions", "PyObject", "PyRef", "PyNamespace", "Optionals", "VarArgs", "NDArray", "PyDate", "PyTime",
  "PyTimedelta", "ArrowTable", "convert", "compare", "iterate", "overriding", "stream", "FixedOptionals",
  // TypeScript's own global types, which generated signatures use.
  "Record", "Array", "ReadonlyArray", "Map", "Set", "Promise", "Date", "Partial", "Readonly", "Omit", "AsyncIterable",
  "AsyncIterator", "Iterable", "Uint8Array", "Symbol", "Object", "String", "Number", "Boolean", "BigInt", "Error", "Function",
];

/** The classes of a library: by every name that reaches them, with unique TypeScript names. */
export class ClassIndex {
  readonly byName = new Map<string, ClassInfo>();
  readonly ordered: ClassInfo[] = [];
  readonly taken = new Set<string>(RUNTIME_NAMES);

  constructor(document: DescriptorDocument, naming: Naming) {
    const add = (cls: ClassDescriptor, module: string, supportOnly: boolean) => {
      if (this.byName.has(cls.target) || isValueClass(cls.target)) return;
      let tsName = safeIdentifier(naming.classes === "PascalCase" ? pascalCase(cls.name) : cls.name);
      if (this.taken.has(tsName)) tsName = `${pascalModule(module)}${tsName}`;
      while (this.taken.has(tsName)) tsName = `${tsName}_`;
      this.taken.add(tsName);
      const info: ClassInfo = {
        descriptor: cls,
        tsName,
        runtimeName: cls.target,
        isInterface: cls.shape?.kind === "typeddict",
        supportOnly,
      };
      this.byName.set(cls.target, info);
      this.ordered.push(info);
    };
    for (const module of document.modules) {
      for (const member of module.members) if (member.kind === "class") add(member, module.name, false);
    }
    for (const cls of document.base_classes ?? []) add(cls, cls.target.split(".").slice(0, -1).join("."), true);
    for (const module of document.modules) {
      for (const member of module.members) {
        if (member.kind !== "class") continue;
        const info = this.byName.get(member.target);
        if (info) for (const key of [member.qualname, `${module.name}.${member.name}`]) if (!this.byName.has(key)) this.byName.set(key, info);
      }
    }
    for (const info of this.ordered) {
      if (info.isInterface) continue;
      const base = info.descriptor.bases.map((b) => this.byName.get(b)).find((b) => b && !b.isInterface && b !== info);
      if (base && !this.inherits(base, info)) info.base = base;
    }
    // Bases first, so that `extends` never names a class declared later in the file.
    const placed = new Set<ClassInfo>();
    const sorted: ClassInfo[] = [];
    const place = (info: ClassInfo) => {
      if (placed.has(info)) return;
      placed.add(info);
      if (info.base) place(info.base);
      sorted.push(info);
    };
    for (const info of this.ordered) place(info);
    this.ordered.splice(0, this.ordered.length, ...sorted);
  }

  private inherits(cls: ClassInfo, from: ClassInfo): boolean {
    for (let at: ClassInfo | undefined = cls; at; at = at.base) if (at === from) return true;
    return false;
  }

  get(name: string): ClassInfo | undefined {
    return this.byName.get(name);
  }
}

/** A parameter as laid out. */
export interface ParamModel {
  python: string;
  ts: string;
  type: TsType;
  doc: string;
  default: DefaultDescriptor | null;
}

/** A keyword argument (a property of the kwargs object). */
export interface KeywordModel extends ParamModel {
  required: boolean;
}

/** One callable laid out in the call shape `fn(positional…, kwargs?, options?)`. */
export interface SignatureModel {
  typeParams: Printable[];
  required: ParamModel[];
  /** Optional positionals after which keyword arguments may come early (never plain objects). */
  free: ParamModel[];
  /** Optional positionals from the first one a plain object may be: fixed places. */
  fixed: ParamModel[];
  varargs?: ParamModel & { loose: boolean };
  keywords: KeywordModel[];
  /** `**kwargs`: the kwargs object takes any other key. */
  anyKeyword: boolean;
  /** Overrides the kwargs object's type (manifest). */
  kwargsType?: Printable;
  kwargsRequired: boolean;
  returns: TsType;
  positionalOnly: number;
}

/** Everything printed for one callable. */
export interface CallableModel {
  /** The Python name to call (`""` for the object itself). */
  pyName: string;
  tsName: string;
  python: string;
  signature: SignatureModel;
  overloads: SignatureModel[];
  doc: DocParts;
  typed: boolean;
  documented: boolean;
  streaming: boolean;
  /** The manifest's `pure` / `cacheable`, passed to every call. */
  memo?: MemoHint;
}

/** Inputs of {@link layoutCallable}. */
export interface LayoutOptions {
  scope: TypeScope;
  naming: Naming;
  /** The class whose instance method this is (for `Self` -> `this`). */
  selfClass?: string;
  isInit?: boolean;
  streaming?: boolean;
  override?: MemberOverride;
  /** Resolves an override's TypeScript type text (identifiers may name generated classes). */
  resolveOverride?: (text: string, where: string) => TsType;
  overrideKey?: string;
}

/** A member's TypeScript name under the naming rule. */
export function memberName(python: string, naming: Naming): string {
  return safeIdentifier(keyName(python, naming));
}

/** A key of a kwargs object under the naming rule (keys may be reserved words). */
export function keyName(python: string, naming: Naming): string {
  return naming.members === "preserve" ? python : camelCase(python);
}

/** The type of a parameter nothing annotates, from its default (`False` -> boolean). */
function fromDefault(p: ParamDescriptor): TypeExpr | null {
  const value = p.default?.value;
  if (typeof value === "boolean") return { kind: "name", name: "builtins.bool" };
  if (typeof value === "string") return { kind: "name", name: "builtins.str" };
  if (typeof value === "number") return { kind: "name", name: "builtins.float" };
  return null;
}

function typeVarsIn(expr: TypeExpr | null, out: Map<string, Extract<TypeExpr, { kind: "typevar" }>>): void {
  if (!expr) return;
  switch (expr.kind) {
    case "typevar":
      if (!out.has(expr.name)) out.set(expr.name, expr);
      return;
    case "generic":
      for (const a of expr.args) typeVarsIn(a, out);
      return;
    case "tuple":
    case "union":
      for (const a of expr.items) typeVarsIn(a, out);
      return;
    case "callable":
      for (const a of expr.params ?? []) typeVarsIn(a, out);
      typeVarsIn(expr.returns, out);
      return;
    default:
      return;
  }
}

function genericName(python: string, taken: Set<string>): string {
  let base = python.replace(/^_+/, "").replace(/_(co|contra)$/, "").replace(/[^A-Za-z0-9_$]/g, "_") || "T";
  if (/^\d/.test(base)) base = `T${base}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
  taken.add(name);
  return name;
}

/** Lays out one signature (the combined one, or an overload) in the call shape. */
function layoutSignature(
  params: readonly ParamDescriptor[],
  returns: TypeExpr | null,
  options: LayoutOptions,
  where: string,
  maxFree: number | undefined,
): SignatureModel {
  const { naming } = options;
  // TypeVars of the parameters become generics of the callable.
  const vars = new Map<string, Extract<TypeExpr, { kind: "typevar" }>>();
  for (const p of params) typeVarsIn(p.annotation, vars);
  const taken = new Set<string>(["kwargs", "options", "args"]);
  const generics = new Map<string, string>();
  for (const name of vars.keys()) generics.set(name, genericName(name, taken));
  const scope: TypeScope = {
    ...options.scope,
    typeParam: (name) => generics.get(name),
    ...(options.selfClass ? { selfClass: options.selfClass } : {}),
  };
  const plainScope: TypeScope = { ...options.scope, typeParam: (name) => generics.get(name) };
  const typeParams: Printable[] = [];
  for (const [name, v] of vars) {
    const ts = generics.get(name)!;
    const bound = v.bound ? mapType(v.bound, "param", plainScope) : v.constraints.length ? union(v.constraints.map((c) => mapType(c, "param", plainScope))) : undefined;
    typeParams.push(bound ? [ts, " extends ", bound.parts] : ts);
  }
  const locals = new Set<string>(["kwargs", "options", "args", ...generics.values()]);
  const local = (name: string) => {
    let id = safeIdentifier(memberName(name, naming));
    while (locals.has(id)) id = `${id}_`;
    locals.add(id);
    return id;
  };
  const keys = new Set<string>();
  const key = (name: string) => {
    let id = keyName(name, naming);
    if (keys.has(id)) id = name;
    keys.add(id);
    return id;
  };
  const typeOf = (p: ParamDescriptor): TsType => {
    const override = options.override?.params?.[p.name];
    if (override !== undefined && options.resolveOverride) return options.resolveOverride(override, `${where}.params.${p.name}`);
    return mapType(p.annotation ?? fromDefault(p), "param", plainScope);
  };
  const sig: SignatureModel = {
    typeParams,
    required: [],
    free: [],
    fixed: [],
    keywords: [],
    anyKeyword: false,
    kwargsRequired: false,
    returns: { parts: "unknown", unknown: true, partial: false, plain: true },
    positionalOnly: 0,
  };
  let freeOpen = true;
  for (const p of params) {
    const model = (): ParamModel => ({ python: p.name, ts: local(p.name), type: typeOf(p), doc: p.doc, default: p.default });
    switch (p.kind) {
      case "positional_only":
      case "positional_or_keyword": {
        const m = model();
        if (p.kind === "positional_only") sig.positionalOnly = sig.required.length + sig.free.length + sig.fixed.length + 1;
        if (p.default === null && sig.free.length === 0 && sig.fixed.length === 0) sig.required.push(m);
        else {
          if (freeOpen && (m.type.plain || (maxFree !== undefined && sig.free.length >= maxFree))) freeOpen = false;
          (freeOpen ? sig.free : sig.fixed).push(m);
          if (p.kind === "positional_or_keyword") {
            sig.keywords.push({ ...m, ts: key(p.name), required: false });
          }
        }
        break;
      }
      case "keyword_only": {
        const m = model();
        if (p.default === null) sig.kwargsRequired = true;
        sig.keywords.push({ ...m, ts: key(p.name), required: p.default === null });
        break;
      }
      case "var_positional": {
        const m = model();
        sig.varargs = { ...m, loose: m.type.plain };
        break;
      }
      case "var_keyword":
        sig.anyKeyword = true;
        break;
    }
  }
  if (options.override?.kwargs !== undefined && options.resolveOverride) {
    sig.kwargsType = options.resolveOverride(options.override.kwargs, `${where}.kwargs`).parts;
  }
  if (options.isInit) sig.returns = { parts: "void", unknown: false, partial: false, plain: false };
  else if (options.override?.returns !== undefined && options.resolveOverride) {
    sig.returns = options.resolveOverride(options.override.returns, `${where}.returns`);
  } else {
    let expr = returns;
    if (options.streaming && !(expr?.kind === "generic" && /Iterator|Generator|Iterable/.test(expr.base))) {
      expr = { kind: "generic", base: "collections.abc.Iterator", args: expr?.kind === "generic" ? [expr.args[0] ?? { kind: "any" }] : [{ kind: "any" }] };
    }
    sig.returns = mapType(expr, "return", scope);
  }
  return sig;
}

function signatureTyped(sig: SignatureModel): boolean {
  const all = [...sig.required, ...sig.free, ...sig.fixed, ...sig.keywords, ...(sig.varargs ? [sig.varargs] : [])];
  return [...all.map((p) => p.type), sig.returns].every((t) => !t.unknown && !t.partial);
}

/** The model of one callable: its signature, overloads, doc and fidelity. */
export function layoutCallable(fn: FunctionDescriptor, tsName: string, pyName: string, python: string, options: LayoutOptions): CallableModel {
  const streaming = options.streaming || fn.is_generator || fn.is_async_generator || fn.streaming;
  const where = options.overrideKey ?? python;
  const signature = layoutSignature(fn.params, fn.returns, { ...options, streaming }, where, undefined);
  let overloads: SignatureModel[] = [];
  const typesOverridden = !!options.override && (options.override.returns !== undefined || options.override.params !== undefined || options.override.kwargs !== undefined);
  if (fn.overloads && fn.overloads.length > 1 && signature.fixed.length === 0 && !typesOverridden) {
    overloads = fn.overloads.map((o) => layoutSignature(o.params, o.returns, { ...options, streaming: false }, where, signature.free.length));
    // An overload must read its arguments as the combined signature does.
    if (overloads.some((o) => o.fixed.length > 0 || (!!o.varargs !== !!signature.varargs))) overloads = [];
  }
  const typed = overloads.length ? overloads.every(signatureTyped) : signatureTyped(signature);
  const all = [...signature.required, ...signature.free, ...signature.fixed, ...(signature.varargs ? [signature.varargs] : [])];
  const memo: MemoHint | undefined = options.override?.pure ? true : options.override?.cacheable ? { ttlMs: options.override.cacheable.ttlMs } : undefined;
  return {
    pyName,
    tsName,
    python,
    signature,
    overloads,
    streaming,
    ...(memo === undefined ? {} : { memo }),
    typed,
    documented: fn.doc.summary.trim() !== "",
    doc: {
      summary: fn.doc.summary,
      description: fn.doc.description,
      examples: fn.doc.examples,
      deprecated: fn.doc.deprecated,
      params: all.filter((p) => p.doc).map((p) => ({ name: p.ts, doc: p.default ? `${p.doc} (default \`${p.default.repr}\`)` : p.doc })),
      returns: fn.returns_doc,
      throws: fn.raises,
      python,
    },
  };
}

/** The override table of one library, checked: unknown members are reported. */
export interface OverrideProblem {
  /** Path inside the library's config, e.g. `["members", "Predict.__call__", "returns"]`. */
  path: string[];
  message: string;
}

/** A resolved class reference for the type scope (type and value symbols of one file). */
export function classRef(info: ClassInfo, symbols: { type: (name: string) => ImportSymbol | string; value: (name: string) => ImportSymbol | string }): ClassRef {
  return info.isInterface ? { type: symbols.type(info.tsName) } : { type: symbols.type(info.tsName), value: symbols.value(info.tsName) };
}
