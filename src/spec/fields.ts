// The building blocks of the spec's schema that the cluster-wide sections (cluster.ts) and the
// platforms' environments (src/platforms/) share: addresses, names, sizes, where Terraform keeps its
// state, and the settings every environment or every cloud environment carries.
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
export const network = z.strictObject({ cidr });

/** Settings that every environment may carry, whatever its platform. */
export const environmentBase = {
  /** Overrides the spec's `network` for this environment. @default the spec's network */
  network: network.optional(),
};

/** Sizes per role, the same keys for both roles (`control`, `worker`). */
export const perRole = <T extends z.ZodType>(size: T) => ({ control: size, worker: size });

/** Whether each node gets a public address; without, the stack gives the network a NAT for the way out. */
export const publicAddresses = z.boolean().default(true);

/**
 * Where Terraform keeps an environment's state. State holds every node's user data, TLS keys included:
 * S3 state is always encrypted (GCS and Azure Storage encrypt every object at rest anyway); local state
 * sits with the secrets under `.coreform/<env>/` by default. Every remote backend locks the state.
 */
export const stateBackend = z.discriminatedUnion("type", [
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

export type StateBackend = z.infer<typeof stateBackend>;

/**
 * What every cloud environment carries besides `environmentBase`: cloud environments are reachable from
 * the internet, so who may reach SSH and the APIs must be said; and Terraform keeps their state.
 */
export const cloudEnvironment = {
  ...environmentBase,
  adminCidrs: z.array(cidr).min(1, "needs at least one CIDR (who may reach SSH and the APIs)"),
  /** Lets `adminCidrs` contain 0.0.0.0/0. @default false */
  allowWorldAccess: z.boolean().default(false),
  /** @default local state in `.coreform/<env>/terraform.tfstate` */
  backend: stateBackend.optional(),
};
