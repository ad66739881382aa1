// `coreform roll` against a real etcd cluster (Debian's etcd, started from the rendered configs with the
// node's own etcd-member script, test/helpers/cluster.ts) and a stand-in `terraform` whose "replacement"
// of a node restarts that node's member, on its kept data dir (a data disk) or on an empty one (a new
// root disk): the roll's order, its gates, its stop and resume. The real CLI runs in a child process,
// as a user runs it (it synthesizes the real libvirt stack); `terraform` and `kubectl` first on its
// PATH are the stand-ins, and this process carries out each apply they are asked for.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATION } from "../../src/plan/record";
import { cli, cliProcess, tempDir } from "../helpers/cli";
import { renderCluster, startCluster, startMember, stopScripts, wipe, type Member, type Rendered } from "../helpers/cluster";
import { etcdctl, parseEtcdJson, stopAllEtcd, stopEtcd, waitHealthy, type EtcdProcess } from "../helpers/etcd";
import { describeWithTools } from "../helpers/tools";
import { coreform, fakeHost } from "../vagrant/fake-vagrant";

const describeEtcd = describeWithTools(["etcd", "etcdctl", "curl", "jq", "bash"]);

/** Logs its arguments; an `apply` waits for the test to carry it out and exits with the code it is given. */
const FAKE_TERRAFORM = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_DIR/terraform.log"
case " $* " in *" apply "*) ;; *) exit 0 ;; esac
echo '{"@level":"info","@message":"Plan: 4 to add, 0 to change, 4 to destroy.","type":"change_summary"}'
echo '{"@level":"info","@message":"raw","content":"-----BEGIN PRIVATE KEY----- of the user data"}'
echo 'not JSON: -----BEGIN PRIVATE KEY-----'
n=$(date +%s%N)
printf '%s\\n' "$*" > "$FAKE_DIR/requests/.$n" && mv "$FAKE_DIR/requests/.$n" "$FAKE_DIR/requests/$n"
while [ ! -f "$FAKE_DIR/done/$n" ]; do sleep 0.1; done
exit "$(cat "$FAKE_DIR/done/$n")"
`;
/** Logs its arguments; every node is Ready but those named in $FAKE_DIR/not-ready. */
const FAKE_KUBECTL = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_DIR/kubectl.log"
case " $* " in *" get node "*)
  if [ -f "$FAKE_DIR/not-ready" ] && [ "$(cat "$FAKE_DIR/not-ready")" = "$5" ]; then printf 'False'; else printf 'True'; fi ;;
esac
`;

/** What the stand-in does when asked to replace a node: its member back with its data, or empty; the apply failing; the machine never back. */
type Action = "keep" | "wipe" | "fail" | "lost";

interface Fake {
  readonly dir: string;
  /** `coreform ARGS…` with the stand-ins first on its PATH. */
  roll(...args: string[]): ReturnType<typeof cliProcess>;
  /** The nodes replaced so far, in order, with the generation each had in the record when its apply ran. */
  readonly replaced: { node: string; generation: number | undefined }[];
  actions: Record<string, Action>;
  terraform(): string[];
  kubectl(): string[];
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);
const recordOf = (cluster: Rendered) => JSON.parse(readFileSync(join(cluster.dir, ".coreform", "test", "record.json"), "utf8")) as { nodes: { name: string; generation: number }[] };

let stopWatching: (() => void) | undefined;
afterEach(async () => {
  stopWatching?.();
  await stopScripts();
  await stopAllEtcd();
}, 30_000);

/** Puts the stand-ins first on PATH and carries out each apply on `procs` (the members' etcd, replaced as it goes). */
function fakeTools(cluster: Rendered, procs: (EtcdProcess | undefined)[]): Fake {
  const dir = tempDir("coreform-fake-tf-");
  for (const d of ["bin", "requests", "done"]) mkdirSync(join(dir, d));
  writeFileSync(join(dir, "bin", "terraform"), FAKE_TERRAFORM);
  writeFileSync(join(dir, "bin", "kubectl"), FAKE_KUBECTL);
  for (const tool of ["terraform", "kubectl"]) chmodSync(join(dir, "bin", tool), 0o755);
  const env = { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}`, FAKE_DIR: dir };
  const roll = (...args: string[]) => cliProcess(cluster.dir, ["roll", ...args], { env, killAfterMs: 200_000 });
  const fake: Fake = { dir, roll, replaced: [], actions: {}, terraform: () => lines(join(dir, "terraform.log")), kubectl: () => lines(join(dir, "kubectl.log")) };

  const replace = async (node: string): Promise<number> => {
    fake.replaced.push({ node, generation: recordOf(cluster).nodes.find((n) => n.name === node)?.generation });
    const action = fake.actions[node] ?? "keep";
    if (action === "fail") return 1;
    const i = cluster.members.findIndex((m) => m.name === node);
    if (i < 0) return 0; // a worker: no member
    const member = cluster.members[i] as Member;
    if (procs[i]) await stopEtcd(procs[i]!);
    if (action === "wipe") await wipe(member);
    procs[i] = action === "lost" ? undefined : (await startMember(member)).etcd;
    return 0;
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    const [request] = readdirSync(join(dir, "requests")).filter((f) => !f.startsWith("."));
    if (!request) return;
    busy = true;
    const args = readFileSync(join(dir, "requests", request), "utf8");
    const node = /-replace=libvirt_domain\.(\S+)/.exec(args)?.[1] ?? "";
    void replace(node)
      .catch(() => 1)
      .then((code) => {
        renameSync(join(dir, "requests", request), join(dir, `handled-${request}`));
        writeFileSync(join(dir, "done", request), String(code));
        busy = false;
      });
  }, 100);
  stopWatching = () => clearInterval(timer);
  return fake;
}

/** The record as a coreform before this one left it: every node of generation 0. */
function oldRecord(cluster: Rendered): void {
  const file = join(cluster.dir, ".coreform", "test", "record.json");
  writeFileSync(file, readFileSync(file, "utf8").replace(/"generation":1/g, '"generation":0'));
}

async function memberIds(cluster: Rendered): Promise<Record<string, string>> {
  const list = await etcdctl(cluster.members.map((m) => m.clientUrl), cluster.operator, ["member", "list", "-w", "json"]);
  return Object.fromEntries(parseEtcdJson<{ members: { ID: string; name: string }[] }>(list.stdout).members.map((m) => [m.name, String(m.ID)]));
}

const urls = (cluster: Rendered) => cluster.members.map((m) => m.clientUrl);
/** The addresses the libvirt stack marks for a node (test/stacks/roll.test.ts checks every platform's). */
const applyOf = (node: string) =>
  `-chdir=cdktf.out/stacks/test apply -auto-approve -input=false -json -replace=libvirt_domain.${node} -replace=libvirt_ignition.${node}-ignition -replace=libvirt_volume.${node}-config -replace=libvirt_volume.${node}-disk`;

describeEtcd("coreform roll (real etcd, a stand-in terraform)", () => {
  test("control nodes one by one, then the worker; a member back on its data and one on an empty disk; kubernetes drained and back; every key kept", async () => {
    const cluster = await renderCluster("127.0.101", 3, { worker: 1, scheduler: "kubernetes" });
    expect((await cli(cluster.dir, "kubeconfig", "test")).code).toBe(0);
    oldRecord(cluster);
    const procs: (EtcdProcess | undefined)[] = await startCluster(cluster);
    await waitHealthy(procs as EtcdProcess[], urls(cluster), cluster.operator);
    for (let i = 0; i < 10; i++) expect((await etcdctl(urls(cluster), cluster.operator, ["put", `coreform/roll/${i}`, `v${i}`])).code).toBe(0);
    const before = await memberIds(cluster);
    const fake = fakeTools(cluster, procs);
    fake.actions = { "control-02": "wipe" };

    const r = await fake.roll("test", "--wait", "60");
    expect(r.stderr.replace(/^warning: network\.cidr.*\n?/, "")).toBe("");
    expect(r.code).toBe(0);
    // The order, and each node moved to this coreform's generation before its machine was replaced.
    expect(fake.replaced).toEqual(["control-01", "control-02", "control-03", "worker-01"].map((node) => ({ node, generation: GENERATION })));
    expect(recordOf(cluster).nodes.map((n) => n.generation)).toEqual([GENERATION, GENERATION, GENERATION, GENERATION]);
    expect(fake.terraform()).toEqual(["-chdir=cdktf.out/stacks/test init -input=false", ...["control-01", "control-02", "control-03", "worker-01"].map(applyOf)]);
    const kubeconfig = join(cluster.dir, ".coreform", "test", "kubeconfig");
    expect(fake.kubectl().filter((l) => l.includes("control-01"))).toEqual(
      [
        "cordon control-01",
        "drain control-01 --ignore-daemonsets --delete-emptydir-data --timeout=60s",
        "delete node control-01 --ignore-not-found --timeout=60s",
        'get node control-01 -o jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        "uncordon control-01",
      ].map((l) => `--kubeconfig ${kubeconfig} ${l}`),
    );
    expect(r.stdout).toContain("coreform roll test: control-01, control-02, control-03, worker-01, one at a time");
    expect(r.stdout).toContain("coreform roll test: control-02 replaced (2 of 4), its etcd member voting and healthy");
    expect(r.stdout).toContain("coreform roll test: done, 4 nodes replaced");
    // Terraform's machine-readable messages, never a value it would show (user data holds keys).
    expect(r.stdout).toContain("Plan: 4 to add, 0 to change, 4 to destroy.");
    expect(r.stdout).not.toContain("PRIVATE KEY");

    // control-01 and -03 came back as the same members; control-02, empty, as a new one; every key there.
    const after = await memberIds(cluster);
    expect(after["control-01"]).toBe(before["control-01"]);
    expect(after["control-03"]).toBe(before["control-03"]);
    expect(after["control-02"]).not.toBe(before["control-02"]);
    for (const m of cluster.members) {
      const got = await etcdctl([m.clientUrl], cluster.operator, ["get", "--prefix", "coreform/roll/", "--print-value-only"]);
      expect(got.stdout.trim().split("\n")).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
    }

    // A node that is not Ready again within --wait stops the roll there, left cordoned.
    writeFileSync(join(fake.dir, "not-ready"), "worker-01");
    const notReady = await fake.roll("test", "worker-01", "--wait", "2");
    expect(notReady.code).toBe(1);
    expect(notReady.stderr).toContain(
      "coreform roll test: stopped at worker-01 (1 of 1) waiting for it: node worker-01 is not Ready within 2 s: its Ready condition is False\n" +
        "when that is fixed, resume with: coreform roll test worker-01 --wait 2",
    );
    expect(fake.kubectl().at(-1)).toContain("get node worker-01");
  }, 240_000);

  test("never starts while another member is down: no spare member; nothing replaced, the record unchanged", async () => {
    const cluster = await renderCluster("127.0.102", 3);
    const procs = await startCluster(cluster);
    await waitHealthy(procs, urls(cluster), cluster.operator);
    await stopEtcd(procs[2]!);
    const record = readFileSync(join(cluster.dir, ".coreform", "test", "record.json"), "utf8");
    const fake = fakeTools(cluster, procs);

    const r = await fake.roll("test", "control-01");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "coreform roll test: stopped at control-01 (1 of 1) checking etcd: replacing control-01 leaves 1 healthy of 3 voting members, and a quorum needs 2: make control-03 healthy first\n" +
        "when that is fixed, resume with: coreform roll test control-01",
    );
    expect(fake.terraform()).toEqual([]);
    expect(readFileSync(join(cluster.dir, ".coreform", "test", "record.json"), "utf8")).toBe(record);
  }, 120_000);

  test("stops at the first failure, says where and how to resume; resumed, it goes on from there", async () => {
    const cluster = await renderCluster("127.0.103", 3);
    const procs: (EtcdProcess | undefined)[] = await startCluster(cluster);
    await waitHealthy(procs as EtcdProcess[], urls(cluster), cluster.operator);
    const fake = fakeTools(cluster, procs);

    // Terraform fails on control-02: control-03 is never touched.
    fake.actions = { "control-02": "fail" };
    const failed = await fake.roll("test", "--wait", "5");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `coreform roll test: stopped at control-02 (2 of 3) replacing it: \`terraform ${applyOf("control-02")}\` failed (exit 1)\n` +
        "when that is fixed, resume with: coreform roll test control-02 control-03 --wait 5",
    );
    expect(fake.replaced.map((r) => r.node)).toEqual(["control-01", "control-02"]);

    // Resumed, control-02's new machine never comes back: the roll waits its bound and stops there.
    fake.actions = { "control-02": "lost" };
    const lost = await fake.roll("test", "control-02", "control-03", "--wait", "5");
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(/coreform roll test: stopped at control-02 \(1 of 2\) waiting for it: its etcd member is not back within 5 s: control-02 is not healthy/);
    expect(lost.stderr).toContain("when that is fixed, resume with: coreform roll test control-02 control-03 --wait 5");

    // control-02 is the member down: replacing it keeps the quorum, so the roll may start there, and ends.
    fake.actions = {};
    const resumed = await fake.roll("test", "control-02", "control-03", "--wait", "30");
    expect(resumed.code).toBe(0);
    expect(fake.replaced.map((r) => r.node)).toEqual(["control-01", "control-02", "control-02", "control-02", "control-03"]);
    await waitHealthy(procs.filter((p): p is EtcdProcess => p !== undefined), urls(cluster), cluster.operator);
  }, 240_000);

  test("vagrant: the same loop over vagrant destroy -f NODE and vagrant up NODE (a stand-in vagrant)", async () => {
    const cluster = await renderCluster("127.0.104", 3, { worker: 1, platform: "vagrant" });
    const host = fakeHost();
    expect((await coreform(host, cluster.dir, "up", "test")).code).toBe(0);
    const procs = await startCluster(cluster);
    await waitHealthy(procs, urls(cluster), cluster.operator);
    const calls = host.calls().length;

    const r = await coreform(host, cluster.dir, "roll", "test", "worker-01", "control-02", "--wait", "30");
    expect(r.code).toBe(0);
    // Control nodes first whatever the order named; each machine destroyed and brought up alone.
    expect(host.calls().slice(calls).filter((c) => !c.includes("--version"))).toEqual([
      "test|destroy -f control-02",
      "test|up --provider=virtualbox control-02",
      "test|destroy -f worker-01",
      "test|up --provider=virtualbox worker-01",
    ]);
    expect(r.stdout).toContain("coreform: control-02 destroyed (1/1)");
    expect(r.stdout).toContain("coreform: worker-01 up (1/1)");
    expect(r.stdout).toContain("coreform roll test: done, 2 nodes replaced");
    expect(readFileSync(join(host.state, "control-02"), "utf8").trim()).toBe("running");

    // A machine that does not come up stops the roll there.
    host.env.FAKE_FAIL_AT = "control-01";
    const failed = await coreform(host, cluster.dir, "roll", "test", "--wait", "30");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("coreform roll test: stopped at control-01 (1 of 4) replacing it: vagrant up failed at control-01 (exit 1); Vagrant's output above says why");
    expect(failed.stderr).toContain("when that is fixed, resume with: coreform roll test control-01 control-02 control-03 worker-01 --wait 30");
  }, 180_000);
});
