import { Command, CommanderError } from "commander";
import { clean } from "./commands/clean.js";
import { diff } from "./commands/diff.js";
import { discover } from "./commands/discover.js";
import { doctor } from "./commands/doctor.js";
import { generate } from "./commands/generate.js";
import { envInfo, envSync } from "./commands/env.js";
import { processIO, type CliIO } from "./io.js";
import { printFailure } from "./output.js";

type Action = (options: Record<string, unknown>, io: CliIO) => Promise<number>;

/**
 * Runs the `bridge` command line with `argv` (without node and script) and resolves
 * with the exit code: 0 success, 1 failure, 2 usage error.
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode = 0;
  let json = false;
  const program = new Command("bridge")
    .description("Bridge: use Python libraries from TypeScript as typed packages")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();

  const run = (action: Action) => async (options: Record<string, unknown>) => {
    json = options.json === true;
    try {
      exitCode = await action(options, io);
    } catch (error) {
      printFailure(io, { json }, error);
      exitCode = 1;
    }
  };
  const common = (command: Command) =>
    command.option("-m, --manifest <file>", "the manifest (default: the *.bridge.yaml in this directory)").option("--json", "print one JSON document for scripts");

  const env = program.command("env").description("the manifest's Python environment");
  common(env.command("sync").description("create or update the locked environment (uv lock + uv sync)"))
    .option("--frozen", "fail if the lockfile is out of date instead of re-locking (CI)")
    .option("--offline", "use only uv's cache")
    .action(run((o, i) => envSync(o, i)));
  common(env.command("info").description("show the environment, its lockfile and packages")).action(run((o, i) => envInfo(o, i)));
  common(program.command("doctor").description("check uv, Python, the manifest, the environment and a worker")).action(
    run((o, i) => doctor(o, i)),
  );
  common(program.command("generate").description("describe the manifest's libraries and write typed TypeScript modules"))
    .option("--check", "fail if the committed generated code is stale (uses the committed API snapshot; never starts Python)")
    .option("--report", "print how many public callables are fully typed and documented")
    .option("--force", "describe again even if the API snapshot is fresh")
    .action(run((o, i) => generate(o, i)));
  common(program.command("discover").argument("<module>", "a Python module, e.g. sklearn.linear_model").description("print a starter manifest entry for a module"))
    .option("--depth <n>", "submodule depth to describe", "0")
    .option("--python <path>", "the Python to describe with (default: the manifest's environment)")
    .option("--write", "add the entry to the manifest (keeps its comments) instead of printing it")
    .action(async (module: string, options: Record<string, unknown>) => run((o, i) => discover(module, o, i))(options));
  common(program.command("diff").description("compare the API snapshot with a fresh introspection")).action(run((o, i) => diff(o, i)));
  common(program.command("clean").description("remove the project's environments under .bridge/")).action(run((o, i) => clean(o, i)));

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; anything else is a usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    printFailure(io, { json }, error);
    return 1;
  }
  return exitCode;
}
