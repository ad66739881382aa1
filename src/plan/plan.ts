// Spec + environment → ClusterPlan: the concrete nodes, their planned addresses and the endpoints
// every component uses. A pure function: no I/O, no randomness.
import type { Arch, ResolvedImage } from "../platforms/platform";
import { environmentArch, platformOf } from "../platforms/table";
import { networkOf } from "../spec/cluster";
import { InputError } from "../errors";
import { nodeCapacity, nthNodeIp, parseCidr } from "../spec/ipv4";
import type { Environment, Platform, Role, Spec } from "../spec/schema";
import { GENERATION, type Placement } from "./record";

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const KUBERNETES_API_PORT = 6443;

export interface PlannedNode {
  /** Hostname and resource name: `<group>-<NN>`. */
  readonly name: string;
  readonly role: Role;
  readonly group: string;
  /**
   * Its address slot (0-based): the planned IP is the network's `index`-th node address. Given once,
   * when the node is first planned (in the order of `nodes`), and kept (src/plan/record.ts).
   */
  readonly index: number;
  readonly ip: string;
}

export interface EtcdMember {
  readonly name: string;
  readonly ip: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** Its data disk for etcd's data dir, in GiB: a node made with one (generation 2, not on Vagrant), else none. */
  readonly dataDiskGiB?: number;
}

/** Every port the plan may name: a stack may key what it makes of a port by its name (Azure: its rule's priority). */
export type PortName = "etcd" | "kubernetes-api" | "flannel-vxlan" | "kubelet" | "icmp" | "ssh";

/** Traffic the nodes need between each other; the stacks open exactly these. */
export interface ClusterPort {
  readonly name: PortName;
  readonly protocol: "tcp" | "udp" | "icmp";
  readonly from?: number;
  readonly to?: number;
}

export interface ClusterPlan {
  readonly cluster: string;
  readonly environment: string;
  readonly platform: Platform;
  /** CPU architecture of every node (one per environment; see rules.ts). */
  readonly arch: Arch;
  /** The Flatcar channel and release every node boots: targets choose their image from it. */
  readonly os: Spec["os"];
  /** The image every node boots, resolved from os and the environment's own image settings. */
  readonly image: ResolvedImage;
  readonly cidr: string;
  /** In slot order: the order of `nodes` when each was first planned. */
  readonly nodes: readonly PlannedNode[];
  readonly etcd: {
    readonly members: readonly EtcdMember[];
    /** `name=https://ip:2380,…` for ETCD_INITIAL_CLUSTER. */
    readonly initialCluster: string;
    readonly clientUrls: readonly string[];
    readonly token: string;
  };
  /** Between the cluster's own nodes, and nothing else. */
  readonly ports: readonly ClusterPort[];
  /** From the environment's admin networks only (SSH, and the Kubernetes API when it runs). */
  readonly adminPorts: readonly ClusterPort[];
  readonly scheduler: {
    readonly kind: Spec["scheduler"]["kind"];
    /** `https://<first control node>:6443` for kubernetes: the kubeconfig points at it (agents: membersInOrderFor). */
    readonly apiServer?: string;
  };
}

const SSH: ClusterPort = { name: "ssh", protocol: "tcp", from: 22, to: 22 };
const KUBERNETES_API: ClusterPort = { name: "kubernetes-api", protocol: "tcp", from: KUBERNETES_API_PORT, to: KUBERNETES_API_PORT };

/**
 * Extra ports each scheduler needs between nodes. k3s (docs.k3s.io/installation/requirements, "Inbound
 * rules for K3s nodes"): 6443 agents → servers, 8472/udp flannel VXLAN between all nodes, 10250 kubelet
 * (the API server reaches it for logs/exec/metrics). fleet talks only to etcd.
 */
const SCHEDULER_PORTS: Record<Spec["scheduler"]["kind"], { cluster: ClusterPort[]; admin: ClusterPort[] }> = {
  none: { cluster: [], admin: [] },
  fleet: { cluster: [], admin: [] },
  kubernetes: {
    cluster: [
      KUBERNETES_API,
      { name: "flannel-vxlan", protocol: "udp", from: 8472, to: 8472 },
      { name: "kubelet", protocol: "tcp", from: 10250, to: 10250 },
    ],
    admin: [KUBERNETES_API],
  },
};

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * Names and slots of the spec's nodes. A node `placement` holds (or held: a retired one) keeps its
 * slot, a group its name width; a new node takes the lowest slot nobody holds or held, in the order of
 * `nodes`. Without a placement that is a node's position in the spec, and a group's width the digits
 * of its count (at least 2).
 */
function placeNodes(spec: Spec, placement: Placement): { name: string; role: Role; group: string; index: number }[] {
  const held = new Map([...placement.nodes, ...placement.retired].map((n) => [n.name, n.slot]));
  const taken = new Set(held.values());
  let free = 0;
  const nextFree = () => {
    while (taken.has(free)) free++;
    taken.add(free);
    return free;
  };
  const nodes = spec.nodes.flatMap((group) => {
    const name = group.name ?? group.role;
    const width = Object.hasOwn(placement.groups, name) ? placement.groups[name]!.width : Math.max(2, String(group.count).length);
    return Array.from({ length: group.count }, (_, i) => ({ name: `${name}-${pad(i + 1, width)}`, role: group.role, group: name }));
  });
  // Nodes that hold a slot first, so that a new one never takes it.
  const slots = nodes.map((n) => held.get(n.name));
  return nodes.map((n, i) => ({ ...n, index: slots[i] ?? nextFree() })).sort((a, b) => a.index - b.index);
}

const NO_PLACEMENT: Placement = { groups: {}, nodes: [], retired: [] };

export function planCluster(spec: Spec, environment: string, placement: Placement = NO_PLACEMENT): ClusterPlan {
  const env: Environment | undefined = Object.hasOwn(spec.environments, environment) ? spec.environments[environment] : undefined;
  if (!env) throw new Error(`no environment "${environment}" in the spec`);
  const cidr = networkOf(spec, env);
  const block = parseCidr(cidr);
  const total = spec.nodes.reduce((sum, g) => sum + g.count, 0);
  if (total > nodeCapacity(block)) throw new Error(`${cidr} cannot hold ${total} nodes`);

  const nodes: PlannedNode[] = placeNodes(spec, placement).map((n) => {
    if (n.index >= nodeCapacity(block))
      throw new InputError(
        `environments.${environment}: ${cidr} has no address left for ${n.name}: ${placement.retired.length} of its ${nodeCapacity(block)} node addresses belong to nodes removed since ` +
          `(an address is never handed to another node): use a larger network.cidr, or a new environment`,
      );
    return { ...n, ip: nthNodeIp(block, n.index) };
  });

  // A member made before data disks has none: its stack adds none to a running machine, and its config
  // looks for none (`coreform roll` replaces it with one that has).
  const generations = new Map(placement.nodes.map((n) => [n.name, n.generation]));
  const disk = !platformOf(env.platform).etcdOnRootDisk;
  const members: EtcdMember[] = nodes
    .filter((n) => n.role === "control")
    .map((n) => ({
      name: n.name,
      ip: n.ip,
      clientUrl: `https://${n.ip}:${ETCD_CLIENT_PORT}`,
      peerUrl: `https://${n.ip}:${ETCD_PEER_PORT}`,
      ...(disk && (generations.get(n.name) ?? GENERATION) >= 2 ? { dataDiskGiB: spec.etcd.diskGiB } : {}),
    }));

  const kind = spec.scheduler.kind;
  const schedulerPorts = SCHEDULER_PORTS[kind];
  const system = { cluster: spec.name, environment, arch: environmentArch(env), os: { channel: spec.os.channel, version: spec.os.version } };
  return {
    cluster: system.cluster,
    environment,
    platform: env.platform,
    arch: system.arch,
    os: system.os,
    image: platformOf(env.platform).image(system, env),
    cidr,
    nodes,
    etcd: {
      members,
      initialCluster: members.map((m) => `${m.name}=${m.peerUrl}`).join(","),
      clientUrls: members.map((m) => m.clientUrl),
      // The cluster's name, not the environment's: user data must not depend on where a node runs.
      // Environments never talk to each other anyway: each has its own CA.
      token: spec.name,
    },
    ports: [
      { name: "etcd", protocol: "tcp", from: ETCD_CLIENT_PORT, to: ETCD_PEER_PORT },
      ...schedulerPorts.cluster,
      { name: "icmp", protocol: "icmp" },
    ],
    adminPorts: [SSH, ...schedulerPorts.admin],
    scheduler: {
      kind,
      ...(kind === "kubernetes" && members.length > 0 ? { apiServer: `https://${members[0]!.ip}:${KUBERNETES_API_PORT}` } : {}),
    },
  };
}

/** The GiB of a node's etcd data disk, when it has one (EtcdMember.dataDiskGiB): what its stack attaches. */
export const dataDiskOf = (plan: ClusterPlan, node: { readonly name: string }): number | undefined =>
  plan.etcd.members.find((m) => m.name === node.name)?.dataDiskGiB;

/**
 * Every etcd member, in the order this node's clients try them: a control node's own member first, a
 * worker's from member `index mod members`, then the rest in turn. Complete on every node, so any live
 * member serves; rotated, so one hung member is not the first try of every node. locksmith walks its
 * endpoints in order and moves on only when a connection is refused, not when one hangs
 * (flatcar/locksmith locksmithctl/locksmithctl.go, getClient): with the same first member everywhere,
 * one frozen member stalls every node's reboot lock. Also the order of k3s's datastore endpoints,
 * fleet's etcd servers and an agent's servers.
 */
export function membersInOrderFor(plan: ClusterPlan, node: PlannedNode): readonly EtcdMember[] {
  const members = plan.etcd.members;
  if (members.length === 0) return members;
  const own = members.findIndex((m) => m.name === node.name);
  const start = own >= 0 ? own : node.index % members.length;
  return [...members.slice(start), ...members.slice(0, start)];
}
