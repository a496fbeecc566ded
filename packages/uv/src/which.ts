import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { Env } from "./env.js";


/**
 * Every executable named `name` on the environment's PATH, in PATH order (with the
 * Windows extensions from PATHEXT). An absolute `name` is checked as it is.
 * @private
 */
export function findExecutables(name: string, env: Env): string[] {
  const extensions = process.platform === "win32" ? ["", ...(env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";")] : [""];
  const dirs = isAbsolute(name) ? [""] : (env.PATH ?? env.Path ?? "").split(delimiter).filter((d) => d !== "");
  const found: string[] = [];
  for (const dir of dirs) {
    for (const ext of extensions) {
      const candidate = dir === "" ? `${name}${ext}` : join(dir, `${name}${ext}`);
      if (isExecutableFile(candidate) && !found.includes(candidate)) found.push(candidate);
    }
  }
  return found;
}

/** The first executable named `name` on PATH, if any. @private */
export function findExecutable(name: string, env: Env): string | undefined {
  return findExecutables(name, env)[0];
}

/** Whether `path` is a regular file this process may execute. @private */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
