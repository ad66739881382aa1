// Google Compute Engine: machines sized by machine type in one zone, a VPC network of the stack's,
// Flatcar's images from project kinvolk-public. Its other half is stacks/gce.ts.
import { z } from "zod";
import { bootDisk, cloudEnvironment, perRole, publicAddresses, sizeName, zoneList } from "../spec/fields";
import { DEFAULT_ZONES } from "./aws";
import { ownImage, platformModule, releaseImage, X86_ONLY, type Arch, type ImagePlan, type PlatformRule } from "./platform";

const gceZone = z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, "must be a GCE zone like europe-west1-b");

const schema = z
  .strictObject({
    platform: z.literal("gce").describe("gce: Google Compute Engine (cdktf deploy)"),
    ...cloudEnvironment,
    project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a GCP project id").describe("The Google Cloud project id"),
    region: z.string().regex(/^[a-z]+-[a-z]+\d+$/, "must be a GCE region like europe-west1").describe("The region of the subnetwork, like europe-west1"),
    zone: gceZone.describe("The provider's default zone, and where nodes made before zones (issue 26) run: a zone of region, like europe-west1-b"),
    zones: zoneList(gceZone, 16)
      .refine((list) => list === undefined || list.length > 0, "at least one zone")
      .describe("The zones of region the nodes go round (each node keeps its own); default: the region's first three as the provider lists them"),
    image: z
      .string()
      .regex(
        /^projects\/[a-z][-a-z0-9.:]*[a-z0-9]\/global\/images\/(family\/)?[a-z]([-a-z0-9]*[a-z0-9])?$/,
        "must be an image like projects/my-project/global/images/my-image, or .../images/family/my-family",
      )
      .optional()
      .describe("An image of your own (projects/…/global/images/…, or …/images/family/…); default: Flatcar's image of os.channel at os.version from project kinvolk-public"),
    publicAddresses: publicAddresses.describe("An ephemeral external IP per node; without, a Cloud NAT is the nodes' way out"),
    secureBoot: z.boolean().default(false).describe("UEFI Secure Boot, for an image signed for it: Flatcar's are not yet (flatcar/Flatcar#501)"),
    ...perRole(
      "machines: machine type and boot disk",
      z
        .strictObject({
          machineType: sizeName(/^[a-z0-9]+-[a-z0-9-]+$/, "a GCE machine type", "e2-standard-2", "The machine type (x86_64: Flatcar's GCE images are amd64 only)"),
          ...bootDisk("The boot disk (pd-balanced), in GiB"),
        })
        .prefault({}),
    ),
  })
  .describe("Google Compute Engine: a VPC network of its own, firewall rules with exactly the plan's ports, Flatcar's images from kinvolk-public");

type Gce = z.output<typeof schema>;

/** GCE's Arm series are Tau T2A (Ampere Altra) and the Axion C4A and N4A (cloud.google.com/compute/docs/machine-resource, "Arm"). */
export const gceMachineArch = (machineType: string): Arch => (/^(t2a|c4a|n4a)-/.test(machineType) ? "arm64" : "x86_64");

/** Flatcar's GCE images live in this project, one family per channel (flatcar.org docs, "Running on Google Compute Engine"). */
const FLATCAR_GCE_PROJECT = "kinvolk-public";

/** An image of the user's own, or Flatcar's image to look up: the newest of a family, or one release by name. */
type GceImage =
  | { readonly image: string }
  | { readonly lookup: { readonly project: string; readonly family: string } | { readonly project: string; readonly name: string } };

/**
 * A pinned release is the image `flatcar-<channel>-<version with dashes>`, e.g. flatcar-stable-4593-2-5
 * (GCE image names allow no dots; the pattern is the one cluster-api-provider-gcp's Flatcar docs use:
 * docs/book/src/topics/flatcar.md).
 */
export function gceImage(plan: ImagePlan, env: Gce): GceImage {
  if (env.image) return { image: env.image };
  const { channel, version } = plan.os;
  if (version === "current") return { lookup: { project: FLATCAR_GCE_PROJECT, family: `flatcar-${channel}` } };
  return { lookup: { project: FLATCAR_GCE_PROJECT, name: `flatcar-${channel}-${version.replace(/\./g, "-")}` } };
}

/** A GCE zone is `<region>-<letter>`: the nodes run in `zone`, their subnetwork is in `region`. */
const zoneInRegion: PlatformRule<Gce> = (environments, _spec, push) => {
  for (const [name, env] of environments) {
    const zones: [string, string][] = [["zone", env.zone], ...(env.zones ?? []).map((z, i): [string, string] => [`zones.${i}`, z])];
    for (const [path, zone] of zones)
      if (!zone.startsWith(`${env.region}-`)) push("error", `environments.${name}.${path}`, `${zone} is not in region ${env.region}: use a zone like ${env.region}-b`);
  }
};

export const gce = platformModule({
  schema,
  userData: { format: "ignition", maxBytes: 262144, why: "a GCE metadata value is at most 256 KiB" },
  size: { key: "machineType", of: (env, role) => env[role].machineType, arch: gceMachineArch },
  // Flatcar's GCE images (project kinvolk-public) are amd64 only.
  imageArchs: X86_ONLY,
  rules: { zoneInRegion },
  // The subnetwork is regional: a node's zone moves no address.
  spread: (env) => ({ kind: "zones", count: env.zones?.length ?? DEFAULT_ZONES, ...(env.zones ? { names: env.zones } : {}), subnets: false }),
  image: (plan, env) => {
    const image = gceImage(plan, env);
    // A family is the newest image in it on the day a node is created: an image of one's own floats too.
    if ("image" in image) return ownImage(plan, "image", image.image, !image.image.includes("/family/"));
    const { lookup } = image;
    return releaseImage(plan, "family" in lookup ? `projects/${lookup.project}/global/images/family/${lookup.family}` : `projects/${lookup.project}/global/images/${lookup.name}`);
  },
});
