// `coreform status`: what each etcd member says about itself (etcd v3 Maintenance.Status, the same
// call as `etcdctl endpoint status`), whether it serves a linearizable read (what `etcdctl endpoint
// health` checks: only a member inside a working quorum can), the quorum that follows, locksmith's
// reboot lock, and for the Kubernetes scheduler whether k3s has written its datastore prefix.
// Every member is asked at once and every call has a deadline, so the whole probe takes about one
// timeout however many members are down.
import type { Etcd3, IMember, IStatusResponse } from "etcd3";
import { readLock, type LockApi } from "./lock";
import type { EtcdTarget } from "./target";
import { v3Client, within } from "./v3";

/** Where k3s keeps Kubernetes objects in its external datastore. */
export const KUBERNETES_PREFIX = "/registry/";

export interface MemberStatus {
  /** The member's name; undefined for an endpoint that did not answer and is not in the plan. */
  readonly name?: string;
  readonly plannedIp?: string;
  /** The endpoint it was asked through; undefined when no endpoint reached it. */
  readonly endpoint?: string;
  /** It answered Maintenance.Status. */
  readonly reachable: boolean;
  /** It served a linearizable read: it is part of a working quorum. */
  readonly healthy: boolean;
  readonly leader: boolean;
  readonly version?: string;
  readonly dbSizeBytes?: number;
  readonly raftIndex?: number;
  readonly error?: string;
}

export type QuorumState = "healthy" | "degraded" | "lost";

export interface ClusterStatus {
  readonly cluster: string;
  readonly environment: string;
  readonly timeoutMs: number;
  readonly members: readonly MemberStatus[];
  readonly quorum: { readonly state: QuorumState; readonly healthy: number; readonly members: number; readonly needed: number };
  readonly rebootLock:
    | {
        readonly key: string;
        readonly exists: boolean;
        /** The etcd keyspaces holding the key (see lock.ts). */
        readonly apis: readonly LockApi[];
        readonly max: number;
        readonly free: number;
        readonly holders: readonly string[];
      }
    | { readonly key?: string; readonly error: string };
  /** Only when the scheduler is kubernetes. */
  readonly datastore?: { readonly prefix: string; readonly present: boolean } | { readonly prefix: string; readonly error: string };
}

interface Probe {
  readonly endpoint: string;
  readonly client: Etcd3;
  readonly status?: IStatusResponse;
  readonly members?: readonly IMember[];
  readonly healthy: boolean;
  readonly error?: string;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0] as string;

/** grpc-js's messages, cut down to their cause ("connect ECONNREFUSED 10.0.0.1:2379"). */
function reason(e: unknown, target: EtcdTarget): string {
  const text = message(e);
  if (/DEADLINE_EXCEEDED/.test(text)) return `no answer within ${target.timeoutMs} ms`;
  const cause = /Last error: (?:Error: )?(.*?)\.? Resolution note:/.exec(text)?.[1];
  return cause ?? text.replace(/^\d+ [A-Z_]+: /, "");
}

async function probe(target: EtcdTarget, endpoint: string): Promise<Probe> {
  const c = v3Client(target, endpoint);
  const options = within(target);
  const [status, health, list] = await Promise.allSettled([
    c.maintenance.status(options),
    c.get("health").options(options).string(), // linearizable by default
    c.cluster.memberList({}, options),
  ]);
  return {
    endpoint,
    client: c,
    healthy: status.status === "fulfilled" && health.status === "fulfilled",
    ...(status.status === "fulfilled" ? {} : { error: reason(status.reason, target) }),
    ...(status.status === "fulfilled" && health.status === "rejected" ? { error: `no quorum: ${reason(health.reason, target)}` } : {}),
    ...(status.status === "fulfilled" ? { status: status.value } : {}),
    ...(list.status === "fulfilled" ? { members: list.value.members } : {}),
  };
}

const num = (s: string) => Number(s);

/** The member list as the healthiest member that answered sees it. */
const listedBy = (probes: readonly Probe[]) => (probes.find((p) => p.healthy && p.members) ?? probes.find((p) => p.members))?.members;

/** One row per member: the plan's members in order, then members only etcd knows, then unknown endpoints. */
function memberRows(target: EtcdTarget, probes: readonly Probe[]): MemberStatus[] {
  const listed = listedBy(probes) ?? [];
  const nameOf = (p: Probe): string | undefined => {
    if (p.status) return listed.find((m) => m.ID === p.status?.header.member_id)?.name ?? `id ${p.status.header.member_id}`;
    return target.plan.etcd.members.find((m) => m.clientUrl === p.endpoint)?.name;
  };
  const named = probes.map((p) => ({ probe: p, name: nameOf(p) }));
  const names = [
    ...target.plan.etcd.members.map((m) => m.name),
    ...listed.map((m) => m.name).filter((n) => n !== ""),
    ...named.flatMap((n) => (n.name === undefined ? [] : [n.name])),
  ];
  const rows: MemberStatus[] = [...new Set(names)].map((name) => {
    const plannedIp = target.plan.etcd.members.find((m) => m.name === name)?.ip;
    // Several endpoints may reach one member (a tunnel and its address): the one that answered best.
    const mine = named.filter((n) => n.name === name).map((n) => n.probe);
    const p = mine.find((x) => x.healthy) ?? mine.find((x) => x.status) ?? mine[0];
    if (!p) return { name, ...(plannedIp ? { plannedIp } : {}), reachable: false, healthy: false, leader: false, error: "not asked: no endpoint leads to it" };
    return row(name, plannedIp, p);
  });
  for (const { probe: p, name } of named) if (name === undefined) rows.push(row(undefined, undefined, p));
  return rows;
}

function row(name: string | undefined, plannedIp: string | undefined, p: Probe): MemberStatus {
  const s = p.status;
  return {
    ...(name ? { name } : {}),
    ...(plannedIp ? { plannedIp } : {}),
    endpoint: p.endpoint,
    reachable: s !== undefined,
    healthy: p.healthy,
    // A leader cut off from its quorum still believes it leads until its election timeout runs out.
    leader: p.healthy && s !== undefined && s.leader !== "0" && s.leader === s.header.member_id,
    ...(s ? { version: s.version, dbSizeBytes: num(s.dbSize), raftIndex: num(s.raftIndex) } : {}),
    ...(p.error ? { error: p.error } : {}),
  };
}

/**
 * Healthy when every member is; degraded when some are not but one served a linearizable read (it
 * can only with a working quorum, even if the others are out of this machine's reach); else lost.
 * With etcd's member list, only its voting members count: not a learner, nor a planned node that is
 * no member yet (a cluster being grown).
 */
function quorumOf(target: EtcdTarget, rows: readonly MemberStatus[], listed?: readonly IMember[]): ClusterStatus["quorum"] {
  const planned = (m: IMember) => target.plan.etcd.members.find((p) => m.peerURLs.includes(p.peerUrl))?.name;
  const voters = listed && new Set(listed.filter((m) => !m.isLearner).map((m) => m.name || planned(m)));
  const counted = rows.filter((r) => r.name !== undefined && (!voters || voters.has(r.name)));
  const members = counted.length;
  const healthy = counted.filter((r) => r.healthy).length;
  const state: QuorumState = healthy === members ? "healthy" : healthy > 0 ? "degraded" : "lost";
  return { state, healthy, members, needed: Math.floor(members / 2) + 1 };
}

async function rebootLockOf(target: EtcdTarget): Promise<ClusterStatus["rebootLock"]> {
  try {
    const lock = await readLock(target);
    const s = lock.semaphore;
    return { key: lock.key, exists: lock.exists, apis: lock.apis, max: s.max, free: s.semaphore, holders: s.holders };
  } catch (e) {
    return { error: message(e) };
  }
}

async function datastoreOf(target: EtcdTarget, probes: readonly Probe[]): Promise<ClusterStatus["datastore"]> {
  const p = probes.find((x) => x.healthy) ?? probes.find((x) => x.status);
  if (!p) return { prefix: KUBERNETES_PREFIX, error: "no member reachable" };
  try {
    return { prefix: KUBERNETES_PREFIX, present: (await p.client.getAll().prefix(KUBERNETES_PREFIX).options(within(target)).count()) > 0 };
  } catch (e) {
    return { prefix: KUBERNETES_PREFIX, error: reason(e, target) };
  }
}

/** Probes every endpoint at once, hands the probes to `use`, then closes every client. */
async function withProbes<T>(target: EtcdTarget, use: (probes: readonly Probe[]) => Promise<T>): Promise<T> {
  const probes = await Promise.all(target.endpoints.map((e) => probe(target, e)));
  try {
    return await use(probes);
  } finally {
    for (const p of probes) p.client.close();
  }
}

/** Each member's health, and the member list as the healthiest member that answered sees it. */
export function probeMembers(target: EtcdTarget): Promise<{ rows: MemberStatus[]; listed?: readonly IMember[] }> {
  return withProbes(target, async (probes) => {
    const listed = listedBy(probes);
    return { rows: memberRows(target, probes), ...(listed ? { listed } : {}) };
  });
}

export function probeCluster(target: EtcdTarget): Promise<ClusterStatus> {
  return withProbes(target, async (probes) => {
    // Ask the reboot lock of the members that answered first: a dead one would cost a timeout.
    const rank = (p: Probe) => (p.healthy ? 0 : p.status ? 1 : 2);
    const ordered = [...probes].sort((a, b) => rank(a) - rank(b)).map((p) => p.endpoint);
    const [rebootLock, datastore] = await Promise.all([
      rebootLockOf({ ...target, endpoints: ordered }),
      target.plan.scheduler.kind === "kubernetes" ? datastoreOf(target, probes) : Promise.resolve(undefined),
    ]);
    const members = memberRows(target, probes);
    const listed = listedBy(probes);
    return {
      cluster: target.plan.cluster,
      environment: target.plan.environment,
      timeoutMs: target.timeoutMs,
      members,
      quorum: quorumOf(target, members, listed),
      rebootLock,
      ...(datastore ? { datastore } : {}),
    };
  });
}
