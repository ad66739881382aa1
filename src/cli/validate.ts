import { EXIT_OK, InputError } from "./errors";
import type { Io } from "./io";
import { loadSpecOrFail } from "./spec-file";

export function validate(io: Io, positionals: string[], file: string | undefined): number {
  if (positionals.length) throw new InputError(`unexpected argument ${positionals[0]}`);
  const { spec, file: path } = loadSpecOrFail(io, file);
  io.out(`${path}: valid (${Object.keys(spec.environments).length} environments)`);
  return EXIT_OK;
}
