// Per-platform facts the pipeline needs before any target exists (sources: shared/reference/flatcar.md).
import type { Environment, Platform } from "./schema";

/** How user data reaches a node, and how large it may be. */
export interface UserDataLimit {
  /** The first-boot format the platform is given. */
  readonly format: "ignition" | "cloud-config";
  /** Largest accepted user data in bytes of the rendered config, or undefined when no limit applies. */
  readonly maxBytes?: number;
  readonly why: string;
}

export const USER_DATA: Record<Platform, UserDataLimit> = {
  // The Flatcar box takes Ignition only through a 1 KiB VirtualBox guest property: cloud-config it is.
  vagrant: { format: "cloud-config", why: "the Flatcar box applies a cloud-config file" },
  libvirt: { format: "ignition", why: "QEMU fw_cfg has no practical limit" },
  // 65535 bytes after base64: 3/4 of it raw.
  openstack: { format: "ignition", maxBytes: Math.floor(65535 / 4) * 3, why: "OpenStack user_data is at most 65535 bytes base64-encoded" },
  aws: { format: "ignition", maxBytes: 16384, why: "EC2 user data is at most 16 KiB" },
  gce: { format: "ignition", maxBytes: 262144, why: "a GCE metadata value is at most 256 KiB" },
  azure: { format: "ignition", maxBytes: 65535, why: "Azure custom data is at most 64 KiB" },
};

export type Arch = "x86_64" | "arm64";

/**
 * EC2 Graviton families carry a `g` right after the generation digit (t4g, m7g, c7gn, x2gd, im4gn,
 * hpc7g) or are a1; everything else (incl. g4dn, g5, p4d) is x86_64.
 */
export const awsInstanceArch = (instanceType: string): Arch => (/^(a1|[a-z]+\d+g[a-z]*)\./.test(instanceType) ? "arm64" : "x86_64");

/** The one CPU architecture of an environment's nodes (images and system extensions depend on it). */
export function environmentArch(env: Environment): Arch {
  if (env.platform === "aws") return env.arch ?? awsInstanceArch(env.control.instanceType);
  return "x86_64";
}
