// Manifest overrides of member types (`libraries.<name>.members`), written in TypeScript:
// `{ "Predict.__call__": { returns: "Prediction" } }`. Identifiers must name generated
// classes, runtime value types or TypeScript's own types; anything else is a problem the
// CLI reports at the override's position in the manifest.
import type { Printable } from "./printer.js";
import type { ClassRef, TsType, TypeScope } from "./type-map.js";

const TS_TYPES = new Set([
  "string", "number", "boolean", "bigint", "null", "undefined", "unknown", "never", "void", "object", "symbol",
  "true", "false", "Array", "ReadonlyArray", "Record", "Partial", "Readonly", "Map", "ReadonlyMap", "Set",
  "ReadonlySet", "Date", "Uint8Array", "AsyncIterable", "readonly", "keyof", "typeof",
]);
const RUNTIME_TYPES = new Set(["PyRef", "NDArray", "PyDate", "PyTime", "PyTimedelta", "ArrowTable", "TypedArray"]);

/** An override's type text as a mapped type, or the problem with it. */
export function resolveOverrideType(
  text: string,
  classFor: (tsName: string) => ClassRef | undefined,
  scope: TypeScope,
): { type: TsType; problem?: string } {
  const parts: Printable[] = [];
  const unknownNames: string[] = [];
  const classes: ClassRef[] = [];
  // Identifiers outside string literals and object keys.
  const token = /("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_$][\w$]*)(\s*\??:)?/g;
  let last = 0;
  for (let match = token.exec(text); match; match = token.exec(text)) {
    const [whole, literal, name, keyColon] = match;
    if (literal || !name || keyColon) continue;
    parts.push(text.slice(last, match.index));
    last = match.index + whole.length;
    if (TS_TYPES.has(name)) parts.push(name);
    else if (RUNTIME_TYPES.has(name)) parts.push(scope.runtimeType(name));
    else {
      const cls = classFor(name);
      if (cls) {
        classes.push(cls);
        parts.push(cls.type);
      } else {
        unknownNames.push(name);
        parts.push("unknown");
      }
    }
  }
  parts.push(text.slice(last));
  const trimmed = text.trim();
  const single = /^([A-Za-z_$][\w$]*)(\s*\|\s*null)?$/.exec(trimmed);
  const array = /^(?:([A-Za-z_$][\w$]*)\[\]|Array<([A-Za-z_$][\w$]*)>)$/.exec(trimmed);
  let conversion: Printable | undefined;
  const only = classes.length === 1 ? classes[0] : undefined;
  if (only?.value && single) conversion = only.value;
  else if (only?.value && array) conversion = ["{ array: ", only.value, " }"];
  const type: TsType = { parts, unknown: unknownNames.length > 0 || /\bunknown\b/.test(trimmed), partial: false, plain: /[{]|\bRecord\b|\bunknown\b|\bobject\b/.test(trimmed), conversion };
  if (unknownNames.length) {
    return { type, problem: `unknown type ${unknownNames.map((n) => JSON.stringify(n)).join(", ")} in ${JSON.stringify(text)}: name a generated class, a TypeScript type or one of ${[...RUNTIME_TYPES].join(", ")}` };
  }
  return { type };
}
