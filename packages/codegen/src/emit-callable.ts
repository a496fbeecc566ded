// Printing one callable of the model: its parameter list in the call shape, its
// return type, and the body that hands the arguments to Python.
import { jsdoc } from "./jsdoc.js";
import type { CallableModel, KeywordModel, MemoHint, ParamModel, SignatureModel } from "./model.js";
import { join, textOf, type ImportSymbol, type Printable } from "./printer.js";
import { propertyKey } from "./ts-names.js";

/** The runtime symbols printing needs (imported into the file being printed). */
export interface RuntimeSymbols {
  type(name: string): ImportSymbol;
  value(name: string): ImportSymbol;
}

function kwargsType(sig: SignatureModel, indent: string): Printable {
  if (sig.kwargsType !== undefined) return sig.kwargsType;
  const lines: Printable[] = ["{\n"];
  for (const k of sig.keywords) lines.push(keywordLine(k, `${indent}  `));
  if (sig.anyKeyword) lines.push(`${indent}  [key: string]: unknown;\n`);
  lines.push(`${indent}}`);
  return lines;
}

function keywordLine(k: KeywordModel, indent: string): Printable {
  const doc = k.doc || k.default ? jsdoc({ summary: k.doc || undefined, description: k.default ? `Default: \`${k.default.repr}\`.` : undefined }, indent) : "";
  return [doc, indent, propertyKey(k.ts), k.required ? "" : "?", ": ", k.type.parts, ";\n"];
}

function hasKwargs(sig: SignatureModel): boolean {
  return sig.keywords.length > 0 || sig.anyKeyword || sig.kwargsType !== undefined;
}

function flexible(sig: SignatureModel): boolean {
  return sig.free.length > 0 || sig.fixed.length > 0 || sig.varargs !== undefined;
}

function element(p: ParamModel, optional: boolean): Printable {
  return [p.ts, optional ? "?" : "", ": ", p.type.parts, p.type.parts === "unknown" ? "" : " | undefined"];
}

/** The parameter list (without parentheses) of a signature. */
export function parameterList(sig: SignatureModel, rt: RuntimeSymbols, indent: string): Printable {
  const required = sig.required.map((p) => [p.ts, ": ", p.type.parts]);
  const options: Printable = ["options?: ", rt.type("CallOptions")];
  if (!flexible(sig)) {
    const parts: Printable[] = [...required];
    if (hasKwargs(sig)) parts.push(["kwargs", sig.kwargsRequired ? "" : "?", ": ", kwargsType(sig, indent)]);
    parts.push(options);
    return join(parts, ", ");
  }
  const K = hasKwargs(sig) ? kwargsType(sig, indent) : "never";
  const req = sig.kwargsRequired ? ", true" : "";
  const tuple = (list: ParamModel[]): Printable => ["[", join(list.map((p) => element(p, false)), ", "), "]"];
  const all = [...sig.free, ...sig.fixed];
  let rest: Printable;
  if (sig.varargs) {
    const loose = sig.varargs.loose || sig.kwargsRequired;
    rest = [rt.type("VarArgs"), "<", tuple(all), ", ", sig.varargs.type.parts, ", ", K === "never" ? "{}" : K, loose || sig.kwargsRequired ? `, ${loose}` : "", req, ">"];
  } else if (sig.fixed.length === 0) {
    rest = [rt.type("Optionals"), "<", tuple(sig.free), ", ", K, req, ">"];
  } else {
    rest = [rt.type("FixedOptionals"), "<", tuple(sig.free), ", ", tuple(sig.fixed), ", ", K, req, ">"];
  }
  return join([...required, ["...args: ", rest]], ", ");
}

/** The CallShape literal a flexible or renaming signature needs at run time, else undefined. */
export function shapeLiteral(sig: SignatureModel): string | undefined {
  const rename: Record<string, string> = {};
  for (const k of sig.keywords) if (k.ts !== k.python) rename[k.ts] = k.python;
  const renames = Object.keys(rename).length > 0 && sig.kwargsType === undefined;
  if (!flexible(sig) && !renames) return undefined;
  const names = [...sig.required, ...sig.free, ...sig.fixed].map((p) => p.python);
  const fields: string[] = [];
  if (names.length) fields.push(`names: ${JSON.stringify(names)}`);
  if (sig.required.length) fields.push(`required: ${sig.required.length}`);
  if (sig.free.length) fields.push(`free: ${sig.free.length}`);
  if (sig.positionalOnly) fields.push(`positionalOnly: ${sig.positionalOnly}`);
  if (sig.varargs) fields.push(`varargs: "${sig.varargs.loose ? "loose" : "strict"}"`);
  if (renames) fields.push(`rename: ${JSON.stringify(rename).replace(/"([A-Za-z_$][\w$]*)":/g, "$1: ")}`);
  return `{ ${fields.join(", ")} }`;
}

/** The memo hint as a trailing argument of `$call`/`$invoke` (nothing without one). */
function memoArgument(memo: MemoHint | undefined): string {
  if (memo === undefined) return "";
  return memo === true ? ", true" : `, { ttlMs: ${memo.ttlMs} }`;
}

/** The expression that makes the call: `this.$call(...)` or `this.$invoke(...)`. */
export function callExpression(sig: SignatureModel, pyName: string, receiver = "this", memo?: MemoHint): Printable {
  const shape = shapeLiteral(sig);
  const required = sig.required.map((p) => p.ts);
  if (shape === undefined) {
    return `${receiver}.$call(${JSON.stringify(pyName)}, [${required.join(", ")}], ${hasKwargs(sig) ? "kwargs" : "undefined"}, options${memoArgument(memo)})`;
  }
  const args = flexible(sig) ? [...required, "...args"] : [...required, ...(hasKwargs(sig) ? ["kwargs"] : ["undefined"]), "options"];
  const list = args.length === 1 && args[0] === "...args" ? "args" : `[${args.join(", ")}]`;
  return `${receiver}.$invoke(${JSON.stringify(pyName)}, ${shape}, ${list}${memoArgument(memo)})`;
}

/** Wraps a call expression so that its result arrives as the return type promises. */
export function converted(call: Printable, sig: SignatureModel, rt: RuntimeSymbols): Printable {
  if (!sig.returns.conversion) return ["await ", call];
  return [rt.value("convert"), "(await ", call, ", ", sig.returns.conversion, ")"];
}

function typeParams(sig: SignatureModel): Printable {
  return sig.typeParams.length ? ["<", join(sig.typeParams, ", "), ">"] : "";
}

/** A whole method: doc, overload signatures, implementation. */
export function printMethod(model: CallableModel, rt: RuntimeSymbols, options: { indent?: string; override?: boolean } = {}): Printable {
  const indent = options.indent ?? "  ";
  const prefix = options.override ? "override " : "";
  const sig = model.signature;
  const out: Printable[] = [jsdoc(model.doc, indent)];
  const returns = (s: SignatureModel): Printable => ["Promise<", s.returns.parts, ">"];
  if (model.overloads.length) {
    for (const o of model.overloads) {
      out.push(indent, prefix, model.tsName, typeParams(o), "(", parameterList(o, rt, indent), "): ", returns(o), ";\n");
    }
    out.push(indent, prefix, "async ", model.tsName, "(...args: unknown[]): Promise<unknown> {\n");
    const shape = shapeLiteral({ ...sig, free: sig.free, required: sig.required }) ?? `{ names: ${JSON.stringify([...sig.required].map((p) => p.python))}, required: ${sig.required.length} }`;
    const call = `this.$invoke(${JSON.stringify(model.pyName)}, ${shape}, args${memoArgument(model.memo)})`;
    out.push(indent, "  return ", converted(call, sig, rt), ";\n", indent, "}\n\n");
    return out;
  }
  out.push(indent, prefix, "async ", model.tsName, typeParams(sig), "(", parameterList(sig, rt, indent), "): ", returns(sig), " {\n");
  out.push(indent, "  return ", converted(callExpression(sig, model.pyName, "this", model.memo), sig, rt), ";\n", indent, "}\n\n");
  return out;
}

/** The text a subclass's member is compared by (same text: a compatible override). */
export function signatureKey(model: CallableModel, rt: RuntimeSymbols): string {
  const sigs = model.overloads.length ? model.overloads : [model.signature];
  return sigs.map((s) => textOf([typeParams(s), "(", parameterList(s, rt, ""), "): ", s.returns.parts])).join(";");
}
