// The spec's cluster-wide sections: everything but `environments`, which the platforms define
// (src/platforms/) and schema.ts puts together with these. Platform modules read these sections' types.
import { z } from "zod";
import { cidr, dnsLabel, network } from "./fields";
import { parseSshKey } from "./ssh-key";

/** A container image digest (OCI image spec, "Digests": algorithm sha256, 64 lowercase hex digits). */
const DIGEST = /sha256:[0-9a-f]{64}/;

/** The newest etcd v3.5 patch release (etcd-io/etcd tag v3.5.33, CHANGELOG/CHANGELOG-3.5.md: 2026-07-23). */
export const ETCD_DEFAULT_VERSION = "v3.5.33";
/** systemd OnCalendar shorthands, or a daily UTC time (rendered as `*-*-* HH:MM:00`), or off. */
const SNAPSHOT_SCHEDULE = /^(hourly|daily|weekly|off|([01]\d|2[0-3]):[0-5]\d)$/;

/**
 * A public key line: its shape (a type OpenSSH writes, padded base64: what an editor checks from
 * cluster.schema.json), then its key, as strictly as the Azure provider reads it (ssh-key.ts).
 */
const sshKey = z
  .string()
  .regex(
    /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) +([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?( .*)?$/,
    { error: "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment), whole: copy it from your .pub file", abort: true },
  )
  .superRefine((line, ctx) => {
    const key = parseSshKey(line);
    if (typeof key === "string") ctx.addIssue({ code: "custom", message: key });
  });

export const ROLES = ["control", "worker"] as const;
const CHANNELS = ["stable", "beta", "alpha", "lts"] as const;
/** etcd's data disk: GCE persistent disks start at 10 GB (cloud.google.com/compute/docs/disks, "Persistent Disk" size limits); 1 TiB is far past etcd's own 8 GiB storage quota maximum (etcd.io/docs/v3.5/dev-guide/limit). */
const ETCD_DISK_MIN_GIB = 10;
const ETCD_DISK_MAX_GIB = 1024;
const REBOOT_STRATEGIES = ["etcd-lock", "reboot", "off"] as const;

const nodeGroup = z
  .strictObject({
    name: dnsLabel(20).optional().describe("Group name; its nodes are named <name>-01, <name>-02… (default: the role)"),
    role: z.enum(ROLES).describe("control: each node runs an etcd member (an odd count in all: 1, 3, 5, at most 7); worker: runs workloads"),
    count: z.number().int().min(1).max(5000).describe("How many nodes the group has"),
  })
  .describe("A group of nodes of one role");

/** Kubernetes: the scheduler's branch that `kind` may leave out (see `scheduler` below). */
export const kubernetesScheduler = z
  .strictObject({
    kind: z.literal("kubernetes").describe("kubernetes, the default: may be left out"),
    version: z
      .string()
      .regex(/^v1\.\d+\.\d+\+k3s\d+$/, "must be a k3s release like v1.32.2+k3s1")
      .default("v1.32.2+k3s1")
      .describe("The k3s release of the sysext-bakery's k3s extension, like v1.32.2+k3s1; updates follow within its minor"),
    // Not k3s's own 10.42.0.0/16 (docs.k3s.io/cli/server), which holds the default network.cidr.
    podCidr: cidr.default("10.244.0.0/16").describe("Pod addresses (k3s cluster-cidr): private, apart from serviceCidr and every network of the spec"),
    serviceCidr: cidr
      .default("10.96.0.0/16")
      .describe("Service addresses (k3s service-cidr; the cluster DNS is its 10th address): private, apart from podCidr and every network of the spec"),
    sysupdate: z
      .boolean()
      .default(true)
      .describe("New k3s patch releases of this minor from the sysext-bakery, through systemd-sysupdate; false keeps every node at version (coreform pin reports it)"),
    sha256: z
      .record(
        z.string().regex(/^k3s-v1\.\d+\.\d+\+k3s\d+-(x86-64|arm64)\.raw$/, "must be a bakery file name like k3s-v1.32.2+k3s1-x86-64.raw"),
        z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 of 64 lowercase hex digits, as in the release's SHA256SUMS"),
      )
      .optional()
      .describe(
        "The SHA-256 of each k3s image file a node downloads, as the bakery's release of version publishes them (its SHA256SUMS: <hex>  k3s-<version>-<arch>.raw); a node then refuses any other file. None by default: the image is taken as served (coreform pin reports it)",
      ),
  })
  .describe("k3s from the Flatcar sysext-bakery, with the cluster's etcd as its datastore (coreform kubeconfig <env> writes your kubeconfig)");

/** What runs containers across the nodes: one branch per `scheduler.kind`. */
export const schedulerSchema = z.discriminatedUnion("kind", [
  kubernetesScheduler,
  z
    .strictObject({
      kind: z.literal("fleet").describe("fleet"),
      image: z
        .string()
        .regex(
          new RegExp(`^[a-z0-9.-]+(:\\d+)?(/[a-z0-9._-]+)+:[A-Za-z0-9._-]+(@${DIGEST.source})?$`),
          "must be an image with a tag like quay.io/coreos/fleet:v1.0.0, optionally pinned by digest (…:v1.0.0@sha256:<64 hex digits>)",
        )
        .default("quay.io/coreos/fleet:v1.0.0")
        .describe("fleet's container image with its tag, optionally pinned by digest (…:v1.0.0@sha256:…)"),
    })
    .describe("fleet, the original CoreOS scheduler: unmaintained since 2018, for faithful demos only"),
  z.strictObject({ kind: z.literal("none").describe("none") }).describe("No scheduler: etcd, Docker and the updater only"),
]);

/** The Flatcar channel and release every node boots. */
export const os = z
  .strictObject({
    channel: z.enum(CHANNELS).default("stable").describe("The Flatcar channel: stable, beta, alpha or lts"),
    version: z
      .string()
      .regex(/^(current|\d+\.\d+\.\d+)$/, 'must be "current" or a Flatcar release like 4593.2.5')
      .default("current")
      .describe("current (the channel's newest release when a node is created), or a pinned release like 4593.2.5: coreform pin --write --version X.Y.Z sets it"),
  })
  .prefault({})
  .describe("`channel` (stable, beta, alpha, lts) and `version`: `current` or a pinned Flatcar release");

/** The sections of the spec before `environments`, in the order the spec lists them. */
export const clusterSections = {
  apiVersion: z.literal("coreform/v1", { error: 'must be "coreform/v1"' }).describe("`coreform/v1`"),
  name: dnsLabel(32).describe("The cluster's name (DNS-safe), in the etcd cluster token and in resource names"),
  os,
  ssh: z
    .strictObject({
      authorizedKeys: z
        .array(sshKey)
        .default([])
        .describe("OpenSSH public key lines (ssh-ed25519 AAAA… comment). Empty is allowed, with a warning, but nobody can log in then"),
    })
    .prefault({})
    .describe("`authorizedKeys`: public keys of the `core` user"),
  network: network.describe("`cidr`: planned private addresses; nodes get fixed addresses from `.10` on"),
  nodes: z
    .array(nodeGroup)
    .min(1, "needs at least one node group")
    .describe("Groups: `name`, `role` (`control` runs etcd, `worker` runs workloads), `count`"),
  etcd: z
    .strictObject({
      image: z
        .string()
        .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/, "must be an image name without a tag")
        .default("quay.io/coreos/etcd")
        .describe("etcd's container image, without a tag"),
      version: z
        .string()
        .regex(/^v3\.\d+\.\d+$/, "must be an etcd release tag like v3.5.33")
        .default(ETCD_DEFAULT_VERSION)
        .describe(
          `The etcd release tag (default ${ETCD_DEFAULT_VERSION}, the newest v3.5 patch release): v3.5.x keeps the v2 API that locksmith's reboot lock needs (3.6 removed it); releases before v3.5.26 get a warning`,
        ),
      digest: z
        .string()
        .regex(new RegExp(`^${DIGEST.source}$`), "must be an image digest like sha256:<64 hex digits>")
        .optional()
        .describe("The image's digest (sha256:…), which pins what the tag names today (docker pull checks it); default: the tag alone"),
      snapshots: z
        .strictObject({
          schedule: z
            .string()
            .regex(SNAPSHOT_SCHEDULE, 'must be hourly, daily, weekly, a UTC time like "03:30", or "off"')
            .default("daily")
            .describe('When each control node snapshots its etcd member: hourly, daily (the default), weekly, a time of day in UTC like "03:30" (every day), or "off"'),
          keep: z.number().int().min(1).max(1000).default(7).describe("How many snapshots each control node keeps in /var/lib/etcd-snapshots, the newest (default 7)"),
        })
        .prefault({})
        .describe("Each control node's own snapshots of its etcd member, on a systemd timer"),
      diskGiB: z
        .number()
        .int()
        .min(ETCD_DISK_MIN_GIB)
        .max(ETCD_DISK_MAX_GIB)
        .default(10)
        .describe(
          `Each control node's data disk for /var/lib/etcd, in GiB (default 10, ${ETCD_DISK_MIN_GIB} to ${ETCD_DISK_MAX_GIB}): kept when the machine is replaced, on every platform but vagrant; it may grow later, never shrink (KVM: fixed)`,
        ),
    })
    .prefault({})
    .describe(
      "`image`, `version`, `digest`: the etcd container (default `v3.5.33`); v3.5.x keeps the v2 API locksmith needs, releases before v3.5.26 get a warning; `digest: sha256:…` pins the tag's image; `snapshots`: each control node's own (`schedule`: hourly, daily (default), weekly, a UTC time like `\"03:30\"`, or `\"off\"`; `keep`: 7); `diskGiB`: each control node's data disk for etcd (default 10; not on vagrant)",
    ),
  updates: z
    .strictObject({
      group: z
        .string()
        .regex(/^[A-Za-z0-9._-]+$/, "must be a channel or a Nebraska group name")
        .optional()
        .describe("The update group: the channel, or a group on your own Nebraska server (default: os.channel)"),
      server: z
        .union([z.url({ protocol: /^https?$/, error: "must be an http(s) URL or 'disabled'" }), z.literal("disabled")], {
          error: "must be an http(s) URL or 'disabled'",
        })
        .default("https://public.update.flatcar-linux.net/v1/update/")
        .describe("Flatcar's public update server, your Nebraska (http://host:port/v1/update/), or disabled"),
      rebootStrategy: z
        .enum(REBOOT_STRATEGIES)
        .default("etcd-lock")
        .describe("etcd-lock: one node reboots at a time, through a lock in etcd; reboot: as soon as an update is installed; off: install updates, never reboot"),
      window: z
        .strictObject({
          start: z.string().describe('"HH:MM" (daily) or "Thu 04:00" (weekly), 24-hour'),
          length: z.string().describe("A Go duration like 2h, shorter than the period: under 24h daily, under 168h weekly"),
        })
        .optional()
        .describe("When reboots may happen, exactly as locksmithd reads it (default: any time)"),
    })
    .prefault({})
    .describe(
      '`group`, `server` (or `disabled`), `rebootStrategy` (etcd-lock, reboot, off), `window` (`start: "Thu 04:00"` or `"04:00"`, `length: 2h`: shorter than its period, under 168h weekly, under 24h daily, exactly as locksmithd parses it)',
    ),
  scheduler: z
    .preprocess(
      // `kind` may be left out: it defaults to kubernetes, and the union needs it to pick a branch.
      (v) => (v !== null && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { ...v, kind: "kubernetes" } : v),
      schedulerSchema,
    )
    .prefault({})
    .describe(
      "`kind: kubernetes` (default; `version`: a k3s release like `v1.32.2+k3s1`; `podCidr`, `serviceCidr`; `sysupdate: false` keeps k3s at `version`; `sha256`: the image's hash from the release's SHA256SUMS), `kind: fleet` (legacy; `image`, optionally `…:tag@sha256:…`), or `kind: none`",
    ),
};

/** The cluster-wide settings of a parsed spec: what a platform's rules may read besides its environments. */
export type Cluster = z.infer<z.ZodObject<typeof clusterSections>>;
export type Os = z.infer<typeof os>;
export type Role = (typeof ROLES)[number];

/**
 * `<cluster>-<environment>`: an environment's name where several clusters and environments meet (cloud
 * accounts and projects, kubeconfigs, the CA's subject, the drawing's title).
 */
export const qualifiedName = (plan: { readonly cluster: string; readonly environment: string }): string => `${plan.cluster}-${plan.environment}`;

/** The network an environment's nodes are planned in: its own, else the spec's. */
export const networkOf = (spec: Pick<Cluster, "network">, env: { readonly network?: { readonly cidr: string } }): string => env.network?.cidr ?? spec.network.cidr;
