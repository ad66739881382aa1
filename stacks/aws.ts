// AWS (EC2): one subnet holding the planned addresses, one security group opening exactly the plan's
// ports, one instance per planned node at its planned IP with its Ignition config as user data.
// Attribute names: registry.terraform.io/providers/hashicorp/aws/6.25.0/docs (the version
// @cdktf/provider-aws 21.22.1 pins). Deep imports only: the package root loads ~2200 modules.
import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { TerraformOutput, type ITerraformDependable } from "cdktf";
import type { ClusterPort } from "../src/plan/plan";
import { stateBackend } from "./backend";
import { literal } from "./literal";
import type { StackBuilder } from "./registry";

/** Flatcar's AMIs are published by this account (flatcar.org docs on EC2, Typhoon's aws modules). */
export const FLATCAR_AMI_OWNER = "075585003325";

/** A port the plan lists, as a security group rule. For ICMP, from and to are type and code; -1 means all
 * (docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRuleRequest.html). */
const rulePorts = (p: ClusterPort) =>
  p.protocol === "icmp" ? { ipProtocol: "icmp", fromPort: -1, toPort: -1 } : { ipProtocol: p.protocol, fromPort: p.from, toPort: p.to };

export const awsStack: StackBuilder<"aws"> = (stack, input) => {
  const { spec, plan, env, nodes } = input;
  const prefix = `${plan.cluster}-${plan.environment}`;

  // provider and backend
  new AwsProvider(stack, "aws", {
    region: env.region,
    defaultTags: [{ tags: { "coreform:cluster": plan.cluster, "coreform:environment": plan.environment } }],
  });
  stateBackend(stack, input, env.backend);

  // image: a pinned AMI, or the newest Flatcar AMI of the channel (and release) for the environment's
  // one architecture (plan.arch: explicit, or from the instance family; rules.ts keeps it single)
  const version = spec.os.version === "current" ? "*" : spec.os.version;
  const ami =
    env.ami ??
    new DataAwsAmi(stack, `flatcar-${plan.arch}`, {
      owners: [FLATCAR_AMI_OWNER],
      mostRecent: true,
      filter: [
        { name: "name", values: [`Flatcar-${spec.os.channel}-${version}-hvm`] },
        { name: "architecture", values: [plan.arch] },
        { name: "virtualization-type", values: ["hvm"] },
      ],
    }).id;

  // network: the given VPC and subnet, or a VPC and one subnet holding the planned addresses, with a
  // route to the internet (nodes pull their container images; public addresses, so no NAT)
  let vpcId = env.vpcId;
  let subnetId = env.subnetId;
  /** What a node needs before its first boot can pull images (only when the stack builds the network). */
  let internet: ITerraformDependable[] = [];
  if (!vpcId || !subnetId) {
    const vpc = new Vpc(stack, "vpc", { cidrBlock: plan.cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: prefix } });
    const subnet = new Subnet(stack, "subnet", { vpcId: vpc.id, cidrBlock: plan.cidr, tags: { Name: prefix } });
    const gateway = new InternetGateway(stack, "gateway", { vpcId: vpc.id, tags: { Name: prefix } });
    const table = new RouteTable(stack, "routes", { vpcId: vpc.id, tags: { Name: prefix } });
    internet = [
      new Route(stack, "default-route", { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: gateway.id }),
      new RouteTableAssociation(stack, "subnet-routes", { subnetId: subnet.id, routeTableId: table.id }),
    ];
    vpcId = vpc.id;
    subnetId = subnet.id;
  }

  // firewall: the plan's ports between the nodes, the admin ports from adminCidrs only, all traffic out
  const group = new SecurityGroup(stack, "firewall", {
    name: `${prefix}-nodes`,
    description: `coreform ${prefix}: between cluster nodes, and admin ports from adminCidrs`,
    vpcId,
    tags: { Name: `${prefix}-nodes` },
  });
  for (const port of plan.ports) {
    new VpcSecurityGroupIngressRule(stack, `cluster-${port.name}`, {
      securityGroupId: group.id,
      referencedSecurityGroupId: group.id,
      description: `${port.name} between cluster nodes`,
      ...rulePorts(port),
    });
  }
  for (const port of plan.adminPorts) {
    env.adminCidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(stack, `admin-${port.name}-${i}`, {
        securityGroupId: group.id,
        cidrIpv4: cidr,
        description: `${port.name} from adminCidrs[${i}]`,
        ...rulePorts(port),
      });
    });
  }
  new VpcSecurityGroupEgressRule(stack, "egress", {
    securityGroupId: group.id,
    cidrIpv4: "0.0.0.0/0",
    ipProtocol: "-1",
    description: "images, updates and time",
  });

  // machines: one per planned node
  const instances = nodes.map(({ node, userData }) => {
    const size = env[node.role];
    return new Instance(stack, node.name, {
      ami,
      instanceType: size.instanceType,
      subnetId,
      privateIp: node.ip,
      vpcSecurityGroupIds: [group.id],
      ...(internet.length ? { associatePublicIpAddress: true, dependsOn: internet } : {}),
      userData: literal(userData),
      // IMDSv2 only; one hop keeps bridged containers away from it.
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { volumeType: "gp3", volumeSize: size.diskGiB, encrypted: true, deleteOnTermination: true },
      tags: { Name: `${prefix}-${node.name}`, "coreform:role": node.role, "coreform:node": node.name },
      // A new AMI or a re-render must never replace a running etcd member: Flatcar updates itself in place.
      lifecycle: { ignoreChanges: ["ami", "user_data"] },
    });
  });

  // outputs
  new TerraformOutput(stack, "nodes", {
    description: "node name → private IP, public IP, role",
    value: Object.fromEntries(
      nodes.map(({ node }, i) => [node.name, { private_ip: instances[i]!.privateIp, public_ip: instances[i]!.publicIp, role: node.role }]),
    ),
  });
  new TerraformOutput(stack, "etcd_endpoints", { description: "etcd client URLs (TLS, client certificates)", value: plan.etcd.clientUrls });
};
