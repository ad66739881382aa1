// `coreform etcd members|add|remove`: the environment's etcd members as etcd lists them, beside the
// plan's control nodes, with each one's health; adding a planned node (as a learner: it counts for no
// quorum until its node has started, caught up and promoted itself, see templates/etcd-member.sh.hbs)
// and removing one that the plan no longer has, one at a time and never at the cost of the quorum.
// What a node does by itself when it starts without data is the same operation: a planned member
// that is not in the running cluster adds itself as a learner. `add` does it ahead, checked.
import type { IMember } from "etcd3";
import { probeMembers, type MemberStatus, type QuorumState } from "./health";
import type { EtcdTarget } from "./target";
import { ask, within } from "./v3";

export interface MemberView {
  /** etcd's name for it; for a member that never started, the planned node of its peer URL. */
  readonly name: string;
  /** etcd's member ID in hex (as etcdctl prints it); undefined for a planned node that is no member. */
  readonly id?: string;
  readonly peerUrl: string;
  /** voting; learner (counts for no quorum yet); added (listed, never started); planned (no member yet). */
  readonly state: "voting" | "learner" | "added" | "planned";
  /** A control node of the environment's plan. */
  readonly planned: boolean;
  /** In a working quorum (per `coreform status`'s probe); a learner, which serves no such read: it answers. */
  readonly healthy: boolean;
  readonly leader: boolean;
  readonly error?: string;
}

export interface Membership {
  readonly cluster: string;
  readonly environment: string;
  /** Members as etcd lists them (plan order first), then planned nodes that are no member. */
  readonly members: readonly MemberView[];
  /** Over the voting members only: learners count for no quorum. */
  readonly quorum: { readonly state: QuorumState; readonly healthy: number; readonly voting: number; readonly needed: number };
}

const hexId = (id: string) => BigInt(id).toString(16);
const quorumOf = (voting: number) => Math.floor(voting / 2) + 1;

function view(target: EtcdTarget, m: IMember, rows: readonly MemberStatus[]): MemberView {
  const peerUrl = m.peerURLs[0] ?? "";
  const planned = target.plan.etcd.members.find((p) => m.peerURLs.includes(p.peerUrl));
  const name = m.name || planned?.name || `id ${hexId(m.ID)}`;
  const row = rows.find((r) => r.name === name);
  const started = m.clientURLs.length > 0;
  return {
    name,
    id: hexId(m.ID),
    peerUrl,
    state: m.isLearner ? "learner" : started ? "voting" : "added",
    planned: planned !== undefined,
    healthy: (m.isLearner ? row?.reachable : row?.healthy) ?? false,
    leader: row?.leader ?? false,
    ...(!started ? { error: "never started: its node has not run etcd yet" } : row?.error && !(m.isLearner && row.reachable) ? { error: row.error } : {}),
  };
}

/**
 * The members and the planned control nodes, with health; fails when no member answers. Asking the
 * plan's addresses, members the plan no longer has (a shrink under way) are asked too, at theirs.
 */
export async function readMembership(target: EtcdTarget): Promise<Membership> {
  let { rows, listed } = await probeMembers(target);
  const planned = target.endpoints.join() === target.plan.etcd.clientUrls.join();
  const more = planned ? (listed ?? []).flatMap((m) => m.clientURLs).filter((u) => !target.endpoints.includes(u)) : [];
  if (more.length) ({ rows, listed } = await probeMembers({ ...target, endpoints: [...target.endpoints, ...new Set(more)] }));
  if (!listed) throw new Error(`no etcd member answered: ${rows.map((r) => `${r.name ?? r.endpoint}: ${r.error ?? "?"}`).join("; ")}`);
  const order = (m: MemberView) => {
    const i = target.plan.etcd.members.findIndex((p) => p.name === m.name);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const members = listed.map((m) => view(target, m, rows)).sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
  const absent = target.plan.etcd.members
    .filter((p) => !members.some((m) => m.peerUrl === p.peerUrl))
    .map((p): MemberView => ({ name: p.name, peerUrl: p.peerUrl, state: "planned", planned: true, healthy: false, leader: false }));
  const voting = members.filter((m) => m.state === "voting" || m.state === "added");
  const healthy = voting.filter((m) => m.healthy).length;
  const needed = quorumOf(voting.length);
  const state: QuorumState = healthy === voting.length ? "healthy" : healthy >= needed ? "degraded" : "lost";
  return { cluster: target.plan.cluster, environment: target.plan.environment, members: [...members, ...absent], quorum: { state, healthy, voting: voting.length, needed } };
}

/** Why a membership change is refused: the request (exit 2) or the cluster's state (exit 1). */
export class Refused extends Error {
  constructor(
    message: string,
    readonly byCluster: boolean,
  ) {
    super(message);
  }
}

const unhealthy = (m: Membership) => m.members.filter((x) => x.state !== "planned" && !x.healthy).map((x) => x.name);
const pending = (m: Membership) => m.members.filter((x) => x.state === "learner" || x.state === "added");

/** Checks that `name` may be added now; returns its view (state planned) or the member it already is. */
export function checkAdd(m: Membership, name: string): MemberView {
  const node = m.members.find((x) => x.name === name && x.planned);
  if (!node) throw new Refused(`${name} is not a control node of ${m.environment} (planned: ${m.members.filter((x) => x.planned).map((x) => x.name).join(", ")}): plan it in the spec and render first`, false);
  if (node.state !== "planned") return node;
  const waiting = pending(m);
  if (waiting.length)
    throw new Refused(`${waiting.map((x) => `${x.name} (${x.state})`).join(", ")} has not joined yet: add one member at a time, the next once \`coreform etcd members ${m.environment}\` shows it voting`, true);
  const sick = unhealthy(m);
  if (sick.length) throw new Refused(`${sick.join(", ")} ${sick.length === 1 ? "is" : "are"} not healthy: make every member healthy before adding one`, true);
  return node;
}

/** Checks that `name` may be removed now; returns the member. */
export function checkRemove(m: Membership, name: string): MemberView {
  const member = m.members.find((x) => x.name === name && x.state !== "planned");
  if (!member) throw new Refused(`${name} is not a member of ${m.cluster}/${m.environment} (members: ${m.members.filter((x) => x.state !== "planned").map((x) => x.name).join(", ")})`, false);
  if (member.planned)
    throw new Refused(`${name} is still a control node of ${m.environment}'s plan, and its node would add it again: take it out of the spec (a smaller control count) and render, then remove it`, false);
  if (member.state === "learner" || member.state === "added") return member;
  const voting = m.members.filter((x) => x !== member && (x.state === "voting" || x.state === "added"));
  if (voting.length === 0) throw new Refused(`${name} is the only voting member: removing it would end the cluster`, false);
  const healthy = voting.filter((x) => x.healthy).length;
  if (healthy < quorumOf(voting.length))
    throw new Refused(
      `removing ${name} leaves ${healthy} healthy of ${voting.length} voting members, and a quorum needs ${quorumOf(voting.length)}: make ${unhealthy(m).filter((x) => x !== name).join(", ")} healthy first`,
      true,
    );
  return member;
}

/**
 * Sends a membership change to one healthy voting member (the leader when known): sent on to the
 * next one after a timeout, a change etcd had applied would be refused there for the wrong reason.
 * etcd's own refusal (`etcdserver: …`, its strict reconfig check say) is the cluster's answer.
 */
async function change<T>(target: EtcdTarget, m: Membership, call: Parameters<typeof ask<T>>[1]): Promise<T> {
  const voters = m.members.filter((x) => x.state === "voting" && x.healthy).sort((a, b) => Number(b.leader) - Number(a.leader));
  const endpoint = target.plan.etcd.members.find((p) => p.name === voters[0]?.name)?.clientUrl;
  try {
    return await ask({ ...target, endpoints: endpoint && target.endpoints.includes(endpoint) ? [endpoint] : target.endpoints }, call);
  } catch (e) {
    const refused = /etcdserver: [^;]*/.exec((e as Error).message)?.[0];
    if (refused) throw new Refused(`etcd refused it: ${refused}${/unhealthy cluster/.test(refused) ? " (a member has not been connected to the others for 5 s: try again)" : ""}`, true);
    throw e;
  }
}

/** Adds `node` (its planned peer URL) as a learner; returns its new ID in hex. */
export async function addLearner(target: EtcdTarget, m: Membership, node: MemberView): Promise<string> {
  const res = await change(target, m, (c) => c.cluster.memberAdd({ peerURLs: [node.peerUrl], isLearner: true }, within(target)));
  return hexId(res.member.ID);
}

export async function removeMember(target: EtcdTarget, m: Membership, member: MemberView): Promise<void> {
  await change(target, m, (c) => c.cluster.memberRemove({ ID: BigInt(`0x${member.id}`).toString() }, within(target)));
}

/**
 * Checks that `name`'s machine may be replaced now (`coreform roll`): no member is joining, and the
 * cluster keeps a quorum without it: the healthy voting members other than it are a quorum of all
 * voting members (a spare member). A broken member itself may go: its replacement changes no count.
 * For a worker (no member) a working quorum is enough.
 */
export function checkReplace(m: Membership, name: string): void {
  const waiting = pending(m);
  if (waiting.length)
    throw new Refused(`${waiting.map((x) => `${x.name} (${x.state})`).join(", ")} has not joined yet: wait until \`coreform etcd members ${m.environment}\` shows it voting`, true);
  const voting = m.members.filter((x) => x.state === "voting" || x.state === "added");
  const spare = voting.filter((x) => x.name !== name && x.healthy).length;
  const needed = quorumOf(voting.length);
  if (spare >= needed) return;
  const sick = unhealthy(m).filter((x) => x !== name);
  const member = voting.some((x) => x.name === name);
  throw new Refused(
    `${member ? `replacing ${name} leaves` : "etcd has"} ${spare} healthy of ${voting.length} voting members, and a quorum needs ${needed}: ` +
      (sick.length ? `make ${sick.join(", ")} healthy first` : `no member is spare (${voting.length} control node${voting.length === 1 ? "" : "s"}: grow to 3 first)`),
    true,
  );
}

/** Why `name`'s member is not back after its replacement (started, voting, healthy, with every voting member healthy), or undefined when it is. */
export function notBack(m: Membership, name: string): string | undefined {
  const member = m.members.find((x) => x.name === name);
  if (!member || member.state === "planned") return `${name} is no member`;
  if (member.state !== "voting") return `${name} is ${member.state === "learner" ? "a learner, catching up" : "added, never started"}`;
  if (!member.healthy) return `${name} is not healthy${member.error ? ` (${member.error})` : ""}`;
  const sick = unhealthy(m);
  return sick.length ? `${sick.join(", ")} not healthy` : undefined;
}
