// OpenStack (Nova, Neutron, Glance; also public OpenStack clouds): a network and subnet holding the
// planned addresses with a router to the external network (or the user's existing ones), one security
// group opening exactly the plan's ports, one port per node at its planned IP, and one instance per node
// with its Ignition config as user data. Ignition reads it from a config drive or from the metadata
// service (169.254.169.254/openstack/latest/user_data: coreos/ignition internal/providers/openstack/
// openstack.go); the config drive stays off (see configDrive below). Optional floating IPs make the
// nodes reachable from outside.
// Bindings: stacks/bindings/openstack.ts (terraform-provider-openstack/openstack ~> 3.4).
import type { ITerraformDependable } from "cdktf";
import { FIRST_HOST_OFFSET, formatIp, parseCidr } from "../src/spec/ipv4";
import { dataDiskOf, type ClusterPort } from "../src/plan/plan";
import { stateBackend } from "./backend";
import {
  BlockstorageVolumeV3,
  ComputeInstanceV2,
  ComputeServergroupV2,
  ComputeVolumeAttachV2,
  DataImagesImageV2,
  DataNetworkingNetworkV2,
  DataNetworkingSubnetV2,
  ImagesImageV2,
  NetworkingFloatingipV2,
  NetworkingNetworkV2,
  NetworkingPortV2,
  NetworkingRouterInterfaceV2,
  NetworkingRouterV2,
  NetworkingSecgroupRuleV2,
  NetworkingSecgroupV2,
  NetworkingSubnetV2,
  OpenstackProvider,
} from "./bindings/openstack";
import { EGRESS_DESCRIPTION, firewallRules } from "./firewall";
import { openstackImage } from "../src/platforms/openstack";
import { literal } from "./literal";
import { environmentLabels, qualifiedName, nodeLabels, nodeName } from "./naming";
import { clusterOutputs } from "./outputs";
import { generationOf } from "../src/plan/record";
import type { Role } from "../src/spec/schema";
import { replacedWith } from "./roll";
import type { StackBuilder } from "./registry";

/** A port the plan lists, as a Neutron rule's protocol and port range (ICMP: all types, no range). */
const rulePorts = (p: ClusterPort) => (p.protocol === "icmp" ? { protocol: p.protocol } : { protocol: p.protocol, portRangeMin: p.from, portRangeMax: p.to });

/**
 * What DHCP may hand out: the addresses between the gateway (.1, Neutron's default) and the first
 * planned node (src/spec/ipv4.ts FIRST_HOST_OFFSET), so that no DHCP port (or anything else taking an
 * address from the pool) sits where a node is planned, now or after the cluster grows. Ports with a
 * fixed IP may take any address of the subnet, inside the pool or not.
 */
export function dhcpPool(cidr: string): { start: string; end: string } {
  const { base } = parseCidr(cidr);
  return { start: formatIp(base + 2), end: formatIp(base + FIRST_HOST_OFFSET - 1) };
}

export const openstackStack: StackBuilder<"openstack"> = (stack, input) => {
  const { plan, env, nodes } = input;
  const prefix = qualifiedName(plan);

  // provider and backend: credentials from clouds.yaml (`cloud`) or the OS_* environment, never the stack
  new OpenstackProvider(stack, "openstack", { cloud: env.cloud, region: env.region });
  stateBackend(stack, input, env.backend);

  // image: an existing Glance image by name, or Flatcar's OpenStack image of the channel imported
  const choice = openstackImage(plan, env);
  const imageId =
    "lookup" in choice
      ? new DataImagesImageV2(stack, "flatcar", { name: choice.lookup.name, mostRecent: true }).id
      : new ImagesImageV2(stack, "flatcar", {
          name: choice.import.name,
          imageSourceUrl: choice.import.url,
          containerFormat: choice.import.containerFormat,
          diskFormat: choice.import.diskFormat,
          properties: choice.import.properties,
        }).id;

  // network: the given network and subnet, or a network of its own with one subnet holding the planned
  // addresses and a router to the external network (first boot pulls images and extensions)
  /** src/platforms/openstack.ts requires externalNetwork wherever the stack uses it. */
  const external = () => {
    if (!env.externalNetwork) throw new Error(`environments.${plan.environment}.externalNetwork: required`);
    return env.externalNetwork;
  };
  let networkId = env.networkId;
  let subnetId = env.subnetId;
  /** What a node needs before it can reach the internet (only when the stack builds the network). */
  let internet: ITerraformDependable[] = [];
  if (!networkId || !subnetId) {
    const network = new NetworkingNetworkV2(stack, "network", { name: prefix, description: `coreform ${prefix}`, adminStateUp: true });
    const subnet = new NetworkingSubnetV2(stack, "subnet", {
      name: prefix,
      networkId: network.id,
      cidr: plan.cidr,
      ipVersion: 4,
      enableDhcp: true,
      allocationPool: [dhcpPool(plan.cidr)],
    });
    const uplink = new DataNetworkingNetworkV2(stack, "external", { name: external(), external: true });
    const router = new NetworkingRouterV2(stack, "router", { name: prefix, description: `coreform ${prefix}`, externalNetworkId: uplink.id });
    internet = [new NetworkingRouterInterfaceV2(stack, "router-subnet", { routerId: router.id, subnetId: subnet.id })];
    networkId = network.id;
    subnetId = subnet.id;
  } else {
    // The ports take the planned addresses in the given subnet: `terraform plan` stops before anything
    // is created when it does not hold network.cidr or is not in the given network.
    new DataNetworkingSubnetV2(stack, "existing-subnet", {
      subnetId,
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.cidr == "${plan.cidr}" && self.network_id == "${networkId}"}`,
            errorMessage: `environments.${plan.environment}: subnetId must be a subnet of networkId holding network.cidr ${plan.cidr}, where the nodes' addresses are planned`,
          },
        ],
      },
    });
  }

  // firewall: one security group on every node's port, without Neutron's default rules: the plan's
  // ports between the group's members, the admin ports from adminCidrs only, all IPv4 traffic out
  const group = new NetworkingSecgroupV2(stack, "firewall", {
    name: `${prefix}-nodes`,
    description: `coreform ${prefix}: between cluster nodes, and admin ports from adminCidrs`,
    deleteDefaultRules: true,
  });
  for (const rule of firewallRules(plan, env)) {
    new NetworkingSecgroupRuleV2(stack, rule.id, {
      securityGroupId: group.id,
      direction: "ingress",
      ethertype: "IPv4",
      ...rulePorts(rule.port),
      ...("cidr" in rule.source ? { remoteIpPrefix: rule.source.cidr } : { remoteGroupId: group.id }),
      description: rule.description,
    });
  }
  new NetworkingSecgroupRuleV2(stack, "egress", { securityGroupId: group.id, direction: "egress", ethertype: "IPv4", remoteIpPrefix: "0.0.0.0/0", description: EGRESS_DESCRIPTION });

  // spread: a server group a role, which Nova's scheduler places on different hosts: control nodes
  // strictly (anti-affinity: an instance no host can take fails to be made, rather than share one with
  // another etcd member), workers as far as hosts allow (soft-anti-affinity, compute API 2.15). Nodes made
  // before generation 2 are in none: joining one (scheduler_hints) would replace them.
  const grouped = nodes.filter((n) => generationOf(input.record, n.node.name) >= 2).map((n) => n.node);
  const POLICY = { control: "anti-affinity", worker: "soft-anti-affinity" } as const;
  const serverGroups = new Map(
    (["control", "worker"] as const satisfies readonly Role[])
      .filter((role) => grouped.some((n) => n.role === role))
      // A group is never updated (every argument ForceNew): a cluster renamed keeps its groups' names, or every member would be replaced.
      .map((role) => [role, new ComputeServergroupV2(stack, `${role}-group`, { name: `${prefix}-${role}`, policies: [POLICY[role]], lifecycle: { ignoreChanges: ["name"] } })]),
  );

  // machines: one port per planned node at its planned IP (the security group is on the port), one
  // instance on it, and a floating IP when asked
  const machines = nodes.map(({ node, userData }) => {
    const serverGroup = grouped.includes(node) ? serverGroups.get(node.role) : undefined;
    const size = env[node.role];
    const name = nodeName(plan, node);
    const port = new NetworkingPortV2(stack, `${node.name}-port`, {
      name,
      networkId,
      adminStateUp: true,
      fixedIp: [{ subnetId, ipAddress: node.ip }],
      securityGroupIds: [group.id],
    });
    // Booting from a volume made of the image puts the image in block_device; else it is image_id.
    const boot = size.diskGiB
      ? { blockDevice: [{ uuid: imageId, sourceType: "image", destinationType: "volume", volumeSize: size.diskGiB, bootIndex: 0, deleteOnTermination: true }] as const }
      : { imageId };
    const instance = new ComputeInstanceV2(stack, node.name, {
      name,
      flavorName: size.flavor,
      ...boot,
      keyPair: env.keyPair,
      userData: literal(userData),
      // Flatcar's OpenStack page: "systems relying on config drive are currently unsupported"
      // (flatcar.org/docs/latest/deploy/virt-options/openstack/, "Butane Configs"): the metadata service it is.
      configDrive: false,
      metadata: { ...environmentLabels(plan), ...nodeLabels(node) },
      network: [{ port: port.id }],
      ...(serverGroup ? { schedulerHints: [{ group: serverGroup.id }] } : {}),
      ...(internet.length ? { dependsOn: internet } : {}),
      // A new image or a re-render must never replace a running etcd member: Flatcar updates itself in place
      // (a new image_id is even worse than a replacement: a Rebuild re-images the root disk in place). The
      // boot volume's size, or booting from a volume at all, would replace the instance (block_device is
      // ForceNew: resource_openstack_compute_instance_v2.go@v3.4.0:218-281): new nodes boot the new way.
      lifecycle: { ignoreChanges: ["image_id", "block_device", "user_data"] },
    });
    // etcd's data disk, attached after the instance exists (the node waits for it): kept when the instance
    // goes. Online resize lets it grow while attached (resource_openstack_blockstorage_volume_v3.go@v3.4.0).
    const diskGiB = dataDiskOf(plan, node);
    if (diskGiB) {
      const volume = new BlockstorageVolumeV3(stack, `${node.name}-etcd`, { name: `${name}-etcd`, description: `coreform ${prefix}: etcd data of ${node.name}`, size: diskGiB, enableOnlineResize: true, lifecycle: { preventDestroy: true } });
      new ComputeVolumeAttachV2(stack, `${node.name}-etcd-attachment`, { instanceId: instance.id, volumeId: volume.id });
    }
    // The floating IP is associated with the port on creation; Neutron needs the port's subnet on a router to the external network first.
    const floating = env.publicAddresses
      ? new NetworkingFloatingipV2(stack, `${node.name}-address`, { pool: external(), portId: port.id, description: name, ...(internet.length ? { dependsOn: internet } : {}) })
      : undefined;
    replacedWith(node, instance);
    return { instance, floating };
  });

  // outputs
  clusterOutputs(stack, plan, nodes.map((n) => n.node), (i) => ({ privateIp: machines[i]!.instance.accessIpV4, publicIp: machines[i]!.floating?.address ?? null }));
};
