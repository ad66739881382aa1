// planCluster: spec + environment → concrete nodes, addresses and etcd endpoints. Pure and deterministic.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { ETCD_CLIENT_PORT, ETCD_PEER_PORT, membersInOrderFor, planCluster } from "../../src/plan/plan";
import { specSchema, type Spec, type SpecInput } from "../../src/spec/schema";
import { editSpec, smallSpec, type Doc } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";

/** A valid spec (schema and rules): smallSpec() (3 control, 1 worker, env `test`) changed by `edit`. */
const spec = (edit: (doc: SpecInput) => void = () => {}, base = smallSpec()): Spec => specFrom(editSpec(edit as (d: Doc) => void, base));

const groups = (...g: SpecInput["nodes"]) => (d: SpecInput) => (d.nodes = g);
const names = (s: Spec, env = "test") => planCluster(s, env).nodes.map((n) => n.name);
const ips = (s: Spec, env = "test") => planCluster(s, env).nodes.map((n) => n.ip);

describe("planCluster is pure", () => {
  it("returns equal plans for equal input, every time", () => {
    const first = planCluster(spec(), "test");
    const second = planCluster(spec(), "test");
    expect(second).toEqual(first);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it("does not change the spec", () => {
    const s = spec();
    const before = structuredClone(s);
    planCluster(s, "test");
    expect(s).toEqual(before);
  });

  it("depends on nothing but its arguments (no clock, no randomness, no environment variables)", () => {
    const s = spec();
    const first = JSON.stringify(planCluster(s, "test"));
    const realNow = Date.now;
    const realRandom = Math.random;
    try {
      Date.now = () => 0;
      Math.random = () => 0.5;
      process.env.COREFORM_PLAN_PROBE = "1";
      expect(JSON.stringify(planCluster(s, "test"))).toBe(first);
    } finally {
      Date.now = realNow;
      Math.random = realRandom;
      delete process.env.COREFORM_PLAN_PROBE;
    }
  });

  it("throws for an environment the spec does not have", () => {
    expect(() => planCluster(spec(), "prod")).toThrow('no environment "prod" in the spec');
  });

  it("throws when the network cannot hold the nodes (the rules normally catch this first)", () => {
    const doc = yaml.load(smallSpec({ cidr: "10.42.0.0/28", control: 3, worker: 2 })) as SpecInput;
    expect(() => planCluster(specSchema.parse(doc), "test")).toThrow("10.42.0.0/28 cannot hold 5 nodes");
  });
});

describe("node names", () => {
  it("are <group>-01… per group, in the order of the groups", () => {
    expect(names(spec())).toEqual(["control-01", "control-02", "control-03", "worker-01"]);
  });

  it("default to the role as the group name", () => {
    const s = spec(groups({ role: "control", count: 1 }, { role: "worker", count: 2 }));
    expect(names(s)).toEqual(["control-01", "worker-01", "worker-02"]);
    expect(planCluster(s, "test").nodes.map((n) => n.group)).toEqual(["control", "worker", "worker"]);
  });

  it("use the group name, not the role", () => {
    const s = spec(groups({ name: "etcd", role: "control", count: 1 }, { name: "gpu", role: "worker", count: 1 }, { name: "cpu", role: "worker", count: 1 }));
    expect(planCluster(s, "test").nodes.map((n) => [n.name, n.role, n.group])).toEqual([
      ["etcd-01", "control", "etcd"],
      ["gpu-01", "worker", "gpu"],
      ["cpu-01", "worker", "cpu"],
    ]);
  });

  it.each([
    [9, "worker-01", "worker-09"],
    [10, "worker-01", "worker-10"],
    [99, "worker-01", "worker-99"],
    [100, "worker-001", "worker-100"],
    [1000, "worker-0001", "worker-1000"],
  ])("with %i workers: %s … %s", (count, first, last) => {
    const s = spec(
      (d) => ((d.network.cidr = "10.42.0.0/20"), groups({ role: "control", count: 1 }, { role: "worker", count })(d)),
    );
    const workers = names(s).slice(1);
    expect(workers).toHaveLength(count);
    expect(workers[0]).toBe(first);
    expect(workers[count - 1]).toBe(last);
    expect(new Set(workers.map((n) => n.length)).size).toBe(1);
  });

  it("widen per group: a group of 100 does not widen its neighbours", () => {
    const s = spec((d) => groups({ role: "control", count: 3 }, { role: "worker", count: 100 })(d));
    expect(names(s).slice(0, 4)).toEqual(["control-01", "control-02", "control-03", "worker-001"]);
  });
});

describe("planned addresses", () => {
  it("start at .10 of the spec's network, one per node in order", () => {
    const plan = planCluster(spec(), "test");
    expect(plan.cidr).toBe("10.42.0.0/24");
    expect(plan.nodes.map((n) => [n.index, n.ip])).toEqual([
      [0, "10.42.0.10"],
      [1, "10.42.0.11"],
      [2, "10.42.0.12"],
      [3, "10.42.0.13"],
    ]);
  });

  it("come from the environment's network when it overrides the spec's", () => {
    const s = spec((d) => {
      d.environments.laptop = { platform: "vagrant", network: { cidr: "192.168.56.0/24" } };
    });
    expect(planCluster(s, "laptop").cidr).toBe("192.168.56.0/24");
    expect(ips(s, "laptop")).toEqual(["192.168.56.10", "192.168.56.11", "192.168.56.12", "192.168.56.13"]);
    // the other environment keeps the spec's network
    expect(ips(s, "test")[0]).toBe("10.42.0.10");
  });

  it("follow the order of the groups: a worker group listed first comes first", () => {
    const s = spec(groups({ role: "worker", count: 2 }, { role: "control", count: 1 }));
    expect(planCluster(s, "test").nodes.map((n) => `${n.name} ${n.ip}`)).toEqual(["worker-01 10.42.0.10", "worker-02 10.42.0.11", "control-01 10.42.0.12"]);
  });

  it("cross octet boundaries in larger networks", () => {
    const s = spec((d) => ((d.network.cidr = "10.42.0.0/16"), groups({ role: "control", count: 1 }, { role: "worker", count: 300 })(d)));
    const plan = planCluster(s, "test");
    expect(plan.nodes[245].ip).toBe("10.42.0.255");
    expect(plan.nodes[246].ip).toBe("10.42.1.0");
    expect(plan.nodes[300].ip).toBe("10.42.1.54");
    expect(new Set(plan.nodes.map((n) => n.ip)).size).toBe(301);
  });

  it("use the last address a network holds, and no more", () => {
    // a /27 holds 32 - 10 - 2 = 20 nodes: .10 … .29
    const s = spec((d) => ((d.network.cidr = "10.42.0.32/27"), groups({ role: "control", count: 3 }, { role: "worker", count: 17 })(d)));
    expect(ips(s)[0]).toBe("10.42.0.42");
    expect(ips(s)[19]).toBe("10.42.0.61");
  });

  it("work on loopback, for the etcd integration test", () => {
    const s = spec((d) => ((d.network.cidr = "127.0.0.0/24"), groups({ role: "control", count: 3 })(d)));
    expect(ips(s)).toEqual(["127.0.0.10", "127.0.0.11", "127.0.0.12"]);
  });
});

describe("etcd", () => {
  it("has one member per control node, with TLS URLs on the planned IP", () => {
    const { etcd } = planCluster(spec(), "test");
    expect(etcd.members).toEqual([
      { name: "control-01", ip: "10.42.0.10", clientUrl: "https://10.42.0.10:2379", peerUrl: "https://10.42.0.10:2380", dataDiskGiB: 10 },
      { name: "control-02", ip: "10.42.0.11", clientUrl: "https://10.42.0.11:2379", peerUrl: "https://10.42.0.11:2380", dataDiskGiB: 10 },
      { name: "control-03", ip: "10.42.0.12", clientUrl: "https://10.42.0.12:2379", peerUrl: "https://10.42.0.12:2380", dataDiskGiB: 10 },
    ]);
  });

  it("gives a member its data disk (etcd.diskGiB) only when made with one: generation 2, not on Vagrant", () => {
    const s = spec((d) => {
      d.etcd = { diskGiB: 30 };
      d.environments = { test: { platform: "libvirt" }, laptop: { platform: "vagrant" } };
    });
    const slot = (name: string, n: number, generation: 0 | 1 | 2) => ({ name, group: "control", role: "control" as const, number: n, slot: n - 1, ip: "", generation, userData: "" });
    const placement = { generation: 2 as const, groups: {}, nodes: [slot("control-01", 1, 1), slot("control-02", 2, 2)], retired: [] };
    expect(planCluster(s, "test", placement).etcd.members.map((m) => [m.name, m.dataDiskGiB])).toEqual([
      ["control-01", undefined],
      ["control-02", 30],
      ["control-03", 30],
    ]);
    expect(planCluster(s, "laptop").etcd.members.map((m) => m.dataDiskGiB)).toEqual([undefined, undefined, undefined]);
  });

  it("has the initial cluster and client URLs of the members, in node order", () => {
    const { etcd } = planCluster(spec(), "test");
    expect(etcd.initialCluster).toBe("control-01=https://10.42.0.10:2380,control-02=https://10.42.0.11:2380,control-03=https://10.42.0.12:2380");
    expect(etcd.clientUrls).toEqual(["https://10.42.0.10:2379", "https://10.42.0.11:2379", "https://10.42.0.12:2379"]);
  });

  it("takes members from every control group, wherever they are listed", () => {
    const s = spec(groups({ name: "a", role: "control", count: 1 }, { role: "worker", count: 2 }, { name: "b", role: "control", count: 2 }));
    const { etcd } = planCluster(s, "test");
    expect(etcd.members.map((m) => `${m.name} ${m.ip}`)).toEqual(["a-01 10.42.0.10", "b-01 10.42.0.13", "b-02 10.42.0.14"]);
    expect(etcd.initialCluster).toBe("a-01=https://10.42.0.10:2380,b-01=https://10.42.0.13:2380,b-02=https://10.42.0.14:2380");
  });

  it("uses the environment's addresses", () => {
    const s = spec((d) => (d.environments.laptop = { platform: "vagrant", network: { cidr: "192.168.56.0/24" } }));
    expect(planCluster(s, "laptop").etcd.clientUrls[0]).toBe("https://192.168.56.10:2379");
  });

  it("has the cluster's name as its token, the same in every environment (user data must not depend on it)", () => {
    const s = spec((d) => ((d.name = "demo"), (d.environments.laptop = { platform: "vagrant" })));
    expect(planCluster(s, "test").etcd.token).toBe("demo");
    expect(planCluster(s, "laptop").etcd.token).toBe("demo");
  });
});

describe("membersInOrderFor: the order a node's etcd clients try the members in", () => {
  const order = (s: Spec) => {
    const plan = planCluster(s, "test");
    return Object.fromEntries(plan.nodes.map((n) => [n.name, membersInOrderFor(plan, n).map((m) => m.name).join(" ")]));
  };

  it.each([
    [
      "3 control nodes, 4 workers: own member first, workers rotated by their index",
      groups({ name: "control", role: "control", count: 3 }, { name: "worker", role: "worker", count: 4 }),
      {
        "control-01": "control-01 control-02 control-03",
        "control-02": "control-02 control-03 control-01",
        "control-03": "control-03 control-01 control-02",
        "worker-01": "control-01 control-02 control-03", // index 3
        "worker-02": "control-02 control-03 control-01",
        "worker-03": "control-03 control-01 control-02",
        "worker-04": "control-01 control-02 control-03",
      },
    ],
    [
      "control nodes after the workers: still own member first",
      groups({ name: "worker", role: "worker", count: 2 }, { name: "control", role: "control", count: 3 }),
      {
        "worker-01": "control-01 control-02 control-03", // index 0
        "worker-02": "control-02 control-03 control-01",
        "control-01": "control-01 control-02 control-03",
        "control-02": "control-02 control-03 control-01",
        "control-03": "control-03 control-01 control-02",
      },
    ],
    ["one control node: the only member, everywhere", groups({ role: "control", count: 1 }, { role: "worker", count: 2 }), { "control-01": "control-01", "worker-01": "control-01", "worker-02": "control-01" }],
  ])("%s", (_name, edit, expected) => expect(order(spec(edit))).toEqual(expected));

  it("lists every member exactly once on every node, and the same for the same input", () => {
    const s = spec(groups({ role: "control", count: 5 }, { role: "worker", count: 9 }));
    const plan = planCluster(s, "test");
    const all = plan.etcd.members.map((m) => m.name).sort();
    for (const n of plan.nodes) expect([...membersInOrderFor(plan, n)].map((m) => m.name).sort()).toEqual(all);
    expect(order(s)).toEqual(order(s));
    // The first try is spread: each member comes first on some node.
    expect(new Set(plan.nodes.map((n) => membersInOrderFor(plan, n)[0]!.name))).toEqual(new Set(all));
  });
});

describe("the rest of the plan", () => {
  it("names the cluster, the environment and its platform", () => {
    const s = spec((d) => ((d.name = "demo"), (d.environments.laptop = { platform: "vagrant" })));
    expect(planCluster(s, "laptop")).toMatchObject({ cluster: "demo", environment: "laptop", platform: "vagrant" });
    expect(planCluster(s, "test")).toMatchObject({ cluster: "demo", environment: "test", platform: "libvirt" });
  });

  it("lists the etcd ports 2379-2380/tcp and icmp, and SSH for admins, without a scheduler", () => {
    expect(ETCD_CLIENT_PORT).toBe(2379);
    expect(ETCD_PEER_PORT).toBe(2380);
    const none = planCluster(spec((d) => (d.scheduler = { kind: "none" })), "test");
    expect(none.ports).toEqual([
      { name: "etcd", protocol: "tcp", from: 2379, to: 2380 },
      { name: "icmp", protocol: "icmp" },
    ]);
    expect(none.adminPorts).toEqual([{ name: "ssh", protocol: "tcp", from: 22, to: 22 }]);
    expect(none.scheduler).toEqual({ kind: "none" });
  });

  it("adds the Kubernetes API, flannel VXLAN and kubelet between nodes, and the API for admins, with kubernetes", () => {
    const plan = planCluster(spec(), "test"); // kubernetes is the default
    expect(plan.ports).toEqual([
      { name: "etcd", protocol: "tcp", from: 2379, to: 2380 },
      { name: "kubernetes-api", protocol: "tcp", from: 6443, to: 6443 },
      { name: "flannel-vxlan", protocol: "udp", from: 8472, to: 8472 },
      { name: "kubelet", protocol: "tcp", from: 10250, to: 10250 },
      { name: "icmp", protocol: "icmp" },
    ]);
    expect(plan.adminPorts.map((p) => p.name)).toEqual(["ssh", "kubernetes-api"]);
    expect(plan.scheduler).toEqual({ kind: "kubernetes", apiServer: `https://${plan.etcd.members[0]!.ip}:6443` });
  });

  it("is the same for every platform but the platform, the image it boots and its zones (AWS: the addresses in them, test/plan/zones.test.ts)", () => {
    const s = spec((d) => {
      d.environments = {
        a: { platform: "libvirt" },
        b: { platform: "vagrant" },
        c: { platform: "gce", project: "coreform-test", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ["203.0.113.0/24"] },
        d: { platform: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"], zones: ["eu-central-1a"] },
      };
    });
    // and the data disks, which Vagrant's control nodes have not (the test above)
    const strip = (env: string) => {
      const { platform: _p, environment: _e, image: _i, spread: _s, zoneSubnets: _z, nodes, etcd, ...rest } = planCluster(s, env);
      return { ...rest, nodes: nodes.map(({ zone: _zone, ...n }) => n), etcd: { ...etcd, members: etcd.members.map(({ dataDiskGiB: _, ...m }) => m) } };
    };
    expect(strip("b")).toEqual(strip("a"));
    expect(strip("c")).toEqual(strip("a"));
    // One zone: its subnet is the whole network.
    expect(strip("d")).toEqual(strip("a"));
  });

  it("plans the default cluster.yaml: 3 control nodes, 2 workers, laptop on 192.168.56.0/24", () => {
    const s = spec(() => {}, readFileSync(join(__dirname, "../../cluster.yaml"), "utf8"));
    const plan = planCluster(s, "laptop");
    expect(plan.nodes.map((n) => `${n.name} ${n.role} ${n.ip}`)).toEqual([
      "control-01 control 192.168.56.10",
      "control-02 control 192.168.56.11",
      "control-03 control 192.168.56.12",
      "worker-01 worker 192.168.56.13",
      "worker-02 worker 192.168.56.14",
    ]);
    expect(planCluster(s, "prod").nodes[0].ip).toBe("10.42.0.10");
  });
});
