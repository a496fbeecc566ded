import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type { Env } from "./env.js";


/** The index settings found in pip's configuration files. @private */
export interface PipIndex {
  indexUrl?: string;
  extraIndexUrls: string[];
}

/**
 * pip's configuration files, lowest priority first, as pip 23+ orders them: global
 * (`$XDG_CONFIG_DIRS/pip/pip.conf`, `/etc/pip.conf`), user (`~/.pip/pip.conf`,
 * `$XDG_CONFIG_HOME/pip/pip.conf`), then `$PIP_CONFIG_FILE`, which also turns the
 * user files off when it exists. (pip's "site" file inside the interpreter's prefix
 * is not read: finding it would cost a Python start-up.)
 */
function pipConfigFiles(env: Env): string[] {
  const home = env.HOME || homedir();
  const override = env.PIP_CONFIG_FILE;
  const overrideExists = override !== undefined && override !== "" && readable(override);
  if (process.platform === "win32") {
    const appData = env.APPDATA ?? join(home, "AppData", "Roaming");
    const programData = env.ProgramData ?? env.PROGRAMDATA ?? "C:\\ProgramData";
    return [
      join(programData, "pip", "pip.ini"),
      ...(overrideExists ? [] : [join(home, "pip", "pip.ini"), join(appData, "pip", "pip.ini")]),
      ...(overrideExists ? [override] : []),
    ];
  }
  const globalFiles =
    process.platform === "darwin"
      ? ["/Library/Application Support/pip/pip.conf"]
      : [...(env.XDG_CONFIG_DIRS || "/etc/xdg").split(delimiter).filter((d) => d).map((d) => join(d, "pip", "pip.conf")), "/etc/pip.conf"];
  const userFiles = [
    join(home, ".pip", "pip.conf"),
    ...(process.platform === "darwin" ? [join(home, "Library", "Application Support", "pip", "pip.conf")] : []),
    join(env.XDG_CONFIG_HOME || join(home, ".config"), "pip", "pip.conf"),
  ];
  return [...globalFiles, ...(overrideExists ? [] : userFiles), ...(overrideExists ? [override] : [])];
}

function readable(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses an INI file the way Python's configparser does for pip: `[section]`,
 * `key = value` or `key: value`, indented continuation lines, `#`/`;` comment
 * lines; keys are normalized (`index_url` -> `index-url`).
 * @private
 */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let lastKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;].*)?$/.test(raw)) continue;
    const header = /^\s*\[([^\]]+)\]/.exec(raw);
    if (header) {
      const name = header[1]!.trim().toLowerCase();
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      lastKey = undefined;
      continue;
    }
    if (/^\s/.test(raw) && section && lastKey !== undefined) {
      section.set(lastKey, `${section.get(lastKey) ?? ""}\n${raw.trim()}`.trim());
      continue;
    }
    const pair = /^([^=:]+)[=:](.*)$/.exec(raw);
    if (pair && section) {
      lastKey = pair[1]!.trim().toLowerCase().replace(/_/g, "-");
      section.set(lastKey, pair[2]!.trim());
    }
  }
  return sections;
}

/**
 * The index pip would use for `pip install` according to its configuration files
 * (not its environment variables: the caller reads PIP_* itself). `[install]`
 * overrides `[global]`; a later file overrides an earlier one.
 * @private
 */
export function pipConfiguredIndex(env: Env): PipIndex {
  let indexUrl: string | undefined;
  let extra: string | undefined;
  for (const file of pipConfigFiles(env)) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const ini = parseIni(text);
    for (const section of ["global", "install"]) {
      const values = ini.get(section);
      indexUrl = values?.get("index-url") ?? indexUrl;
      extra = values?.get("extra-index-url") ?? extra;
    }
  }
  const extraIndexUrls = (extra ?? "").split(/\s+/).filter((u) => u !== "");
  return { ...(indexUrl ? { indexUrl } : {}), extraIndexUrls };
}
