// The rendered etcd settings run unchanged: real etcd processes (Debian's etcd-server, 3.4; the configs
// target 3.5, which reads the same variables), one per control node planned on a loopback range, each
// started with exactly the variables of its rendered /etc/etcd/etcd.env and the certificates its Ignition
// config writes. Only two things move: the data dir and the certificate directory (to temp dirs).
import { createCa, issueLeaf } from "../../src/secrets/pki";
import { renderCluster, startCluster as start, type Rendered } from "../helpers/cluster";
import { etcdctl, httpsCall, parseEtcdJson, readTls, retry, stopAllEtcd, stopEtcd, v2Get, v2Set, waitHealthy, type EtcdProcess, type HttpsTls } from "../helpers/etcd";
import { describeWithTools } from "../helpers/tools";

// locksmith's reboot lock: a v2 key holding JSON, changed by compare-and-swap.
const LOCK_KEY = "coreos.com/updateengine/rebootlock/semaphore";
const LOCK_FREE = JSON.stringify({ semaphore: 1, max: 1, holders: [] });
const LOCK_HELD = JSON.stringify({ semaphore: 0, max: 1, holders: ["m1"] });

const describeEtcd = describeWithTools(["etcd", "etcdctl"]);

describeEtcd("etcd from the rendered configs (real etcd on 127.0.77.0/24)", () => {
  let cluster: Rendered;
  let procs: EtcdProcess[] = [];
  let tls: HttpsTls;
  const urls = () => cluster.members.map((m) => m.clientUrl);
  const ctl = (endpoint: string | readonly string[], args: string[]) =>
    etcdctl(typeof endpoint === "string" ? [endpoint] : endpoint, cluster.operator, args);

  beforeAll(async () => {
    cluster = await renderCluster("127.0.77", 3);
    tls = readTls(cluster.operator);
    procs = await start(cluster);
    await waitHealthy(procs, urls(), cluster.operator);
  }, 40_000);
  afterAll(stopAllEtcd, 20_000);

  test("all three members are healthy and listed with their planned names and URLs", async () => {
    const health = await ctl(urls(), ["endpoint", "health"]);
    expect(health.code).toBe(0);
    for (const url of urls()) expect(health.stdout + health.stderr).toContain(`${url} is healthy`);
    // etcd took every rendered variable as a setting (a misspelt one is only a warning).
    for (const [i, p] of procs.entries()) {
      const head = p.logHead();
      expect(head.split("\n").filter((l) => /unrecognized environment variable/i.test(l))).toEqual([]);
      const settings = Object.keys(cluster.members[i]?.env ?? {}).filter((k) => k.startsWith("ETCD_"));
      for (const k of settings) expect([k, head.includes(`recognized and used environment variable ${k}=`)]).toEqual([k, true]);
    }

    const list = await ctl(urls()[0] as string, ["member", "list", "-w", "json"]);
    expect(list.code).toBe(0);
    const { members } = parseEtcdJson<{ members: { name: string; peerURLs: string[]; clientURLs: string[] }[] }>(list.stdout);
    const seen = members.map((m) => ({ name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs }));
    seen.sort((a, b) => a.name.localeCompare(b.name));
    expect(seen).toEqual(cluster.members.map((m) => ({ name: m.name, peerURLs: [m.peerUrl], clientURLs: [m.clientUrl] })));
  });

  test("a key written through one member is read through another", async () => {
    const [a, b, c] = urls() as [string, string, string];
    expect((await ctl(a, ["put", "coreform/test/one", "written-via-01"])).code).toBe(0);
    for (const other of [b, c]) {
      const got = await ctl(other, ["get", "coreform/test/one", "--print-value-only"]);
      expect({ code: got.code, value: got.stdout.trim() }).toEqual({ code: 0, value: "written-via-01" });
    }
  });

  test("clients without a certificate, or with one from another CA, are refused", async () => {
    const url = urls()[1] as string;
    // Same request, with the operator certificate: answered.
    expect((await httpsCall(`${url}/version`, tls)).status).toBe(200);
    // Refused in the TLS handshake (etcd answers with a "bad certificate" alert).
    const refusal = /certificate|ECONNRESET|socket hang up/i;
    await expect(httpsCall(`${url}/version`, { ca: tls.ca })).rejects.toThrow(refusal);
    const foreignCa = await createCa("not the cluster CA");
    const foreign = await issueLeaf(foreignCa, { commonName: "operator", usage: "client" });
    await expect(httpsCall(`${url}/version`, { ca: tls.ca, cert: foreign.cert, key: foreign.key })).rejects.toThrow(refusal);

    const noCert = await etcdctl([url], { ca: cluster.operator.ca }, ["get", "coreform/test/one"], { commandTimeout: "2s" });
    expect(noCert.code).not.toBe(0);
    expect(noCert.stdout).not.toContain("written-via-01");
  });

  test("the v2 keys API answers over HTTPS with the client certificate (locksmith's reboot lock)", async () => {
    const [a, b, c] = urls() as [string, string, string];
    const created = await v2Set(a, tls, LOCK_KEY, LOCK_FREE);
    expect([created.status, created.node?.value]).toEqual([201, LOCK_FREE]);
    const read = await v2Get(b, tls, LOCK_KEY);
    expect([read.status, read.node?.value]).toEqual([200, LOCK_FREE]);
    const index = read.node?.modifiedIndex as number;

    // Taking the lock is a compare-and-swap on the index, through yet another member.
    const taken = await v2Set(c, tls, LOCK_KEY, LOCK_HELD, `?prevIndex=${index}`);
    expect([taken.status, taken.node?.value]).toEqual([200, LOCK_HELD]);
    const stale = await v2Set(a, tls, LOCK_KEY, LOCK_FREE, `?prevIndex=${index}`);
    expect(stale.status).toBe(412);
    expect((await v2Get(a, tls, LOCK_KEY)).node?.value).toBe(LOCK_HELD);
  });

  test("with the leader stopped the other two keep quorum: writes succeed, earlier keys are readable", async () => {
    const status = await ctl(urls(), ["endpoint", "status", "-w", "json"]);
    expect(status.code).toBe(0);
    const statuses = parseEtcdJson<{ Endpoint: string; Status: { header: { member_id: string }; leader: string } }[]>(status.stdout);
    const leaderUrl = statuses.find((s) => s.Status.header.member_id === s.Status.leader)?.Endpoint;
    const leaderIndex = urls().indexOf(leaderUrl as string);
    expect(leaderIndex).toBeGreaterThanOrEqual(0);

    const stopped = await stopEtcd(procs[leaderIndex] as EtcdProcess);
    expect(stopped.forced).toBe(false);
    const alive = urls().filter((_, i) => i !== leaderIndex);

    // Writes may wait for the new leader's election: bounded retries.
    for (const [i, url] of alive.entries()) {
      const put = await retry(() => ctl(url, ["put", `coreform/test/after-stop-${i}`, `via-${url}`]), 15_000);
      expect({ code: put.code, error: put.code === 0 ? "" : put.stderr }).toEqual({ code: 0, error: "" });
    }
    const v2 = await v2Set(alive[0] as string, tls, "coreform/test/v2-after-stop", "still-locking");
    expect(v2.status).toBe(201);

    for (const url of alive) {
      const one = await ctl(url, ["get", "coreform/test/one", "--print-value-only"]);
      expect(one.stdout.trim()).toBe("written-via-01");
      for (const [i, writer] of alive.entries()) {
        const got = await ctl(url, ["get", `coreform/test/after-stop-${i}`, "--print-value-only"]);
        expect(got.stdout.trim()).toBe(`via-${writer}`);
      }
      expect((await v2Get(url, tls, LOCK_KEY)).node?.value).toBe(LOCK_HELD);
      expect((await v2Get(url, tls, "coreform/test/v2-after-stop")).node?.value).toBe("still-locking");
    }
  }, 40_000);
});

describeEtcd("etcd from the rendered config of a single control node (127.0.78.0/24)", () => {
  afterEach(stopAllEtcd, 20_000);

  test("forms a one-member cluster that accepts v3 and v2 writes", async () => {
    const cluster = await renderCluster("127.0.78", 1);
    const procs = await start(cluster);
    const url = cluster.members[0]?.clientUrl as string;
    await waitHealthy(procs, [url], cluster.operator);

    const list = await etcdctl([url], cluster.operator, ["member", "list", "-w", "json"]);
    const { members } = parseEtcdJson<{ members: { name: string; peerURLs: string[] }[] }>(list.stdout);
    expect(members.map((m) => [m.name, m.peerURLs])).toEqual([["control-01", ["https://127.0.78.10:2380"]]]);

    expect((await etcdctl([url], cluster.operator, ["put", "coreform/test/single", "v3"])).code).toBe(0);
    const got = await etcdctl([url], cluster.operator, ["get", "coreform/test/single", "--print-value-only"]);
    expect(got.stdout.trim()).toBe("v3");

    const tls = readTls(cluster.operator);
    expect((await v2Set(url, tls, LOCK_KEY, LOCK_FREE)).status).toBe(201);
    expect((await v2Get(url, tls, LOCK_KEY)).node?.value).toBe(LOCK_FREE);
  }, 40_000);
});
