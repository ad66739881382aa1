// `coreform roll ENV [NODE…]`: replaces nodes one at a time with machines made from the environment's
// current render, the way a changed config (a renewed certificate, a new etcd or k3s version, a new
// unit) reaches a running cluster: user data runs once, and the stacks ignore its changes. Control
// nodes go first, one by one, then workers: Kubernetes allows no kubelet newer than its API server
// (kubernetes.io/releases/version-skew-policy). Each node: etcd must keep a quorum without it (a
// spare member), its Kubernetes node is drained, the record moves it to this coreform's generation
// (what the stacks give a node made now), its machine is replaced, and the roll waits (bounded) until
// its etcd member is back, voting and healthy, and its Kubernetes node Ready. The first failure stops
// the roll, saying where and the command that resumes it. The project lock is held throughout: no
// render changes the configs between two nodes.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { renderNodes } from "../../cloud-config/user-data";
import { EXIT_FAILURE, EXIT_OK, firstLine, InputError } from "../errors";
import { writeAtomic } from "../files";
import type { Io } from "../io";
import { SECRET } from "../modes";
import { changedSinceRender } from "../node/record";
import { checkReplace, notBack, readMembership } from "../ops/members";
import { operatorTarget, type EtcdTarget } from "../ops/target";
import { COMMAND_TIMEOUT_MS, ROLL_WAIT_SECONDS } from "../ops/timeout";
import { promoted, type ClusterPlan, type PlannedNode } from "../plan/plan";
import { GENERATION, serializeRecord, type EnvironmentRecord } from "../plan/record";
import { planEnvironment } from "../secrets/record-file";
import { readSecrets, secretsDir } from "../secrets/store";
import { chooseEnvironments, loadSpecOrFail } from "../spec/file";
import type { Spec } from "../spec/schema";
import { checkHost } from "../vagrant/host";
import { lockProject } from "./lock";
import { outDirOf } from "./render";
import { stateDir } from "./repairs";
import { kubectlSteps, stackReplacer, vagrantReplacer, waitUntil, type Replacer } from "./roll-steps";

interface RollOptions {
  readonly file?: string | undefined;
  readonly out?: string | undefined;
  readonly endpoints?: string | undefined;
  readonly kubeconfig?: string | undefined;
  readonly wait?: string | undefined;
}

/** How often the roll asks etcd and Kubernetes whether a node is back. */
const POLL_MS = 1_000;

/** The nodes to roll in their order: control nodes, then workers, each in the plan's order. */
function rollOrder(plan: ClusterPlan, named: readonly string[]): PlannedNode[] {
  const unknown = named.filter((n) => !plan.nodes.some((p) => p.name === n));
  if (unknown.length) throw new InputError(`${unknown.join(", ")}: no node of ${plan.environment} (its nodes: ${plan.nodes.map((n) => n.name).join(", ")})`);
  const chosen = plan.nodes.filter((n) => named.length === 0 || named.includes(n.name));
  return [...chosen.filter((n) => n.role === "control"), ...chosen.filter((n) => n.role !== "control")];
}

function waitSeconds(text: string | undefined): number {
  if (text === undefined) return ROLL_WAIT_SECONDS;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new InputError(`--wait: ${text} is not a whole number of seconds`);
  return n;
}

/** The command that rolls `nodes`, with the options this run was given. */
function resumeCommand(env: string, nodes: readonly PlannedNode[], opts: RollOptions): string {
  const given = Object.entries({ "-f": opts.file, "-o": opts.out, "--endpoints": opts.endpoints, "--kubeconfig": opts.kubeconfig, "--wait": opts.wait });
  const options = given.flatMap(([flag, value]) => (value === undefined ? [] : [`${flag} ${value}`]));
  return ["coreform roll", env, ...nodes.map((n) => n.name), ...options].join(" ");
}

/** The target with a fresh command deadline: the roll asks etcd many times. */
const fresh = (target: EtcdTarget): EtcdTarget => ({ ...target, deadline: Date.now() + COMMAND_TIMEOUT_MS });

/** Waits until `node`'s etcd member is back, voting and healthy (a learner promotes itself), within `seconds`. */
const memberBack = (target: EtcdTarget, node: string, seconds: number) =>
  waitUntil("its etcd member is not back", seconds, POLL_MS, async () => {
    try {
      return notBack(await readMembership(fresh(target)), node);
    } catch (e) {
      return firstLine(e);
    }
  });

/** Moves `node` to this coreform's generation in the record (what parts of a stack a node made now gets, its zone too). */
function moveToCurrent(file: string, spec: Spec, env: string, record: EnvironmentRecord, node: string): EnvironmentRecord {
  if (record.nodes.every((n) => n.name !== node || n.generation === GENERATION)) return record;
  const moved = promoted(spec, env, record, node);
  writeAtomic(file, serializeRecord(moved), { mode: SECRET, existing: "replace", durable: true });
  return moved;
}

export async function roll(io: Io, positionals: string[], opts: RollOptions): Promise<number> {
  const [env, ...named] = positionals;
  if (env === undefined) throw new InputError("which environment? usage: coreform roll ENV [NODE…]");
  const seconds = waitSeconds(opts.wait);
  const { spec, file } = loadSpecOrFail(io, opts.file);
  chooseEnvironments(spec, file, [env]);
  const projectDir = dirname(file);
  const release = lockProject(stateDir(file), "roll", (line) => io.err(`coreform: ${line}`));
  try {
    const { plan, previous, source, file: recordFile } = planEnvironment(spec, env, projectDir);
    if (source !== "record" || !previous) throw new InputError(`environments.${env}: no record of its last render: run \`coreform render ${env}\` first`);
    const order = rollOrder(plan, named);
    // What the new machines get is the last render: it must be what the spec says now.
    if (changedSinceRender(spec, env, plan, renderNodes(spec, plan, readSecrets(secretsDir(projectDir, env), plan)), previous))
      throw new InputError(`environments.${env}: the spec changed since its last render: \`coreform diff ${env}\` shows how, \`coreform render ${env}\` renders it, then roll`);
    const target = operatorTarget(spec, file, env, opts.endpoints);
    const kubeconfig = plan.scheduler.kind === "kubernetes" ? (opts.kubeconfig ? resolve(io.cwd, opts.kubeconfig) : join(secretsDir(projectDir, env), "kubeconfig")) : undefined;
    if (kubeconfig && !existsSync(kubeconfig)) throw new InputError(`${kubeconfig}: no such file: \`coreform kubeconfig ${env}\` writes it (or give --kubeconfig)`);
    const kube = kubeconfig ? kubectlSteps(io, projectDir, kubeconfig, seconds) : undefined;
    let replacer: Replacer;
    if (plan.platform === "vagrant") {
      const dir = join(outDirOf(io, file, opts.out), env);
      if (!existsSync(join(dir, "Vagrantfile"))) throw new InputError(`${join(dir, "Vagrantfile")} is missing: \`coreform up ${env}\` first`);
      await checkHost("down");
      replacer = vagrantReplacer(io, dir);
    } else replacer = stackReplacer(io, file, projectDir, env);

    io.out(`coreform roll ${env}: ${order.map((n) => n.name).join(", ")}, one at a time`);
    let record = previous;
    for (const [i, node] of order.entries()) {
      let step = "checking etcd";
      try {
        checkReplace(await readMembership(fresh(target)), node.name);
        step = "draining it";
        await kube?.before(node.name);
        step = "replacing it";
        record = moveToCurrent(recordFile, spec, env, record, node.name);
        await replacer.replace(node);
        step = "waiting for it";
        if (node.role === "control") await memberBack(target, node.name, seconds);
        await kube?.after(node.name, POLL_MS);
      } catch (e) {
        io.err(`coreform roll ${env}: stopped at ${node.name} (${i + 1} of ${order.length}) ${step}: ${firstLine(e)}`);
        io.err(`when that is fixed, resume with: ${resumeCommand(env, order.slice(i), opts)}`);
        return EXIT_FAILURE;
      }
      io.out(`coreform roll ${env}: ${node.name} replaced (${i + 1} of ${order.length})${node.role === "control" ? ", its etcd member voting and healthy" : ""}`);
    }
    io.out(`coreform roll ${env}: done, ${order.length} node${order.length === 1 ? "" : "s"} replaced`);
    return EXIT_OK;
  } finally {
    release();
  }
}
