// A node's identity kept by the environment's record: planCluster given the record of an earlier plan
// keeps every node that still exists where it was, and compareRecords says what a change does.
import { compareRecords, type EnvironmentChange } from "../../src/plan/changes";
import { planCluster, type ClusterPlan } from "../../src/plan/plan";
import { parseRecord, recordOf, serializeRecord, settingsOf, type EnvironmentRecord } from "../../src/plan/record";
import type { Spec, SpecInput } from "../../src/spec/schema";
import { editSpec, smallSpec, type Doc } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";

const spec = (edit: (doc: SpecInput) => void = () => {}, base = smallSpec()): Spec => specFrom(editSpec(edit as (d: Doc) => void, base));
const groups = (...g: SpecInput["nodes"]) => (d: SpecInput) => (d.nodes = g);

/** The record a render of `plan` would write (each node's user data standing in by its name, `files` by `mark`). */
function recorded(s: Spec, plan: ClusterPlan, previous?: EnvironmentRecord, mark = ""): EnvironmentRecord {
  const nodes = plan.nodes.map((n) => ({ ...n, userData: `${n.name}${mark}`, files: { "/etc/hostname": n.name, "/etc/x": mark } }));
  return recordOf(nodes, settingsOf(s.name, plan.cidr, s.environments[plan.environment]!), previous);
}

/** Renders `before`, then plans `after` with that record: each plan's nodes as `name ip`. */
function replan(before: Spec, after: Spec, env = "test") {
  const first = planCluster(before, env);
  const record = recorded(before, first);
  const second = planCluster(after, env, record);
  const show = (p: ClusterPlan) => p.nodes.map((n) => `${n.name} ${n.ip}`);
  return { first: show(first), second: show(second), record, plan: second };
}

const existing = (before: string[], after: string[]) => before.filter((n) => after.includes(n));

describe("a node keeps its name and address while it exists", () => {
  const base = groups({ name: "control", role: "control", count: 3 }, { name: "worker", role: "worker", count: 2 });
  it.each([
    ["groups reordered", groups({ name: "worker", role: "worker", count: 2 }, { name: "control", role: "control", count: 3 })],
    ["a group inserted first", groups({ name: "db", role: "worker", count: 2 }, { name: "control", role: "control", count: 3 }, { name: "worker", role: "worker", count: 2 })],
    ["a group inserted between", groups({ name: "control", role: "control", count: 3 }, { name: "db", role: "worker", count: 1 }, { name: "worker", role: "worker", count: 2 })],
    ["a worker more", groups({ name: "control", role: "control", count: 3 }, { name: "worker", role: "worker", count: 3 })],
    ["a control node more, listed last", groups({ name: "worker", role: "worker", count: 2 }, { name: "control", role: "control", count: 5 })],
    ["a worker fewer", groups({ name: "control", role: "control", count: 3 }, { name: "worker", role: "worker", count: 1 })],
    ["the worker group removed", groups({ name: "control", role: "control", count: 3 })],
  ])("%s", (_name, edit) => {
    const { first, second } = replan(spec(base), spec(edit));
    expect(existing(first, second)).toEqual(second.filter((n) => first.includes(n)));
    // Every node planned before and still in the spec is in the new plan exactly as it was.
    const kept = (s: string[]) => s.map((n) => n.split(" ")[0]!);
    for (const n of first) if (kept(second).includes(n.split(" ")[0]!)) expect(second).toContain(n);
  });

  it.each([
    [9, 10, "worker-10", 2],
    [99, 100, "worker-100", 2],
    [999, 1000, "worker-1000", 3],
  ])("a group of %i growing to %i adds %s and renames nobody (the group keeps width %i)", (from, to, added, width) => {
    const at = (count: number) => spec(groups({ name: "control", role: "control", count: 1 }, { name: "worker", role: "worker", count }), smallSpec({ cidr: "10.42.0.0/20" }));
    const { first, second } = replan(at(from), at(to));
    expect(second.slice(0, first.length)).toEqual(first);
    expect(second.slice(first.length).map((n) => n.split(" ")[0])).toEqual([added]);
    expect(first[1]!.split(" ")[0]).toBe(`worker-${"1".padStart(width, "0")}`);
  });

  it("a new environment gets what the spec's order gives, as before records: a group of 100 is 3 digits wide", () => {
    const s = spec(groups({ name: "worker", role: "worker", count: 100 }, { name: "control", role: "control", count: 1 }));
    const plan = planCluster(s, "test");
    expect(plan.nodes.slice(0, 2).map((n) => `${n.name} ${n.ip}`)).toEqual(["worker-001 10.42.0.10", "worker-002 10.42.0.11"]);
    expect(plan.nodes.at(-1)).toMatchObject({ name: "control-01", ip: "10.42.0.110", index: 100 });
  });

  it("a removed node's address goes to no other node, and comes back with its name", () => {
    const two = spec(groups({ name: "control", role: "control", count: 1 }, { name: "worker", role: "worker", count: 2 }));
    const one = spec(groups({ name: "control", role: "control", count: 1 }, { name: "worker", role: "worker", count: 1 }));
    const withDb = spec(groups({ name: "control", role: "control", count: 1 }, { name: "worker", role: "worker", count: 1 }, { name: "db", role: "worker", count: 1 }));
    const r1 = recorded(two, planCluster(two, "test"));
    const p2 = planCluster(withDb, "test", r1);
    const r2 = recorded(withDb, p2, r1);
    expect(r2.retired).toEqual([{ name: "worker-02", group: "worker", slot: 2 }]);
    expect(p2.nodes.map((n) => `${n.name} ${n.ip}`)).toEqual(["control-01 10.42.0.10", "worker-01 10.42.0.11", "db-01 10.42.0.13"]);
    const p3 = planCluster(one, "test", r2);
    const r3 = recorded(one, p3, r2);
    expect(r3.retired).toEqual([
      { name: "worker-02", group: "worker", slot: 2 },
      { name: "db-01", group: "db", slot: 3 },
    ]);
    const back = planCluster(two, "test", r3);
    expect(back.nodes.map((n) => `${n.name} ${n.ip}`)).toEqual(["control-01 10.42.0.10", "worker-01 10.42.0.11", "worker-02 10.42.0.12"]);
    expect(planCluster(withDb, "test", recorded(two, back, r3)).nodes.at(-1)).toMatchObject({ name: "db-01", ip: "10.42.0.13" });
  });

  it("a network that has no address left but removed nodes' says so", () => {
    const at = (count: number) => spec(groups({ name: "control", role: "control", count: 1 }, { name: "worker", role: "worker", count }), smallSpec({ cidr: "10.42.0.0/28" }));
    const r = recorded(at(1), planCluster(at(1), "test"));
    const shrunk = recorded(spec(groups({ name: "control", role: "control", count: 1 }), smallSpec({ cidr: "10.42.0.0/28" })), planCluster(spec(groups({ name: "control", role: "control", count: 1 }), smallSpec({ cidr: "10.42.0.0/28" })), "test", r), r);
    const renamed = spec(groups({ name: "control", role: "control", count: 1 }, { name: "db", role: "worker", count: 3 }), smallSpec({ cidr: "10.42.0.0/28" }));
    expect(() => planCluster(renamed, "test", shrunk)).toThrow(/10\.42\.0\.0\/28 has no address left for db-03: 1 of its 4 node addresses belong to nodes removed since/);
  });

  it("a record's text reads back as the same record, one node a line", () => {
    const s = spec();
    const record = recorded(s, planCluster(s, "test"));
    const text = serializeRecord(record);
    expect(parseRecord(text)).toEqual(record);
    expect(text.split("\n").filter((l) => l.startsWith('    {"name":"'))).toHaveLength(4);
    expect(parseRecord("{}")).toMatch(/^version: /);
  });
});

describe("what a change does (compareRecords)", () => {
  const change = (before: Spec, after: Spec, env = "test", mark = ""): EnvironmentChange => {
    const first = planCluster(before, env);
    const previous = recorded(before, first);
    const plan = planCluster(after, env, previous);
    const next = recorded(after, plan, previous, mark);
    return compareRecords({ cluster: after.name, environment: env, platform: plan.platform, settings: next.settings!.environment, cidr: plan.cidr, previous, next });
  };
  const control = (count: number) => spec(groups({ name: "control", role: "control", count }, { name: "worker", role: "worker", count: 1 }));

  it("nothing: every node unchanged, no refusal, no step", () => {
    const c = change(control(3), control(3));
    expect(c.nodes.map((n) => n.state)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect([c.refusals, c.steps, c.settings]).toEqual([[], [], []]);
  });

  it("a node's files: which changed, which are new and gone", () => {
    const c = change(control(1), control(1), "test", "!");
    expect(c.nodes[0]).toEqual({ name: "control-01", role: "control", ip: "10.42.0.10", state: "changed", what: ["/etc/x"] });
  });

  it("one member more: the deploy, then how it joins by itself (or coreform etcd add) and what to watch", () => {
    const c = change(control(3), control(4));
    expect(c.members).toEqual({ before: ["control-01", "control-02", "control-03"], after: ["control-01", "control-02", "control-03", "control-04"] });
    expect(c.refusals).toEqual([]);
    expect(c.steps.slice(0, 3)).toEqual([
      "deploy: npx cdktf deploy test",
      expect.stringMatching(/^control-04 joins the running etcd by itself at first boot: it adds itself as a learner \(no vote: the quorum stays 2 of 3\)/),
      expect.stringMatching(/^watch: coreform etcd members test until control-04 votes .* \(then 4 members, quorum 3\); .*: coreform etcd add test control-04$/),
    ]);
  });

  it("members where there were none (a record without nodes) start a new etcd", () => {
    const after = control(3);
    const plan = planCluster(after, "test");
    const previous: EnvironmentRecord = { version: 1, generation: 1, groups: {}, nodes: [], retired: [] };
    const next = recorded(after, plan, previous);
    const c = compareRecords({ cluster: "t", environment: "test", platform: "libvirt", settings: next.settings!.environment, cidr: plan.cidr, previous, next });
    expect(c.steps).toEqual(["deploy: npx cdktf deploy test", "control-01, control-02, control-03 start a new etcd at first boot: no member ran before"]);
  });

  it("one member fewer: removed with coreform etcd remove before the deploy", () => {
    const c = change(control(3), control(2));
    expect(c.refusals).toEqual([]);
    expect(c.steps[0]).toMatch(/^before deploying: coreform etcd remove test control-03 /);
  });

  it("two members fewer, and below the quorum: refused, each by its name", () => {
    expect(change(control(5), control(3)).refusals).toEqual([{ accept: "remove-members", subject: "control-04, control-05", reason: "2 etcd members removed at once" }]);
    expect(change(control(3), control(1)).refusals.map((r) => r.accept)).toEqual(["remove-members", "quorum"]);
    expect(change(control(2), control(1)).refusals).toEqual([{ accept: "quorum", subject: "etcd", reason: "1 of 2 members left, below the running cluster's quorum of 2" }]);
  });

  it("another network re-addresses every node: refused per node, and the setting by the platform (on KVM, impossible)", () => {
    const c = change(control(1), spec(groups({ name: "control", role: "control", count: 1 }, { name: "worker", role: "worker", count: 1 }), smallSpec({ cidr: "10.43.0.0/24" })));
    expect(c.refusals).toEqual([
      { accept: "readdress", subject: "control-01", reason: "address 10.42.0.10 → 10.43.0.10" },
      { accept: "readdress", subject: "worker-01", reason: "address 10.42.0.11 → 10.43.0.11" },
      // KVM: nothing can do it (the provider never changes a network).
      { subject: "network.cidr", reason: expect.stringMatching(/^10\.42\.0\.0\/24 → 10\.43\.0\.0\/24: the provider never changes a network's addresses/) },
    ]);
  });

  it("a group renamed would replace its nodes: refused", () => {
    const renamed = spec(groups({ name: "control", role: "control", count: 1 }, { name: "app", role: "worker", count: 1 }));
    expect(change(control(1), renamed).refusals).toEqual([{ accept: "rename", subject: "group worker", reason: expect.stringContaining("group app's come") }]);
  });

  it("a control node's size on KVM: refused (every domain stopped at once); a worker's: applied", () => {
    const sized = (role: "control" | "worker") => spec((d) => (d.environments.test = { platform: "libvirt", [role]: { memoryMiB: 4096 } }));
    expect(change(control(3), { ...sized("control"), nodes: control(3).nodes }).refusals).toEqual([
      { accept: "stop", subject: "control.memoryMiB", reason: expect.stringMatching(/^2048 → 4096: the domain is stopped/) },
    ]);
    const worker = change(control(3), { ...sized("worker"), nodes: control(3).nodes });
    expect(worker.refusals).toEqual([]);
    expect(worker.settings).toEqual([{ path: "worker.memoryMiB", from: 2048, to: 4096, effect: { kind: "applied", what: expect.stringContaining("every worker at once") } }]);
  });

  it("a new node on a KVM network made before records: its DHCP entry by hand, before the deploy", () => {
    const before = control(1);
    const previous = { ...recorded(before, planCluster(before, "test")), generation: 0 as const };
    const after = spec(groups({ name: "control", role: "control", count: 1 }, { name: "worker", role: "worker", count: 2 }));
    const plan = planCluster(after, "test", previous);
    const next = recorded(after, plan, previous);
    const c = compareRecords({ cluster: "t", environment: "test", platform: "libvirt", settings: next.settings!.environment, cidr: plan.cidr, previous, next });
    expect(c.steps[0]).toBe(
      `before deploying worker-02: virsh -c qemu:///system net-update t-test add-last ip-dhcp-host "<host mac='52:54:00:2a:00:0c' name='worker-02' ip='10.42.0.12'/>" --live --config ` +
        "(the network was made by an earlier coreform, with entries for its first nodes only, and the provider never adds one)",
    );
  });
});
