// Spec + environment → ClusterPlan: the concrete nodes, their planned addresses and the endpoints
// every component uses. A pure function: no I/O, no randomness.
import { nodeCapacity, nthNodeIp, parseCidr } from "../spec/ipv4";
import type { Environment, Platform, Role, Spec } from "../spec/schema";

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

export interface PlannedNode {
  /** Hostname and resource name: `<group>-<NN>`. */
  readonly name: string;
  readonly role: Role;
  readonly group: string;
  /** Position in the whole cluster (0-based); decides the planned IP. */
  readonly index: number;
  readonly ip: string;
}

export interface EtcdMember {
  readonly name: string;
  readonly ip: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
}

/** Traffic the nodes need between each other; the stacks open exactly these. */
export interface ClusterPort {
  readonly name: string;
  readonly protocol: "tcp" | "udp" | "icmp";
  readonly from?: number;
  readonly to?: number;
}

export interface ClusterPlan {
  readonly cluster: string;
  readonly environment: string;
  readonly platform: Platform;
  readonly cidr: string;
  readonly nodes: readonly PlannedNode[];
  readonly etcd: {
    readonly members: readonly EtcdMember[];
    /** `name=https://ip:2380,…` for ETCD_INITIAL_CLUSTER. */
    readonly initialCluster: string;
    readonly clientUrls: readonly string[];
    readonly token: string;
  };
  readonly ports: readonly ClusterPort[];
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export function planCluster(spec: Spec, environment: string): ClusterPlan {
  const env: Environment | undefined = Object.hasOwn(spec.environments, environment) ? spec.environments[environment] : undefined;
  if (!env) throw new Error(`no environment "${environment}" in the spec`);
  const cidr = env.network?.cidr ?? spec.network.cidr;
  const block = parseCidr(cidr);
  const total = spec.nodes.reduce((sum, g) => sum + g.count, 0);
  if (total > nodeCapacity(block)) throw new Error(`${cidr} cannot hold ${total} nodes`);

  const nodes: PlannedNode[] = [];
  for (const group of spec.nodes) {
    const name = group.name ?? group.role;
    const width = Math.max(2, String(group.count).length);
    for (let i = 1; i <= group.count; i++) {
      const index = nodes.length;
      nodes.push({ name: `${name}-${pad(i, width)}`, role: group.role, group: name, index, ip: nthNodeIp(block, index) });
    }
  }

  const members = nodes
    .filter((n) => n.role === "control")
    .map((n) => ({
      name: n.name,
      ip: n.ip,
      clientUrl: `https://${n.ip}:${ETCD_CLIENT_PORT}`,
      peerUrl: `https://${n.ip}:${ETCD_PEER_PORT}`,
    }));

  return {
    cluster: spec.name,
    environment,
    platform: env.platform,
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
      { name: "icmp", protocol: "icmp" },
    ],
  };
}
