// Printing generated files with tracked imports, after @bufbuild/protoplugin's
// GeneratedFile: code is printed as parts, and a part may be an imported symbol; the
// import statements are derived from the symbols actually printed, never by scanning
// the emitted text for names.

/** A name imported from another module, printed where it is used. */
export class ImportSymbol {
  constructor(
    /** The exported name. */
    readonly name: string,
    /** The module specifier (`@bridge/runtime`, `./_classes.js`). */
    readonly from: string,
    /** Whether it is used only as a type (`import { type X }`). */
    readonly typeOnly: boolean,
  ) {}
}

/** Something that can be printed: text, an imported symbol, or a list of those. */
export type Printable = string | ImportSymbol | readonly Printable[];

/** Joins printables with a separator. */
export function join(items: readonly Printable[], separator: string): Printable[] {
  const out: Printable[] = [];
  items.forEach((item, i) => {
    if (i > 0) out.push(separator);
    out.push(item);
  });
  return out;
}

/** The plain text of a printable, for comparisons (symbols by name). */
export function textOf(part: Printable): string {
  if (typeof part === "string") return part;
  if (part instanceof ImportSymbol) return part.name;
  return part.map(textOf).join("");
}

/** One generated TypeScript file. */
export class GeneratedFile {
  private readonly body: Printable[] = [];
  private readonly used = new Map<string, Map<string, boolean>>();

  constructor(private readonly preamble: string) {}

  /** An imported value (its use makes a value import). */
  import(name: string, from: string): ImportSymbol {
    return new ImportSymbol(name, from, false);
  }

  /** An imported type (a type-only import unless also used as a value). */
  importType(name: string, from: string): ImportSymbol {
    return new ImportSymbol(name, from, true);
  }

  /** Appends parts, then a newline. */
  print(...parts: Printable[]): void {
    this.body.push(...parts, "\n");
  }

  /** Appends parts without a newline. */
  write(...parts: Printable[]): void {
    this.body.push(...parts);
  }

  private render(part: Printable, out: string[]): void {
    if (typeof part === "string") out.push(part);
    else if (part instanceof ImportSymbol) {
      const names = this.used.get(part.from) ?? new Map<string, boolean>();
      names.set(part.name, (names.get(part.name) ?? true) && part.typeOnly);
      this.used.set(part.from, names);
      out.push(part.name);
    } else for (const inner of part) this.render(inner, out);
  }

  /** The file's text: preamble, import statements (sorted), body. */
  toString(): string {
    const out: string[] = [];
    for (const part of this.body) this.render(part, out);
    const imports = [...this.used.entries()]
      .sort(([a], [b]) => (a.startsWith(".") === b.startsWith(".") ? a.localeCompare(b) : a.startsWith(".") ? 1 : -1))
      .map(([from, names]) => {
        const list = [...names.entries()].sort(([a], [b]) => a.localeCompare(b));
        if (list.every(([, typeOnly]) => typeOnly)) return `import type { ${list.map(([n]) => n).join(", ")} } from "${from}";`;
        return `import { ${list.map(([n, typeOnly]) => (typeOnly ? `type ${n}` : n)).join(", ")} } from "${from}";`;
      });
    return `${this.preamble}${imports.length ? `${imports.join("\n")}\n\n` : ""}${out.join("").replace(/\n{3,}/g, "\n\n").replace(/\n\n( *)\}/g, "\n$1}").trimEnd()}\n`;
  }
}
