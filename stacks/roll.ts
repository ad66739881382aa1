// Which resources `coreform roll` replaces for one node. CDKTF has no replace flag, so the roll runs
// `terraform apply -replace=ADDRESS` itself on the synthesized stack; each stack marks, next to where
// it makes them, the resources a new machine with the node's current config needs (the machine, and on
// libvirt its root volume and Ignition files, which would otherwise be reused), never what must
// outlive the machine (its address, its data disk). The mark sits in the resource's "//" object, which
// CDKTF fills with its own metadata and Terraform ignores (developer.hashicorp.com/terraform/language/
// syntax/json, "Comment Properties"); Testing.synth leaves it out, so the snapshots do not show it.
import type { TerraformResource } from "cdktf";
import type { PlannedNode } from "../src/plan/plan";

const MARK = "coreform-roll";

/** Marks `resources` as replaced together when `node` is rolled. */
export function replacedWith(node: PlannedNode, ...resources: TerraformResource[]): void {
  for (const r of resources) r.addOverride(`//.${MARK}`, node.name);
}

type StackJson = { readonly resource?: Readonly<Record<string, Readonly<Record<string, { readonly "//"?: Readonly<Record<string, unknown>> }>>>> };

/** The addresses (`type.name`) a synthesized stack (its cdk.tf.json, parsed) marks for `node`, sorted. */
export function replacedAddresses(stack: unknown, node: string): string[] {
  const resources = (stack as StackJson).resource ?? {};
  return Object.entries(resources)
    .flatMap(([type, byName]) => Object.entries(byName).filter(([, r]) => r["//"]?.[MARK] === node).map(([name]) => `${type}.${name}`))
    .sort();
}
