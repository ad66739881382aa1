// Azure: a resource group (created, or the user's), a virtual network and one subnet holding the
// planned addresses, a network security group on the subnet opening exactly the plan's ports, one NIC
// with a static private IP and one Linux VM per planned node, its Ignition config as custom data (what
// Ignition reads on Azure: coreos/ignition docs/supported-platforms.md).
// Attribute names: registry.terraform.io/providers/hashicorp/azurerm/4.55.0/docs (the version
// @cdktf/provider-azurerm 14.23.1 pins). Deep imports only: the package root loads every resource.
import { AvailabilitySet } from "@cdktf/provider-azurerm/lib/availability-set";
import { DataAzurermResourceGroup } from "@cdktf/provider-azurerm/lib/data-azurerm-resource-group";
import { LinuxVirtualMachine } from "@cdktf/provider-azurerm/lib/linux-virtual-machine";
import { ManagedDisk } from "@cdktf/provider-azurerm/lib/managed-disk";
import { NatGateway } from "@cdktf/provider-azurerm/lib/nat-gateway";
import { NatGatewayPublicIpAssociation } from "@cdktf/provider-azurerm/lib/nat-gateway-public-ip-association";
import { NetworkInterface } from "@cdktf/provider-azurerm/lib/network-interface";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { NetworkSecurityRule } from "@cdktf/provider-azurerm/lib/network-security-rule";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { SubnetNatGatewayAssociation } from "@cdktf/provider-azurerm/lib/subnet-nat-gateway-association";
import { SubnetNetworkSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/subnet-network-security-group-association";
import { VirtualMachineDataDiskAttachment } from "@cdktf/provider-azurerm/lib/virtual-machine-data-disk-attachment";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import type { ITerraformDependable } from "cdktf";
import { dataDiskOf, type ClusterPort, type PortName } from "../src/plan/plan";
import { stateBackend } from "./backend";
import { firewallRules } from "./firewall";
import { azureAcceptsKey, azureImage } from "../src/platforms/azure";
import { environmentLabels, fitName, qualifiedName, nodeLabels, nodeName } from "./naming";
import { clusterOutputs } from "./outputs";
import { generationOf } from "../src/plan/record";
import { replacedWith } from "./roll";
import type { StackBuilder } from "./registry";

/** Linux VM names are at most 64 characters; NICs, IPs and NSGs may be longer. */
const NAME_MAX = 64;
/** The first-boot user (Flatcar's docs create VMs with `--admin-username core`). */
export const ADMIN_USER = "core";

/** NSG rule priorities run from 100 to 4096, lower first (azurerm docs, network_security_rule). */
export const LAST_PRIORITY = 4096;

/**
 * Each allow rule's priority, fixed by the port it opens and whom to (never by a position in a list),
 * so that adding, removing or reordering admin networks, or another scheduler, never moves a rule:
 * Azure refuses two inbound rules at one priority at any instant, and Terraform updates rules in
 * parallel (SecurityRuleConflict: hashicorp/terraform-provider-azurerm#293, #19202). From 1100 on:
 * coreform before this numbered its rules from 100 in list order, and an NSG holds at most 1,000 rules
 * (learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits,
 * "NSG rules per NSG"), so old rules sat below 1100 and never meet a new one at its priority in the
 * apply that replaces them. A new port is one more row, at a priority of its own.
 */
const PORT_PRIORITY: Record<PortName, number> = { etcd: 0, "kubernetes-api": 10, "flannel-vxlan": 20, kubelet: 30, icmp: 40, ssh: 50 };
export const priorityOf = (rule: "cluster" | "admin", port: PortName) => (rule === "cluster" ? 1100 : 1200) + PORT_PRIORITY[port];

/** A port the plan lists, in an NSG rule's terms. */
const ruleProtocol = (p: ClusterPort) =>
  p.protocol === "icmp"
    ? { protocol: "Icmp", destinationPortRange: "*" }
    : { protocol: p.protocol === "tcp" ? "Tcp" : "Udp", destinationPortRange: p.from === p.to ? `${p.from}` : `${p.from}-${p.to}` };

export const azureStack: StackBuilder<"azure"> = (stack, input) => {
  const { plan, env, nodes } = input;
  const prefix = qualifiedName(plan);
  const tags = environmentLabels(plan);

  // provider and backend
  new AzurermProvider(stack, "azurerm", { features: [{}], ...(env.subscriptionId ? { subscriptionId: env.subscriptionId } : {}) });
  stateBackend(stack, input, env.backend);
  const group = env.resourceGroup
    ? new DataAzurermResourceGroup(stack, "group", { name: env.resourceGroup }).name
    : new ResourceGroup(stack, "group", { name: prefix, location: env.location, tags }).name;
  const placed = { resourceGroupName: group, location: env.location, tags };

  // image: the user's own, or Flatcar's from the Marketplace (CoreVM by default: no terms, no plan)
  const image = azureImage(plan, env);

  // network: a virtual network and one subnet holding the planned addresses. Azure's implicit way out
  // is off: each node's public IP is its way out, or a NAT gateway when nodes have none.
  const vnet = new VirtualNetwork(stack, "network", { ...placed, name: fitName(prefix, NAME_MAX), addressSpace: [plan.cidr] });
  const subnet = new Subnet(stack, "subnet", {
    name: prefix,
    resourceGroupName: group,
    virtualNetworkName: vnet.name,
    addressPrefixes: [plan.cidr],
    defaultOutboundAccessEnabled: false,
  });
  const internet: ITerraformDependable[] = [];
  if (!env.publicAddresses) {
    const nat = new NatGateway(stack, "nat", { ...placed, name: `${prefix}-nat`, skuName: "Standard" });
    const natIp = new PublicIp(stack, "nat-ip", { ...placed, name: `${prefix}-nat`, sku: "Standard", allocationMethod: "Static" });
    internet.push(
      new NatGatewayPublicIpAssociation(stack, "nat-ip-association", { natGatewayId: nat.id, publicIpAddressId: natIp.id }),
      new SubnetNatGatewayAssociation(stack, "subnet-nat", { subnetId: subnet.id, natGatewayId: nat.id }),
    );
  }

  // firewall: a network security group on the subnet: the plan's ports between the nodes, and one rule
  // per admin port holding every admin network, each rule at its port's fixed priority (PORT_PRIORITY).
  // Azure's own rules let the whole virtual network in (AllowVnetInBound, 65000): the last rule denies
  // that, so between nodes only the plan's ports are open. Out is Azure's AllowInternetOutBound.
  const nsg = new NetworkSecurityGroup(stack, "firewall", { ...placed, name: `${prefix}-nodes` });
  const nsgRule = (id: string, priority: number, rule: { access: string; sources: readonly string[]; description: string; protocol: string; destinationPortRange: string }) =>
    new NetworkSecurityRule(stack, id, {
      name: id,
      resourceGroupName: group,
      networkSecurityGroupName: nsg.name,
      priority,
      direction: "Inbound",
      access: rule.access,
      protocol: rule.protocol,
      sourcePortRange: "*",
      ...(rule.sources.length === 1 ? { sourceAddressPrefix: rule.sources[0] } : { sourceAddressPrefixes: [...rule.sources] }),
      destinationPortRange: rule.destinationPortRange,
      destinationAddressPrefix: plan.cidr,
      description: rule.description,
    });
  const rules = firewallRules(plan, env);
  for (const rule of rules.filter((r) => "nodes" in r.source))
    nsgRule(rule.id, priorityOf("cluster", rule.port.name), { access: "Allow", sources: [plan.cidr], description: rule.description, ...ruleProtocol(rule.port) });
  for (const port of plan.adminPorts) {
    const sources = rules.flatMap((r) => ("cidr" in r.source && r.port.name === port.name ? [r.source.cidr] : []));
    nsgRule(`admin-${port.name}`, priorityOf("admin", port.name), { access: "Allow", sources, description: `${port.name} from adminCidrs`, ...ruleProtocol(port) });
  }
  nsgRule("deny-vnet", LAST_PRIORITY, { access: "Deny", sources: ["VirtualNetwork"], description: "nothing else from the virtual network", protocol: "*", destinationPortRange: "*" });
  const secured = new SubnetNetworkSecurityGroupAssociation(stack, "subnet-firewall", { subnetId: subnet.id, networkSecurityGroupId: nsg.id });

  // machines: per planned node a NIC at its planned IP (with a public IP, unless turned off) and a VM,
  // in its availability zone, or where the location has none (zones: []) in the nodes' availability set
  // (nodes made before either: neither, as they were made)
  const spread = plan.spread;
  const inSet = (node: (typeof nodes)[number]["node"]) => spread?.kind === "group" && generationOf(input.record, node.name) >= 2;
  // Fault and update domains: azurerm's defaults (availability_set_resource.go@v4.55.0:51-88).
  const set = nodes.some((n) => inSet(n.node)) ? new AvailabilitySet(stack, "availability-set", { ...placed, name: `${prefix}-nodes`, managed: true }) : undefined;
  const placement = (node: (typeof nodes)[number]["node"]) =>
    node.zone !== undefined && spread?.kind === "zones"
      ? { zone: spread.names![node.zone]!, ignore: ["zone"] }
      : inSet(node)
        ? { availabilitySetId: set!.id, ignore: ["availability_set_id"] }
        : { ignore: [] };
  const machines = nodes.map(({ node, config, userData }) => {
    const { ignore, ...where } = placement(node);
    const size = env[node.role];
    const name = fitName(nodeName(plan, node), NAME_MAX);
    const publicIp = env.publicAddresses ? new PublicIp(stack, `${node.name}-ip`, { ...placed, name, sku: "Standard", allocationMethod: "Static" }) : undefined;
    const nic = new NetworkInterface(stack, `${node.name}-nic`, {
      ...placed,
      name,
      ipConfiguration: [
        {
          name: "primary",
          subnetId: subnet.id,
          privateIpAddressAllocation: "Static",
          privateIpAddress: node.ip,
          ...(publicIp ? { publicIpAddressId: publicIp.id } : {}),
        },
      ],
    });
    const vm = new LinuxVirtualMachine(stack, node.name, {
      ...placed,
      tags: { ...tags, ...nodeLabels(node) },
      name,
      computerName: node.name,
      ...where,
      size: size.vmSize,
      networkInterfaceIds: [nic.id],
      adminUsername: ADMIN_USER,
      // Azure wants at least one key of a kind it takes here (src/platforms/azure.ts checks the spec has one); the
      // Ignition config writes every key of the node for core anyway.
      adminSshKey: config.sshAuthorizedKeys.filter(azureAcceptsKey).map((publicKey) => ({ username: ADMIN_USER, publicKey })),
      disablePasswordAuthentication: true,
      osDisk: { caching: "ReadWrite", storageAccountType: "StandardSSD_LRS", diskSizeGb: size.diskGiB },
      ...("id" in image ? { sourceImageId: image.id } : { sourceImageReference: image.reference, ...(image.plan ? { plan: image.plan } : {}) }),
      // Base64 has no `${`: no escaping needed. Azure cannot change custom data after creation.
      customData: Buffer.from(userData).toString("base64"),
      // The serial console and boot screenshots, in a storage account Azure manages.
      bootDiagnostics: {},
      dependsOn: [secured, ...internet],
      // A new image or a re-render must never replace a running etcd member: Flatcar updates itself in
      // place. A changed key list would replace the VM too; keys reach nodes through Ignition only.
      // Its zone or set stays what it was made with when the spec's zones change: running VMs are not moved.
      lifecycle: { ignoreChanges: ["source_image_reference", "source_image_id", "plan", "custom_data", "admin_ssh_key", ...ignore] },
    });
    // etcd's data disk: a VM's deletion deletes its OS disk only; the attachment comes after the VM exists
    // (the node waits for it). No host caching: etcd writes its log with fsync.
    const diskGiB = dataDiskOf(plan, node);
    if (diskGiB) {
      const disk = new ManagedDisk(stack, `${node.name}-etcd`, {
        ...placed,
        tags: { ...tags, ...nodeLabels(node) },
        name: `${name}-etcd`,
        storageAccountType: "StandardSSD_LRS",
        createOption: "Empty",
        diskSizeGb: diskGiB,
        // In its VM's zone (a zonal VM takes zonal disks only), kept like the VM's when the spec's zones change.
        ...("zone" in where ? { zone: where.zone, lifecycle: { preventDestroy: true, ignoreChanges: ["zone"] } } : { lifecycle: { preventDestroy: true } }),
      });
      new VirtualMachineDataDiskAttachment(stack, `${node.name}-etcd-attachment`, { managedDiskId: disk.id, virtualMachineId: vm.id, lun: 0, caching: "None" });
    }
    replacedWith(node, vm);
    return { nic, publicIp };
  });

  // outputs
  clusterOutputs(stack, plan, nodes.map((n) => n.node), (i) => ({
    privateIp: machines[i]!.nic.privateIpAddress,
    publicIp: machines[i]!.publicIp?.ipAddress ?? null,
  }));
};
