// Renders a spec's environment in memory, with real secrets in a temporary directory.
import { join } from "node:path";
import { inBothFormats, renderNodes } from "../../cloud-config/user-data";
import { planCluster } from "../../src/plan/plan";
import { ensureSecrets, type EnvironmentSecrets } from "../../src/secrets/store";
import { parseSpec } from "../../src/spec/load";
import type { Spec } from "../../src/spec/schema";
import { tempDir } from "./cli";

export function specFrom(text: string): Spec {
  const { spec, issues } = parseSpec(text);
  if (!spec) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return spec;
}

/** Each node as `render` makes it (`userData` in the platform's format), and in both formats for cross-checks. */
export async function renderEnv(spec: Spec, env: string, secrets?: EnvironmentSecrets) {
  const plan = planCluster(spec, env);
  const s = secrets ?? (await ensureSecrets(join(tempDir(), env), plan));
  return { plan, secrets: s, nodes: renderNodes(spec, plan, s).map((n) => ({ ...n, ...inBothFormats(n.config) })) };
}
