// Which Flatcar image each platform boots: the environment's own override, or the image of `os.channel`
// at `os.version` (a pinned release, or the newest of the channel). One pure function per platform, so
// the choice is tested without synthesizing; the platform files turn it into a lookup or a reference.
import type { ClusterPlan } from "../src/plan/plan";
import type { Arch } from "../src/spec/platforms";
import type { Spec } from "../src/spec/schema";
import type { StackInput } from "./registry";

type Env<P extends StackInput["env"]["platform"]> = StackInput<P>["env"];

/** Flatcar's AMIs are published by this account (flatcar.org docs on EC2, Typhoon's aws modules). */
export const FLATCAR_AMI_OWNER = "075585003325";

/** A pinned AMI, or what finds the newest Flatcar AMI of the channel (and release) for one architecture. */
export type AwsImage = { readonly ami: string } | { readonly lookup: { readonly owner: string; readonly name: string; readonly arch: Arch } };

export function awsImage(spec: Spec, plan: ClusterPlan, env: Env<"aws">): AwsImage {
  if (env.ami) return { ami: env.ami };
  const version = spec.os.version === "current" ? "*" : spec.os.version;
  return { lookup: { owner: FLATCAR_AMI_OWNER, name: `Flatcar-${spec.os.channel}-${version}-hvm`, arch: plan.arch } };
}
