// Spec + environment → ClusterPlan: the concrete nodes, their planned addresses and the endpoints
// every component uses. A pure function: no I/O, no randomness.
import type { Arch, ResolvedImage, Spread } from "../platforms/platform";
import { environmentArch, platformOf } from "../platforms/table";
import { networkOf } from "../spec/cluster";
import { InputError } from "../errors";
import { formatCidr, nodeCapacity, nthNodeIp, parseCidr, type Cidr } from "../spec/ipv4";
import type { Environment, Platform, Role, Spec } from "../spec/schema";
import { GENERATION, type EnvironmentRecord, type Placement } from "./record";

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
  /**
   * Its failure domain: an index into the environment's zones (ClusterPlan.spread), given when first
   * placed with zones, each role going round them, and kept (src/plan/record.ts). Absent: placed without.
   */
  readonly zone?: number;
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
  /** How the platform spreads the nodes (src/platforms/platform.ts); absent where it cannot. */
  readonly spread?: Spread;
  /** Each zone's subnet, cut from cidr, when nodes' addresses lie in their zone's (AWS, a network made with them). */
  readonly zoneSubnets?: readonly string[];
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
 * How an environment's nodes are laid out: how many zones new nodes go round (0: none), and, where
 * addresses lie in zone subnets, the subnets: slots [z·perZone, (z+1)·perZone) are zone z's addresses.
 */
interface Layout {
  readonly zones: number;
  readonly subnets?: { readonly blocks: readonly Cidr[]; readonly perZone: number };
}

/** `cidr` cut into the fewest equal blocks that give each of `zones` one (Typhoon's aws network: cidrsubnet(cidr, bits, i)). */
function zoneBlocks(block: Cidr, zones: number): Cidr[] {
  const bits = Math.ceil(Math.log2(zones));
  const size = block.size / 2 ** bits;
  return Array.from({ length: zones }, (_, i) => ({ base: block.base + i * size, prefix: block.prefix + bits, size }));
}

/** The zone of `role` with the fewest nodes of that role (the lowest first), among those `open` allows. */
function leastUsed(counts: number[][], role: Role, open: (zone: number) => boolean): number | undefined {
  const r = role === "control" ? 0 : 1;
  let best: number | undefined;
  counts.forEach((c, z) => {
    if (open(z) && (best === undefined || c[r]! < counts[best]![r]!)) best = z;
  });
  if (best !== undefined) counts[best]![r]!++;
  return best;
}

/**
 * Names, slots and zones of the spec's nodes. A node `placement` holds (or held: a retired one) keeps
 * its slot, a group its name width, a node its zone; a new node takes the lowest slot nobody holds or
 * held, in the order of `nodes` (with zone subnets, the lowest of the zone its role has fewest nodes
 * in). Without a placement that is a node's position in the spec, and a group's width the digits of its
 * count (at least 2). A held node without a zone gets one once it is of this generation (rolled).
 */
function placeNodes(spec: Spec, placement: Placement, layout: Layout): { name: string; role: Role; group: string; index: number; zone?: number }[] {
  const held = new Map([...placement.nodes, ...placement.retired].map((n) => [n.name, n.slot]));
  const recorded = new Map(placement.nodes.map((n) => [n.name, n]));
  const taken = new Set(held.values());
  const { subnets } = layout;
  /** The lowest slot nobody holds or held (of `zone`'s, with zone subnets), or undefined when the zone is full. */
  const freeSlot = (zone?: number) => {
    const [from, to] = subnets && zone !== undefined ? [zone * subnets.perZone, (zone + 1) * subnets.perZone] : [0, Infinity];
    let slot = from;
    while (taken.has(slot) && slot < to) slot++;
    return slot < to ? slot : undefined;
  };
  const take = (slot: number) => (taken.add(slot), slot);
  const nodes = spec.nodes.flatMap((group) => {
    const name = group.name ?? group.role;
    const width = Object.hasOwn(placement.groups, name) ? placement.groups[name]!.width : Math.max(2, String(group.count).length);
    return Array.from({ length: group.count }, (_, i) => ({ name: `${name}-${pad(i + 1, width)}`, role: group.role, group: name }));
  });
  const counts = Array.from({ length: layout.zones }, () => [0, 0]);
  const zoneOfSlot = (slot: number) => (subnets ? Math.floor(slot / subnets.perZone) : undefined);
  // Nodes that hold a slot first, so that a new one never takes it, nor its place in a zone's count.
  const kept = nodes.map((n) => {
    const slot = held.get(n.name);
    if (slot === undefined) return undefined;
    const zone = zoneOfSlot(slot) ?? recorded.get(n.name)?.zone;
    if (zone !== undefined && zone < counts.length) counts[zone]![n.role === "control" ? 0 : 1]!++;
    return { slot, zone };
  });
  const placed = nodes.map((n, i) => {
    const was = kept[i];
    if (was && (was.zone !== undefined || !layout.zones || (recorded.get(n.name)?.generation ?? GENERATION) < 2)) return { ...n, index: was.slot, ...(was.zone !== undefined ? { zone: was.zone } : {}) };
    if (was) return { ...n, index: was.slot, zone: leastUsed(counts, n.role, () => true)! };
    if (!layout.zones) return { ...n, index: take(freeSlot()!) };
    const zone = leastUsed(counts, n.role, (z) => !subnets || freeSlot(z) !== undefined);
    // Every zone full: a slot past the last, which planCluster reports.
    return zone === undefined ? { ...n, index: layout.zones * subnets!.perZone } : { ...n, index: take(freeSlot(zone)!), zone };
  });
  return placed.sort((a, b) => a.index - b.index);
}

/**
 * Zones are given where the platform has them, but zone subnets only to a network made with them
 * (generation 2): an older AWS environment keeps its one subnet and every address.
 */
function layoutOf(environment: string, block: Cidr, spread: Spread | undefined, placement: Placement): Layout {
  if (spread?.kind !== "zones") return { zones: 0 };
  if (!spread.subnets) return { zones: spread.count };
  if (placement.generation < 2) return { zones: 0 };
  const blocks = zoneBlocks(block, spread.count);
  const perZone = nodeCapacity(blocks[0]!);
  // AWS subnets are /28 at the smallest (docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
  if (blocks[0]!.prefix > 28 || perZone === 0)
    throw new InputError(
      `environments.${environment}: network.cidr ${formatCidr(block)} is too small to cut into a subnet for each of ${spread.count} zones (/28 at the smallest, with room for nodes): use a /26 or larger, or fewer zones`,
    );
  return { zones: spread.count, subnets: { blocks, perZone } };
}

/** A slot's address: the network's slot-th node address, or with zone subnets the (slot mod perZone)-th of its zone's subnet. */
function addressOf(block: Cidr, layout: Layout, slot: number): string {
  const { subnets } = layout;
  return subnets ? nthNodeIp(subnets.blocks[Math.floor(slot / subnets.perZone)]!, slot % subnets.perZone) : nthNodeIp(block, slot);
}

const NO_PLACEMENT: Placement = { generation: GENERATION, groups: {}, nodes: [], retired: [] };

/** The placement of an environment a coreform before records planned: nodes at their position in the spec, no zone. */
export const EARLIER_PLACEMENT: Placement = { ...NO_PLACEMENT, generation: 0 };

export function planCluster(spec: Spec, environment: string, placement: Placement = NO_PLACEMENT): ClusterPlan {
  const env: Environment | undefined = Object.hasOwn(spec.environments, environment) ? spec.environments[environment] : undefined;
  if (!env) throw new Error(`no environment "${environment}" in the spec`);
  const cidr = networkOf(spec, env);
  const block = parseCidr(cidr);
  const spread = platformOf(env.platform).spread?.(env as never);
  const layout = layoutOf(environment, block, spread, placement);
  const capacity = layout.subnets ? layout.zones * layout.subnets.perZone : nodeCapacity(block);
  const total = spec.nodes.reduce((sum, g) => sum + g.count, 0);
  if (total > capacity) throw new Error(`${cidr} cannot hold ${total} nodes`);

  const nodes: PlannedNode[] = placeNodes(spec, placement, layout).map((n) => {
    if (n.index >= capacity)
      throw new InputError(
        `environments.${environment}: ${cidr} has no address left for ${n.name}: ${placement.retired.length} of its ${capacity} node addresses belong to nodes removed since ` +
          `(an address is never handed to another node): use a larger network.cidr, or a new environment`,
      );
    return { ...n, ip: addressOf(block, layout, n.index) };
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
    ...(spread ? { spread } : {}),
    ...(layout.subnets ? { zoneSubnets: layout.subnets.blocks.map(formatCidr) } : {}),
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

/**
 * `record` with `node` moved to this coreform's generation and placed as a node of it is (its zone, where
 * the platform has zones): what `coreform roll` writes before it replaces the node, so that the record
 * stays the one a render would write.
 */
export function promoted(spec: Spec, environment: string, record: EnvironmentRecord, node: string): EnvironmentRecord {
  const moved = { ...record, nodes: record.nodes.map((n) => (n.name === node ? { ...n, generation: GENERATION } : n)) };
  const zone = planCluster(spec, environment, moved).nodes.find((n) => n.name === node)?.zone;
  if (zone === undefined) return moved;
  // The record's own key order (recordOf): identity, zone, generation, digests.
  const withZone = ({ name, group, role, number, slot, ip, zone: _old, ...rest }: EnvironmentRecord["nodes"][number]) => ({ name, group, role, number, slot, ip, zone, ...rest });
  return { ...moved, nodes: moved.nodes.map((n) => (n.name === node ? withZone(n) : n)) };
}
