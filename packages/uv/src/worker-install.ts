import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { UvError } from "./uv-error.js";

/** The worker to install into every environment, as the CLI passes it. */
export interface WorkerSource {
  /** A directory holding the `bridge_worker/` package (and usually the worker's pyproject.toml). */
  source: string;
  /** Its runtime requirements (grpcio, grpcio-health-checking, protobuf, msgpack), locked with the environment. */
  requirements: readonly string[];
}

/** One file of the worker package, read once. */
interface WorkerFile {
  /** Path relative to site-packages, with `/`. */
  path: string;
  data: Buffer;
}

const PACKAGE = "bridge_worker";

/** Every file of `<source>/bridge_worker`, sorted, without bytecode caches. */
function readWorkerFiles(source: string): WorkerFile[] {
  const root = join(source, PACKAGE);
  if (!existsSync(join(root, "__init__.py"))) {
    throw new UvError(
      "install_failed",
      `the worker source ${source} has no ${PACKAGE}/__init__.py; pass the directory that holds the ${PACKAGE} package`,
    );
  }
  const files: WorkerFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "__pycache__" || entry.name.endsWith(".pyc")) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push({ path: relative(source, full).split(sep).join("/"), data: readFileSync(full) });
    }
  };
  walk(root);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A content hash of the worker package: an environment's worker is reinstalled
 * exactly when this changes (a reinstall of node_modules that changes only mtimes
 * costs nothing).
 * @private
 */
export function workerFingerprint(source: string): string {
  const hash = createHash("sha256");
  for (const file of readWorkerFiles(source)) {
    hash.update(file.path).update("\0").update(String(file.data.length)).update("\0").update(file.data);
  }
  return hash.digest("hex");
}

/** The worker's version: `__version__` in its `__init__.py`, else its pyproject's, else `0+unknown`. */
function workerVersion(source: string, files: readonly WorkerFile[]): string {
  const init = files.find((f) => f.path === `${PACKAGE}/__init__.py`)?.data.toString("utf8") ?? "";
  const fromInit = /^__version__\s*=\s*["']([^"']+)["']/m.exec(init)?.[1];
  if (fromInit) return fromInit;
  try {
    const pyproject = readFileSync(join(source, "pyproject.toml"), "utf8");
    const fromPyproject = /^version\s*=\s*["']([^"']+)["']/m.exec(pyproject)?.[1];
    if (fromPyproject) return fromPyproject;
  } catch {
    // No pyproject next to the package (the copy shipped in an npm package has none).
  }
  return "0+unknown";
}

const recordHash = (data: Buffer | string): string =>
  `sha256=${createHash("sha256").update(data).digest("base64url")}`;

/**
 * Installs the worker into an environment's site-packages the way a wheel
 * installer would: the package files, plus a `bridge_worker-<v>.dist-info` with
 * METADATA, INSTALLER and a RECORD (so `uv pip list` shows it and `uv sync`
 * can remove it). No build backend runs, so it needs no network and takes
 * milliseconds; a previous install is replaced.
 * @private
 */
export async function installWorker(worker: WorkerSource, sitePackages: string): Promise<{ version: string }> {
  const files = readWorkerFiles(worker.source);
  const version = workerVersion(worker.source, files);
  for (const entry of await readdir(sitePackages).catch(() => [] as string[])) {
    if (entry === PACKAGE || /^bridge_worker-.*\.dist-info$/.test(entry)) {
      await rm(join(sitePackages, entry), { recursive: true, force: true });
    }
  }
  const staging = join(sitePackages, `.${PACKAGE}-staging-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  const distInfo = `${PACKAGE}-${version.replace(/-/g, "_")}.dist-info`;
  const metadata = [
    "Metadata-Version: 2.1",
    "Name: bridge-worker",
    `Version: ${version}`,
    "Summary: Bridge's Python worker, installed by @bridge/uv from the copy shipped with Bridge.",
    ...worker.requirements.map((r) => `Requires-Dist: ${r}`),
    "",
  ].join("\n");
  const meta: WorkerFile[] = [
    { path: `${distInfo}/METADATA`, data: Buffer.from(metadata) },
    { path: `${distInfo}/INSTALLER`, data: Buffer.from("bridge\n") },
  ];
  const record = [...files, ...meta].map((f) => `${f.path},${recordHash(f.data)},${f.data.length}`);
  record.push(`${distInfo}/RECORD,,`);
  try {
    for (const file of [...files, ...meta, { path: `${distInfo}/RECORD`, data: Buffer.from(`${record.join("\n")}\n`) }]) {
      const target = join(staging, ...file.path.split("/"));
      await mkdir(join(target, ".."), { recursive: true });
      await writeFile(target, file.data);
    }
    await rename(join(staging, PACKAGE), join(sitePackages, PACKAGE));
    await rename(join(staging, distInfo), join(sitePackages, distInfo));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { version };
}
