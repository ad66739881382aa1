import { copyFileSync, constants, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { projectFile } from "../project";
import { EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { DEFAULT_SPEC } from "../spec/file";

/** Copies the embedded, commented default spec; never overwrites. */
export function init(io: Io, positionals: string[]): number {
  if (positionals.length > 1) throw new InputError("takes at most one directory");
  const dir = resolve(io.cwd, positionals[0] ?? ".");
  const target = join(dir, DEFAULT_SPEC);
  mkdirSync(dir, { recursive: true });
  try {
    copyFileSync(projectFile(DEFAULT_SPEC), target, constants.COPYFILE_EXCL);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new InputError(`${target} exists already: not overwriting it`);
    throw e;
  }
  io.out(`wrote ${target}: edit it, then run \`coreform validate\` and \`coreform render\``);
  return EXIT_OK;
}
