// `coreform etcd members|add|remove|snapshot|restore` against real etcd (Debian's 3.4) run from the
// rendered configs, each node with its own rendered script as etcd-member.service runs it: a cluster
// grown from 3 to 5 and shrunk back (127.0.87.0/24), and one snapshotted, destroyed and restored
// (127.0.88.0/24). Keys are checked at every step.
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import type { Membership } from "../../src/ops/members";
import {
  operatorCli as run,
  renderCluster,
  rerender,
  runScript,
  startCluster,
  startMember,
  stopScripts,
  type Member,
  type Rendered,
  type StartedMember,
} from "../helpers/cluster";
import { etcdctl, eventually, readTls, sleep, stopAllEtcd, stopEtcd, v2Get, v2Set, waitHealthy, type EtcdProcess } from "../helpers/etcd";
import { CLI_ENTRY } from "../helpers/cli";
import { describeWithTools, testWithTools } from "../helpers/tools";

const describeEtcd = describeWithTools(["etcd", "etcdctl", "curl", "jq", "bash"]);

// locksmith's reboot lock: in the v3 keyspace since locksmith moved to the v3 client, in v2 before.
const LOCK_KEY = "coreos.com/updateengine/rebootlock/semaphore";
const LOCK = JSON.stringify({ semaphore: 0, max: 1, holders: ["0a1b2c3d4e5f60718293a4b5c6d7e8f9"] });
const KEYS = 30;

async function writeKeys(cluster: Rendered, member: Member): Promise<void> {
  for (let i = 0; i < KEYS; i++) expect((await etcdctl([member.clientUrl], cluster.operator, ["put", `coreform/keys/${i}`, `value-${i}`])).code).toBe(0);
  expect((await etcdctl([member.clientUrl], cluster.operator, ["put", LOCK_KEY, LOCK])).code).toBe(0);
  expect((await v2Set(member.clientUrl, readTls(cluster.operator), LOCK_KEY, LOCK)).status).toBe(201);
}

/** Every key, read through `member` alone (linearizable: it serves it only inside a quorum); `v2` also locksmith's v2 lock. */
async function expectKeys(cluster: Rendered, member: Member, v2 = true): Promise<void> {
  const got = await etcdctl([member.clientUrl], cluster.operator, ["get", "--prefix", "coreform/keys/", "-w", "json"]);
  expect(got.code).toBe(0);
  const kvs = (JSON.parse(got.stdout) as { kvs?: { key: string; value: string }[] }).kvs ?? [];
  expect(Object.fromEntries(kvs.map((kv) => [Buffer.from(kv.key, "base64").toString(), Buffer.from(kv.value, "base64").toString()]))).toEqual(
    Object.fromEntries(Array.from({ length: KEYS }, (_, i) => [`coreform/keys/${i}`, `value-${i}`])),
  );
  expect((await etcdctl([member.clientUrl], cluster.operator, ["get", LOCK_KEY, "--print-value-only"])).stdout.trim()).toBe(LOCK);
  if (v2) expect((await v2Get(member.clientUrl, readTls(cluster.operator), LOCK_KEY)).node?.value).toBe(LOCK);
}

async function members(cluster: Rendered): Promise<Membership> {
  const r = await run(cluster, "etcd", "members", "test", "--json");
  return JSON.parse(r.stdout) as Membership;
}
const states = (m: Membership) => m.members.map((x) => `${x.name} ${x.state}${x.state === "voting" ? (x.healthy ? " healthy" : " unhealthy") : ""}`);

afterAll(async () => {
  await stopScripts();
  await stopAllEtcd();
}, 30_000);

describeEtcd("coreform etcd add and remove: grow 3 → 5 and shrink 5 → 3 (real etcd on 127.0.87.0/24)", () => {
  let cluster: Rendered;
  const running = new Map<string, EtcdProcess>();

  beforeAll(async () => {
    cluster = await renderCluster("127.0.87", 3);
    const procs = await startCluster(cluster);
    cluster.members.forEach((m, i) => running.set(m.name, procs[i]!));
    await waitHealthy(procs, cluster.members.map((m) => m.clientUrl), cluster.operator);
    await writeKeys(cluster, cluster.members[0]!);
    // etcd refuses membership changes until its members have been connected for 5 s (HealthInterval).
    await sleep(5_500);
  }, 60_000);

  test("members: three voting, healthy, one the leader; exit 0", async () => {
    const r = await run(cluster, "etcd", "members", "test");
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("etcd of t/test: 3 voting members, 3 healthy, a quorum needs 2 (healthy)");
    expect(lines[2]).toMatch(/^MEMBER\s+ID\s+PEER URL\s+STATE\s+HEALTH$/);
    const rows = lines.slice(3, 6).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => [r[0], r[2], r[3]])).toEqual(cluster.members.map((m) => [m.name, m.peerUrl, "voting"]));
    for (const row of rows) expect(row[1]).toMatch(/^[0-9a-f]{1,16}$/);
    expect(rows.filter((r) => r[4] === "healthy, leader")).toHaveLength(1);
  });

  test("grow to 5: render plans two more; add one at a time, each node joins and votes; keys intact", async () => {
    cluster = await rerender(cluster, 5);
    const [, , , four, five] = cluster.members as [Member, Member, Member, Member, Member];
    expect(states(await members(cluster))).toEqual([
      ...["control-01", "control-02", "control-03"].map((n) => `${n} voting healthy`),
      "control-04 planned",
      "control-05 planned",
    ]);
    const planned = await run(cluster, "etcd", "members", "test");
    expect(planned.code).toBe(1);
    expect(planned.stdout).toContain("no member: coreform etcd add test control-04");
    // status counts etcd's voting members for the quorum, not planned nodes that are no member yet.
    expect((await run(cluster, "status", "test")).stdout).toContain("\nquorum:       healthy (3 of 3 members healthy, quorum needs 2)\n");

    const added = await run(cluster, "etcd", "add", "test", "control-04");
    expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: "" });
    expect(added.stdout).toMatch(/^added control-04 \(https:\/\/127\.0\.87\.13:2380\) as a learner, ID [0-9a-f]+: /);
    expect(added.stdout).toContain("next: deploy its node (cdktf deploy test)");
    expect(states(await members(cluster))).toContain("control-04 learner");

    // One at a time: the next waits until control-04 has joined.
    const early = await run(cluster, "etcd", "add", "test", "control-05");
    expect(early.code).toBe(1);
    expect(early.stderr).toBe("coreform etcd: control-04 (learner) has not joined yet: add one member at a time, the next once `coreform etcd members test` shows it voting");

    // Its node boots: listed and never started, it joins with `existing`, then promotes itself.
    const started: StartedMember = await startMember(four);
    expect(started.prepared).not.toMatch(/replacing|adding/);
    running.set(four.name, started.etcd);
    expect((await started.promote.done).output).toContain("control-04 votes now");
    await eventually(async () => expect(states(await members(cluster))).toContain("control-04 voting healthy"), 20_000);

    // Until control-04 has been connected for 5 s, etcd itself refuses (its quorum check), and says so.
    await eventually(async () => {
      const fifthAdded = await run(cluster, "etcd", "add", "test", "control-05");
      if (fifthAdded.code === 1) expect(fifthAdded.stderr).toBe("coreform etcd: etcd refused it: etcdserver: unhealthy cluster (a member has not been connected to the others for 5 s: try again)");
      expect({ code: fifthAdded.code, stderr: fifthAdded.stderr }).toEqual({ code: 0, stderr: "" });
    }, 15_000);
    const fifth = await startMember(five);
    running.set(five.name, fifth.etcd);
    await fifth.promote.done;
    await eventually(async () => {
      const m = await members(cluster);
      expect(states(m)).toEqual(cluster.members.map((x) => `${x.name} voting healthy`));
      expect(m.quorum).toEqual({ state: "healthy", healthy: 5, voting: 5, needed: 3 });
    }, 20_000);
    for (const m of [four, five]) await expectKeys(cluster, m);
    expect((await run(cluster, "etcd", "add", "test", "control-05")).stdout).toMatch(/^control-05 is a member already \(voting, ID [0-9a-f]+\): nothing to do$/);
  }, 120_000);

  test("refused: a node the plan does not have, a member still planned, removals that cost the quorum", async () => {
    const unknown = await run(cluster, "etcd", "add", "test", "control-09");
    expect({ code: unknown.code, stderr: unknown.stderr }).toEqual({
      code: 2,
      stderr: "coreform etcd: control-09 is not a control node of test (planned: control-01, control-02, control-03, control-04, control-05): plan it in the spec and render first",
    });
    const stillPlanned = await run(cluster, "etcd", "remove", "test", "control-05");
    expect(stillPlanned.code).toBe(2);
    expect(stillPlanned.stderr).toContain("control-05 is still a control node of test's plan, and its node would add it again");
    const notMember = await run(cluster, "etcd", "remove", "test", "control-07");
    expect(notMember.code).toBe(2);
    expect(notMember.stderr).toContain("control-07 is not a member of t/test (members: control-01, control-02, control-03, control-04, control-05)");
    for (const bad of [["add", "test"], ["remove", "test", "a", "b"], ["shrink", "test"], ["members"]]) expect((await run(cluster, "etcd", ...bad)).code).toBe(2);
  });

  test("shrink to 5 → 3: render plans three, remove the two one by one, keys intact and writes work", async () => {
    // Two members fewer at once: render refuses it unless the operator accepts it by name.
    cluster = await rerender(cluster, 3, "--accept", "remove-members");
    let m = await members(cluster);
    expect(m.members.filter((x) => !x.planned).map((x) => x.name)).toEqual(["control-04", "control-05"]);

    // With two of the five down, removing a healthy one would leave 2 healthy of 4: refused.
    await stopEtcd(running.get("control-01")!);
    await stopEtcd(running.get("control-02")!);
    await eventually(async () => expect((await members(cluster)).quorum).toEqual({ state: "degraded", healthy: 3, voting: 5, needed: 3 }), 20_000);
    const risky = await run(cluster, "etcd", "remove", "test", "control-04");
    expect({ code: risky.code, stderr: risky.stderr }).toEqual({
      code: 1,
      stderr: "coreform etcd: removing control-04 leaves 2 healthy of 4 voting members, and a quorum needs 3: make control-01, control-02 healthy first",
    });
    for (const name of ["control-01", "control-02"]) {
      const back = await startMember(cluster.members.find((x) => x.name === name)!);
      expect(back.prepared).toContain("holds a member: starting it as it is");
      running.set(name, back.etcd);
    }
    await eventually(async () => expect((await members(cluster)).quorum.healthy).toBe(5), 30_000);

    for (const name of ["control-05", "control-04"]) {
      const removed = await eventually(async () => {
        const r = await run(cluster, "etcd", "remove", "test", name);
        if (r.code === 1) expect(r.stderr).toMatch(/^coreform etcd: etcd refused it: etcdserver: unhealthy cluster/); // the restarted members' first 5 s
        expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
        return r;
      }, 15_000);
      expect(removed.stdout).toMatch(new RegExp(`^removed ${name} \\(ID [0-9a-f]+\\) from t/test\\nnext: deploy the spec without it \\(cdktf deploy test\\)`));
      // A removed member's etcd ends itself.
      await eventually(async () => expect(running.get(name)!.hasEnded()).toBe(true), 20_000);
    }
    m = await members(cluster);
    expect(states(m)).toEqual(["control-01 voting healthy", "control-02 voting healthy", "control-03 voting healthy"]);
    for (const x of cluster.members) await expectKeys(cluster, x);
    expect((await etcdctl([cluster.members[2]!.clientUrl], cluster.operator, ["put", "coreform/after-shrink", "yes"])).code).toBe(0);
  }, 120_000);
});

describeEtcd("snapshots and a restore (real etcd on 127.0.88.0/24)", () => {
  let cluster: Rendered;
  let procs: EtcdProcess[];

  beforeAll(async () => {
    cluster = await renderCluster("127.0.88", 3);
    procs = await startCluster(cluster);
    await waitHealthy(procs, cluster.members.map((m) => m.clientUrl), cluster.operator);
    await writeKeys(cluster, cluster.members[1]!);
  }, 60_000);

  test("a node's timer snapshot: 0600 files, a sha256 beside each, only the newest KEEP kept, each one whole", async () => {
    const member = cluster.members[0]!;
    for (let i = 0; i < 3; i++) {
      const r = await runScript(member, ["snapshot", "2"]).done;
      expect(r.code).toBe(0);
      expect(r.output).toMatch(/etcd-member: saved \S+\/etcd-control-01-\d{8}T\d{6}Z\.db, sha256 [0-9a-f]{64}/);
      await sleep(1_100); // one file a second: their names hold the time
    }
    const files = readdirSync(member.snapshotDir).sort();
    expect(files).toHaveLength(4);
    expect(files.filter((f) => f.endsWith(".db"))).toHaveLength(2);
    expect((statSync(member.snapshotDir).mode & 0o777).toString(8)).toBe("700");
    for (const f of files.filter((x) => x.endsWith(".db"))) {
      expect((statSync(join(member.snapshotDir, f)).mode & 0o777).toString(8)).toBe("600");
      const status = await etcdctl([], cluster.operator, ["snapshot", "status", join(member.snapshotDir, f), "-w", "json"]);
      expect(status.code).toBe(0);
      expect((JSON.parse(status.stdout) as { totalKey: number }).totalKey).toBeGreaterThanOrEqual(KEYS);
    }
  }, 60_000);

  test("a member that accepts connections and never answers costs a timeout, not a hang", async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve, reject) => silent.once("error", reject).listen(2379, "127.0.88.250", resolve));
    try {
      const endpoints = `https://127.0.88.250:2379,${cluster.members[1]!.clientUrl}`;
      let started = Date.now();
      const listed = await run(cluster, "etcd", "members", "test", "--endpoints", endpoints);
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(listed.stdout).toContain("etcd of t/test: 3 voting members");
      started = Date.now();
      const saved = await run(cluster, "etcd", "snapshot", "test", "--endpoints", endpoints, "-o", "through-silent.db");
      expect(Date.now() - started).toBeLessThan(10_000);
      expect({ code: saved.code, first: saved.stdout.split("\n")[0] }).toEqual({ code: 0, first: expect.stringMatching(/^wrote through-silent\.db .* from control-02 at revision \d+$/) });
    } finally {
      for (const s of held) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);

  test("coreform etcd snapshot, every member's data destroyed, restore: every key there, writes work", async () => {
    const out = join(cluster.dir, "backup.db");
    const saved = await run(cluster, "etcd", "snapshot", "test", "-o", "backup.db");
    expect(saved.code).toBe(0);
    // The v2 keyspace (an older locksmith's lock) is in no v3 snapshot: said, not hidden.
    expect(saved.stderr).toBe(
      "warning: etcd's v2 keyspace holds /coreos.com, which no v3 snapshot holds (etcd.io/docs/v3.5/op-guide/recovery): " +
        "after a restore it is empty: an older locksmithd's reboot lock starts anew (1 of 1 free: set-max again), fleet's units are gone",
    );
    const [wrote, sha, hint] = saved.stdout.split("\n");
    expect(wrote).toMatch(/^wrote backup\.db \(0600, \d+ bytes\) from control-0\d at revision \d+$/);
    expect(sha).toMatch(/^sha256 [0-9a-f]{64} \(etcd's own checksum at its end verified\)$/);
    expect(hint).toBe("to restore it: coreform etcd restore test backup.db");
    expect((statSync(out).mode & 0o777).toString(8)).toBe("600");
    const revision = Number(/revision (\d+)/.exec(wrote!)![1]);
    const status = await etcdctl([], cluster.operator, ["snapshot", "status", out, "-w", "json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ revision });
    expect((await run(cluster, "etcd", "snapshot", "test", "-o", "backup.db")).code).toBe(2); // never overwritten

    const steps = await run(cluster, "etcd", "restore", "test", "backup.db");
    expect(steps.code).toBe(0);
    const restoreLine = steps.stdout.split("\n").find((l) => l.startsWith("3. "))!;
    const args = /sudo \/opt\/coreform\/etcd-member (restore \S+ [0-9a-f]{64} \S+)$/.exec(restoreLine)![1]!.split(" ");
    expect(args[2]).toBe(/sha256 ([0-9a-f]{64})/.exec(sha!)![1]);
    expect(args[3]).toBe(cluster.members.map((m) => `${m.name}=${m.peerUrl}`).join(","));

    // The script refuses while etcd runs, and a file that is not the one named.
    const running = await runScript(cluster.members[0]!, ["restore", out, args[2]!, args[3]!]).done;
    expect(running.code).not.toBe(0);
    expect(running.output).toContain("etcd-member: etcd runs: stop etcd-member on every member first");

    // Lost: every member's data.
    for (const p of procs) await stopEtcd(p);
    for (const m of cluster.members) rmSync(m.dataDir, { recursive: true, force: true });
    const wrongSum = await runScript(cluster.members[0]!, ["restore", out, "0".repeat(64), args[3]!]).done;
    expect(wrongSum.output).toContain(`etcd-member: ${out}: sha256 is not ${"0".repeat(64)}`);

    for (const m of cluster.members) {
      const r = await runScript(m, ["restore", out, args[2]!, args[3]!]).done;
      expect({ code: r.code, output: r.output }).toEqual({ code: 0, output: expect.stringContaining(`etcd-member: restored ${m.name} from ${out} in ${args[3]}`) });
    }
    const restarted = await Promise.all(cluster.members.map((m) => startMember(m)));
    for (const s of restarted) expect(s.prepared).toContain("holds a member: starting it as it is");
    await waitHealthy(restarted.map((s) => s.etcd), cluster.members.map((m) => m.clientUrl), cluster.operator);
    for (const m of cluster.members) await expectKeys(cluster, m, false);
    expect((await v2Get(cluster.members[0]!.clientUrl, readTls(cluster.operator), LOCK_KEY)).status).toBe(404);
    expect((await etcdctl([cluster.members[0]!.clientUrl], cluster.operator, ["put", "coreform/after-restore", "yes"])).code).toBe(0);
    const m = await members(cluster);
    expect(states(m)).toEqual(cluster.members.map((x) => `${x.name} voting healthy`));
    expect(readFileSync(out).length).toBeGreaterThan(0);
  }, 120_000);

  test("a snapshot path with a space is quoted in the restore hint: pasted into a shell it gives the file", async () => {
    const saved = await run(cluster, "etcd", "snapshot", "test", "-o", "my backups/it's.db");
    expect(saved.code).toBe(0);
    const hint = saved.stdout.split("\n").find((l) => l.startsWith("to restore it: "))!.slice("to restore it: ".length);
    expect(hint).toBe(`coreform etcd restore test 'my backups/it'\\''s.db'`);
    expect(execFileSync("sh", ["-c", `set -- ${hint}; printf %s "$5"`], { encoding: "utf8" })).toBe("my backups/it's.db");
  }, 30_000);

  testWithTools(["strace"])("killed (kill -9) before the whole snapshot is in place: render --check names the copy it left (it holds every key), render removes it", async () => {
    const snapshots = join(cluster.dir, ".coreform/test/snapshots");
    // strace kills the command as it enters link(2), which puts the whole, checked snapshot in place.
    const killed = spawnSync("strace", ["-f", "-qq", "-o", "/dev/null", "-e", "trace=link", "-e", "inject=link:signal=KILL:when=1", process.execPath, CLI_ENTRY, "etcd", "snapshot", "test"], {
      cwd: cluster.dir,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(killed.status).not.toBe(0);
    const left = readdirSync(snapshots);
    expect(left).toEqual([expect.stringMatching(/^\.etcd-test-\d{8}T\d{6}Z\.db\.coreform-tmp-\d+-\d+$/)]);
    const check = await run(cluster, "render", "--check");
    expect(check.stdout).toContain(`.coreform/test/snapshots/${left[0]}: left by an interrupted run (render removes it)`);
    expect((await run(cluster, "render")).code).toBe(0);
    expect(readdirSync(snapshots)).toEqual([]);
  }, 90_000);
});
