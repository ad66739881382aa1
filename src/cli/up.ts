// `coreform up [ENV]`: checks the host, renders the environment (Vagrantfile included) and runs
// `vagrant up` in out/<env>/, streaming Vagrant's output with one progress line per machine.
// Re-running it on a running cluster changes nothing: the output is byte-identical and Vagrant
// provisions a machine only when it creates it.
import { join } from "node:path";
import { planCluster } from "../plan/plan";
import type { Spec } from "../spec/schema";
import { checkHost, hostOnlyWarning } from "../vagrant/host";
import { MachineProgress, parseStatus } from "../vagrant/progress";
import { capture, stream } from "../vagrant/run";
import { EXIT_OK, InputError } from "./errors";
import type { Io } from "./io";
import { outDirOf, renderEnvironments } from "./render";
import { loadSpecOrFail } from "./spec-file";

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
  const vagrantEnvs = Object.entries(spec.environments)
    .filter(([, e]) => e.platform === "vagrant")
    .map(([name]) => name);
  if (named === undefined) {
    if (vagrantEnvs.length === 1) return vagrantEnvs[0]!;
    if (vagrantEnvs.length === 0) throw new InputError(`${specFile} has no vagrant environment: add one with platform: vagrant`);
    throw new InputError(`${specFile} has several vagrant environments (${vagrantEnvs.join(", ")}): pick one with --env`);
  }
  const env = Object.hasOwn(spec.environments, named) ? spec.environments[named] : undefined;
  if (!env) throw new InputError(`no environment ${named} in ${specFile} (it has: ${Object.keys(spec.environments).join(", ")})`);
  if (env.platform !== "vagrant")
    throw new InputError(`${named} is a ${env.platform} environment: coreform up and down drive vagrant environments only (${vagrantEnvs.join(", ") || "none here"})`);
  return named;
}

/** Runs one vagrant command in `dir`, streaming its output with a line per machine it finishes. */
export async function runVagrant(io: Io, dir: string, args: readonly string[], machines: readonly string[], doneWord: string): Promise<void> {
  const progress = new MachineProgress(machines, doneWord);
  const say = (lines: string[]) => lines.forEach((l) => io.out(`coreform: ${l}`));
  const r = await stream("vagrant", args, {
    cwd: dir,
    onStdout: (line) => {
      say(progress.line(line));
      io.out(line);
    },
    onStderr: (line) => io.err(line),
  });
  const ok = r.exitCode === 0;
  say(progress.end(ok));
  if (!ok) {
    const where = progress.working ? ` at ${progress.working}` : "";
    throw new Error(`vagrant ${args[0]} failed${where} (${r.exitCode !== undefined ? `exit ${r.exitCode}` : r.failure}); Vagrant's output above says why`);
  }
}

/** Every machine the Vagrantfile in `dir` defines, with its state (`running`, `poweroff`, `not_created`…). */
export async function machineStates(dir: string): Promise<Map<string, string>> {
  const r = await capture("vagrant", ["status", "--machine-readable"], dir);
  if (r.exitCode !== 0) throw new Error(`vagrant status failed (${r.failure}): ${r.stderr.trim().split("\n")[0] ?? ""}`);
  return parseStatus(r.stdout);
}

export async function up(io: Io, args: VagrantArgs): Promise<number> {
  const { spec, file: specFile } = loadSpecOrFail(io, args.file);
  const env = chooseVagrantEnv(spec, specFile, args);
  const tools = await checkHost();
  io.out(`coreform up ${env}: Vagrant ${tools.vagrant}, VirtualBox ${tools.virtualbox}`);

  const outDir = outDirOf(io, specFile, args.out);
  for (const line of await renderEnvironments(io, spec, specFile, [env], outDir)) io.out(line);
  const plan = planCluster(spec, env);
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
