// Which Flatcar image each platform boots: the environment's own override, or the image of `os.channel`
// at `os.version` (a pinned release, or the newest of the channel). One pure function per platform, so
// the choice is tested without synthesizing; the stacks and the Vagrantfile turn it into a lookup or a
// reference, and `resolveImage` says in one line what it is (plan.json's `image`, `coreform pin`).
import type { Arch } from "../spec/platforms";
import type { Environment, Platform, Spec } from "../spec/schema";

type Env<P extends Platform> = Extract<Environment, { platform: P }>;

/** What an image choice reads of the plan (planCluster resolves the image before the plan is complete). */
export interface ImagePlan {
  readonly cluster: string;
  readonly environment: string;
  readonly arch: Arch;
  readonly os: Spec["os"];
}

/**
 * A file of a release on Flatcar's release server: one directory a release under
 * https://<channel>.release.flatcar-linux.net/amd64-usr/, `current` a copy of the newest (Flatcar's
 * "Notes for distributors"). Vagrant's box and the KVM and OpenStack images come from there.
 */
export const flatcarReleaseFile = (os: Spec["os"], file: string): string => `https://${os.channel}.release.flatcar-linux.net/amd64-usr/${os.version}/${file}`;

/** `<cluster>-<env>`: names are unique per account or project, and one may hold several environments. */
export const namePrefix = (plan: Pick<ImagePlan, "cluster" | "environment">): string => `${plan.cluster}-${plan.environment}`;

/** Flatcar's AMIs are published by this account (flatcar.org docs on EC2, Typhoon's aws modules). */
export const FLATCAR_AMI_OWNER = "075585003325";

/**
 * A pinned AMI, or what finds Flatcar's AMI for one architecture: with a pinned os.version exactly the
 * AMI of that name (an account's AMI names are unique per region, so the lookup finds it or fails), for
 * `current` the newest one whose name matches the channel's pattern.
 */
export type AwsImage =
  | { readonly ami: string }
  | { readonly lookup: { readonly owner: string; readonly name: string; readonly arch: Arch; readonly mostRecent: boolean } };

/**
 * Flatcar names its AMIs `Flatcar-<channel>-<version>-hvm`, and its arm64 AMIs
 * `Flatcar-<channel>-<version>-arm64-hvm` (flatcar.org/docs/latest/deploy/cloud/aws-ec2/, "Terraform":
 * the `Flatcar-stable-*` filter; the arm64 suffix as tools that look them up write it, e.g.
 * `Flatcar-stable-*-arm64-hvm`). For `current` the `*` takes the version's place and the architecture
 * filter keeps the other architecture's AMIs out.
 */
export function awsImage(plan: ImagePlan, env: Env<"aws">): AwsImage {
  if (env.ami) return { ami: env.ami };
  const { channel, version } = plan.os;
  const lookup = { owner: FLATCAR_AMI_OWNER, arch: plan.arch };
  if (version === "current") return { lookup: { ...lookup, name: `Flatcar-${channel}-*-hvm`, mostRecent: true } };
  return { lookup: { ...lookup, name: `Flatcar-${channel}-${version}-${plan.arch === "arm64" ? "arm64-" : ""}hvm`, mostRecent: false } };
}

/** Flatcar's GCE images live in this project, one family per channel (flatcar.org docs, "Running on Google Compute Engine"). */
export const FLATCAR_GCE_PROJECT = "kinvolk-public";

/** An image of the user's own, or Flatcar's image to look up: the newest of a family, or one release by name. */
export type GceImage =
  | { readonly image: string }
  | { readonly lookup: { readonly project: string; readonly family: string } | { readonly project: string; readonly name: string } };

/**
 * A pinned release is the image `flatcar-<channel>-<version with dashes>`, e.g. flatcar-stable-4593-2-5
 * (GCE image names allow no dots; the pattern is the one cluster-api-provider-gcp's Flatcar docs use:
 * docs/book/src/topics/flatcar.md).
 */
export function gceImage(plan: ImagePlan, env: Env<"gce">): GceImage {
  if (env.image) return { image: env.image };
  const { channel, version } = plan.os;
  if (version === "current") return { lookup: { project: FLATCAR_GCE_PROJECT, family: `flatcar-${channel}` } };
  return { lookup: { project: FLATCAR_GCE_PROJECT, name: `flatcar-${channel}-${version.replace(/\./g, "-")}` } };
}

/** Flatcar's Azure Marketplace publisher. */
export const FLATCAR_AZURE_PUBLISHER = "kinvolk";

/**
 * Marketplace offers per architecture (flatcar.org docs, "Running on Microsoft Azure"): CoreVM is
 * `flatcar-container-linux-corevm-amd64` for x86_64 and `flatcar-container-linux-corevm` for arm64;
 * the free offer is x86_64 only (rules.ts rejects it with an arm64 size).
 */
export const AZURE_OFFERS: Readonly<Record<"corevm" | "free", Partial<Record<Arch, string>>>> = {
  corevm: { x86_64: "flatcar-container-linux-corevm-amd64", arm64: "flatcar-container-linux-corevm" },
  free: { x86_64: "flatcar-container-linux-free" },
};

export interface AzureMarketplaceImage {
  readonly reference: { readonly publisher: string; readonly offer: string; readonly sku: string; readonly version: string };
  /** The free offer's plan: name = SKU, product = offer, publisher (same docs, "Plan information"). */
  readonly plan?: { readonly name: string; readonly product: string; readonly publisher: string };
}
export type AzureImage = { readonly id: string } | AzureMarketplaceImage;

/**
 * x86_64 SKUs are `<channel>-gen2` (Generation 2, UEFI), arm64 SKUs the bare channel, as Flatcar's
 * publishing script names them (flatcar/azure-marketplace-ingestion-api); LTS streams are SKUs of their
 * own (`lts2024-gen2`), given with `sku`. A pinned release is the image version; else `latest`.
 */
export function azureImage(plan: ImagePlan, env: Env<"azure">): AzureImage {
  if (env.image) return { id: env.image };
  const offer = AZURE_OFFERS[env.offer][plan.arch];
  if (!offer) throw new Error(`environments.${plan.environment}: Flatcar's ${env.offer} offer has no ${plan.arch} images`);
  const sku = env.sku ?? (plan.arch === "arm64" ? plan.os.channel : `${plan.os.channel}-gen2`);
  const reference = { publisher: FLATCAR_AZURE_PUBLISHER, offer, sku, version: plan.os.version === "current" ? "latest" : plan.os.version };
  return env.offer === "free" ? { reference, plan: { name: sku, product: offer, publisher: FLATCAR_AZURE_PUBLISHER } } : { reference };
}

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
export const FLATCAR_OPENSTACK_FILE = "flatcar_production_openstack_image.img";

/** An existing Glance image to look up by name, or Flatcar's image of the channel (and release) to import. */
export type OpenstackImage =
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
export function openstackImage(plan: ImagePlan, env: Env<"openstack">): OpenstackImage {
  if (env.imageName) return { lookup: { name: env.imageName } };
  const { channel, version } = plan.os;
  return {
    import: {
      name: `${namePrefix(plan)}-flatcar-${channel}-${version}`,
      url: flatcarReleaseFile(plan.os, FLATCAR_OPENSTACK_FILE),
      containerFormat: "bare",
      diskFormat: "qcow2",
      properties: { hw_qemu_guest_agent: "yes" },
    },
  };
}

/** Flatcar's QEMU image (qcow2), the one Flatcar's libvirt docs boot (flatcar.org/docs/latest/installing/vms/libvirt/). */
export const FLATCAR_QEMU_IMAGE = "flatcar_production_qemu_image.img";

/** Where the KVM stack's base volume comes from: Flatcar's release server, or a file the operator downloaded. */
export type LibvirtImage = { readonly url: string } | { readonly path: string };

/**
 * `https://<channel>.release.flatcar-linux.net/amd64-usr/<version|current>/flatcar_production_qemu_image.img`
 * (the layout of Flatcar's release servers, as its libvirt docs download it), or `imagePath`.
 */
export function libvirtImage(plan: ImagePlan, env: Env<"libvirt">): LibvirtImage {
  if (env.imagePath) return { path: env.imagePath };
  return { url: flatcarReleaseFile(plan.os, FLATCAR_QEMU_IMAGE) };
}

/**
 * The box of a channel, from the channel's release server: `current` or a release directory
 * (https://<channel>.release.flatcar-linux.net/amd64-usr/<version>/flatcar_production_vagrant.json, as in
 * Flatcar's "Vagrant (community support)" docs and "Notes for distributors": one directory a release,
 * `current` a copy of the newest). The metadata names the box `flatcar-<channel>`, so config.vm.box must;
 * a pinned release is also the box's `box_version`.
 */
export interface VagrantBox {
  readonly name: string;
  /** Box metadata (JSON) URL. */
  readonly url: string;
  /** Pinned release; absent for `current`. */
  readonly version?: string;
}

export function flatcarBox(os: Spec["os"]): VagrantBox {
  return {
    name: `flatcar-${os.channel}`,
    url: flatcarReleaseFile(os, "flatcar_production_vagrant.json"),
    ...(os.version === "current" ? {} : { version: os.version }),
  };
}

/**
 * The image an environment boots, in one line (plan.json's `image`): `pinned` when it is the same image
 * on every deploy, `from` the setting that decides it (`os.version`, or the environment's own image).
 *   vagrant    box metadata URL and box version          aws        ami-…, or owner/name (architecture)
 *   gce        projects/…/global/images/[family/]…       azure      publisher:offer:sku:version (a URN), or an id
 *   openstack  the release file's URL, or a Glance name  libvirt    the release file's URL, or a local path
 */
export interface ResolvedImage {
  readonly reference: string;
  readonly pinned: boolean;
  readonly from: string;
}

export function resolveImage(plan: ImagePlan, env: Environment): ResolvedImage {
  const own = (setting: string, reference: string, pinned = true): ResolvedImage => ({ reference, pinned, from: `environments.${plan.environment}.${setting}` });
  const os = (reference: string): ResolvedImage => ({ reference, pinned: plan.os.version !== "current", from: "os.version" });
  switch (env.platform) {
    case "vagrant": {
      const box = flatcarBox(plan.os);
      return os(`${box.name} ${box.version ?? "(newest)"} from ${box.url}`);
    }
    case "aws": {
      const image = awsImage(plan, env);
      if ("ami" in image) return own("ami", image.ami);
      const { owner, name, arch, mostRecent } = image.lookup;
      return os(`${mostRecent ? "newest of " : ""}${owner}/${name} (${arch})`);
    }
    case "gce": {
      const image = gceImage(plan, env);
      // A family is the newest image in it on the day a node is created: an image of one's own floats too.
      if ("image" in image) return own("image", image.image, !image.image.includes("/family/"));
      const { lookup } = image;
      return os("family" in lookup ? `projects/${lookup.project}/global/images/family/${lookup.family}` : `projects/${lookup.project}/global/images/${lookup.name}`);
    }
    case "azure": {
      const image = azureImage(plan, env);
      if ("id" in image) return own("image", image.id);
      const { publisher, offer, sku, version } = image.reference;
      return os(`${publisher}:${offer}:${sku}:${version}`);
    }
    case "openstack": {
      const image = openstackImage(plan, env);
      // An existing Glance image is whatever the cloud holds under that name: the operator's to keep.
      return "lookup" in image ? own("imageName", image.lookup.name) : os(image.import.url);
    }
    case "libvirt": {
      const image = libvirtImage(plan, env);
      return "path" in image ? own("imagePath", image.path) : os(image.url);
    }
  }
}
