// `coreform status` and `coreform reboot-lock` against real etcd (Debian's etcd-server) run from the
// rendered configs on loopback: a healthy cluster on 127.0.79.0/24, one that loses members on
// 127.0.80.0/24, a silent listener on 127.0.81.0/24 that accepts connections and never answers, and a
// member that runs an older certificate than .coreform/ holds on 127.0.89.0/24.
import { readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import yaml from "js-yaml";
import type { ClusterStatus } from "../../src/ops/health";
import { probeCluster } from "../../src/ops/health";
import { changeLock, readLock } from "../../src/ops/lock";
import { acquire, LockRefused, semaphoreKey } from "../../src/ops/semaphore";
import { operatorTarget, type EtcdTarget } from "../../src/ops/target";
import { v2CompareAndSwap } from "../../src/ops/v2";
import { planCluster, type EtcdMember } from "../../src/plan/plan";
import { issueLeaf } from "../../src/secrets/pki";
import { ensureSecrets, secretsDir } from "../../src/secrets/store";
import { specSchema } from "../../src/spec/schema";
import { operatorCli, renderCluster, startCluster, type Member, type Rendered } from "../helpers/cluster";
import { etcdctl, parseEtcdJson, readTls, stopAllEtcd, stopEtcd, v2Get, v2Set, waitHealthy, type EtcdProcess } from "../helpers/etcd";
import { specFrom } from "../helpers/nodes";
import { describeWithTools } from "../helpers/tools";

const describeEtcd = describeWithTools(["etcd", "etcdctl"]);

const DEFAULT_KEY = "coreos.com/updateengine/rebootlock/semaphore";
// Two machines' /etc/machine-id.
const A = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const B = "1f2e3d4c5b6a79880796a5b4c3d2e1f0";
const C = "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b";

const run = operatorCli;

function targetOf(cluster: Rendered, endpoints?: string): EtcdTarget {
  const file = join(cluster.dir, "cluster.yaml");
  return operatorTarget(specFrom(readFileSync(file, "utf8")), file, "test", endpoints);
}

/** The same cluster seen as a kubernetes one: its secrets gain k3s's (nothing else changes), as `render` would. */
async function kubernetesTargetOf(cluster: Rendered): Promise<EtcdTarget> {
  const file = join(cluster.dir, "cluster.yaml");
  const doc = yaml.load(readFileSync(file, "utf8")) as Record<string, unknown>;
  const spec = specSchema.parse({ ...doc, scheduler: { kind: "kubernetes" } });
  await ensureSecrets(secretsDir(cluster.dir, "test"), planCluster(spec, "test"));
  return operatorTarget(spec, file, "test");
}

const urls = (cluster: Rendered) => cluster.members.map((m) => m.clientUrl);

async function leaderName(cluster: Rendered): Promise<string> {
  const status = await etcdctl(urls(cluster), cluster.operator, ["endpoint", "status", "-w", "json"]);
  expect(status.code).toBe(0);
  const list = parseEtcdJson<{ Endpoint: string; Status: { header: { member_id: string }; leader: string } }[]>(status.stdout);
  const leader = list.find((s) => s.Status.header.member_id === s.Status.leader)?.Endpoint;
  return cluster.members.find((m) => m.clientUrl === leader)?.name as string;
}

/** A TCP tunnel on 127.0.0.1 (a port the system picks) to `ip:2379`, as an SSH port forward would be. */
async function tunnel(ip: string): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(2379, ip);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => [inbound, outbound].forEach((x) => x.destroy()));
      s.on("close", () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describeEtcd("coreform status and reboot-lock on a healthy cluster (real etcd on 127.0.79.0/24)", () => {
  let cluster: Rendered;
  let procs: EtcdProcess[] = [];

  beforeAll(async () => {
    cluster = await renderCluster("127.0.79", 3);
    procs = await startCluster(cluster);
    await waitHealthy(procs, urls(cluster), cluster.operator);
  }, 40_000);
  afterAll(stopAllEtcd, 20_000);

  test("status: every member reachable, one leader, quorum healthy, the lock not created yet; exit 0", async () => {
    const result = await run(cluster, "status", "test");
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe("etcd of t/test: 3 members (every request times out after 2 s)");
    expect(lines[2]).toMatch(/^MEMBER\s+PLANNED IP\s+REACHABLE\s+LEADER\s+VERSION\s+DB SIZE\s+RAFT INDEX$/);
    const rows = lines.slice(3, 6).map((l) => l.split(/\s{2,}/));
    const leader = await leaderName(cluster);
    expect(rows.map((r) => r.slice(0, 4))).toEqual(
      cluster.members.map((m) => [m.name, m.ip, "yes", m.name === leader ? "yes" : "-"]),
    );
    for (const r of rows) expect([r[4], r[5], r[6]]).toEqual([expect.stringMatching(/^3\.4\.\d+$/), expect.stringMatching(/ KiB$/), expect.stringMatching(/^\d+$/)]);
    expect(lines.slice(6)).toEqual([
      "",
      "quorum:       healthy (3 of 3 members healthy, quorum needs 2)",
      "reboot lock:  1 of 1 free, holders: none (not created yet: no machine has asked for it)",
      expect.stringMatching(/^certificates: first to end: \S+ ends \d{4}-\d\d-\d\d \(in 182[45] days\)$/),
    ]);
  });

  test("--json prints the same as one document", async () => {
    const result = await run(cluster, "status", "test", "--json");
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as ClusterStatus;
    const leader = await leaderName(cluster);
    expect(doc).toEqual({
      cluster: "t",
      environment: "test",
      timeoutMs: 2000,
      members: cluster.members.map((m) => ({
        name: m.name,
        plannedIp: m.ip,
        endpoint: m.clientUrl,
        reachable: true,
        healthy: true,
        leader: m.name === leader,
        version: expect.stringMatching(/^3\.4\.\d+$/),
        dbSizeBytes: expect.any(Number),
        raftIndex: expect.any(Number),
      })),
      quorum: { state: "healthy", healthy: 3, members: 3, needed: 2 },
      rebootLock: { key: DEFAULT_KEY, exists: false, apis: [], max: 1, free: 1, holders: [] },
      certificates: { first: { id: expect.any(String), notAfter: expect.stringMatching(/^\d{4}-/), daysLeft: expect.any(Number) } },
    });
    // The numbers are etcd's own: the same as etcdctl's within a few raft entries.
    const status = await etcdctl([urls(cluster)[0] as string], cluster.operator, ["endpoint", "status", "-w", "json"]);
    const [own] = parseEtcdJson<{ Status: { dbSize: number; raftIndex: number } }[]>(status.stdout);
    expect(doc.members[0]?.dbSizeBytes).toBe(own?.Status.dbSize);
    expect(Math.abs((doc.members[0]?.raftIndex as number) - (own?.Status.raftIndex as number))).toBeLessThan(10);
  });

  test("through tunnels (--endpoints): members found by name, the lock read through them; a partial view is degraded", async () => {
    const tunnels = await Promise.all(cluster.members.map((m) => tunnel(m.ip)));
    try {
      const endpoints = tunnels.map((t) => `https://127.0.0.1:${t.port}`);
      const result = await run(cluster, "status", "test", "--json", "--endpoints", endpoints.join(","));
      expect(result.code).toBe(0);
      const doc = JSON.parse(result.stdout) as ClusterStatus;
      expect(doc.members.map((m) => [m.name, m.plannedIp, m.endpoint, m.healthy])).toEqual(
        cluster.members.map((m, i) => [m.name, m.ip, endpoints[i], true]),
      );
      expect(doc.rebootLock).toMatchObject({ free: 1, max: 1 });
      expect((await run(cluster, "reboot-lock", "test", "status", "--endpoints", endpoints[2] as string)).code).toBe(0);

      const one = await run(cluster, "status", "test", "--endpoints", endpoints[1] as string);
      expect(one.code).toBe(1);
      expect(one.stdout).toContain("\nquorum:       degraded: 1 of 3 members healthy, quorum needs 2\n");
      for (const m of [cluster.members[0], cluster.members[2]]) expect(one.stdout).toContain(`\n${m?.name}: not asked: no endpoint leads to it`);
    } finally {
      for (const t of tunnels) t.close();
    }
  });

  test("each planned endpoint must present its own member's certificate", async () => {
    const target = targetOf(cluster);
    const [m1, m2] = target.plan.etcd.members as [EtcdMember, EtcdMember, EtcdMember];
    // A plan that puts control-02 where control-01 answers: that endpoint must now be control-02.
    const swapped: EtcdTarget = {
      ...target,
      endpoints: [m1.clientUrl],
      plan: { ...target.plan, etcd: { ...target.plan.etcd, members: [{ ...m2, clientUrl: m1.clientUrl }] } },
    };
    const status = await probeCluster(swapped);
    expect(status.members).toEqual([
      expect.objectContaining({ name: m2.name, endpoint: m1.clientUrl, reachable: false, error: expect.stringMatching(/altnames/) }),
    ]);
    expect(status.rebootLock).toEqual({ error: expect.stringMatching(/no etcd member answered.*altnames/) });
  });

  test("with the kubernetes scheduler, status says whether k3s has written under /registry/", async () => {
    const target = await kubernetesTargetOf(cluster);
    expect(target.plan.scheduler.kind).toBe("kubernetes");
    expect((await probeCluster(target)).datastore).toEqual({ prefix: "/registry/", present: false });
    // A key beside the prefix does not count.
    expect((await etcdctl(urls(cluster), cluster.operator, ["put", "/registryx", "no"])).code).toBe(0);
    expect((await probeCluster(target)).datastore).toEqual({ prefix: "/registry/", present: false });
    expect((await etcdctl(urls(cluster), cluster.operator, ["put", "/registry/namespaces/default", "k8s"])).code).toBe(0);
    const status = await probeCluster(target);
    expect(status.datastore).toEqual({ prefix: "/registry/", present: true });
    expect(status.quorum.state).toBe("healthy");
    // With scheduler none there is no such line.
    expect((await probeCluster(targetOf(cluster))).datastore).toBeUndefined();
  });

  test("reboot-lock status reads a missing semaphore as locksmithd's initial state", async () => {
    const result = await run(cluster, "reboot-lock", "test", "status");
    expect(result).toEqual({
      code: 0,
      stdout: `reboot lock ${DEFAULT_KEY} (not created yet: reads as the initial state)\n1 of 1 free, holders: none`,
      stderr: "",
    });
  });

  test("two machines take the lock at once with the command's compare-and-swap: exactly one holds it", async () => {
    const target = targetOf(cluster);
    // Machines of a v2 locksmith (flatcar/locksmith before its v3 client); a v3 one is tested below.
    const results = await Promise.allSettled([A, B].map((id) => changeLock(target, undefined, (s) => acquire(s, id), ["v2"])));
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [[A, B][i]] : []));
    expect(won).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(LockRefused);
    expect((lost.reason as Error).message).toMatch(/no free slot/);
    const lock = await readLock(target);
    const semaphore = { semaphore: 0, max: 1, holders: won };
    expect(lock).toEqual({ key: DEFAULT_KEY, exists: true, apis: ["v2"], semaphore, each: [{ api: "v2", semaphore }] });

    // What locksmithd reads: exactly its struct's fields, as JSON, under its key.
    const raw = await v2Get(urls(cluster)[2] as string, readTls(cluster.operator), DEFAULT_KEY);
    expect(raw.status).toBe(200);
    expect(raw.node?.value).toBe(`{"semaphore":0,"max":1,"holders":["${won[0]}"]}`);

    const status = await run(cluster, "status", "test");
    expect(status.code).toBe(0);
    expect(status.stdout.split("\n").at(-2)).toBe(`reboot lock:  0 of 1 free, holders: ${won[0]} (etcd v2)`);
  });

  test("a writer that got in first makes the compare-and-swap fail; a change that lost is read again and reapplied", async () => {
    const target = targetOf(cluster);
    const key = semaphoreKey("cas");
    const tls = readTls(cluster.operator);
    // Creating: prevExist=false loses to a writer that created the key first.
    expect((await v2Set(urls(cluster)[1] as string, tls, key, '{"semaphore":1,"max":1,"holders":null}')).status).toBe(201);
    expect(await v2CompareAndSwap(target, key, '{"semaphore":5,"max":5,"holders":[]}', undefined)).toBe(false);
    // Updating: a stale index loses.
    const stale = (await v2Get(urls(cluster)[0] as string, tls, key)).node?.modifiedIndex as number;
    expect((await v2Set(urls(cluster)[2] as string, tls, key, '{"semaphore":2,"max":2,"holders":[]}', `?prevIndex=${stale}`)).status).toBe(200);
    expect(await v2CompareAndSwap(target, key, '{"semaphore":5,"max":5,"holders":[]}', stale)).toBe(false);

    // Four machines at once with room for four: those whose compare-and-swap lost read again and get in.
    await run(cluster, "reboot-lock", "test", "set-max", "4", "--group", "cas");
    const ids = [A, B, C, "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"];
    const results = await Promise.allSettled(ids.map((id) => changeLock(target, "cas", (s) => acquire(s, id), ["v2"])));
    expect(results.map((r) => r.status)).toEqual(ids.map(() => "fulfilled"));
    expect((await readLock(target, "cas")).semaphore).toEqual({ semaphore: 0, max: 4, holders: [...ids].sort() });
  });

  test("unlock of a machine that holds nothing is refused with the holders; unlock of the holder frees the slot", async () => {
    const holder = (await readLock(targetOf(cluster))).semaphore.holders[0] as string;
    const other = holder === A ? B : A;
    const refused = await run(cluster, "reboot-lock", "test", "unlock", other);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`coreform reboot-lock: ${other} does not hold the lock (holders: ${holder})`);

    const freed = await run(cluster, "reboot-lock", "test", "unlock", holder);
    expect(freed).toEqual({ code: 0, stdout: `${DEFAULT_KEY} (etcd v2): unlocked ${holder}; 1 of 1 free, holders: none`, stderr: "" });
    expect((await v2Get(urls(cluster)[0] as string, readTls(cluster.operator), DEFAULT_KEY)).node?.value).toBe('{"semaphore":1,"max":1,"holders":[]}');
  });

  test("set-max 2 lets two machines hold it at once; set-max below the holders is refused", async () => {
    const set = await run(cluster, "reboot-lock", "test", "set-max", "2");
    expect(set).toEqual({ code: 0, stdout: `${DEFAULT_KEY} (etcd v2): max 1 → 2; 2 of 2 free, holders: none`, stderr: "" });

    const target = targetOf(cluster);
    const results = await Promise.allSettled([C, B, A].map((id) => changeLock(target, undefined, (s) => acquire(s, id), ["v2"])));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    const lock = await readLock(target);
    expect(lock.semaphore.semaphore).toBe(0);
    expect(lock.semaphore.max).toBe(2);
    expect(lock.semaphore.holders).toHaveLength(2);
    expect(lock.semaphore.holders).toEqual([...lock.semaphore.holders].sort()); // locksmith keeps them sorted

    const below = await run(cluster, "reboot-lock", "test", "set-max", "1");
    expect(below.code).toBe(2);
    expect(below.stderr).toBe(
      `coreform reboot-lock: max 1 is below the 2 current holders (${lock.semaphore.holders.join(", ")}): unlock some first`,
    );
    expect((await readLock(target)).semaphore).toEqual(lock.semaphore);
  });

  test("a bad machine id or max is refused before etcd is asked", async () => {
    const before = await v2Get(urls(cluster)[0] as string, readTls(cluster.operator), DEFAULT_KEY);
    for (const id of ["m1", A.toUpperCase(), `${A}0`, A.slice(1), `${A.slice(0, 31)}g`]) {
      const result = await run(cluster, "reboot-lock", "test", "unlock", id);
      expect([id, result.code, result.stdout]).toEqual([id, 2, ""]);
      expect(result.stderr).toContain("expected 32 lowercase hex characters");
    }
    for (const n of ["-1", "two", "1.5"]) expect([n, (await run(cluster, "reboot-lock", "test", "set-max", n)).code]).toEqual([n, 2]);
    const after = await v2Get(urls(cluster)[0] as string, readTls(cluster.operator), DEFAULT_KEY);
    expect(after.node).toEqual(before.node);
  });

  test("--group works on locksmith's per-group key; a semaphore locksmithd created (holders null) reads fine", async () => {
    const tls = readTls(cluster.operator);
    const group = "team a/b";
    const set = await run(cluster, "reboot-lock", "test", "set-max", "3", "--group", group);
    expect(set.code).toBe(0);
    // Go's url.QueryEscape("team a/b"), as locksmith builds the key; the listing shows the stored key.
    const listing = await v2Get(urls(cluster)[1] as string, tls, "coreos.com/updateengine/rebootlock/groups");
    const keys = (JSON.parse(listing.body) as { node: { nodes: { key: string }[] } }).node.nodes.map((n) => n.key);
    expect(keys).toContain("/coreos.com/updateengine/rebootlock/groups/team+a%2Fb");
    expect(keys.filter((k) => k.includes("team"))).toHaveLength(1);
    expect(semaphoreKey(group)).toBe("coreos.com/updateengine/rebootlock/groups/team+a%2Fb/semaphore");
    expect((await run(cluster, "reboot-lock", "test", "status", "--group", group)).stdout).toContain("3 of 3 free, holders: none");

    // locksmithd's own first write: newSemaphore() marshalled by Go, holders nil → null.
    expect((await v2Set(urls(cluster)[0] as string, tls, semaphoreKey("web"), '{"semaphore":1,"max":1,"holders":null}')).status).toBe(201);
    const web = await run(cluster, "reboot-lock", "test", "status", "--group", "web");
    expect(web.stdout).toBe(`reboot lock ${semaphoreKey("web")} (etcd v2)\n1 of 1 free, holders: none`);
  });

  test("a v3 locksmith's semaphore (same key and JSON in the v3 keyspace, compare-and-swap on its version) is read and changed where it lives", async () => {
    const target = targetOf(cluster);
    const key = semaphoreKey("v3");
    const v3get = async () => (await etcdctl(urls(cluster), cluster.operator, ["get", key, "--print-value-only"])).stdout.trim();
    // Two machines of a v3 locksmith at once: its Init creates the key, then exactly one gets the slot.
    const results = await Promise.allSettled([A, B].map((id) => changeLock(target, "v3", (s) => acquire(s, id), ["v3"])));
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [[A, B][i]] : []));
    expect(won).toHaveLength(1);
    expect(await v3get()).toBe(`{"semaphore":0,"max":1,"holders":["${won[0]}"]}`);
    expect((await v2Get(urls(cluster)[0] as string, readTls(cluster.operator), key)).status).toBe(404);

    const shown = await run(cluster, "reboot-lock", "test", "status", "--group", "v3");
    expect(shown.stdout).toBe(`reboot lock ${key} (etcd v3)\n0 of 1 free, holders: ${won[0]}`);
    const freed = await run(cluster, "reboot-lock", "test", "unlock", won[0] as string, "--group", "v3");
    expect(freed).toEqual({ code: 0, stdout: `${key} (etcd v3): unlocked ${won[0]}; 1 of 1 free, holders: none`, stderr: "" });
    expect(await v3get()).toBe('{"semaphore":1,"max":1,"holders":[]}');
    // Still nothing in v2: a v2 locksmith would never have seen this lock.
    expect((await v2Get(urls(cluster)[0] as string, readTls(cluster.operator), key)).status).toBe(404);
  });

  test("set-max on a key no locksmithd has created writes it to both keyspaces; unlock goes only where the machine holds it", async () => {
    const target = targetOf(cluster);
    const key = semaphoreKey("both");
    const set = await run(cluster, "reboot-lock", "test", "set-max", "2", "--group", "both");
    expect(set.stdout).toBe(`${key} (etcd v3 and v2): max 1 → 2; 2 of 2 free, holders: none`);
    await changeLock(target, "both", (s) => acquire(s, A), ["v2"]);
    await changeLock(target, "both", (s) => acquire(s, B), ["v3"]);
    const lock = await readLock(target, "both");
    expect(lock.each).toEqual([
      { api: "v3", semaphore: { semaphore: 1, max: 2, holders: [B] } },
      { api: "v2", semaphore: { semaphore: 1, max: 2, holders: [A] } },
    ]);
    const freed = await run(cluster, "reboot-lock", "test", "unlock", A, "--group", "both");
    expect(freed.stdout).toBe(`${key} (etcd v2): unlocked ${A}; 2 of 2 free, holders: none`);
    expect((await readLock(target, "both")).each.map((e) => e.semaphore.holders)).toEqual([[B], []]);
  });
});

describeEtcd("coreform status while members fail (real etcd on 127.0.80.0/24, a silent listener on 127.0.81.250)", () => {
  let cluster: Rendered;
  let procs: EtcdProcess[] = [];
  let silent: Server;
  const held: Socket[] = [];
  const SILENT = "https://127.0.81.250:2379";

  beforeAll(async () => {
    cluster = await renderCluster("127.0.80", 3);
    procs = await startCluster(cluster);
    // Accepts every connection and never says a word: what a blackholed address looks like.
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve, reject) => silent.once("error", reject).listen(2379, "127.0.81.250", resolve));
    await waitHealthy(procs, urls(cluster), cluster.operator);
  }, 40_000);
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await stopAllEtcd();
  }, 20_000);

  test("with one member stopped: degraded, exit 1, the stopped member named", async () => {
    const leader = await leaderName(cluster);
    const victim = cluster.members.findIndex((m) => m.name !== leader);
    expect((await stopEtcd(procs[victim] as EtcdProcess)).forced).toBe(false);
    const stopped = cluster.members[victim]!;

    const result = await run(cluster, "status", "test");
    expect(result.code).toBe(1);
    const rows = result.stdout.split("\n").slice(3, 6).map((l) => l.split(/\s{2,}/).slice(0, 3));
    expect(rows).toEqual(cluster.members.map((m) => [m.name, m.ip, m === stopped ? "no" : "yes"]));
    expect(result.stdout).toContain("\nquorum:       degraded: 2 of 3 members healthy, quorum needs 2\n");
    expect(result.stdout).toContain("\nreboot lock:  1 of 1 free, holders: none");
    expect(result.stdout).toMatch(new RegExp(`\\n${stopped.name} \\(${stopped.clientUrl}\\): connect ECONNREFUSED ${stopped.ip}:2379$`, "m"));

    const doc = JSON.parse((await run(cluster, "status", "test", "--json")).stdout) as ClusterStatus;
    expect(doc.quorum).toEqual({ state: "degraded", healthy: 2, members: 3, needed: 2 });
    expect(doc.members[victim]).toMatchObject({ name: stopped.name, reachable: false, healthy: false, leader: false });
  });

  test("an endpoint that accepts connections and never answers costs one timeout, not a hang", async () => {
    const live = cluster.members.filter((_, i) => !procs[i]?.hasEnded());
    const [a, b] = live.map((m) => m.clientUrl) as [string, string];
    const result = await run(cluster, "status", "test", "--json", "--endpoints", `${SILENT},${a},${b}`);
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as ClusterStatus;
    const silentRow = doc.members.find((m) => m.endpoint === SILENT);
    expect(silentRow).toMatchObject({ reachable: false, healthy: false });
    expect(silentRow?.name).toBeUndefined();
    expect(silentRow?.error).toBe("no answer within 2000 ms");
    // Through the two live endpoints, the members are still found by name.
    expect(doc.members.filter((m) => m.healthy).map((m) => m.name)).toEqual(live.map((m) => m.name));
    expect(doc.rebootLock).toMatchObject({ free: 1, max: 1 });

    // The lock is read from the next member once the silent one has timed out.
    const lock = await run(cluster, "reboot-lock", "test", "status", "--endpoints", `${SILENT},${a}`);
    expect(lock).toEqual({ code: 0, stdout: `reboot lock ${DEFAULT_KEY} (not created yet: reads as the initial state)\n1 of 1 free, holders: none`, stderr: "" });
  });

  test("with quorum lost: lost, exit 1; the lock still reads from the survivor but cannot change", async () => {
    // Everyone but the last one still running stops (after the test above, that is one more).
    const alive = procs.filter((p) => !p.hasEnded());
    for (const p of alive.slice(0, -1)) expect((await stopEtcd(p)).forced).toBe(false);
    const survivor = cluster.members[procs.indexOf(alive.at(-1) as EtcdProcess)] as Member;

    const result = await run(cluster, "status", "test", "--json");
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as ClusterStatus;
    expect(doc.quorum).toEqual({ state: "lost", healthy: 0, members: 3, needed: 2 });
    expect(doc.members.map((m) => [m.name, m.reachable, m.healthy])).toEqual(
      cluster.members.map((m) => [m.name, m === survivor, false]),
    );
    expect(doc.members.find((m) => m.name === survivor.name)?.error).toBe("no quorum: no answer within 2000 ms");

    const table = await run(cluster, "status", "test");
    expect(table.code).toBe(1);
    expect(table.stdout).toContain("\nquorum:       lost: 0 of 3 members healthy, quorum needs 2\n");
    expect(table.stdout).toContain(`\n${survivor.name}  ${survivor.ip}  no quorum  -       3.4.`);
    expect(table.stdout).toContain("\nreboot lock:  1 of 1 free, holders: none (not created yet: no machine has asked for it) (as a member without quorum last saw it)\n");

    expect((await run(cluster, "reboot-lock", "test", "status")).code).toBe(0);
    const change = await run(cluster, "reboot-lock", "test", "set-max", "2");
    expect(change.code).toBe(1);
    expect(change.stderr).toMatch(/^coreform reboot-lock: (no etcd member answered|writing .*: etcd answered)/);
  });
});

describeEtcd("the certificate a member runs (real etcd on 127.0.89.0/24)", () => {
  afterAll(stopAllEtcd, 20_000);

  test("render renewed the file, the node still runs the old one: status warns about the one it runs; validate reads only the files", async () => {
    const cluster = await renderCluster("127.0.89", 1);
    const member = cluster.members[0] as Member;
    // The node was made with a certificate that ends in 41 days; .coreform/ holds its five-year successor.
    const secrets = secretsDir(cluster.dir, "test");
    const ca = { cert: readFileSync(join(secrets, "ca.crt"), "utf8"), key: readFileSync(join(secrets, "ca.key"), "utf8") };
    const old = await issueLeaf(ca, { commonName: member.name, usage: "server-and-client", dnsNames: [member.name, "localhost"], ips: [member.ip, "127.0.0.1"] }, 41);
    writeFileSync(member.env.ETCD_CERT_FILE as string, old.cert);
    writeFileSync(member.env.ETCD_KEY_FILE as string, old.key, { mode: 0o600 });
    const procs = await startCluster(cluster);
    await waitHealthy(procs, urls(cluster), cluster.operator);

    const status = await run(cluster, "status", "test");
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/\ncertificates: warning: certificate members\/control-01 \(running\) ends \d{4}-\d\d-\d\d \(in 40 days\): render renews them from 30 days before; they reach a running node only when it is replaced/);
    const doc = JSON.parse((await run(cluster, "status", "test", "--json")).stdout) as { certificates: { first: { id: string; daysLeft: number } } };
    expect(doc.certificates.first).toMatchObject({ id: "members/control-01 (running)", daysLeft: 40 });
    expect((await run(cluster, "validate")).stderr).not.toMatch(/certificate/);
  }, 60_000);
});
