import { isAlias, isMap, isScalar, isSeq, type Document, type Node as YamlNode } from "yaml";

/** A 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Finds where a document path is written, as an offset into the text: the key of the
 * deepest mapping entry on the path that exists (so `depth: deep` points at `depth`), or
 * the list item. A path that leaves the document stops at the last part that is there.
 * @private
 */
export type Locate = (path: readonly PropertyKey[]) => number;

/** Turns offsets into 1-based lines and columns (columns count UTF-16 code units). @private */
export function positionsOf(text: string): (offset: number) => Position {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    const clamped = Math.max(0, Math.min(offset, text.length));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: clamped - (starts[low] ?? 0) + 1 };
  };
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** A {@link Locate} over a parsed YAML document (aliases are followed). @private */
export function yamlLocate(doc: Document): Locate {
  return (path) => {
    let node: unknown = doc.contents;
    let offset = isNodeWithRange(node) ? node.range[0] : 0;
    for (const segment of path) {
      // An alias resolves to its anchor at most once per step; anchors cannot nest in a path forever.
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment));
        if (pair === undefined) break;
        if (isNodeWithRange(pair.key)) offset = pair.key.range[0];
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment];
        if (!isNodeWithRange(item)) break;
        offset = item.range[0];
        node = item;
      } else {
        break;
      }
    }
    return offset;
  };
}

function isNodeWithRange(node: unknown): node is YamlNode & { range: [number, number, number] } {
  return (
    typeof node === "object" &&
    node !== null &&
    Array.isArray((node as { range?: unknown }).range) &&
    typeof (node as { range: unknown[] }).range[0] === "number"
  );
}
