// AWS (EC2): machines sized by instance type (x86_64 or Graviton), one subnet in a VPC of the stack's or
// the operator's, Flatcar's AMIs. Its other half is stacks/aws.ts.
import { z } from "zod";
import { networkOf } from "../spec/cluster";
import { awsRegion, bootDisk, cloudEnvironment, perRole, sizeName, zoneList } from "../spec/fields";
import { parseCidr } from "../spec/ipv4";
import { flatcarMajorDate } from "./flatcar";
import { existingNetworkAndSubnetTogether, ownImage, platformModule, releaseImage, X86_AND_ARM, type Arch, type ImagePlan, type PlatformRule } from "./platform";

const schema = z
  .strictObject({
    platform: z.literal("aws").describe("aws: AWS EC2 (cdktf deploy)"),
    ...cloudEnvironment,
    region: awsRegion.describe("The AWS region, like eu-central-1"),
    ami: z
      .string()
      .regex(/^ami-[0-9a-f]{8,17}$/, "must be an AMI id like ami-0123456789abcdef0")
      .optional()
      .describe("An AMI of your own; default: Flatcar's AMI of os.channel at os.version (the newest for current)"),
    arch: z.enum(["x86_64", "arm64"]).optional().describe("The nodes' CPU architecture; default: the instance type's (Graviton families are arm64)"),
    vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "must be a VPC id like vpc-0abc…").optional().describe("An existing VPC (with subnetId); without both, the stack creates a VPC and a subnet"),
    subnetId: z.string().regex(/^subnet-[0-9a-f]+$/, "must be a subnet id like subnet-0abc…").optional().describe("An existing subnet holding network.cidr (with vpcId)"),
    zones: zoneList(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, "must be an availability zone like eu-central-1a"), 16)
      .refine((list) => list === undefined || list.length > 0, "at least one zone")
      .describe(
        "The availability zones the nodes go round, each with a subnet of its own cut from network.cidr (new environments); default: the region's first three as the provider lists them",
      ),
    publicAddresses: z
      .boolean()
      .optional()
      .describe("A public IP per node; without, the nodes need the subnet's own way out (a NAT gateway): give vpcId and subnetId. Default: true when the stack creates the network, else the subnet's setting"),
    ...perRole(
      "machines: instance type and disk",
      z
        .strictObject({
          instanceType: sizeName(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "an EC2 instance type", "t3.small", "The EC2 instance type (Graviton types like t4g.small are arm64)"),
          ...bootDisk("The root volume (gp3, encrypted), in GiB"),
        })
        .prefault({}),
    ),
  })
  .describe("AWS EC2: a subnet holding the planned addresses, a security group with exactly the plan's ports, Flatcar's AMIs");

type Aws = z.output<typeof schema>;

/**
 * EC2 Graviton families carry a `g` right after the generation digit (t4g, m7g, c7gn, x2gd, im4gn,
 * hpc7g) or are a1; everything else (incl. g4dn, g5, p4d) is x86_64.
 */
export const awsInstanceArch = (instanceType: string): Arch => (/^(a1|[a-z]+\d+g[a-z]*)\./.test(instanceType) ? "arm64" : "x86_64");

/** How many zones nodes go round when the spec lists none: etcd's three members, one a zone. */
export const DEFAULT_ZONES = 3;

/** Flatcar's AMIs are published by this account (flatcar.org docs on EC2, Typhoon's aws modules). */
export const FLATCAR_AMI_OWNER = "075585003325";

/**
 * A pinned AMI, or what finds Flatcar's AMI for one architecture: with a pinned os.version exactly the
 * AMI of that name (an account's AMI names are unique per region, so the lookup finds it or fails), for
 * `current` the newest one whose name matches the channel's pattern.
 */
type AwsImage =
  | { readonly ami: string }
  | { readonly lookup: { readonly owner: string; readonly name: string; readonly arch: Arch; readonly mostRecent: boolean } };

/**
 * Flatcar names its AMIs `Flatcar-<channel>-<version>-hvm`, and its arm64 AMIs
 * `Flatcar-<channel>-<version>-arm64-hvm` (flatcar.org/docs/latest/deploy/cloud/aws-ec2/, "Terraform":
 * the `Flatcar-stable-*` filter; the arm64 suffix as tools that look them up write it, e.g.
 * `Flatcar-stable-*-arm64-hvm`). For `current` the `*` takes the version's place and the architecture
 * filter keeps the other architecture's AMIs out.
 */
export function awsImage(plan: ImagePlan, env: Aws): AwsImage {
  if (env.ami) return { ami: env.ami };
  const { channel, version } = plan.os;
  const lookup = { owner: FLATCAR_AMI_OWNER, arch: plan.arch };
  if (version === "current") return { lookup: { ...lookup, name: `Flatcar-${channel}-*-hvm`, mostRecent: true } };
  return { lookup: { ...lookup, name: `Flatcar-${channel}-${version}-${plan.arch === "arm64" ? "arm64-" : ""}hvm`, mostRecent: false } };
}

// docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html: VPC and subnet blocks are /16 to /28.
const AWS_PREFIX = { min: 16, max: 28 };

const networkFitsVpc: PlatformRule<Aws> = (environments, spec, push) => {
  for (const [name, env] of environments) {
    const cidr = networkOf(spec, env);
    const { prefix } = parseCidr(cidr);
    if (prefix >= AWS_PREFIX.min && prefix <= AWS_PREFIX.max) continue;
    const why = `AWS subnets are /${AWS_PREFIX.min} to /${AWS_PREFIX.max}, not ${cidr}`;
    if (env.network) push("error", `environments.${name}.network.cidr`, why);
    else push("error", `environments.${name}`, `${why} (from network.cidr): set environments.${name}.network.cidr`);
  }
};

/** An availability zone of the region is `<region><letter>`. */
const zonesInRegion: PlatformRule<Aws> = (environments, _spec, push) => {
  for (const [name, env] of environments)
    (env.zones ?? []).forEach((zone, i) => {
      if (zone.slice(0, -1) !== env.region) push("error", `environments.${name}.zones.${i}`, `${zone} is not in region ${env.region}: use a zone like ${env.region}a`);
    });
};

/** The network an AWS stack builds has an internet gateway and no NAT: its nodes need public addresses. */
const privateNodesNeedTheirSubnet: PlatformRule<Aws> = (environments, _spec, push) => {
  for (const [name, env] of environments) {
    if (env.publicAddresses !== false || env.subnetId) continue;
    push("error", `environments.${name}.publicAddresses`, "false needs a subnet with its own way out (a NAT gateway): give vpcId and subnetId, or leave it out");
  }
};

/**
 * AWS keeps Flatcar's AMIs public for 9 months after publishing, then un-publishes them: existing
 * instances keep running, new ones cannot be created (flatcar.org/docs/latest/deploy/cloud/aws-ec2/,
 * "Release retention time"). Judged by the major's date, so a release may be younger than it says.
 */
const releaseStillPublished: PlatformRule<Aws> = (environments, spec, push) => {
  if (spec.os.version === "current") return;
  const branched = flatcarMajorDate(spec.os.version);
  const gone = new Date(branched);
  gone.setUTCMonth(gone.getUTCMonth() + 9);
  if (gone > new Date()) return;
  const date = branched.toISOString().slice(0, 10);
  for (const [name, env] of environments) {
    if (env.ami) continue;
    push(
      "warning",
      "os.version",
      `Flatcar ${spec.os.version} is from ${date} or a little later (majors count days since 2013-07-01): Flatcar's AMIs are un-published 9 months after release, so environments.${name} may find no AMI: pin a newer release, or set environments.${name}.ami to an AMI you keep`,
    );
  }
};

export const aws = platformModule({
  schema,
  userData: { format: "ignition", maxBytes: 16384, why: "EC2 user data is at most 16 KiB" },
  size: { key: "instanceType", of: (env, role) => env[role].instanceType, arch: awsInstanceArch },
  explicitArch: (env) => env.arch,
  imageArchs: X86_AND_ARM,
  rules: {
    // The security group needs the VPC, and the nodes' fixed addresses are in the subnet.
    existingNetworkAndSubnetTogether: existingNetworkAndSubnetTogether<Aws>("vpcId", "subnetId"),
    networkFitsVpc,
    privateNodesNeedTheirSubnet,
    releaseStillPublished,
    zonesInRegion,
  },
  // A subnet per zone exists only in the network the stack builds (vpcId and subnetId: the operator's one subnet).
  spread: (env) => (env.vpcId && env.subnetId ? undefined : { kind: "zones", count: env.zones?.length ?? DEFAULT_ZONES, ...(env.zones ? { names: env.zones } : {}), subnets: true }),
  image: (plan, env) => {
    const image = awsImage(plan, env);
    if ("ami" in image) return ownImage(plan, "ami", image.ami);
    const { owner, name, arch, mostRecent } = image.lookup;
    return releaseImage(plan, `${mostRecent ? "newest of " : ""}${owner}/${name} (${arch})`);
  },
});
