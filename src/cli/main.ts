// `coreform`: picks the command, runs it, maps failures to exit codes.
import { readFileSync } from "node:fs";
import { COMMANDS } from "./commands";
import { EXIT_FAILURE, EXIT_INVALID, EXIT_OK, InputError } from "../errors";
import { fsProblem } from "../files";
import { processIo, type Io } from "../io";
import { projectFile } from "../project";

const USAGE = `coreform: one cluster spec, identical Flatcar clusters everywhere

Usage: coreform <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`)
  .join("\n")}

Run \`coreform <command> --help\` for a command's options, \`coreform --version\` for coreform's version.
Exit codes: 0 ok, 1 runtime failure, 2 invalid input (a command line without a command is one).`;

/** A file-system error no command caught, said as every other one is: the path, and the cause in words. */
function inWords(e: unknown): unknown {
  const { path, syscall } = e as NodeJS.ErrnoException;
  if (!path || !syscall) return e;
  return fsProblem(e, path, /^(scandir|read|stat|lstat|readlink|access)$/.test(syscall) ? "read" : syscall === "open" ? "open" : "write");
}

export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(USAGE);
    return EXIT_INVALID;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.out(USAGE);
    return EXIT_OK;
  }
  if (name === "--version") {
    const pkg: { readonly version: string } = JSON.parse(readFileSync(projectFile("package.json"), "utf8"));
    io.out(`coreform ${pkg.version}`);
    return EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`coreform: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_INVALID;
  }
  try {
    return await command.run(io, rest);
  } catch (e) {
    const invalid = e instanceof InputError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    io.err(`coreform ${name}: ${(inWords(e) as Error).message}`);
    if (!invalid && process.env.COREFORM_DEBUG) io.err(String((e as Error).stack));
    return invalid ? EXIT_INVALID : EXIT_FAILURE;
  }
}
