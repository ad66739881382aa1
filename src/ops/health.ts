// `coreform status`: what each etcd member says about itself (etcd v3 Maintenance.Status, the same
// call as `etcdctl endpoint status`), whether it serves a linearizable read (what `etcdctl endpoint
// health` checks: only a member inside a working quorum can), the quorum that follows, locksmith's
// reboot lock, and for the Kubernetes scheduler whether k3s has written its datastore prefix.
// Every member is asked at once and every call has a deadline (v3.ts), so the probe takes at most one
// request timeout however many members are down or silent, and the reboot lock is then read from the
// members that answered.
import { firstLine } from "../errors";
import type { Etcd3, IMember, IStatusResponse } from "etcd3";
import { readLock, type LockApi } from "./lock";
import { bounded, noAnswer, reason, remainingMs, type EtcdTarget } from "./target";
import { v3Client, within } from "./v3";

/** Where k3s keeps Kubernetes objects in its external datastore. */
const KUBERNETES_PREFIX = "/registry/";

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

async function probe(target: EtcdTarget, endpoint: string): Promise<Probe> {
  const c = v3Client(target, endpoint);
  const ms = remainingMs(target);
  const options = within(target);
  // Each call also races the deadline itself: nothing a member does can make it wait longer.
  const [status, health, list] = await Promise.allSettled([
    bounded(c.maintenance.status(options), ms),
    bounded(c.get("health").options(options).string(), ms), // linearizable by default
    bounded(c.cluster.memberList({}, options), ms),
  ]);
  return {
    endpoint,
    client: c,
    healthy: status.status === "fulfilled" && health.status === "fulfilled",
    ...(status.status === "fulfilled" ? {} : { error: reason(status.reason, ms) }),
    ...(status.status === "fulfilled" && health.status === "rejected" ? { error: `no quorum: ${reason(health.reason, ms)}` } : {}),
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
    return { error: firstLine(e) };
  }
}

async function datastoreOf(target: EtcdTarget, probes: readonly Probe[]): Promise<ClusterStatus["datastore"]> {
  const p = probes.find((x) => x.healthy) ?? probes.find((x) => x.status);
  if (!p) return { prefix: KUBERNETES_PREFIX, error: "no member reachable" };
  const ms = remainingMs(target);
  try {
    return { prefix: KUBERNETES_PREFIX, present: (await bounded(p.client.getAll().prefix(KUBERNETES_PREFIX).options(within(target)).count(), ms)) > 0 };
  } catch (e) {
    return { prefix: KUBERNETES_PREFIX, error: reason(e, ms) };
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
    // The reboot lock is read from the members that answered, healthy ones first: one that did not
    // answer its status would only cost another timeout.
    const answered = probes.filter((p) => p.status).sort((a, b) => Number(b.healthy) - Number(a.healthy));
    const [rebootLock, datastore] = await Promise.all([
      answered.length
        ? rebootLockOf({ ...target, endpoints: answered.map((p) => p.endpoint) })
        : Promise.resolve({ error: noAnswer(target, probes.map((p) => `${p.endpoint}: ${p.error}`)) }),
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
