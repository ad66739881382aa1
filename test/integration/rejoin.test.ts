// A control node that comes back with an empty data dir rejoins by itself, with real etcd (Debian's
// 3.4) started from the rendered configs and the node's own rendered script deciding before each start,
// as etcd-member.service does (test/helpers/cluster.ts). Each case on its own loopback range.
import { existsSync, rmSync } from "node:fs";
import { renderCluster, runScript, startCluster, startMember, startPrepared, stateOf, stopScripts, wipe, type Member, type Rendered } from "../helpers/cluster";
import { etcdctl, eventually, parseEtcdJson, readTls, sleep, startEtcd, stopAllEtcd, stopEtcd, v2Get, v2Set, waitHealthy, type EtcdProcess } from "../helpers/etcd";
import { describeWithTools } from "../helpers/tools";

const describeEtcd = describeWithTools(["etcd", "etcdctl", "curl", "jq", "bash"]);

const LOCK_KEY = "coreos.com/updateengine/rebootlock/semaphore";
const LOCK = JSON.stringify({ semaphore: 0, max: 1, holders: ["0a1b2c3d4e5f60718293a4b5c6d7e8f9"] });

interface ListedMember {
  readonly ID: string;
  readonly name: string;
  readonly peerURLs: string[];
  readonly clientURLs?: string[];
  readonly isLearner?: boolean;
}

async function memberList(cluster: Rendered, endpoints: readonly string[]): Promise<ListedMember[]> {
  const list = await etcdctl(endpoints, cluster.operator, ["member", "list", "-w", "json"]);
  if (list.code !== 0) throw new Error(`member list: ${list.stderr}`);
  return parseEtcdJson<{ members: ListedMember[] }>(list.stdout).members;
}

/** Every member started (named, with client URLs) and voting, as planned: names and peer URLs. */
const voting = (members: readonly ListedMember[]) =>
  members
    .map((m) => ({ name: m.name, peerURLs: m.peerURLs, started: (m.clientURLs ?? []).length > 0, learner: m.isLearner === true }))
    .sort((a, b) => a.name.localeCompare(b.name));
const asPlanned = (members: readonly Member[]) => members.map((m) => ({ name: m.name, peerURLs: [m.peerUrl], started: true, learner: false }));

/** Keys the cluster holds before a member is lost: v3 keys and locksmith's v2 reboot lock. */
async function writeKeys(cluster: Rendered, count = 20): Promise<void> {
  const url = cluster.members[0]!.clientUrl;
  for (let i = 0; i < count; i++) expect((await etcdctl([url], cluster.operator, ["put", `coreform/rejoin/${i}`, `value-${i}`])).code).toBe(0);
  expect((await v2Set(url, readTls(cluster.operator), LOCK_KEY, LOCK)).status).toBe(201);
}

/** Every key is there, read through `member` alone (a linearizable read: it votes in a quorum). */
async function expectKeys(cluster: Rendered, member: Member, count = 20): Promise<void> {
  const got = await etcdctl([member.clientUrl], cluster.operator, ["get", "--prefix", "coreform/rejoin/", "-w", "json"]);
  expect(got.code).toBe(0);
  const kvs = (JSON.parse(got.stdout) as { kvs?: { key: string; value: string }[] }).kvs ?? [];
  const values = Object.fromEntries(kvs.map((kv) => [Buffer.from(kv.key, "base64").toString(), Buffer.from(kv.value, "base64").toString()]));
  expect(values).toEqual(Object.fromEntries(Array.from({ length: count }, (_, i) => [`coreform/rejoin/${i}`, `value-${i}`])));
  expect((await v2Get(member.clientUrl, readTls(cluster.operator), LOCK_KEY)).node?.value).toBe(LOCK);
}

const urls = (members: readonly Member[]) => members.map((m) => m.clientUrl);

afterEach(async () => {
  await stopScripts();
  await stopAllEtcd();
}, 30_000);

describeEtcd("a member whose data dir is lost rejoins by itself (real etcd)", () => {
  test("3 members with data, one wiped: it removes its old member, joins as a learner, votes, and has every key", async () => {
    const cluster = await renderCluster("127.0.83", 3);
    // The others run as nodes rendered before the script existed ran: a static `new` cluster, no script.
    const planned = cluster.members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
    const procs = cluster.members.map((m) => startEtcd(m.name, { ...m.env, ETCD_INITIAL_CLUSTER: planned, ETCD_INITIAL_CLUSTER_STATE: "new" }));
    await waitHealthy(procs, urls(cluster.members), cluster.operator);
    await writeKeys(cluster);
    const before = await memberList(cluster, urls(cluster.members));
    const [lost, ...rest] = cluster.members as [Member, Member, Member];
    const oldId = String(before.find((m) => m.name === lost.name)!.ID);

    await wipe(lost, procs[0]);
    const back = await startMember(lost);
    expect(back.prepared).toContain(`etcd-member: ${lost.name} ran here before and ${lost.dataDir} is empty: replacing its member`);
    expect(back.prepared).toContain(`adding ${lost.name} as a learner`);
    expect(stateOf(lost).ETCD_INITIAL_CLUSTER_STATE).toBe("existing");
    expect(stateOf(lost).ETCD_INITIAL_CLUSTER!.split(",").sort()).toEqual(cluster.members.map((m) => `${m.name}=${m.peerUrl}`).sort());

    expect((await back.promote.done).output).toContain(`${lost.name} votes now`);
    const after = await eventually(async () => {
      const list = await memberList(cluster, urls(rest));
      expect(voting(list)).toEqual(asPlanned(cluster.members));
      return list;
    }, 30_000);
    expect(String(after.find((m) => m.name === lost.name)!.ID)).not.toBe(oldId);
    await expectKeys(cluster, lost);
    // It takes writes, and so does the cluster without one of the others.
    await stopEtcd(procs[1] as EtcdProcess);
    expect((await etcdctl([lost.clientUrl], cluster.operator, ["put", "coreform/rejoin/after", "yes"])).code).toBe(0);

    // Started again with its data, it starts as it is.
    await stopEtcd(back.etcd);
    const again = await startMember(lost);
    expect(again.prepared).toContain(`${lost.dataDir} holds a member: starting it as it is`);
    await waitHealthy([again.etcd], [lost.clientUrl], cluster.operator);
    expect((await etcdctl([lost.clientUrl], cluster.operator, ["get", "coreform/rejoin/after", "--print-value-only"])).stdout.trim()).toBe("yes");
  }, 120_000);

  test("a brand-new cluster whose members start at once bootstraps new; one that starts late joins it", async () => {
    const cluster = await renderCluster("127.0.84", 3);
    const [a, b, late] = cluster.members as [Member, Member, Member];
    const first = await Promise.all([a, b].map((m) => startMember(m)));
    for (const s of first) expect(s.prepared).toContain("etcd-member: no member has run yet: a new cluster of the planned members");
    for (const m of [a, b]) expect(stateOf(m)).toEqual({ ETCD_INITIAL_CLUSTER_STATE: "new", ETCD_INITIAL_CLUSTER: cluster.members.map((x) => `${x.name}=${x.peerUrl}`).join(",") });
    await waitHealthy(first.map((s) => s.etcd), urls([a, b]), cluster.operator);

    // The third planned member, listed but never started: it joins as it is listed, nothing removed or added.
    const third = await startMember(late);
    expect(third.prepared).not.toMatch(/replacing|adding/);
    expect(stateOf(late).ETCD_INITIAL_CLUSTER_STATE).toBe("existing");
    await waitHealthy([third.etcd], [late.clientUrl], cluster.operator);
    await eventually(async () => expect(voting(await memberList(cluster, urls(cluster.members)))).toEqual(asPlanned(cluster.members)), 20_000);
  }, 90_000);

  test("5 members, two wiped at once: both come back (one learner at a time), every key there", async () => {
    const cluster = await renderCluster("127.0.85", 5);
    const procs = await startCluster(cluster);
    await waitHealthy(procs, urls(cluster.members), cluster.operator);
    await writeKeys(cluster);
    const lost = [cluster.members[1]!, cluster.members[3]!];
    const kept = cluster.members.filter((m) => !lost.includes(m));
    await Promise.all(lost.map((m) => wipe(m, procs[cluster.members.indexOf(m)])));

    const back = await Promise.all(lost.map((m) => startMember(m)));
    for (const [i, s] of back.entries()) expect(s.prepared).toContain(`adding ${lost[i]!.name} as a learner`);
    await Promise.all(back.map((s) => s.promote.done));
    await eventually(async () => expect(voting(await memberList(cluster, urls(kept)))).toEqual(asPlanned(cluster.members)), 30_000);
    for (const m of lost) await expectKeys(cluster, m);
  }, 150_000);

  test("a wiped member while the cluster has no quorum waits and says why; it joins once the quorum is back", async () => {
    const cluster = await renderCluster("127.0.86", 3);
    const procs = await startCluster(cluster);
    await waitHealthy(procs, urls(cluster.members), cluster.operator);
    await writeKeys(cluster, 5);
    const [lost, alive, down] = cluster.members as [Member, Member, Member];
    const before = await memberList(cluster, [alive.clientUrl]);
    await stopEtcd(procs[2] as EtcdProcess);
    await wipe(lost, procs[0]);
    rmSync(lost.stateFile);

    // control-02 answers but has no quorum: prepare waits (no etcd starts), saying why, and changes nothing.
    const prepare = runScript(lost, ["prepare"]);
    await eventually(async () => expect(prepare.output()).toContain("etcd-member: 1 member(s) answer, without a quorum: waiting (without its data this member must not vote nor start a cluster)"), 20_000);
    await sleep(3_000);
    expect(prepare.child.exitCode).toBeNull();
    expect(existsSync(lost.stateFile)).toBe(false);
    expect(await memberList(cluster, [alive.clientUrl])).toEqual(before);

    // control-02 restarting: while nothing answers, what was seen stays seen (no new cluster); then,
    // without a quorum it serves no client requests, only its peer port: still heard.
    await stopEtcd(procs[1] as EtcdProcess);
    const down0 = prepare.output().length;
    await eventually(async () => expect(prepare.output().slice(down0)).toContain("etcd-member: no member answers now, and the cluster ran: waiting"), 20_000);
    const again = await startMember(alive);
    expect(again.prepared).toContain("holds a member: starting it as it is");
    const waited = prepare.output().length;
    await eventually(async () => expect(prepare.output().slice(waited)).toContain("1 member(s) answer, without a quorum: waiting"), 20_000);
    expect(prepare.output()).not.toContain("a new cluster");
    expect(prepare.child.exitCode).toBeNull();

    // control-03 comes back with its data: a quorum again, and the waiting member goes on and joins.
    const restarted = await startMember(down);
    expect(restarted.prepared).toContain("holds a member: starting it as it is");
    const { code, output } = await prepare.done;
    expect(code).toBe(0);
    expect(output).toContain("control-01 ran here before");
    const back = startPrepared(lost, output);
    expect((await back.promote.done).output).toContain("control-01 votes now");
    await eventually(async () => expect(voting(await memberList(cluster, [alive.clientUrl, down.clientUrl]))).toEqual(asPlanned(cluster.members)), 30_000);
    await expectKeys(cluster, lost, 5);
  }, 120_000);
});
