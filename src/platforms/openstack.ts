// OpenStack: machines sized by flavor (optionally booting from a volume), ports at the planned
// addresses, floating IPs from the external network, Flatcar's OpenStack image imported into Glance.
// Its other half is stacks/openstack.ts.
import { z } from "zod";
import { qualifiedName } from "../spec/cluster";
import { cloudEnvironment, diskGiB, perRole, publicAddresses } from "../spec/fields";
import { flatcarReleaseFile } from "./flatcar";
import { existingNetworkAndSubnetTogether, ownImage, platformModule, releaseImage, X86_ONLY, type ImagePlan, type PlatformRule } from "./platform";

/** A Neutron id (a UUID). */
const neutronId = (what: string) => z.guid({ error: `must be the id of an existing ${what} (a UUID like 00000000-0000-0000-0000-000000000000)` });

const schema = z
  .strictObject({
    platform: z.literal("openstack").describe("openstack: an OpenStack cloud (cdktf deploy)"),
    ...cloudEnvironment,
    cloud: z
      .string()
      .min(1)
      .optional()
      .describe("The clouds.yaml entry to use (credentials, auth URL, region); default: the OS_* environment (OS_CLOUD, or OS_AUTH_URL, OS_USERNAME…). Credentials never go in the spec"),
    region: z.string().min(1).optional().describe("The region; default: the cloud's (clouds.yaml, OS_REGION_NAME)"),
    externalNetwork: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The external network (openstack network list --external): the router's uplink, and where floating IPs come from. Needed unless the nodes go in an existing network without publicAddresses",
      ),
    networkId: neutronId("network").optional().describe("An existing network for the nodes (with subnetId); without both, the stack creates a network, a subnet and a router"),
    subnetId: neutronId("subnet").optional().describe("The existing subnet holding network.cidr (with networkId)"),
    publicAddresses: publicAddresses.describe("A floating IP per node, from externalNetwork; without, the nodes have private addresses only"),
    imageName: z.string().min(1).optional().describe("A Flatcar image already in Glance, by name; default: the stack imports os.channel's OpenStack image at os.version"),
    keyPair: z.string().min(1).optional().describe("A Nova key pair for the core user, besides ssh.authorizedKeys"),
    ...perRole(
      "machines: a flavor, and a boot volume if diskGiB is set",
      z.strictObject({
        flavor: z.string().min(1).describe("The flavor (openstack flavor list); x86_64"),
        diskGiB: diskGiB.optional().describe("Boot from a volume of this size in GiB instead of the flavor's disk"),
      }),
    ),
  })
  .describe("OpenStack: ports at the planned addresses, floating IPs, Flatcar's OpenStack image imported into Glance");

type Openstack = z.output<typeof schema>;

/**
 * Flatcar's OpenStack image, a qcow2 disk (imported with container format bare, disk format qcow2, and
 * `hw_qemu_guest_agent=yes`, "optional, but recommended": flatcar.org/docs/latest/deploy/virt-options/openstack/,
 * formerly …/installing/cloud/openstack/; github.com/flatcar/flatcar-website
 * content/docs/latest/deploy/virt-options/openstack.md). That page
 * downloads `….img.bz2` and runs bunzip2; the OVHcloud and Brightbox pages (OpenStack clouds, same site: deploy/cloud/ovhcloud.md, brightbox.md)
 * import the uncompressed `flatcar_production_openstack_image.img` as it is. The uncompressed file it is:
 * the provider's `decompress` picks the decompressor from the server's Content-Type or
 * Content-Disposition header (terraform-provider-openstack v3.4.0, openstack/images_image_v2.go,
 * resourceImagesImageV2DetectCompression), which nothing here can check.
 */
const FLATCAR_OPENSTACK_FILE = "flatcar_production_openstack_image.img";

/** An existing Glance image to look up by name, or Flatcar's image of the channel (and release) to import. */
type OpenstackImage =
  | { readonly lookup: { readonly name: string } }
  | {
      readonly import: {
        readonly name: string;
        readonly url: string;
        readonly containerFormat: "bare";
        readonly diskFormat: "qcow2";
        readonly properties: Readonly<Record<string, string>>;
      };
    };

/** The imported image is named `<cluster>-<env>-flatcar-<channel>-<version>` in Glance. */
export function openstackImage(plan: ImagePlan, env: Openstack): OpenstackImage {
  if (env.imageName) return { lookup: { name: env.imageName } };
  const { channel, version } = plan.os;
  return {
    import: {
      name: `${qualifiedName(plan)}-flatcar-${channel}-${version}`,
      url: flatcarReleaseFile(plan.os, FLATCAR_OPENSTACK_FILE),
      containerFormat: "bare",
      diskFormat: "qcow2",
      properties: { hw_qemu_guest_agent: "yes" },
    },
  };
}

/** The router the stack builds and every floating IP need the external network; an existing network without floating IPs does not. */
const externalNetworkWhenNeeded: PlatformRule<Openstack> = (environments, _spec, push) => {
  for (const [name, env] of environments) {
    if (env.externalNetwork !== undefined) continue;
    const needs = [...(env.networkId && env.subnetId ? [] : ["the router of the network the stack creates"]), ...(env.publicAddresses ? ["floating IPs (publicAddresses)"] : [])];
    if (needs.length)
      push("error", `environments.${name}.externalNetwork`, `required for ${needs.join(" and ")}: name the cloud's external network (openstack network list --external)`);
  }
};

export const openstack = platformModule({
  schema,
  // 65535 bytes after base64: 3/4 of it raw.
  userData: { format: "ignition", maxBytes: Math.floor(65535 / 4) * 3, why: "OpenStack user_data is at most 65535 bytes base64-encoded" },
  // A flavor's name says nothing of its architecture; the imported image is amd64.
  size: { key: "flavor", of: (env, role) => env[role].flavor, arch: () => "x86_64" },
  imageArchs: X86_ONLY,
  // Nova places the members of an anti-affinity server group on different hosts.
  spread: () => ({ kind: "group", what: "anti-affinity server group" }),
  rules: {
    // The ports need the network, and the nodes' fixed addresses are in the subnet.
    existingNetworkAndSubnetTogether: existingNetworkAndSubnetTogether<Openstack>("networkId", "subnetId"),
    externalNetworkWhenNeeded,
  },
  image: (plan, env) => {
    const image = openstackImage(plan, env);
    // An existing Glance image is whatever the cloud holds under that name: the operator's to keep.
    return "lookup" in image ? ownImage(plan, "imageName", image.lookup.name) : releaseImage(plan, image.import.url);
  },
});
