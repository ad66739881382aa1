// Which Flatcar image each platform boots: the environment's own override, or the image of `os.channel`
// at `os.version` (a pinned release, or the newest of the channel). One pure function per platform, so
// the choice is tested without synthesizing; the platform files turn it into a lookup or a reference.
import { flatcarReleaseFile, type ClusterPlan } from "../src/plan/plan";
import type { Arch } from "../src/spec/platforms";
import { namePrefix } from "./naming";
import type { StackInput } from "./registry";

type Env<P extends StackInput["env"]["platform"]> = StackInput<P>["env"];

/** Flatcar's AMIs are published by this account (flatcar.org docs on EC2, Typhoon's aws modules). */
export const FLATCAR_AMI_OWNER = "075585003325";

/** A pinned AMI, or what finds the newest Flatcar AMI of the channel (and release) for one architecture. */
export type AwsImage = { readonly ami: string } | { readonly lookup: { readonly owner: string; readonly name: string; readonly arch: Arch } };

export function awsImage(plan: ClusterPlan, env: Env<"aws">): AwsImage {
  if (env.ami) return { ami: env.ami };
  const version = plan.os.version === "current" ? "*" : plan.os.version;
  return { lookup: { owner: FLATCAR_AMI_OWNER, name: `Flatcar-${plan.os.channel}-${version}-hvm`, arch: plan.arch } };
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
export function gceImage(plan: ClusterPlan, env: Env<"gce">): GceImage {
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
export function azureImage(plan: ClusterPlan, env: Env<"azure">): AzureImage {
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
export function openstackImage(plan: ClusterPlan, env: Env<"openstack">): OpenstackImage {
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
export function libvirtImage(plan: ClusterPlan, env: Env<"libvirt">): LibvirtImage {
  if (env.imagePath) return { path: env.imagePath };
  return { url: flatcarReleaseFile(plan.os, FLATCAR_QEMU_IMAGE) };
}
