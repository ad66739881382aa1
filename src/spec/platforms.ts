// Per-platform facts the pipeline needs before any target exists, one entry per platform: how user data
// reaches a node and how large it may be, which setting sizes each role's machines, which CPU
// architecture a size runs, and for which architectures Flatcar publishes images there.
import type { Environment, Platform, Role } from "./schema";

/** How user data reaches a node, and how large it may be. */
export interface UserDataLimit {
  /** The first-boot format the platform is given. */
  readonly format: "ignition" | "cloud-config";
  /** Largest accepted user data in bytes of the rendered config, or undefined when no limit applies. */
  readonly maxBytes?: number;
  readonly why: string;
}

export type Arch = "x86_64" | "arm64";

type EnvOf<P extends Platform> = Extract<Environment, { platform: P }>;

export interface PlatformFacts<P extends Platform> {
  readonly userData: UserDataLimit;
  /** The setting that names a role's machine size (`environments.<env>.<role>.<key>`), where sizes have names. */
  readonly size?: {
    readonly key: string;
    readonly of: (env: EnvOf<P>, role: Role) => string;
    /** The CPU architecture of a size. */
    readonly arch: (size: string) => Arch;
  };
  /** An architecture the environment sets itself, over the one its sizes imply. */
  readonly explicitArch?: (env: EnvOf<P>) => Arch | undefined;
  /** The architectures Flatcar publishes images for on this platform (with the environment's settings). */
  readonly imageArchs: (env: EnvOf<P>) => readonly Arch[];
}

/**
 * EC2 Graviton families carry a `g` right after the generation digit (t4g, m7g, c7gn, x2gd, im4gn,
 * hpc7g) or are a1; everything else (incl. g4dn, g5, p4d) is x86_64.
 */
export const awsInstanceArch = (instanceType: string): Arch => (/^(a1|[a-z]+\d+g[a-z]*)\./.test(instanceType) ? "arm64" : "x86_64");

/** GCE's Arm series are Tau T2A (Ampere Altra) and the Axion C4A and N4A (cloud.google.com/compute/docs/machine-resource, "Arm"). */
export const gceMachineArch = (machineType: string): Arch => (/^(t2a|c4a|n4a)-/.test(machineType) ? "arm64" : "x86_64");

/**
 * Azure marks Arm sizes (Microsoft Cobalt, Ampere Altra) with a `p` among the feature letters after the
 * vCPU count: Standard_D2ps_v5, Standard_B2pls_v2, Standard_E4pds_v6 (learn.microsoft.com/azure/
 * virtual-machines/sizes/overview, "VM size and series naming").
 */
export const azureVmSizeArch = (vmSize: string): Arch => (/^[A-Za-z]+_[A-Z]+\d+(-\d+)?[a-z]*p[a-z]*(_|$)/.test(vmSize) ? "arm64" : "x86_64");

/** Key types Azure accepts for a VM's admin user: ssh-rsa (≥ 2048 bits) or ssh-ed25519 (azurerm docs, linux_virtual_machine admin_ssh_key). */
export const azureAcceptsKey = (key: string): boolean => /^(ssh-rsa|ssh-ed25519) /.test(key);

const X86_ONLY = () => ["x86_64"] as const;
const BOTH = () => ["x86_64", "arm64"] as const;

export const PLATFORM_FACTS: { readonly [P in Platform]: PlatformFacts<P> } = {
  // The Flatcar box takes Ignition only through a 1 KiB VirtualBox guest property: cloud-config it is.
  // Machines are sized by memory and CPUs; the box is amd64 only.
  vagrant: { userData: { format: "cloud-config", why: "the Flatcar box applies a cloud-config file" }, imageArchs: X86_ONLY },
  libvirt: { userData: { format: "ignition", why: "QEMU fw_cfg has no practical limit" }, imageArchs: X86_ONLY },
  openstack: {
    // 65535 bytes after base64: 3/4 of it raw.
    userData: { format: "ignition", maxBytes: Math.floor(65535 / 4) * 3, why: "OpenStack user_data is at most 65535 bytes base64-encoded" },
    // A flavor's name says nothing of its architecture; the imported image is amd64.
    size: { key: "flavor", of: (env, role) => env[role].flavor, arch: () => "x86_64" },
    imageArchs: X86_ONLY,
  },
  aws: {
    userData: { format: "ignition", maxBytes: 16384, why: "EC2 user data is at most 16 KiB" },
    size: { key: "instanceType", of: (env, role) => env[role].instanceType, arch: awsInstanceArch },
    explicitArch: (env) => env.arch,
    imageArchs: BOTH,
  },
  gce: {
    userData: { format: "ignition", maxBytes: 262144, why: "a GCE metadata value is at most 256 KiB" },
    size: { key: "machineType", of: (env, role) => env[role].machineType, arch: gceMachineArch },
    // Flatcar's GCE images (project kinvolk-public) are amd64 only.
    imageArchs: X86_ONLY,
  },
  azure: {
    userData: { format: "ignition", maxBytes: 65535, why: "Azure custom data is at most 64 KiB" },
    size: { key: "vmSize", of: (env, role) => env[role].vmSize, arch: azureVmSizeArch },
    // arm64 images are in the CoreVM offer `flatcar-container-linux-corevm` (flatcar.org docs, "Running on Microsoft Azure").
    imageArchs: BOTH,
  },
};

/** An environment's facts, typed for its own platform's settings. */
export const factsOf = (env: Environment): PlatformFacts<Platform> => PLATFORM_FACTS[env.platform] as unknown as PlatformFacts<Platform>;

export const USER_DATA: Readonly<Record<Platform, UserDataLimit>> = Object.fromEntries(
  Object.entries(PLATFORM_FACTS).map(([platform, facts]) => [platform, facts.userData]),
) as Record<Platform, UserDataLimit>;

/** The one CPU architecture of an environment's nodes (images and system extensions depend on it). */
export function environmentArch(env: Environment): Arch {
  const facts = factsOf(env);
  return facts.explicitArch?.(env) ?? (facts.size ? facts.size.arch(facts.size.of(env, "control")) : "x86_64");
}

/**
 * The day a Flatcar major was branched: majors count days since 2013-07-01 (flatcar/flatcar-website
 * content/docs/latest/devguide/release-guide.md, "Calculate the major version"). A release of that
 * major (its .2.x stable releases among them) is published on that day or later.
 */
export function flatcarMajorDate(version: string): Date {
  const day = new Date(Date.UTC(2013, 6, 1));
  day.setUTCDate(day.getUTCDate() + Number(version.split(".")[0]));
  return day;
}
