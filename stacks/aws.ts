// AWS (EC2): one subnet holding the planned addresses, one security group opening exactly the plan's
// ports, one instance per planned node at its planned IP with its Ignition config as user data.
// Attribute names: registry.terraform.io/providers/hashicorp/aws/6.25.0/docs (the version
// @cdktf/provider-aws 21.22.1 pins). Deep imports only: the package root loads ~2200 modules.
import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VolumeAttachment } from "@cdktf/provider-aws/lib/volume-attachment";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Fn, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { dataDiskOf, type ClusterPlan, type ClusterPort } from "../src/plan/plan";
import { stateBackend } from "./backend";
import { EGRESS_DESCRIPTION, firewallRules } from "./firewall";
import { awsImage } from "../src/platforms/aws";
import { literal } from "./literal";
import { environmentLabels, qualifiedName, nodeLabels, nodeName } from "./naming";
import { clusterOutputs } from "./outputs";
import { replacedWith } from "./roll";
import type { StackBuilder } from "./registry";

/** A port the plan lists, as a security group rule. For ICMP, from and to are type and code; -1 means all
 * (docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRuleRequest.html). */
const rulePorts = (p: ClusterPort) =>
  p.protocol === "icmp" ? { ipProtocol: "icmp", fromPort: -1, toPort: -1 } : { ipProtocol: p.protocol, fromPort: p.from, toPort: p.to };

/**
 * Zone i's name: the spec's list, else the i-th of the region's availability zones as the provider lists
 * them (true zones only: Local and Wavelength Zones are opted into; `element` wraps in a region of two).
 */
function zoneNames(stack: Construct, plan: ClusterPlan): (zone: number) => string {
  const spread = plan.spread;
  if (spread?.kind === "zones" && spread.names) return (zone) => spread.names![zone]!;
  const zones = new DataAwsAvailabilityZones(stack, "zones", { filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] });
  return (zone) => Fn.element(zones.names, zone);
}

export const awsStack: StackBuilder<"aws"> = (stack, input) => {
  const { plan, env, nodes } = input;
  const prefix = qualifiedName(plan);

  // provider and backend
  new AwsProvider(stack, "aws", { region: env.region, defaultTags: [{ tags: environmentLabels(plan) }] });
  stateBackend(stack, input, env.backend);

  // image: a pinned AMI, the AMI of the pinned release by its exact name, or the newest Flatcar AMI of the
  // channel, for the environment's one architecture (plan.arch: explicit, or from the instance family;
  // rules.ts keeps it single)
  const image = awsImage(plan, env);
  const ami =
    "ami" in image
      ? image.ami
      : new DataAwsAmi(stack, `flatcar-${image.lookup.arch}`, {
          owners: [image.lookup.owner],
          mostRecent: image.lookup.mostRecent,
          filter: [
            { name: "name", values: [image.lookup.name] },
            { name: "architecture", values: [image.lookup.arch] },
            { name: "virtualization-type", values: ["hvm"] },
          ],
        }).id;

  // network: the given VPC and subnet, or a VPC with a route to the internet (nodes pull their container
  // images; public addresses, so no NAT) and the subnets holding the planned addresses: one per zone,
  // cut from the network (plan.zoneSubnets), or for an environment made before zones its one subnet
  let vpcId = env.vpcId;
  /**
   * Each node's subnet, by its zone (the one subnet of an environment made before zones, or the given one,
   * for all), and that subnet's zone, where a data volume must be: the subnet's, never an instance's
   * (unknown while one is replaced, which would replace the volume).
   */
  let given: { id: string; zone: string } | undefined;
  let subnetOf = (_zone?: number): { id: string; zone: string } =>
    (given ??= { id: env.subnetId!, zone: new DataAwsSubnet(stack, "existing-subnet", { id: env.subnetId! }).availabilityZone });
  /** What a node needs before its first boot can pull images (only when the stack builds the network). */
  let internet: ITerraformDependable[] = [];
  if (!vpcId || !env.subnetId) {
    const vpc = new Vpc(stack, "vpc", { cidrBlock: plan.cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: prefix } });
    const gateway = new InternetGateway(stack, "gateway", { vpcId: vpc.id, tags: { Name: prefix } });
    const table = new RouteTable(stack, "routes", { vpcId: vpc.id, tags: { Name: prefix } });
    internet = [new Route(stack, "default-route", { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: gateway.id })];
    const routed = (id: string, subnet: Subnet) => {
      internet.push(new RouteTableAssociation(stack, `${id}-routes`, { subnetId: subnet.id, routeTableId: table.id }));
      return { id: subnet.id, zone: subnet.availabilityZone };
    };
    if (plan.zoneSubnets) {
      const zones = zoneNames(stack, plan);
      const subnets = plan.zoneSubnets.map((cidr, i) =>
        routed(
          `subnet-zone-${i + 1}`,
          new Subnet(stack, `subnet-zone-${i + 1}`, {
            vpcId: vpc.id,
            cidrBlock: cidr,
            availabilityZone: zones(i),
            tags: { Name: `${prefix}-zone-${i + 1}` },
            // A zone list read differently later (the provider's, when the spec names none) never moves a subnet.
            lifecycle: { ignoreChanges: ["availability_zone"] },
          }),
        ),
      );
      subnetOf = (zone) => subnets[zone ?? 0]!;
    } else {
      const subnet = routed("subnet", new Subnet(stack, "subnet", { vpcId: vpc.id, cidrBlock: plan.cidr, tags: { Name: prefix } }));
      subnetOf = () => subnet;
    }
    vpcId = vpc.id;
  }

  // firewall: the plan's ports between the nodes, the admin ports from adminCidrs only, all traffic out
  const group = new SecurityGroup(stack, "firewall", {
    name: `${prefix}-nodes`,
    description: `coreform ${prefix}: between cluster nodes, and admin ports from adminCidrs`,
    vpcId,
    tags: { Name: `${prefix}-nodes` },
  });
  for (const rule of firewallRules(plan, env)) {
    new VpcSecurityGroupIngressRule(stack, rule.id, {
      securityGroupId: group.id,
      ...("cidr" in rule.source ? { cidrIpv4: rule.source.cidr } : { referencedSecurityGroupId: group.id }),
      description: rule.description,
      ...rulePorts(rule.port),
    });
  }
  new VpcSecurityGroupEgressRule(stack, "egress", { securityGroupId: group.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "-1", description: EGRESS_DESCRIPTION });

  // machines: one per planned node
  const instances = nodes.map(({ node, userData }) => {
    const size = env[node.role];
    const instance = new Instance(stack, node.name, {
      ami,
      instanceType: size.instanceType,
      subnetId: subnetOf(node.zone).id,
      privateIp: node.ip,
      vpcSecurityGroupIds: [group.id],
      ...(internet.length ? { associatePublicIpAddress: true, dependsOn: internet } : {}),
      ...(env.publicAddresses !== undefined ? { associatePublicIpAddress: env.publicAddresses } : {}),
      userData: literal(userData),
      // IMDSv2 only; one hop keeps bridged containers away from it.
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { volumeType: "gp3", volumeSize: size.diskGiB, encrypted: true, deleteOnTermination: true },
      tags: { Name: nodeName(plan, node), ...nodeLabels(node) },
      // A new AMI or a re-render must never replace a running etcd member: Flatcar updates itself in place.
      lifecycle: { ignoreChanges: ["ami", "user_data"] },
    });
    // etcd's data disk: kept when the instance goes, attached to the one that replaces it (after it exists:
    // the node waits for it). Stopping the instance first detaches a mounted volume cleanly.
    const diskGiB = dataDiskOf(plan, node);
    if (diskGiB) {
      const volume = new EbsVolume(stack, `${node.name}-etcd`, {
        availabilityZone: subnetOf(node.zone).zone,
        size: diskGiB,
        type: "gp3",
        encrypted: true,
        tags: { Name: `${nodeName(plan, node)}-etcd`, ...nodeLabels(node) },
        lifecycle: { preventDestroy: true },
      });
      new VolumeAttachment(stack, `${node.name}-etcd-attachment`, { deviceName: "/dev/sdf", instanceId: instance.id, volumeId: volume.id, stopInstanceBeforeDetaching: true });
    }
    return instance;
  });
  instances.forEach((instance, i) => replacedWith(nodes[i]!.node, instance));

  // outputs
  clusterOutputs(stack, plan, nodes.map((n) => n.node), (i) => ({ privateIp: instances[i]!.privateIp, publicIp: instances[i]!.publicIp }));
};
