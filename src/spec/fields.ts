// The building blocks of the spec's schema that the cluster-wide sections (cluster.ts) and the
// platforms' environments (src/platforms/) share: addresses, names, sizes, where Terraform keeps its
// state, and the settings every environment or every cloud environment carries. Every field says what
// it is with `.describe()`: the text editors show (cluster.schema.json) and README's spec table.
import { z } from "zod";
import { unlessMissing } from "./issues";

export const dnsLabel = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, "must be DNS-safe: lowercase letters, digits and '-', starting with a letter");

export const cidr = z.cidrv4({ error: unlessMissing("must be an IPv4 CIDR like 10.42.0.0/24") });
export const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region like eu-central-1");
export const azureResourceGroup = z
  .string()
  .regex(/^[-\w.()]{0,89}[-\w()]$/, "must be an Azure resource group name (letters, digits, '_', '-', '.', '(', ')'; not ending in '.')");
const stateKey = z.string().regex(/^[^/].*$/, "must be an object key like demo/prod/terraform.tfstate");
export const diskGiB = z.number().int().min(8).max(65536);
export const memoryMiB = z.number().int().min(512);
export const cpus = z.number().int().min(1).max(64);

/** A network of planned private addresses. */
export const network = z.strictObject({
  cidr: cidr.describe(
    "Planned private addresses, like 10.42.0.0/24: a private range only (inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10). " +
      "Nodes get fixed addresses from .10 on, in the order of `nodes`",
  ),
});

/** Settings that every environment may carry, whatever its platform. */
export const environmentBase = {
  network: network.optional().describe("This environment's own planned addresses, instead of the spec's `network`"),
};

/** The machines of each role, with the same keys for both roles; `what` says what the settings size. */
export const perRole = <T extends z.ZodType>(what: string, size: T) => ({
  control: size.describe(`The control nodes' ${what}`),
  worker: size.describe(`The workers' ${what}`),
});

/** The setting that names a machine size on a cloud (`instanceType`, `machineType`…), with its default. */
export const sizeName = (pattern: RegExp, kind: string, byDefault: string, description: string) =>
  z.string().regex(pattern, `must be ${kind} like ${byDefault}`).default(byDefault).describe(description);

/** A machine's boot disk on a cloud, 30 GiB unless set. */
export const bootDisk = (description: string) => ({ diskGiB: diskGiB.default(30).describe(description) });

/** Whether each node gets a public address; without, the stack gives the network a NAT for the way out. */
export const publicAddresses = z.boolean().default(true);

/**
 * The zones an environment spreads its nodes over, in order (a node's recorded zone i is the i-th): each
 * once. Optional, without a default, so that an environment rendered before keeps its recorded settings.
 */
export const zoneList = (zone: z.ZodType<string>, max: number) =>
  z
    .array(zone)
    .max(max)
    .refine((list) => new Set(list).size === list.length, "each zone once")
    .optional();

/**
 * Where Terraform keeps an environment's state. State holds every node's user data, TLS keys included:
 * S3 state is always encrypted (GCS and Azure Storage encrypt every object at rest anyway); local state
 * sits with the secrets under `.coreform/<env>/` by default. Every remote backend locks the state.
 */
const STATE_KEY = "The state object's key (default: <cluster>/<env>/terraform.tfstate)";
export const stateBackend = z.discriminatedUnion("type", [
  z
    .strictObject({
      type: z.literal("local").describe("local: a file"),
      path: z
        .string()
        .regex(/^(?![/~\\]|[A-Za-z]:)\S/, "must be a path relative to the project, so that the stack does not depend on one machine")
        .optional()
        .describe("The state file, relative to the spec's directory (default: .coreform/<env>/terraform.tfstate, with the secrets)"),
    })
    .describe("A local state file"),
  z
    .strictObject({
      type: z.literal("s3").describe("s3: an S3 bucket, the state always encrypted"),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3–63 lowercase letters, digits, '.', '-')").describe("The S3 bucket"),
      key: stateKey.optional().describe(STATE_KEY),
      region: awsRegion.describe("The bucket's AWS region, like eu-central-1"),
      useLockfile: z.boolean().default(true).describe("S3-native state locking (Terraform and OpenTofu 1.10 or later)"),
    })
    .describe("State in an S3 bucket"),
  z
    .strictObject({
      type: z.literal("gcs").describe("gcs: a Cloud Storage bucket"),
      // cloud.google.com/storage/docs/buckets#naming (names with dots, up to 222 characters, need a verified domain)
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/, "must be a Cloud Storage bucket name (3–63 lowercase letters, digits, '.', '_', '-')")
        .describe("The Cloud Storage bucket"),
      prefix: z
        .string()
        .regex(/^[^/](.*[^/])?$/, "must be a folder like demo/gce, without a leading or trailing '/'")
        .optional()
        .describe("The folder of the state object, which is <prefix>/default.tfstate (default: <cluster>/<env>)"),
    })
    .describe("State in a Cloud Storage bucket"),
  z
    .strictObject({
      type: z.literal("azurerm").describe("azurerm: a blob container of an Azure storage account"),
      // learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.Storage)
      storageAccount: z.string().regex(/^[a-z0-9]{3,24}$/, "must be a storage account name (3–24 lowercase letters and digits)").describe("The storage account"),
      container: z
        .string()
        .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "must be a blob container name (3–63 lowercase letters, digits and single '-')")
        .describe("The blob container"),
      key: stateKey.optional().describe(STATE_KEY),
      resourceGroup: azureResourceGroup.describe("The storage account's resource group"),
      useAzureadAuth: z
        .boolean()
        .default(false)
        .describe("Authenticate to the container with Microsoft Entra ID (a Storage Blob Data role) instead of the account's access key"),
    })
    .describe("State in an Azure blob container"),
]);

export type StateBackend = z.infer<typeof stateBackend>;

/**
 * What every cloud environment carries besides `environmentBase`: cloud environments are reachable from
 * the internet, so who may reach SSH and the APIs must be said; and Terraform keeps their state.
 */
export const cloudEnvironment = {
  ...environmentBase,
  adminCidrs: z
    .array(cidr)
    .min(1, "needs at least one CIDR (who may reach SSH and the APIs)")
    .describe(
      "Who may reach SSH and the APIs, each network once, like [203.0.113.0/24]. Together more than a /8's worth of public addresses (0.0.0.0/0, its two /1 halves…) is world access: it needs allowWorldAccess",
    ),
  allowWorldAccess: z.boolean().default(false).describe("Lets adminCidrs open SSH and the APIs to the world (0.0.0.0/0)"),
  backend: stateBackend
    .optional()
    .describe("Where Terraform keeps the environment's state, which holds every node's user data, keys included (default: local, .coreform/<env>/terraform.tfstate)"),
};
