// `coreform down [ENV]`: `vagrant destroy --force` in out/<env>/, with one progress line per machine.
// Rendered files and secrets stay: `coreform up` brings the same cluster back.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { machineStates, runVagrant } from "../vagrant/driver";
import { checkHost } from "../vagrant/host";
import { EXIT_OK } from "../errors";
import type { Io } from "../io";
import { outDirOf } from "./render";
import { loadSpecOrFail } from "../spec/file";
import { chooseVagrantEnv, type VagrantArgs } from "./vagrant-env";

export async function down(io: Io, args: VagrantArgs): Promise<number> {
  const { spec, file: specFile } = loadSpecOrFail(io, args.file);
  const env = chooseVagrantEnv(spec, specFile, args);
  const dir = join(outDirOf(io, specFile, args.out), env);
  const vagrantfile = join(dir, "Vagrantfile");
  if (!existsSync(vagrantfile)) {
    if (existsSync(join(dir, ".vagrant", "machines")))
      throw new Error(`${vagrantfile} is missing but Vagrant has machines there: run \`coreform render ${env}\` to write it again, then \`coreform down ${env}\``);
    io.out(`coreform down ${env}: nothing to tear down (no ${vagrantfile})`);
    return EXIT_OK;
  }
  await checkHost("down");

  // The machines of the Vagrantfile on disk, which may predate a change to the spec.
  const machines = [...(await machineStates(dir)).keys()];
  await runVagrant(io, dir, ["destroy", "--force"], machines, "destroyed");
  const states = await machineStates(dir);
  const left = [...states].filter(([, state]) => state !== "not_created");
  if (left.length) throw new Error(`still there after vagrant destroy: ${left.map(([name, state]) => `${name} (${state})`).join(", ")}`);
  io.out(`coreform down ${env}: ${machines.length} machines destroyed; ${dir} and the secrets in .coreform/${env}/ stay`);
  return EXIT_OK;
}
