// Members spread over failure domains (issue 26): each node gets a zone when first placed, each role
// going round the zones, and keeps it; on AWS a new environment's addresses lie in their zone's subnet,
// while an environment made before keeps its one subnet and every address.
import { EARLIER_PLACEMENT, planCluster, promoted, type ClusterPlan } from "../../src/plan/plan";
import { recordOf, serializeRecord, settingsOf, type EnvironmentRecord, type Generation } from "../../src/plan/record";
import type { Spec } from "../../src/spec/schema";
import { editSpec, smallSpec, type Doc } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";

const ENVS: Record<string, Doc> = {
  aws: { platform: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"] },
  gce: { platform: "gce", project: "coreform-test", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ["203.0.113.0/24"] },
  azure: { platform: "azure", location: "westeurope", adminCidrs: ["203.0.113.0/24"] },
  openstack: { platform: "openstack", externalNetwork: "public", adminCidrs: ["203.0.113.0/24"], control: { flavor: "m1.medium" }, worker: { flavor: "m1.large" } },
  libvirt: { platform: "libvirt" },
};

/** smallSpec with an environment of each platform, `envs` merged into the ones it names. */
const spec = (opts: { control?: number; worker?: number; cidr?: string; envs?: Record<string, Doc> } = {}): Spec =>
  specFrom(
    editSpec(
      (d) => (d.environments = Object.fromEntries(Object.entries(ENVS).map(([k, v]) => [k, { ...v, ...opts.envs?.[k] }]))),
      smallSpec({ control: opts.control ?? 3, worker: opts.worker ?? 2, ...(opts.cidr ? { cidr: opts.cidr } : {}) }),
    ),
  );

/** The record a render of `plan` writes, every node of generation `generation` (an older coreform's when below 2). */
function recorded(s: Spec, plan: ClusterPlan, generation: Generation = 2, previous?: EnvironmentRecord): EnvironmentRecord {
  const record = recordOf(
    plan.nodes.map((n) => ({ ...n, userData: n.name, files: {} })),
    settingsOf(s.name, plan.cidr, s.environments[plan.environment]!),
    previous,
  );
  return generation === 2 ? record : { ...record, generation, nodes: record.nodes.map(({ zone: _zone, ...n }) => ({ ...n, generation })) };
}

const show = (p: ClusterPlan) => p.nodes.map((n) => `${n.name} ${n.ip}${n.zone === undefined ? "" : ` zone ${n.zone}`}`);

describe("a new environment spreads its nodes over zones", () => {
  it("AWS: a subnet per zone cut from the network, each node's address in its zone's, each role round the zones", () => {
    const plan = planCluster(spec(), "aws");
    expect(plan.zoneSubnets).toEqual(["10.42.0.0/26", "10.42.0.64/26", "10.42.0.128/26"]);
    expect(show(plan)).toEqual([
      "control-01 10.42.0.10 zone 0",
      "worker-01 10.42.0.11 zone 0",
      "control-02 10.42.0.74 zone 1",
      "worker-02 10.42.0.75 zone 1",
      "control-03 10.42.0.138 zone 2",
    ]);
    expect(plan.etcd.initialCluster).toBe("control-01=https://10.42.0.10:2380,control-02=https://10.42.0.74:2380,control-03=https://10.42.0.138:2380");
  });

  it.each(["gce", "azure"])("%s: zones of the region, every address where it always was", (env) => {
    const plan = planCluster(spec(), env);
    expect(plan.zoneSubnets).toBeUndefined();
    expect(show(plan)).toEqual(["control-01 10.42.0.10 zone 0", "control-02 10.42.0.11 zone 1", "control-03 10.42.0.12 zone 2", "worker-01 10.42.0.13 zone 0", "worker-02 10.42.0.14 zone 1"]);
    expect(show(planCluster(spec(), "libvirt")).map((n) => n.replace(/ zone \d/, ""))).toEqual(show(plan).map((n) => n.replace(/ zone \d/, "")));
  });

  it.each(["openstack", "libvirt"])("%s: no zones (OpenStack spreads with a server group), addresses as before", (env) => {
    const plan = planCluster(spec(), env);
    expect(plan.nodes.every((n) => n.zone === undefined)).toBe(true);
    expect(plan.spread).toEqual(env === "openstack" ? { kind: "group", what: "anti-affinity server group" } : undefined);
  });

  it("as many zones as the spec lists, named by it; Azure without zones shares an availability set", () => {
    expect(planCluster(spec(), "gce").spread).toEqual({ kind: "zones", count: 3, subnets: false });
    expect(planCluster(spec(), "azure").spread).toEqual({ kind: "zones", count: 3, names: ["1", "2", "3"], subnets: false });
    const listed = spec({ envs: { gce: { zones: ["europe-west1-c", "europe-west1-d"] }, azure: { zones: [] } } });
    expect(planCluster(listed, "gce").spread).toEqual({ kind: "zones", count: 2, names: ["europe-west1-c", "europe-west1-d"], subnets: false });
    expect(planCluster(listed, "gce").nodes.filter((n) => n.role === "control").map((n) => n.zone)).toEqual([0, 1, 0]);
    expect(planCluster(listed, "azure").spread).toEqual({ kind: "group", what: "availability set" });
    expect(planCluster(listed, "azure").nodes.every((n) => n.zone === undefined)).toBe(true);
  });

  it("AWS: a network too small for a subnet per zone is an error naming the fix; fewer zones fit", () => {
    expect(() => planCluster(spec({ cidr: "10.42.0.0/27" }), "aws")).toThrow(
      "environments.aws: network.cidr 10.42.0.0/27 is too small to cut into a subnet for each of 3 zones (/28 at the smallest, with room for nodes): use a /26 or larger, or fewer zones",
    );
    const one = spec({ cidr: "10.42.0.0/27", envs: { aws: { zones: ["eu-central-1a"] } } });
    expect(planCluster(one, "aws").zoneSubnets).toEqual(["10.42.0.0/27"]);
  });

  it("AWS: a zone whose subnet is full takes no more nodes: the next zone its role has fewest in does", () => {
    // A /26 cut in four /28s: four node addresses a zone.
    const plan = planCluster(spec({ cidr: "10.42.0.0/26", control: 3, worker: 9 }), "aws");
    const byZone = [0, 1, 2].map((z) => plan.nodes.filter((n) => n.zone === z).length);
    expect(byZone).toEqual([4, 4, 4]);
    expect(() => planCluster(spec({ cidr: "10.42.0.0/26", control: 3, worker: 10 }), "aws")).toThrow(/cannot hold 13 nodes/);
  });
});

describe("later runs keep each node's zone", () => {
  it("nodes added later go to the zone their role has fewest in; the others stay", () => {
    for (const env of ["aws", "gce"]) {
      const before = spec();
      const record = recorded(before, planCluster(before, env));
      const after = planCluster(spec({ control: 5, worker: 3 }), env, record);
      const kept = show(planCluster(before, env));
      for (const line of kept) expect(show(after)).toContain(line);
      expect(after.nodes.filter((n) => ["control-04", "control-05", "worker-03"].includes(n.name)).map((n) => `${n.name} ${n.zone}`)).toEqual(["control-04 0", "control-05 1", "worker-03 2"]);
    }
  });

  it("a zone the record holds wins over what the plan would give now", () => {
    const before = spec();
    const record = recorded(before, planCluster(before, "gce"));
    const moved = { ...record, nodes: record.nodes.map((n) => (n.name === "control-01" ? { ...n, zone: 2 } : n)) };
    expect(planCluster(before, "gce", moved).nodes.find((n) => n.name === "control-01")!.zone).toBe(2);
  });

  it("AWS: a removed node's address is never handed to another node of its zone", () => {
    const before = spec();
    const first = recorded(before, planCluster(before, "aws"));
    const fewer = spec({ worker: 1 });
    const second = recorded(fewer, planCluster(fewer, "aws", first), 2, first);
    expect(second.retired).toEqual([{ name: "worker-02", group: "worker", slot: 53 }]);
    const again = planCluster(spec({ worker: 1, control: 5 }), "aws", second);
    expect(again.nodes.map((n) => n.ip)).not.toContain("10.42.0.75");
  });
});

describe("an environment rendered before keeps its placement and addresses", () => {
  /** Its nodes as a coreform before zones placed them: in the spec's order, from .10 on, no zone. */
  const PLACED_BEFORE = ["control-01 10.42.0.10", "control-02 10.42.0.11", "control-03 10.42.0.12", "worker-01 10.42.0.13", "worker-02 10.42.0.14"];

  it.each([0, 1] as const)("AWS, generation %i: one subnet, every address as it was, nodes added to it too", (generation) => {
    const before = spec();
    const old = recorded(before, planCluster(before, "aws", EARLIER_PLACEMENT), generation);
    const plan = planCluster(spec({ control: 5, worker: 3 }), "aws", old);
    expect(plan.zoneSubnets).toBeUndefined();
    expect(show(plan)).toEqual([
      ...PLACED_BEFORE,
      "control-04 10.42.0.15",
      "control-05 10.42.0.16",
      "worker-03 10.42.0.17",
    ]);
  });

  it("GCE, generation 1: its nodes keep no zone (their machines stay), nodes added get one, a node rolled to this generation gets one", () => {
    const before = spec();
    const old = recorded(before, planCluster(before, "gce"), 1);
    const plan = planCluster(spec({ control: 4 }), "gce", old);
    expect(show(plan)).toEqual([
      ...PLACED_BEFORE,
      "control-04 10.42.0.15 zone 0",
    ]);
    const rolled = { ...old, nodes: old.nodes.map((n) => (n.name === "control-02" ? { ...n, generation: 2 as const } : n)) };
    expect(planCluster(before, "gce", rolled).nodes.map((n) => n.zone)).toEqual([undefined, 0, undefined, undefined, undefined]);
  });
});

describe("a node rolled to this generation (coreform roll)", () => {
  it("gets its zone in the record, as a render of it would write it: the app still finds the record its render's", () => {
    const before = spec();
    const old = recorded(before, planCluster(before, "gce"), 1);
    const moved = promoted(before, "gce", old, "control-02");
    expect(moved.nodes.map((n) => `${n.name} ${n.generation} ${n.zone}`)).toEqual([
      "control-01 1 undefined",
      "control-02 2 0",
      "control-03 1 undefined",
      "worker-01 1 undefined",
      "worker-02 1 undefined",
    ]);
    // What a render of the plan from the moved record writes (digests aside) is the moved record.
    const plan = planCluster(before, "gce", moved);
    expect(serializeRecord(recorded(before, plan, 2, moved))).toBe(serializeRecord({ ...moved, settings: recorded(before, plan, 2, moved).settings }));
    // On AWS (its network made before zone subnets), or KVM: the generation only.
    for (const env of ["aws", "libvirt"]) {
      const o = recorded(before, planCluster(before, env, EARLIER_PLACEMENT), 1);
      expect(promoted(before, env, o, "control-02").nodes.find((n) => n.name === "control-02")).toEqual({ ...o.nodes.find((n) => n.name === "control-02"), generation: 2 });
    }
  });
});
