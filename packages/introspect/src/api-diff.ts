import type { DescriptorDocument, FunctionDescriptor, MemberDescriptor, ParamDescriptor, TypeExpr } from "@bridge/codegen";

/** One difference between two descriptions of an API. */
export interface ApiChange {
  kind: "added" | "removed" | "changed";
  /** Dotted Python path, e.g. `dspy.Predict.forward`. */
  path: string;
  before?: string;
  after?: string;
}

/** Python-like text of an annotation, for humans. */
export function renderType(expr: TypeExpr | null): string {
  if (expr === null) return "?";
  switch (expr.kind) {
    case "name":
      return expr.name.replace(/^builtins\./, "");
    case "generic":
      return `${expr.base.replace(/^builtins\./, "")}[${expr.args.map(renderType).join(", ")}]`;
    case "tuple":
      return `tuple[${expr.items.map(renderType).join(", ")}${expr.variadic ? ", ..." : ""}]`;
    case "union":
      return expr.items.map(renderType).join(" | ");
    case "literal":
      return `Literal[${expr.values.map((v) => JSON.stringify(v)).join(", ")}]`;
    case "callable":
      return `Callable[${expr.params ? `[${expr.params.map(renderType).join(", ")}]` : "..."}, ${renderType(expr.returns)}]`;
    case "typevar":
      return expr.name;
    case "none":
      return "None";
    case "any":
      return "Any";
    case "never":
      return "Never";
    case "unknown":
      return expr.text || "?";
  }
}

function renderParam(p: ParamDescriptor): string {
  const prefix = p.kind === "var_positional" ? "*" : p.kind === "var_keyword" ? "**" : "";
  const annotation = p.annotation ? `: ${renderType(p.annotation)}` : "";
  const value = p.default ? ` = ${p.default.repr}` : "";
  return `${prefix}${p.name}${annotation}${value}`;
}

/** `(a: int, b: str = 'x', *, c) -> bool` */
export function renderSignature(fn: FunctionDescriptor): string {
  const parts: string[] = [];
  let keywordMarker = false;
  fn.params.forEach((p, i) => {
    if (p.kind === "keyword_only" && !keywordMarker && !fn.params.some((q) => q.kind === "var_positional")) {
      parts.push("*");
      keywordMarker = true;
    }
    parts.push(renderParam(p));
    if (p.kind === "positional_only" && fn.params[i + 1]?.kind !== "positional_only") parts.push("/");
  });
  return `${fn.is_async ? "async " : ""}(${parts.join(", ")}) -> ${renderType(fn.returns)}`;
}

/** Every public callable and value of a document, by dotted path. */
export function apiSurface(document: DescriptorDocument): Map<string, string> {
  const surface = new Map<string, string>();
  const add = (path: string, member: MemberDescriptor | FunctionDescriptor) => {
    if (member.kind === "function") surface.set(path, renderSignature(member));
    else if (member.kind === "class") {
      surface.set(path, `class(${member.bases.join(", ")})`);
      if (member.constructor) surface.set(`${path}.__init__`, renderSignature(member.constructor));
      if (member.call) surface.set(`${path}.__call__`, renderSignature(member.call));
      for (const fn of [...member.methods, ...member.classmethods, ...member.staticmethods]) add(`${path}.${fn.name}`, fn);
      for (const prop of member.properties) surface.set(`${path}.${prop.name}`, `${prop.kind}: ${renderType(prop.annotation)}`);
    } else if (member.kind === "value") surface.set(path, `${member.type} = ${member.repr}`);
  };
  for (const module of document.modules) for (const member of module.members) add(`${module.name}.${member.name}`, member);
  return surface;
}

/** What changed between two descriptions of the same library: added, removed, changed signatures. */
export function diffApi(before: DescriptorDocument, after: DescriptorDocument): ApiChange[] {
  const a = apiSurface(before);
  const b = apiSurface(after);
  const changes: ApiChange[] = [];
  for (const [path, sig] of a) {
    const now = b.get(path);
    if (now === undefined) changes.push({ kind: "removed", path, before: sig });
    else if (now !== sig) changes.push({ kind: "changed", path, before: sig, after: now });
  }
  for (const [path, sig] of b) if (!a.has(path)) changes.push({ kind: "added", path, after: sig });
  return changes.sort((x, y) => x.path.localeCompare(y.path));
}
