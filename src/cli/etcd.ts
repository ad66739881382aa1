// `coreform etcd members|add|remove|snapshot|restore ENV …`: the environment's etcd
// membership, changed one member at a time, and its snapshots. Each request has the target's
// timeout; nothing prints key material (the snapshot is written to a 0600 file, never to stdout).
import { existsSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { EXIT_FAILURE, EXIT_OK, InputError } from "../errors";
import { shellQuote, type Io } from "../io";
import { addLearner, checkAdd, checkRemove, readMembership, Refused, removeMember, type Membership, type MemberView } from "../ops/members";
import { fileSha256, hasIntactTrailer, saveSnapshot, SNAPSHOT_BUDGET_MS } from "../ops/snapshot";
import { operatorTarget } from "../ops/target";
import { v2TopKeys } from "../ops/v2";
import { secretsDir } from "../secrets/store";
import { loadSpecOrFail } from "../spec/file";
import { table } from "./table";

interface EtcdOptions {
  readonly file?: string | undefined;
  readonly endpoints?: string | undefined;
  readonly out?: string | undefined;
  readonly json?: boolean | undefined;
}

const USAGE = "usage: coreform etcd members <ENV> | add <ENV> <NODE> | remove <ENV> <NODE> | snapshot <ENV> [-o FILE] | restore <ENV> <FILE>";
/** Each action and the arguments it takes. */
const ACTIONS: Readonly<Record<string, number>> = { members: 0, add: 1, remove: 1, snapshot: 0, restore: 1 };

/** Where a node of the plan is deployed from: what the operator runs next. */
const deploy = (m: Membership, vagrant: boolean) => (vagrant ? `coreform up ${m.environment}` : `cdktf deploy ${m.environment}`);

function health(m: MemberView, env: string): string {
  if (m.state === "planned") return `no member: coreform etcd add ${env} ${m.name}`;
  if (m.state === "added") return "never started";
  const text = m.state === "learner" ? (m.healthy ? "catching up" : "no answer") : m.healthy ? "healthy" : "unhealthy";
  return m.leader ? `${text}, leader` : text;
}

function formatMembership(m: Membership): string[] {
  const q = m.quorum;
  const lines = [
    `etcd of ${m.cluster}/${m.environment}: ${q.voting} voting members, ${q.healthy} healthy, a quorum needs ${q.needed} (${q.state})`,
    "",
    ...table([
      ["MEMBER", "ID", "PEER URL", "STATE", "HEALTH"],
      ...m.members.map((x) => [x.planned ? x.name : `${x.name} (not planned)`, x.id ?? "-", x.peerUrl, x.state, health(x, m.environment)]),
    ]),
  ];
  const problems = m.members.filter((x) => x.error && x.state !== "added");
  if (problems.length) lines.push("", ...problems.map((x) => `${x.name}: ${x.error}`));
  return lines;
}

function refusal(e: unknown): never {
  if (e instanceof Refused && !e.byCluster) throw new InputError(e.message);
  throw e;
}

export async function etcd(io: Io, positionals: string[], opts: EtcdOptions): Promise<number> {
  const [action, env, arg, ...extra] = positionals;
  if (env === undefined || action === undefined) throw new InputError(USAGE);
  const wanted = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (wanted === undefined) throw new InputError(`unknown action ${action}: ${USAGE}`);
  if ((arg === undefined ? 0 : 1 + extra.length) !== wanted) throw new InputError(USAGE);
  if (opts.out !== undefined && action !== "snapshot") throw new InputError("-o/--out goes with snapshot only");
  if (opts.json && action !== "members") throw new InputError("--json goes with members only");

  const { spec, file } = loadSpecOrFail(io, opts.file);
  if (action === "restore") return restore(io, operatorTarget(spec, file, env).plan, resolve(io.cwd, arg as string));
  const snapshotFile = action === "snapshot" ? snapshotPath(io, file, env, opts.out) : undefined;
  const target = operatorTarget(spec, file, env, opts.endpoints, action === "snapshot" ? SNAPSHOT_BUDGET_MS : undefined);
  const vagrant = target.plan.platform === "vagrant";

  if (action === "snapshot") {
    const s = await saveSnapshot(target, snapshotFile as string);
    const revision = s.revision.before === s.revision.after ? `${s.revision.after}` : `${s.revision.before} to ${s.revision.after} (written meanwhile)`;
    io.out(`wrote ${shown(io, s.file)} (0600, ${s.bytes} bytes) from ${s.member} at revision ${revision}`);
    io.out(`sha256 ${s.sha256} (etcd's own checksum at its end verified)`);
    io.out(`to restore it: coreform etcd restore ${env} ${shellQuote(shown(io, s.file))}`);
    const v2 = await v2TopKeys(target).catch(() => []);
    if (v2.length)
      io.err(
        `warning: etcd's v2 keyspace holds ${v2.join(", ")}, which no v3 snapshot holds (etcd.io/docs/v3.5/op-guide/recovery): ` +
          "after a restore it is empty: an older locksmithd's reboot lock starts anew (1 of 1 free: set-max again), fleet's units are gone",
      );
    return EXIT_OK;
  }
  const membership = await readMembership(target);
  if (action === "members") {
    if (opts.json) io.out(JSON.stringify(membership, null, 2));
    else for (const line of formatMembership(membership)) io.out(line);
    return membership.members.every((x) => x.state === "voting" && x.healthy) ? EXIT_OK : EXIT_FAILURE;
  }
  const name = arg as string;
  if (action === "add") {
    let node: MemberView;
    try {
      node = checkAdd(membership, name);
    } catch (e) {
      refusal(e);
    }
    if (node.state !== "planned") {
      io.out(`${name} is a member already (${node.state}, ID ${node.id}): ${node.state === "voting" ? "nothing to do" : `its node joins when it starts (${deploy(membership, vagrant)})`}`);
      return EXIT_OK;
    }
    const id = await addLearner(target, membership, node);
    io.out(`added ${name} (${node.peerUrl}) as a learner, ID ${id}: it counts for no quorum until it has caught up and promoted itself`);
    io.out(`next: deploy its node (${deploy(membership, vagrant)}); \`coreform etcd members ${env}\` shows it voting, then add the next one`);
    return EXIT_OK;
  }
  let member: MemberView;
  try {
    member = checkRemove(membership, name);
  } catch (e) {
    refusal(e);
  }
  await removeMember(target, membership, member);
  io.out(`removed ${name} (ID ${member.id}) from ${membership.cluster}/${membership.environment}`);
  io.out(
    vagrant
      ? `next: destroy its machine (vagrant destroy -f ${name}, in the environment's out/ directory); until then its etcd stops at each start`
      : `next: deploy the spec without it (${deploy(membership, vagrant)}), which removes its machine; until then its etcd stops at each start`,
  );
  return EXIT_OK;
}

const shown = (io: Io, path: string) => (path.startsWith(`${io.cwd}/`) ? relative(io.cwd, path) : path);

/** -o FILE, or .coreform/<env>/snapshots/etcd-<env>-<UTC time>.db: with the secrets, 0700, git-ignored. */
function snapshotPath(io: Io, specFile: string, env: string, out: string | undefined): string {
  const file = out ? resolve(io.cwd, out) : resolve(secretsDir(dirname(specFile), env), "snapshots", `etcd-${env}-${new Date().toISOString().replace(/[-:]|\.\d+/g, "")}.db`);
  if (existsSync(file)) throw new InputError(`${shown(io, file)} exists: choose another -o FILE`);
  return file;
}

/**
 * Checks a snapshot file and prints the restore, node by node: the same file and the same member
 * list on every control node (the script there checks both), etcd stopped on all before any starts.
 */
async function restore(io: Io, plan: ReturnType<typeof operatorTarget>["plan"], file: string): Promise<number> {
  if (!existsSync(file)) throw new InputError(`${shown(io, file)}: no such file`);
  if (!(await hasIntactTrailer(file))) throw new InputError(`${shown(io, file)} is no whole etcd snapshot (it does not end with etcd's SHA-256 of its contents)`);
  const sha = await fileSha256(file);
  const at = "/var/tmp/etcd-restore.db";
  io.out(`${shown(io, file)}: an intact etcd snapshot, sha256 ${sha}`);
  io.out(`restore ${plan.cluster}/${plan.environment} from it (etcd.io/docs/v3.5/op-guide/recovery): every member is made anew from it, with the data it has now moved aside`);
  io.out(`1. copy it to ${at} on every control node: ${plan.etcd.members.map((m) => `${m.name} (${m.ip})`).join(", ")}`);
  // k3s's API server would serve a view that jumps back: it stops first and starts last.
  const units = plan.scheduler.kind === "kubernetes" ? ["k3s", "etcd-member"] : ["etcd-member"];
  io.out(`2. on every control node: sudo systemctl stop ${units.join(" ")}`);
  io.out(`3. then on every control node: sudo /opt/coreform/etcd-member restore ${at} ${sha} ${plan.etcd.initialCluster}`);
  io.out(`4. then on every control node: sudo systemctl start ${[...units].reverse().join(" ")}`);
  io.out(`5. coreform etcd members ${plan.environment}: every member voting and healthy`);
  return EXIT_OK;
}
