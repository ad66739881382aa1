// ENV, --env, --file and --out of `coreform up` and `coreform down`: which vagrant environment they drive.
import { environmentsOf } from "../platforms/table";
import { chooseEnvironments } from "../spec/file";
import type { Spec } from "../spec/schema";
import { InputError } from "../errors";

export interface VagrantArgs {
  readonly positionals: string[];
  readonly file?: string;
  readonly out?: string;
  readonly env?: string;
}

/** The environment to drive: named (as ENV or --env), else the spec's only vagrant environment. */
export function chooseVagrantEnv(spec: Spec, specFile: string, args: VagrantArgs): string {
  if (args.positionals.length > 1) throw new InputError(`takes one environment, got ${args.positionals.join(" ")}`);
  const [positional] = args.positionals;
  if (positional !== undefined && args.env !== undefined && positional !== args.env)
    throw new InputError(`two environments given (${positional} and --env ${args.env}): give one`);
  const named = positional ?? args.env;
  const vagrantEnvs = environmentsOf(spec, "vagrant").map(([name]) => name);
  if (named === undefined) {
    if (vagrantEnvs.length === 1) return vagrantEnvs[0]!;
    if (vagrantEnvs.length === 0) throw new InputError(`${specFile} has no vagrant environment: add one with platform: vagrant`);
    throw new InputError(`${specFile} has several vagrant environments (${vagrantEnvs.join(", ")}): pick one with --env`);
  }
  chooseEnvironments(spec, specFile, [named]);
  const { platform } = spec.environments[named]!;
  if (platform !== "vagrant")
    throw new InputError(`${named} is a ${platform} environment: coreform up and down drive vagrant environments only (${vagrantEnvs.join(", ") || "none here"})`);
  return named;
}
