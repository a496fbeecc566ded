// The yaml library composes documents recursively. Nesting a few thousand levels deep
// overflows the stack, and near the stack's end V8 can even abort the whole process
// (a RegExp compiled there fails with a fatal out-of-memory error). No manifest nests
// deeper than a handful of levels, so absurd nesting is refused before yaml sees it.

/** More `[`/`{` open at once than any manifest needs. */
const MAX_FLOW_DEPTH = 64;
/** Block nesting costs at least one column per level; this bounds block depth. */
const MAX_INDENT = 128;

const INDENT = /[ \t]*(?:[-?:][ \t]+)*/y;

/** A reason to refuse a text before parsing it, and where. @private */
export interface NestingProblem {
  offset: number;
  message: string;
}

/**
 * Finds nesting too deep to hand to the YAML parser: flow collections (`[`, `{`) more
 * than 64 deep, or a line indented past column 128. Brackets in quoted strings and
 * comments do not count; an unbalanced one in a plain scalar can only over-count.
 * @private
 */
export function nestingProblem(text: string): NestingProblem | undefined {
  let depth = 0;
  let previous = "\n";
  for (let i = 0; i < text.length; i++) {
    if (previous === "\n") {
      INDENT.lastIndex = i;
      const indent = INDENT.exec(text)?.[0].length ?? 0;
      if (indent > MAX_INDENT) {
        return { offset: i + MAX_INDENT, message: `indented deeper than ${MAX_INDENT} columns` };
      }
    }
    const char = text[i] ?? "";
    const startsToken = /[\s[{,:]/.test(previous);
    if (char === "#" && /\s/.test(previous)) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end - 1;
    } else if ((char === '"' || char === "'") && startsToken) {
      // Skip the quoted string: `\"` escapes in double quotes, `''` in single quotes.
      let j = i + 1;
      while (j < text.length) {
        const c = text[j];
        if (char === '"' && c === "\\") j += 2;
        else if (c === char && char === "'" && text[j + 1] === "'") j += 2;
        else if (c === char) break;
        else j += 1;
      }
      i = j;
    } else if (char === "[" || char === "{") {
      depth += 1;
      if (depth > MAX_FLOW_DEPTH) return { offset: i, message: `nested deeper than ${MAX_FLOW_DEPTH} levels` };
    } else if ((char === "]" || char === "}") && depth > 0) {
      depth -= 1;
    }
    previous = text[i] ?? "";
  }
  return undefined;
}
