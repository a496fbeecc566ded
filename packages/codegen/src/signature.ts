import type { FunctionDescriptor, ParamDescriptor } from "./descriptor.js";
import { jsdoc } from "./jsdoc.js";
import { propertyKey, safeIdentifier } from "./ts-names.js";
import { mapType, type Direction, type TypeScope } from "./type-map.js";

/** A Python signature laid out as TypeScript parameters (see the README's conventions). */
export interface Signature {
  /** `a: string, b?: number` — required positionals, then optional positional-only ones. */
  params: string[];
  /** Expressions for the positional argument array, in order. */
  positional: string[];
  /** Whether trailing `undefined` positionals must be trimmed (optional positional-only params). */
  trimPositional: boolean;
  /** `...args: T[]` when the function takes *args. */
  rest?: { name: string; type: string };
  /** The kwargs object type, when the function takes keyword arguments. */
  kwargs?: { type: string; required: boolean };
  /** Every parameter's type is known (no `unknown`). */
  typed: boolean;
  usesPyRef: boolean;
  /** Names documented as @param (positional ones; keyword docs sit on the kwargs properties). */
  paramDocs: Array<{ name: string; doc: string }>;
}

/** Drops `self` / `cls` of a method. */
export function callableParams(fn: FunctionDescriptor, isMethod: boolean): ParamDescriptor[] {
  const [first, ...rest] = fn.params;
  if (isMethod && first && (first.kind === "positional_only" || first.kind === "positional_or_keyword") && (first.name === "self" || first.name === "cls")) {
    return rest;
  }
  return fn.params;
}

/** Lays out a Python signature as TypeScript parameters. */
export function layoutSignature(params: ParamDescriptor[], scope: TypeScope, indent: string): Signature {
  const sig: Signature = { params: [], positional: [], trimPositional: false, typed: true, usesPyRef: false, paramDocs: [] };
  const used = new Set<string>(["kwargs", "options"]);
  const local = (name: string) => {
    let id = safeIdentifier(name);
    while (used.has(id)) id = `${id}_`;
    used.add(id);
    return id;
  };
  const type = (p: ParamDescriptor, direction: Direction = "param") => {
    const mapped = mapType(p.annotation, direction, scope);
    if (mapped.hasUnknown) sig.typed = false;
    if (mapped.usesPyRef) sig.usesPyRef = true;
    return mapped.ts;
  };
  const keyword: string[] = [];
  let kwargsRequired = false;
  // With *args, extra positionals fill defaulted positional-or-keyword parameters first,
  // so those must stay positional (optional) for *args to land where Python expects.
  const hasVarPositional = params.some((p) => p.kind === "var_positional");
  let indexSignature: string | undefined;
  for (const p of params) {
    switch (p.kind) {
      case "positional_only":
      case "positional_or_keyword": {
        if (p.default === null) {
          const id = local(p.name);
          sig.params.push(`${id}: ${type(p)}`);
          sig.positional.push(id);
          if (p.doc) sig.paramDocs.push({ name: id, doc: p.doc });
        } else if (p.kind === "positional_only" || hasVarPositional) {
          const id = local(p.name);
          sig.params.push(`${id}?: ${type(p)}`);
          sig.positional.push(id);
          sig.trimPositional = true;
          if (p.doc) sig.paramDocs.push({ name: id, doc: withDefault(p) });
        } else {
          keyword.push(kwargsProperty(p, type(p), indent));
        }
        break;
      }
      case "keyword_only":
        if (p.default === null) kwargsRequired = true;
        keyword.push(kwargsProperty(p, type(p), indent));
        break;
      case "var_positional": {
        const id = local(p.name);
        const item = type(p);
        sig.rest = { name: id, type: item.includes(" ") ? `Array<${item}>` : `${item}[]` };
        if (p.doc) sig.paramDocs.push({ name: id, doc: p.doc });
        break;
      }
      case "var_keyword":
        // The declared value type of **kwargs widens to unknown: named keys above have their own types.
        type(p);
        indexSignature = `${indent}  [key: string]: unknown;\n`;
        break;
    }
  }
  if (keyword.length || indexSignature) {
    sig.kwargs = { type: `{\n${keyword.join("")}${indexSignature ?? ""}${indent}}`, required: kwargsRequired };
  }
  return sig;
}

function withDefault(p: ParamDescriptor): string {
  return p.default ? `${p.doc} (default \`${p.default.repr}\`)` : p.doc;
}

function kwargsProperty(p: ParamDescriptor, ts: string, indent: string): string {
  const doc = p.doc || p.default ? jsdoc({ summary: p.doc || undefined, description: p.default ? `Default: \`${p.default.repr}\`.` : undefined }, `${indent}  `) : "";
  return `${doc}${indent}  ${propertyKey(p.name)}${p.default === null ? "" : "?"}: ${ts};\n`;
}

/** The parameter list of a TypeScript function for a signature, kwargs and options included. */
export function parameterList(sig: Signature, withCallOptions = true): string {
  const parts = [...sig.params];
  if (sig.rest) return [...parts, `...${sig.rest.name}: ${sig.rest.type}`].join(", ");
  if (sig.kwargs) parts.push(`kwargs${sig.kwargs.required ? "" : "?"}: ${sig.kwargs.type}`);
  if (withCallOptions) parts.push("options?: CallOptions");
  return parts.join(", ");
}

/** The expression for the positional arguments array. */
export function positionalExpression(sig: Signature): string {
  if (sig.trimPositional) {
    // Omitted optional positionals are trimmed (Python applies their defaults), unless *args follow.
    return sig.rest ? `positional([${sig.positional.join(", ")}], ${sig.rest.name})` : `positional([${sig.positional.join(", ")}])`;
  }
  const items = sig.rest ? [...sig.positional, `...${sig.rest.name}`] : sig.positional;
  return `[${items.join(", ")}]`;
}
