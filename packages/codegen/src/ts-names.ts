/** Words TypeScript reserves (as identifiers or in strict mode); a Python name equal to one is escaped. */
const RESERVED = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else",
  "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof",
  "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void",
  "while", "with", "implements", "interface", "let", "package", "private", "protected", "public",
  "static", "yield", "await", "arguments", "eval", "undefined", "NaN", "Infinity", "any", "unknown",
  "never", "object", "string", "number", "boolean", "symbol", "bigint",
]);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A safe TS identifier for a Python name: reserved words get a trailing `_` (`from` -> `from_`). */
export function safeIdentifier(name: string): string {
  const cleaned = IDENTIFIER.test(name) ? name : name.replace(/[^A-Za-z0-9_$]/g, "_").replace(/^(\d)/, "_$1");
  return RESERVED.has(cleaned) ? `${cleaned}_` : cleaned;
}

/** `snake_case` -> `snakeCase`; leading/trailing underscores and dunders are kept as they are. */
export function camelCase(name: string): string {
  if (/^__.*__$/.test(name)) return name;
  const lead = /^_*/.exec(name)?.[0] ?? "";
  const trail = /_*$/.exec(name.slice(lead.length))?.[0] ?? "";
  const core = name.slice(lead.length, name.length - trail.length);
  return lead + core.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase()) + trail;
}

/** A property key as written in an object type: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/** `dspy.predict.predict` -> `DspyPredictPredict`: the PascalCase name of a module. */
export function pascalModule(module: string): string {
  return module
    .split(/[._]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

/** `float64` -> `Float64`, `_GUFunc_Nin2` -> `GUFuncNin2`: the PascalCase name of a class. */
export function pascalCase(name: string): string {
  const parts = name.split("_").filter(Boolean);
  if (parts.length === 0) return name;
  return parts.map((part) => part[0]!.toUpperCase() + part.slice(1)).join("");
}
