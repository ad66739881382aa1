// Every platform's module, keyed by its name: the one list of platforms. The spec's `environments`
// union, the Platform type and PLATFORMS are read off it, and the generic stages reach a platform's
// knowledge only through it. stacks/registry.ts is the same table for the stacks.
import { z } from "zod";
import { aws } from "./aws";
import { azure } from "./azure";
import { gce } from "./gce";
import { libvirt } from "./libvirt";
import { openstack } from "./openstack";
import type { Arch, PlatformModule } from "./platform";
import { vagrant } from "./vagrant";

/** In the order documentation and messages list the platforms. */
const MODULES = { vagrant, libvirt, openstack, aws, gce, azure };

const [first, ...rest] = Object.values(MODULES).map((m) => m.schema);
/** An environment: one branch per platform, chosen by `platform`. */
export const environmentSchema = z.discriminatedUnion("platform", [first, ...rest]);

export type Environment = z.infer<typeof environmentSchema>;
export type Platform = Environment["platform"];
export type EnvOf<P extends Platform> = Extract<Environment, { platform: P }>;

/** Each module under its own platform's name, typed for that platform's environments (a missing or misplaced one is a type error). */
export const PLATFORM_MODULES: { readonly [P in Platform]: PlatformModule<EnvOf<P>> } = MODULES;

export const PLATFORMS: readonly Platform[] = environmentSchema.options.map((o) => o.shape.platform.value);

/** The module of a platform, typed for that platform's environments. */
export const platformOf = <P extends Platform>(platform: P): PlatformModule<EnvOf<P>> => PLATFORM_MODULES[platform];

/** The environments of one platform with their names, in the spec's order, typed for that platform. */
export function environmentsOf<P extends Platform>(spec: { readonly environments: Readonly<Record<string, Environment>> }, platform: P): [name: string, env: EnvOf<P>][] {
  return Object.entries(spec.environments).filter((entry): entry is [string, EnvOf<P>] => entry[1].platform === platform);
}

/** The one CPU architecture of an environment's nodes (images and system extensions depend on it). */
export function environmentArch(env: Environment): Arch {
  const { explicitArch, size } = platformOf(env.platform);
  return explicitArch?.(env) ?? (size ? size.arch(size.of(env, "control")) : "x86_64");
}
