import { EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { loadSpecOrFail } from "../spec/file";

export function validate(io: Io, positionals: string[], options: { readonly file?: string }): number {
  if (positionals.length) throw new InputError(`unexpected argument ${positionals[0]}`);
  const { spec, file: path } = loadSpecOrFail(io, options.file);
  const envs = Object.keys(spec.environments);
  io.out(`${path}: valid (${envs.length} ${envs.length === 1 ? "environment" : "environments"}: ${envs.join(", ")})`);
  return EXIT_OK;
}
