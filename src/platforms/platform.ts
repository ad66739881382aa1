// What one platform module holds (src/platforms/<platform>.ts): everything coreform knows of the
// platform outside CDKTF. table.ts lists the modules; the generic stages (the spec's schema and rules,
// the plan and its image) go through that table and hold no branch of their own per platform.
// stacks/<platform>.ts, the module's other half, places the machines.
import type { z } from "zod";
import type { Cluster, Os, Role } from "../spec/cluster";
import type { Severity } from "../spec/issues";

export type Arch = "x86_64" | "arm64";

/** How user data reaches a node, and how large it may be. */
export interface UserDataLimit {
  /** The first-boot format the platform is given. */
  readonly format: "ignition" | "cloud-config";
  /** Largest accepted user data in bytes of the rendered config, or undefined when no limit applies. */
  readonly maxBytes?: number;
  readonly why: string;
}

/** Where a rule reports a problem: rules push and never throw (see src/spec/rules.ts). */
export type Push = (severity: Severity, path: string, message: string) => void;

/**
 * A check of one platform's environments, given in the spec's order with their names, against each
 * other and the cluster-wide settings. Like every rule it pushes its problems, and is skipped as a whole
 * when it reads a value that did not parse.
 */
export type PlatformRule<E> = (environments: readonly (readonly [name: string, env: E])[], spec: Cluster, push: Push) => void;

/** What an image choice reads of the plan (planCluster resolves the image before the plan is complete). */
export interface ImagePlan {
  readonly cluster: string;
  readonly environment: string;
  readonly arch: Arch;
  readonly os: Os;
}

/**
 * The image an environment boots, in one line (plan.json's `image`, `coreform pin`): `pinned` when it is
 * the same image on every deploy, `from` the setting that decides it (`os.version`, or the environment's
 * own image).
 */
export interface ResolvedImage {
  readonly reference: string;
  readonly pinned: boolean;
  readonly from: string;
}

export interface PlatformModule<E> {
  /** The zod schema of an environment on this platform: `platform: z.literal(<name>)` and its settings. */
  readonly schema: z.ZodType<E>;
  readonly userData: UserDataLimit;
  /** The setting that names a role's machine size (`environments.<env>.<role>.<key>`), where sizes have names. */
  readonly size?: {
    readonly key: string;
    readonly of: (env: E, role: Role) => string;
    /** The CPU architecture of a size. */
    readonly arch: (size: string) => Arch;
  };
  /** An architecture the environment sets itself, over the one its sizes imply. */
  readonly explicitArch?: (env: E) => Arch | undefined;
  /** The architectures Flatcar publishes images for on this platform (with the environment's settings). */
  readonly imageArchs: (env: E) => readonly Arch[];
  /** The checks that concern this platform alone, by name, in the order they run (after the generic ones). */
  readonly rules: Readonly<Record<string, PlatformRule<E>>>;
  /** The image the environment's nodes boot. */
  readonly image: (plan: ImagePlan, env: E) => ResolvedImage;
  /** How the platform spreads nodes over failure domains (issue 26); absent: it has none (one host, one laptop). */
  readonly spread?: (env: E) => Spread | undefined;
  /** Control nodes keep etcd's data on their root disk, without a data disk of their own (Vagrant). */
  readonly etcdOnRootDisk?: true;
  /** What the operator does by hand for nodes added to a rendered environment, where the stack cannot (coreform diff prints it). */
  readonly newNodeSteps?: (env: E, added: AddedNodes) => string[];
}

/**
 * Where nodes of an environment go so that one failure takes few etcd members:
 * - `zones`: each node gets a zone, an index below `count`, when first planned (the record keeps it);
 *   the stack names zone i `names[i]` when the spec lists them, else the i-th of the region's zones as
 *   its provider lists them. `subnets`: each zone has a subnet of its own cut from the network, and a
 *   node's address lies in its zone's (AWS); elsewhere subnets span the region and addresses stay.
 * - `group`: the cloud spreads a group's machines over hosts or fault domains itself (OpenStack's
 *   anti-affinity server group, Azure's availability set): no zone to keep.
 */
export type Spread =
  | { readonly kind: "zones"; readonly count: number; readonly names?: readonly string[]; readonly subnets: boolean }
  | { readonly kind: "group"; readonly what: string };

/** Nodes a render adds to an environment rendered before. */
export interface AddedNodes {
  readonly cluster: string;
  readonly environment: string;
  readonly cidr: string;
  /** Of the environment's network (src/plan/record.ts, Generation). */
  readonly generation: number;
  readonly nodes: readonly { readonly name: string; readonly ip: string; readonly slot: number }[];
}

/** A platform module, typed from its schema (which keeps its own zod type, for the spec's input and JSON Schema). */
export const platformModule = <S extends z.ZodObject>(module: PlatformModule<z.output<S>> & { readonly schema: S }) => module;

export const X86_ONLY = () => ["x86_64"] as const;
export const X86_AND_ARM = () => ["x86_64", "arm64"] as const;

/** An image the environment names itself (`environments.<env>.<setting>`): pinned, unless it floats (a family). */
export const ownImage = (plan: ImagePlan, setting: string, reference: string, pinned = true): ResolvedImage => ({
  reference,
  pinned,
  from: `environments.${plan.environment}.${setting}`,
});

/** Flatcar's image of os.channel at os.version: pinned when os.version is. */
export const releaseImage = (plan: ImagePlan, reference: string): ResolvedImage => ({ reference, pinned: plan.os.version !== "current", from: "os.version" });

/**
 * The settings naming an existing network and its subnet, on a platform that takes them: one without the
 * other is an error.
 */
export const existingNetworkAndSubnetTogether =
  <E>(network: keyof E & string, subnet: keyof E & string): PlatformRule<E> =>
  (environments, _spec, push) => {
    for (const [name, env] of environments) {
      const given = [network, subnet].filter((key) => env[key] !== undefined);
      if (given.length !== 1) continue;
      const missing = given[0] === network ? subnet : network;
      push("error", `environments.${name}.${missing}`, `required with ${given[0]}: give both, or neither to let the stack create them`);
    }
  };
