// Stacks as the CDKTF app builds them, from projects the real CLI rendered: the user data a stack
// carries is then byte for byte what `coreform render` wrote to out/<env>/.
import { cpSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { loadSpec } from "../../src/spec/load";
import type { Spec } from "../../src/spec/schema";
import { planStacks } from "../../stacks/registry";
import { cli, project } from "./cli";

// The tests read synthesized JSON loosely: its shape is Terraform's, not a TypeScript type.
export type Doc = Record<string, any>;
export type Tf = { resource: Record<string, Record<string, Doc>>; data?: Record<string, Record<string, Doc>>; terraform: Doc; output: Doc; provider: Doc };

/**
 * A project holding `text` as cluster.yaml, rendered by the real CLI (secrets and out/<env>/). Specs of
 * the same plan may share `secretsFrom`'s secrets (the render then reuses them instead of making keys).
 */
export async function renderedProject(text: string, secretsFrom?: string): Promise<string> {
  const dir = project(text);
  if (secretsFrom) cpSync(join(secretsFrom, ".coreform"), join(dir, ".coreform"), { recursive: true });
  const r = await cli(dir, "render", "prod");
  expect(r.stderr).not.toMatch(/^coreform render:/m);
  expect(r.code).toBe(0);
  return dir;
}

export function loaded(dir: string): Spec {
  const { spec, issues } = loadSpec(join(dir, "cluster.yaml"));
  if (!spec) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return spec;
}

/** The stack the app builds for `env`, synthesized as cdktf would into dir/cdktf.out. */
export function synthesize(dir: string, env = "prod") {
  const warnings: string[] = [];
  const planned = planStacks(loaded(dir), dir, (line) => warnings.push(line));
  const wanted = planned.find((p) => p.name === env);
  if (!wanted) throw new Error(`no stack ${env}`);
  const stack = new TerraformStack(Testing.app({ outdir: join(dir, "cdktf.out") }), env);
  wanted.build(stack, wanted.input);
  const synth = Testing.synth(stack);
  return { synth, tf: JSON.parse(synth) as Tf, warnings, planned, input: wanted.input };
}

/** A stack's resources of one type, as [name, attributes] (synthesized resources come sorted by name). */
export const resources = (tf: Tf, type: string) => Object.entries(tf.resource[type] ?? {});
