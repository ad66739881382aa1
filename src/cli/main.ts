// `coreform`: parses the command line, runs one command, maps failures to exit codes.
import { parseArgs } from "node:util";
import { COMMANDS } from "./commands";
import { EXIT_FAILURE, EXIT_INVALID, EXIT_OK, InputError } from "../errors";
import { processIo, type Io } from "../io";

const USAGE = `coreform: one cluster spec, identical Flatcar clusters everywhere

Usage: coreform <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`)
  .join("\n")}

Run \`coreform <command> --help\` for a command's options.
Exit codes: 0 ok, 1 runtime failure, 2 invalid input.`;

export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(USAGE);
    return name === undefined ? EXIT_INVALID : EXIT_OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`coreform: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_INVALID;
  }
  try {
    const { positionals, values } = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(`Usage: ${command.usage}`);
      return EXIT_OK;
    }
    return await command.run(io, { positionals, values });
  } catch (e) {
    const invalid = e instanceof InputError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    io.err(`coreform ${name}: ${(e as Error).message}`);
    if (!invalid && process.env.COREFORM_DEBUG) io.err(String((e as Error).stack));
    return invalid ? EXIT_INVALID : EXIT_FAILURE;
  }
}
