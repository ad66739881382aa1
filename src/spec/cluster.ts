// The spec's cluster-wide sections: everything but `environments`, which the platforms define
// (src/platforms/) and schema.ts puts together with these. Platform modules read these sections' types.
import { z } from "zod";
import { cidr, dnsLabel, network } from "./fields";

/** A container image digest (OCI image spec, "Digests": algorithm sha256, 64 lowercase hex digits). */
const DIGEST = /sha256:[0-9a-f]{64}/;

const sshKey = z
  .string()
  .regex(/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+=*( .*)?$/, "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment)");

export const ROLES = ["control", "worker"] as const;
const CHANNELS = ["stable", "beta", "alpha", "lts"] as const;
const REBOOT_STRATEGIES = ["etcd-lock", "reboot", "off"] as const;

const nodeGroup = z.strictObject({
  /** Group name; nodes are named `<name>-01`, `<name>-02`… @default the role */
  name: dnsLabel(20).optional(),
  role: z.enum(ROLES),
  count: z.number().int().min(1).max(5000),
});

/** What runs containers across the nodes: one branch per `scheduler.kind`. */
export const schedulerSchema = z.discriminatedUnion(
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

/** The Flatcar channel and release every node boots. */
export const os = z
  .strictObject({
    /** @default "stable" */
    channel: z.enum(CHANNELS).default("stable"),
    /** "current" or a pinned Flatcar release such as 4593.2.5. @default "current" */
    version: z
      .string()
      .regex(/^(current|\d+\.\d+\.\d+)$/, 'must be "current" or a Flatcar release like 4593.2.5')
      .default("current"),
  })
  .prefault({});

/** The sections of the spec before `environments`, in the order the spec lists them. */
export const clusterSections = {
  apiVersion: z.literal("coreform/v1", { error: 'must be "coreform/v1"' }),
  name: dnsLabel(32),
  os,
  ssh: z.strictObject({ authorizedKeys: z.array(sshKey).default([]) }).prefault({}),
  network,
  nodes: z.array(nodeGroup).min(1, "needs at least one node group"),
  etcd: z
    .strictObject({
      /** @default "quay.io/coreos/etcd" */
      image: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/, "must be an image name without a tag").default("quay.io/coreos/etcd"),
      /** @default "v3.5.16" */
      version: z.string().regex(/^v3\.\d+\.\d+$/, "must be an etcd release tag like v3.5.16").default("v3.5.16"),
      /** The image's digest, which pins what the tag names today (`docker pull` checks it). @default none: the tag alone */
      digest: z.string().regex(new RegExp(`^${DIGEST.source}$`), "must be an image digest like sha256:<64 hex digits>").optional(),
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
  scheduler: z
    .preprocess(
      // `kind` may be left out: it defaults to kubernetes, and the union needs it to pick a branch.
      (v) => (v !== null && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { ...v, kind: "kubernetes" } : v),
      schedulerSchema,
    )
    .prefault({}),
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
