// Azure: machines sized by VM size (x86_64 or Arm), a virtual network of the stack's, Flatcar's
// Marketplace images (or an image of one's own). Its other half is stacks/azure.ts.
import { z } from "zod";
import { azureResourceGroup, bootDisk, cloudEnvironment, perRole, publicAddresses, sizeName, zoneList } from "../spec/fields";
import { azureTakes, parseSshKey } from "../spec/ssh-key";
import { ownImage, platformModule, releaseImage, X86_AND_ARM, type Arch, type ImagePlan, type PlatformRule } from "./platform";

/** A location with availability zones has three, named 1 to 3 (learn.microsoft.com/azure/reliability/availability-zones-overview). */
const AZURE_ZONES = ["1", "2", "3"] as const;

const schema = z
  .strictObject({
    platform: z.literal("azure").describe("azure: Microsoft Azure (cdktf deploy)"),
    ...cloudEnvironment,
    // azurerm 4 needs a subscription (its 4.0 upgrade guide).
    subscriptionId: z
      .guid({ error: "must be a subscription id like 00000000-0000-0000-0000-000000000000" })
      .optional()
      .describe("The subscription; default: ARM_SUBSCRIPTION_ID from the environment"),
    location: z.string().regex(/^[a-z0-9]+$/, "must be an Azure location like westeurope").describe("The Azure location, like westeurope"),
    resourceGroup: azureResourceGroup.optional().describe("An existing resource group to hold everything; default: the stack creates <cluster>-<environment> in location"),
    offer: z
      .enum(["corevm", "free"])
      .default("corevm")
      .describe("Flatcar's Marketplace offer: corevm needs no terms and no plan; free needs its terms accepted once per subscription, and x86_64 sizes"),
    sku: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be an image SKU like stable-gen2")
      .optional()
      .describe("The image SKU; LTS streams have SKUs of their own, like lts2024-gen2. Default: <channel>-gen2 (arm64 sizes: <channel>)"),
    image: z
      .string()
      .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/.+[^/]$/i, "must be an image resource id like /subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/images/…")
      .optional()
      .describe("An image of your own instead of the Marketplace's (a managed image or gallery image version), by resource id"),
    publicAddresses: publicAddresses.describe("A static public IP (Standard SKU) per node; without, a NAT gateway is the nodes' way out"),
    zones: zoneList(z.enum(AZURE_ZONES, { error: 'must be an availability zone: "1", "2" or "3"' }), AZURE_ZONES.length).describe(
      'The availability zones the nodes go round (each node keeps its own); [] where location has none: the nodes share an availability set instead. Default: ["1", "2", "3"]',
    ),
    ...perRole(
      "machines: VM size and OS disk",
      z
        .strictObject({
          vmSize: sizeName(
            /^(Standard|Basic)_[A-Za-z0-9_-]+$/,
            "an Azure VM size",
            "Standard_B2s",
            "The VM size (sizes with a p among the letters after the vCPU count, like Standard_D2ps_v5, are arm64)",
          ),
          ...bootDisk("The OS disk (StandardSSD_LRS), in GiB"),
        })
        .prefault({}),
    ),
  })
  .describe("Microsoft Azure: a virtual network of its own, a network security group with exactly the plan's ports, Flatcar's Marketplace images");

type Azure = z.output<typeof schema>;

/**
 * Azure marks Arm sizes (Microsoft Cobalt, Ampere Altra) with a `p` among the feature letters after the
 * vCPU count: Standard_D2ps_v5, Standard_B2pls_v2, Standard_E4pds_v6 (learn.microsoft.com/azure/
 * virtual-machines/sizes/overview, "VM size and series naming").
 */
export const azureVmSizeArch = (vmSize: string): Arch => (/^[A-Za-z]+_[A-Z]+\d+(-\d+)?[a-z]*p[a-z]*(_|$)/.test(vmSize) ? "arm64" : "x86_64");

/**
 * The keys Azure takes for a VM's admin user: ssh-rsa of 2048 bits or more, or ssh-ed25519, each a
 * whole key (validate/ssh_key.go of azurerm 4.55.0 fails the plan on any other; ssh-key.ts). The stack
 * hands Azure only these; Ignition writes every key of the spec.
 */
export const azureAcceptsKey = (line: string): boolean => {
  const key = parseSshKey(line);
  return typeof key !== "string" && azureTakes(key);
};

/** Flatcar's Azure Marketplace publisher. */
const FLATCAR_AZURE_PUBLISHER = "kinvolk";

/**
 * Marketplace offers per architecture (flatcar.org docs, "Running on Microsoft Azure"): CoreVM is
 * `flatcar-container-linux-corevm-amd64` for x86_64 and `flatcar-container-linux-corevm` for arm64;
 * the free offer is x86_64 only (freeOfferIsX86 rejects it with an arm64 size).
 */
const AZURE_OFFERS: Readonly<Record<"corevm" | "free", Partial<Record<Arch, string>>>> = {
  corevm: { x86_64: "flatcar-container-linux-corevm-amd64", arm64: "flatcar-container-linux-corevm" },
  free: { x86_64: "flatcar-container-linux-free" },
};

interface AzureMarketplaceImage {
  readonly reference: { readonly publisher: string; readonly offer: string; readonly sku: string; readonly version: string };
  /** The free offer's plan: name = SKU, product = offer, publisher (same docs, "Plan information"). */
  readonly plan?: { readonly name: string; readonly product: string; readonly publisher: string };
}
type AzureImage = { readonly id: string } | AzureMarketplaceImage;

/**
 * x86_64 SKUs are `<channel>-gen2` (Generation 2, UEFI), arm64 SKUs the bare channel, as Flatcar's
 * publishing script names them (flatcar/azure-marketplace-ingestion-api); LTS streams are SKUs of their
 * own (`lts2024-gen2`), given with `sku`. A pinned release is the image version; else `latest`.
 */
export function azureImage(plan: ImagePlan, env: Azure): AzureImage {
  if (env.image) return { id: env.image };
  const offer = AZURE_OFFERS[env.offer][plan.arch];
  if (!offer) throw new Error(`environments.${plan.environment}: Flatcar's ${env.offer} offer has no ${plan.arch} images`);
  const sku = env.sku ?? (plan.arch === "arm64" ? plan.os.channel : `${plan.os.channel}-gen2`);
  const reference = { publisher: FLATCAR_AZURE_PUBLISHER, offer, sku, version: plan.os.version === "current" ? "latest" : plan.os.version };
  return env.offer === "free" ? { reference, plan: { name: sku, product: offer, publisher: FLATCAR_AZURE_PUBLISHER } } : { reference };
}

/** Azure creates a VM only with an SSH key for its admin user (and no password, here). */
const hasSshKey: PlatformRule<Azure> = (environments, spec, push) => {
  if (spec.ssh.authorizedKeys.some(azureAcceptsKey)) return;
  for (const [name] of environments) {
    const some = spec.ssh.authorizedKeys.length ? "has no ssh-ed25519 key, nor an ssh-rsa key of 2048 bits or more" : "is empty";
    push("error", "ssh.authorizedKeys", `${some}, and Azure creates the VMs of environments.${name} only with one: add your public key`);
  }
};

/** Flatcar's free Azure offer has x86_64 images only; arm64 ones are in the CoreVM offer. */
const freeOfferIsX86: PlatformRule<Azure> = (environments, _spec, push) => {
  for (const [name, env] of environments) {
    if (env.offer !== "free" || env.image || azureVmSizeArch(env.control.vmSize) !== "arm64") continue;
    push("error", `environments.${name}.offer`, `free has no arm64 images (${env.control.vmSize} is arm64): use offer corevm`);
  }
};

/** Azure publishes each Flatcar LTS stream as a SKU of its own (lts2024-gen2), not as `lts`. */
const ltsNeedsSku: PlatformRule<Azure> = (environments, spec, push) => {
  if (spec.os.channel !== "lts") return;
  for (const [name, env] of environments) {
    if (env.sku || env.image) continue;
    push("error", `environments.${name}.sku`, "required with os.channel lts: Azure names each LTS stream, like lts2024-gen2 (arm64: lts2024)");
  }
};

/** azurerm validates an OS disk's size as 0 to 4095 GiB (internal/services/compute/virtual_machine.go@v4.55.0:212-216): more fails every plan. */
const AZURE_OS_DISK_MAX_GIB = 4095;

const osDiskFits: PlatformRule<Azure> = (environments, _spec, push) => {
  for (const [name, env] of environments)
    for (const role of ["control", "worker"] as const)
      if (env[role].diskGiB > AZURE_OS_DISK_MAX_GIB) push("error", `environments.${name}.${role}.diskGiB`, `${env[role].diskGiB}: an Azure OS disk holds at most ${AZURE_OS_DISK_MAX_GIB} GiB`);
};

export const azure = platformModule({
  schema,
  userData: { format: "ignition", maxBytes: 65535, why: "Azure custom data is at most 64 KiB" },
  size: { key: "vmSize", of: (env, role) => env[role].vmSize, arch: azureVmSizeArch },
  // arm64 images are in the CoreVM offer `flatcar-container-linux-corevm` (flatcar.org docs, "Running on Microsoft Azure").
  imageArchs: X86_AND_ARM,
  rules: { hasSshKey, freeOfferIsX86, ltsNeedsSku, osDiskFits },
  // Virtual networks and subnets span a location's zones: a node's zone moves no address.
  spread: (env) =>
    env.zones?.length === 0
      ? { kind: "group", what: "availability set" }
      : { kind: "zones", count: (env.zones ?? AZURE_ZONES).length, names: env.zones ?? AZURE_ZONES, subnets: false },
  image: (plan, env) => {
    const image = azureImage(plan, env);
    if ("id" in image) return ownImage(plan, "image", image.id);
    const { publisher, offer, sku, version } = image.reference;
    return releaseImage(plan, `${publisher}:${offer}:${sku}:${version}`);
  },
});
