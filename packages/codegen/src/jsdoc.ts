/** The parts of a JSDoc block. */
export interface DocParts {
  summary?: string | undefined;
  description?: string | undefined;
  params?: ReadonlyArray<{ name: string; doc: string }>;
  returns?: string | undefined;
  throws?: ReadonlyArray<{ type: string; doc: string }>;
  examples?: readonly string[];
  deprecated?: string | boolean | undefined;
  /** The Python object, e.g. `json.dumps`. */
  python?: string;
}

/** Keeps a docstring from ending the comment or starting a tag by accident. */
function clean(text: string): string {
  return text
    // Sphinx roles (:meth:`add`, :class:`~pkg.Cls`) read as code in JSDoc.
    .replace(/:(?:py:)?[a-z]+:`~?([^`]+)`/g, "`$1`").replace(/\*\//g, "*\\/").replace(/\r\n?/g, "\n").replace(/[ \t]+$/gm, "");
}

/** Renders a JSDoc block at the given indentation; empty when there is nothing to say. */
export function jsdoc(parts: DocParts, indent = ""): string {
  const lines: string[] = [];
  const text = (value: string | undefined) => {
    if (value?.trim()) lines.push(...clean(value.trim()).split("\n"));
  };
  text(parts.summary);
  if (parts.description?.trim()) {
    if (lines.length) lines.push("");
    text(parts.description);
  }
  const tags: string[] = [];
  for (const param of parts.params ?? []) {
    if (param.doc.trim()) tags.push(...`@param ${param.name} ${clean(param.doc.trim())}`.split("\n"));
  }
  if (parts.returns?.trim()) tags.push(...`@returns ${clean(parts.returns.trim())}`.split("\n"));
  for (const raised of parts.throws ?? []) {
    tags.push(...`@throws {PythonError} \`${raised.type}\`${raised.doc.trim() ? ` ${clean(raised.doc.trim())}` : ""}`.split("\n"));
  }
  for (const example of parts.examples ?? []) {
    tags.push("@example", ...clean(example.trimEnd()).split("\n"));
  }
  if (parts.deprecated) tags.push(typeof parts.deprecated === "string" && parts.deprecated.trim() ? `@deprecated ${clean(parts.deprecated.trim())}` : "@deprecated");
  if (parts.python) tags.push(`@see Python: \`${parts.python}\``);
  if (tags.length) {
    if (lines.length) lines.push("");
    lines.push(...tags);
  }
  if (lines.length === 0) return "";
  return `${indent}/**\n${lines.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)).join("\n")}\n${indent} */\n`;
}
