// `coreform up [ENV]`: checks the host, renders the environment (Vagrantfile included) and runs
// `vagrant up` in out/<env>/, streaming Vagrant's output with one progress line per machine.
// Re-running it on a running cluster changes nothing: the output is byte-identical and Vagrant
// provisions a machine only when it creates it.
import { join } from "node:path";
import { machineStates, runVagrant } from "../vagrant/driver";
import { checkHost, hostOnlyWarning } from "../vagrant/host";
import { EXIT_OK } from "../errors";
import type { Io } from "../io";
import { outDirOf, renderEnvironments } from "./render";
import { loadSpecOrFail } from "../spec/file";
import { chooseVagrantEnv, type VagrantArgs } from "./vagrant-env";

export async function up(io: Io, args: VagrantArgs): Promise<number> {
  const { spec, file: specFile } = loadSpecOrFail(io, args.file);
  const env = chooseVagrantEnv(spec, specFile, args);
  const tools = await checkHost();
  io.out(`coreform up ${env}: Vagrant ${tools.vagrant}, VirtualBox ${tools.virtualbox}`);

  const outDir = outDirOf(io, specFile, args.out);
  const { plan, summary } = (await renderEnvironments(io, spec, specFile, [env], outDir))[0]!;
  io.out(summary);
  const warning = hostOnlyWarning(env, plan.cidr);
  if (warning) io.err(warning);

  const dir = join(outDir, env);
  // The Flatcar box is built for VirtualBox (and Parallels): never let Vagrant pick another provider.
  const machines = plan.nodes.map((n) => n.name);
  await runVagrant(io, dir, ["up", "--provider=virtualbox"], machines, "up");

  const states = await machineStates(dir);
  const down = machines.filter((m) => states.get(m) !== "running");
  if (down.length) throw new Error(`not running after vagrant up: ${down.map((m) => `${m} (${states.get(m) ?? "unknown"})`).join(", ")}`);
  io.out(`coreform up ${env}: ${machines.length} machines running`);
  for (const n of plan.nodes) io.out(`  ${n.name.padEnd(12)} ${n.role.padEnd(8)} ${n.ip}`);
  io.out(`Reach them with \`vagrant ssh ${plan.nodes[0]!.name}\` in ${dir}; \`coreform down ${env}\` removes them.`);
  io.out(`Check etcd and the reboot lock with \`coreform status ${env}\`.`);
  if (plan.scheduler.apiServer) io.out(`Kubernetes (k3s) answers at ${plan.scheduler.apiServer} once it has started: \`coreform kubeconfig ${env}\` writes your kubeconfig.`);
  return EXIT_OK;
}
