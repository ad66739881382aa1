// The cluster spec (`apiVersion: coreform/v1`). This zod schema is the only definition of the spec's
// shape: every TypeScript type of the spec is inferred from it. Defaults live here too, so a parsed
// Spec is complete. Checks that need more than one field (capacity, uniqueness, windows…) are in rules.ts.
import { z } from "zod";
import { unlessMissing } from "./issues";

const dnsLabel = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, "must be DNS-safe: lowercase letters, digits and '-', starting with a letter");

/** A container image digest (OCI image spec, "Digests": algorithm sha256, 64 lowercase hex digits). */
const DIGEST = /sha256:[0-9a-f]{64}/;

/** The newest etcd v3.5 patch release (etcd-io/etcd tag v3.5.33, CHANGELOG/CHANGELOG-3.5.md: 2026-07-23). */
export const ETCD_DEFAULT_VERSION = "v3.5.33";
/** systemd OnCalendar shorthands, or a daily UTC time (rendered as `*-*-* HH:MM:00`), or off. */
export const SNAPSHOT_SCHEDULE = /^(hourly|daily|weekly|off|([01]\d|2[0-3]):[0-5]\d)$/;

const cidr = z.cidrv4({ error: unlessMissing("must be an IPv4 CIDR like 10.42.0.0/24") });
const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region like eu-central-1");
const azureResourceGroup = z.string().regex(/^[-\w.()]{0,89}[-\w()]$/, "must be an Azure resource group name (letters, digits, '_', '-', '.', '(', ')'; not ending in '.')");
const stateKey = z.string().regex(/^[^/].*$/, "must be an object key like demo/prod/terraform.tfstate");
const sshKey = z
  .string()
  .regex(/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+=*( .*)?$/, "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment)");
const diskGiB = z.number().int().min(8).max(65536);
const memoryMiB = z.number().int().min(512);
const cpus = z.number().int().min(1).max(64);

export const ROLES = ["control", "worker"] as const;
export const CHANNELS = ["stable", "beta", "alpha", "lts"] as const;
export const REBOOT_STRATEGIES = ["etcd-lock", "reboot", "off"] as const;

/** Settings that every environment may carry, whatever its platform. */
const environmentBase = {
  /** Overrides the spec's `network` for this environment. @default the spec's network */
  network: z.strictObject({ cidr }).optional(),
};

/** Cloud environments are reachable from the internet: who may reach SSH and the APIs must be said. */
const firewall = {
  adminCidrs: z.array(cidr).min(1, "needs at least one CIDR (who may reach SSH and the APIs)"),
  /** Lets `adminCidrs` contain 0.0.0.0/0. @default false */
  allowWorldAccess: z.boolean().default(false),
};

/** Sizes per role, the same keys for both roles (`control`, `worker`). */
const perRole = <T extends z.ZodType>(size: T) => ({ control: size, worker: size });

const vagrant = z.strictObject({
  platform: z.literal("vagrant"),
  ...environmentBase,
  ...perRole(
    z
      .strictObject({
        /** @default 2048 */ memoryMiB: memoryMiB.default(2048),
        /** @default 2 */ cpus: cpus.default(2),
      })
      .prefault({}),
  ),
});

const libvirt = z.strictObject({
  platform: z.literal("libvirt"),
  ...environmentBase,
  /** @default "qemu:///system" */
  uri: z.string().regex(/^[a-z+]+:\/\//, "must be a libvirt URI like qemu:///system").default("qemu:///system"),
  /** Storage pool for the image and the disks. @default "default" */
  pool: z.string().min(1).default("default"),
  /**
   * A Flatcar QEMU image already downloaded (flatcar_production_qemu_image.img, qcow2), as an absolute
   * path on the machine that runs `cdktf deploy`: the provider uploads it into the pool once.
   * @default the image of os.channel at os.version from <channel>.release.flatcar-linux.net
   */
  imagePath: z
    .string()
    .regex(/^\/[^\0]*[^/]$/, "must be an absolute path to an image file like /var/lib/libvirt/images/flatcar_production_qemu_image.img")
    .optional(),
  ...perRole(
    z
      .strictObject({
        memoryMiB: memoryMiB.default(2048),
        cpus: cpus.default(2),
        diskGiB: diskGiB.default(20),
      })
      .prefault({}),
  ),
});

/**
 * Where Terraform keeps an environment's state. State holds every node's user data, TLS keys included:
 * S3 state is always encrypted (GCS and Azure Storage encrypt every object at rest anyway); local state
 * sits with the secrets under `.coreform/<env>/` by default. Every remote backend locks the state.
 */
const stateBackend = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("local"),
    /** Relative to the spec's directory. @default ".coreform/<env>/terraform.tfstate" */
    path: z
      .string()
      .regex(/^(?![/~\\]|[A-Za-z]:)\S/, "must be a path relative to the project, so that the stack does not depend on one machine")
      .optional(),
  }),
  z.strictObject({
    type: z.literal("s3"),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3–63 lowercase letters, digits, '.', '-')"),
    /** @default "<cluster>/<env>/terraform.tfstate" */
    key: stateKey.optional(),
    region: awsRegion,
    /** S3-native state locking (Terraform and OpenTofu ≥ 1.10). @default true */
    useLockfile: z.boolean().default(true),
  }),
  z.strictObject({
    type: z.literal("gcs"),
    // cloud.google.com/storage/docs/buckets#naming (names with dots, up to 222 characters, need a verified domain)
    bucket: z.string().regex(/^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/, "must be a Cloud Storage bucket name (3–63 lowercase letters, digits, '.', '_', '-')"),
    /** Folder of the state object, which is `<prefix>/default.tfstate`. @default "<cluster>/<env>" */
    prefix: z.string().regex(/^[^/](.*[^/])?$/, "must be a folder like demo/gce, without a leading or trailing '/'").optional(),
  }),
  z.strictObject({
    type: z.literal("azurerm"),
    // learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.Storage)
    storageAccount: z.string().regex(/^[a-z0-9]{3,24}$/, "must be a storage account name (3–24 lowercase letters and digits)"),
    container: z
      .string()
      .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "must be a blob container name (3–63 lowercase letters, digits and single '-')"),
    /** @default "<cluster>/<env>/terraform.tfstate" */
    key: stateKey.optional(),
    /** The storage account's resource group. */
    resourceGroup: azureResourceGroup,
    /** Authenticate to the container with Microsoft Entra ID (a Storage Blob Data role) instead of the account's access key. @default false */
    useAzureadAuth: z.boolean().default(false),
  }),
]);

const aws = z.strictObject({
  platform: z.literal("aws"),
  ...environmentBase,
  ...firewall,
  /** @default local state in `.coreform/<env>/terraform.tfstate` */
  backend: stateBackend.optional(),
  region: awsRegion,
  /** Pinned AMI; without it the newest Flatcar AMI of the channel is looked up. */
  ami: z.string().regex(/^ami-[0-9a-f]{8,17}$/, "must be an AMI id like ami-0123456789abcdef0").optional(),
  /** @default derived from the instance type (Graviton families → arm64) */
  arch: z.enum(["x86_64", "arm64"]).optional(),
  /** Existing VPC and subnet; without them the stack creates both. */
  vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "must be a VPC id like vpc-0abc…").optional(),
  subnetId: z.string().regex(/^subnet-[0-9a-f]+$/, "must be a subnet id like subnet-0abc…").optional(),
  /**
   * A public IP per node. Without, nodes need the subnet's own way out (a NAT gateway): give vpcId and
   * subnetId. @default true when the stack creates the network, else the subnet's setting
   */
  publicAddresses: z.boolean().optional(),
  ...perRole(
    z
      .strictObject({
        /** @default "t3.small" */
        instanceType: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "must be an EC2 instance type like t3.small").default("t3.small"),
        /** @default 30 */
        diskGiB: diskGiB.default(30),
      })
      .prefault({}),
  ),
});

/** Whether each node gets a public address; without, the stack gives the network a NAT for the way out. */
const publicAddresses = z.boolean().default(true);

/** A Neutron id (a UUID). */
const neutronId = (what: string) => z.guid({ error: `must be the id of an existing ${what} (a UUID like 00000000-0000-0000-0000-000000000000)` });

const openstack = z.strictObject({
  platform: z.literal("openstack"),
  ...environmentBase,
  ...firewall,
  /** @default local state in `.coreform/<env>/terraform.tfstate` */
  backend: stateBackend.optional(),
  /**
   * The clouds.yaml entry to use (credentials, auth URL, region). Credentials never go in the spec.
   * @default the OS_* environment (OS_CLOUD, or OS_AUTH_URL, OS_USERNAME…)
   */
  cloud: z.string().min(1).optional(),
  /** @default the cloud's default region (from clouds.yaml / OS_REGION_NAME) */
  region: z.string().min(1).optional(),
  /**
   * Name of the external network: the stack's router uplinks to it and floating IPs come from it.
   * Needed unless the nodes go in an existing network (networkId, subnetId) without publicAddresses.
   */
  externalNetwork: z.string().min(1).optional(),
  /** Existing network and subnet (holding network.cidr); without them the stack creates both and a router. */
  networkId: neutronId("network").optional(),
  subnetId: neutronId("subnet").optional(),
  /** A floating IP per node, from externalNetwork; without, nodes have private addresses only. @default true */
  publicAddresses,
  /** An existing Glance image of Flatcar, by name. @default the stack imports os.channel's OpenStack image (at os.version) */
  imageName: z.string().min(1).optional(),
  /** Key pair for the `core` user besides `ssh.authorizedKeys`. */
  keyPair: z.string().min(1).optional(),
  /** `flavor` sizes a role's machines; `diskGiB` boots them from a volume of that size instead of the flavor's disk. */
  ...perRole(z.strictObject({ flavor: z.string().min(1), diskGiB: diskGiB.optional() })),
});

const gce = z.strictObject({
  platform: z.literal("gce"),
  ...environmentBase,
  ...firewall,
  /** @default local state in `.coreform/<env>/terraform.tfstate` */
  backend: stateBackend.optional(),
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a GCP project id"),
  region: z.string().regex(/^[a-z]+-[a-z]+\d+$/, "must be a GCE region like europe-west1"),
  /** Where every node runs (in `region`). */
  zone: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, "must be a GCE zone like europe-west1-b"),
  /** An image of your own. @default Flatcar's image of os.channel (at os.version, if pinned) from project kinvolk-public */
  image: z
    .string()
    .regex(
      /^projects\/[a-z][-a-z0-9.:]*[a-z0-9]\/global\/images\/(family\/)?[a-z]([-a-z0-9]*[a-z0-9])?$/,
      "must be an image like projects/my-project/global/images/my-image, or .../images/family/my-family",
    )
    .optional(),
  /** An ephemeral external IP per node; without, a Cloud NAT for the way out. @default true */
  publicAddresses,
  /** UEFI Secure Boot, for an image signed for it: Flatcar's are not yet (flatcar/Flatcar#501). @default false */
  secureBoot: z.boolean().default(false),
  ...perRole(
    z
      .strictObject({
        /** @default "e2-standard-2" */
        machineType: z.string().regex(/^[a-z0-9]+-[a-z0-9-]+$/, "must be a GCE machine type like e2-standard-2").default("e2-standard-2"),
        /** Boot disk (pd-balanced). @default 30 */
        diskGiB: diskGiB.default(30),
      })
      .prefault({}),
  ),
});

const azure = z.strictObject({
  platform: z.literal("azure"),
  ...environmentBase,
  ...firewall,
  /** @default local state in `.coreform/<env>/terraform.tfstate` */
  backend: stateBackend.optional(),
  /** azurerm 4 needs one (its 4.0 upgrade guide). @default ARM_SUBSCRIPTION_ID from the environment */
  subscriptionId: z.guid({ error: "must be a subscription id like 00000000-0000-0000-0000-000000000000" }).optional(),
  location: z.string().regex(/^[a-z0-9]+$/, "must be an Azure location like westeurope"),
  /** An existing resource group to hold everything. @default the stack creates "<cluster>-<environment>" in location */
  resourceGroup: azureResourceGroup.optional(),
  /**
   * Flatcar's Marketplace offer: `corevm` needs no terms and no plan; `free` needs its terms accepted
   * once per subscription, and the VMs carry its plan. @default "corevm"
   */
  offer: z.enum(["corevm", "free"]).default("corevm"),
  /** The image SKU. LTS streams have SKUs of their own, like lts2024-gen2. @default "<channel>-gen2" (arm64 sizes: "<channel>") */
  sku: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be an image SKU like stable-gen2").optional(),
  /** An image of your own instead of the Marketplace's (a managed image or gallery image version). */
  image: z
    .string()
    .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/.+[^/]$/i, "must be an image resource id like /subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/images/…")
    .optional(),
  /** A static public IP (Standard SKU) per node; without, a NAT gateway for the way out. @default true */
  publicAddresses,
  ...perRole(
    z
      .strictObject({
        /** @default "Standard_B2s" */
        vmSize: z.string().regex(/^(Standard|Basic)_[A-Za-z0-9_-]+$/, "must be an Azure VM size like Standard_B2s").default("Standard_B2s"),
        /** OS disk (StandardSSD_LRS). @default 30 */
        diskGiB: diskGiB.default(30),
      })
      .prefault({}),
  ),
});

export const environmentSchema = z.discriminatedUnion("platform", [vagrant, libvirt, openstack, aws, gce, azure]);

const nodeGroup = z.strictObject({
  /** Group name; nodes are named `<name>-01`, `<name>-02`… @default the role */
  name: dnsLabel(20).optional(),
  role: z.enum(ROLES),
  count: z.number().int().min(1).max(5000),
});

/** What runs containers across the nodes: one branch per `scheduler.kind`. */
const schedulerSchema = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({
      kind: z.literal("kubernetes"),
      /** k3s release of the sysext-bakery's k3s extension. @default "v1.32.2+k3s1" */
      version: z.string().regex(/^v1\.\d+\.\d+\+k3s\d+$/, "must be a k3s release like v1.32.2+k3s1").default("v1.32.2+k3s1"),
      /**
       * Pod addresses (k3s `cluster-cidr`). Not k3s's own 10.42.0.0/16, which holds the default
       * network.cidr: rules.ts keeps it apart from every network. @default "10.244.0.0/16"
       */
      podCidr: cidr.default("10.244.0.0/16"),
      /** Service addresses (k3s `service-cidr`); the cluster DNS is its 10th address. @default "10.96.0.0/16" */
      serviceCidr: cidr.default("10.96.0.0/16"),
      /**
       * New k3s patch releases of this minor from the sysext-bakery, through systemd-sysupdate. Off, every
       * node keeps `version` (a reproducible demo: `coreform pin` reports it). @default true
       */
      sysupdate: z.boolean().default(true),
    }),
    z.strictObject({
      kind: z.literal("fleet"),
      /** @default "quay.io/coreos/fleet:v1.0.0" */
      image: z
        .string()
        .regex(
          new RegExp(`^[a-z0-9.-]+(:\\d+)?(/[a-z0-9._-]+)+:[A-Za-z0-9._-]+(@${DIGEST.source})?$`),
          "must be an image with a tag like quay.io/coreos/fleet:v1.0.0, optionally pinned by digest (…:v1.0.0@sha256:<64 hex digits>)",
        )
        .default("quay.io/coreos/fleet:v1.0.0"),
    }),
    z.strictObject({ kind: z.literal("none") }),
  ],
);

export const specSchema = z.strictObject({
  apiVersion: z.literal("coreform/v1", { error: 'must be "coreform/v1"' }),
  name: dnsLabel(32),
  os: z
    .strictObject({
      /** @default "stable" */
      channel: z.enum(CHANNELS).default("stable"),
      /** "current" or a pinned Flatcar release such as 4593.2.5. @default "current" */
      version: z
        .string()
        .regex(/^(current|\d+\.\d+\.\d+)$/, 'must be "current" or a Flatcar release like 4593.2.5')
        .default("current"),
    })
    .prefault({}),
  ssh: z.strictObject({ authorizedKeys: z.array(sshKey).default([]) }).prefault({}),
  network: z.strictObject({ cidr }),
  nodes: z.array(nodeGroup).min(1, "needs at least one node group"),
  etcd: z
    .strictObject({
      /** @default "quay.io/coreos/etcd" */
      image: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/, "must be an image name without a tag").default("quay.io/coreos/etcd"),
      /** The newest v3.5 patch release (etcd-io/etcd tag v3.5.33, 2026-07-23). @default "v3.5.33" */
      version: z.string().regex(/^v3\.\d+\.\d+$/, "must be an etcd release tag like v3.5.33").default(ETCD_DEFAULT_VERSION),
      /** The image's digest, which pins what the tag names today (`docker pull` checks it). @default none: the tag alone */
      digest: z.string().regex(new RegExp(`^${DIGEST.source}$`), "must be an image digest like sha256:<64 hex digits>").optional(),
      /** Each control node's own snapshots of its member, on its local disk. */
      snapshots: z
        .strictObject({
          /** @default "daily" */
          schedule: z
            .string()
            .regex(SNAPSHOT_SCHEDULE, 'must be hourly, daily, weekly, a UTC time like "03:30", or "off"')
            .default("daily")
            .describe('when each control node snapshots its etcd member: hourly, daily, weekly, a time of day in UTC like "03:30" (every day), or "off"'),
          /** @default 7 */
          keep: z.number().int().min(1).max(1000).default(7).describe("how many snapshots each control node keeps in /var/lib/etcd-snapshots (the newest)"),
        })
        .prefault({})
        .describe("snapshots each control node takes of its etcd member on a systemd timer"),
    })
    .prefault({}),
  updates: z
    .strictObject({
      /** Update group (a channel or a Nebraska group). @default os.channel */
      group: z.string().regex(/^[A-Za-z0-9._-]+$/, "must be a channel or a Nebraska group name").optional(),
      /** @default Flatcar's public update server */
      server: z
        .union([z.url({ protocol: /^https?$/, error: "must be an http(s) URL or 'disabled'" }), z.literal("disabled")], {
          error: "must be an http(s) URL or 'disabled'",
        })
        .default("https://public.update.flatcar-linux.net/v1/update/"),
      /** @default "etcd-lock" */
      rebootStrategy: z.enum(REBOOT_STRATEGIES).default("etcd-lock"),
      /** When reboots may happen; syntax checked in rules.ts. @default any time */
      window: z.strictObject({ start: z.string(), length: z.string() }).optional(),
    })
    .prefault({}),
  scheduler: z.preprocess(
    // `kind` may be left out: it defaults to kubernetes, and the union needs it to pick a branch.
    (v) => (v !== null && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { ...v, kind: "kubernetes" } : v),
    schedulerSchema,
  ).prefault({}),
  environments: z
    .record(
      // Every JavaScript object inherits `constructor`: constructs (under the CDKTF app) would take it for an existing stack.
      dnsLabel(24).refine((name) => !Object.hasOwn(Object.prototype, name), "is reserved in JavaScript: use another name"),
      environmentSchema,
    )
    .refine((envs) => Object.keys(envs).length > 0, "needs at least one environment"),
});

export type Spec = z.infer<typeof specSchema>;
export type SpecInput = z.input<typeof specSchema>;
export type Environment = z.infer<typeof environmentSchema>;
export type StateBackend = z.infer<typeof stateBackend>;
export type Platform = Environment["platform"];

/** Every platform and every scheduler kind, read off their unions (a new branch needs no second list). */
export const PLATFORMS: readonly Platform[] = environmentSchema.options.map((o) => o.shape.platform.value);
export const SCHEDULERS: readonly Spec["scheduler"]["kind"][] = schedulerSchema.options.map((o) => o.shape.kind.value);
export type Role = (typeof ROLES)[number];
export type NodeGroup = Spec["nodes"][number];
