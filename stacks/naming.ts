// What every stack calls its resources and how it labels them, in one place: `<cluster>-<env>` starts
// every cloud-wide name, and four labels say which cluster, environment, role and node a resource
// belongs to. Each cloud has its own rules for both; the adapters below keep to them.
import { createHash } from "node:crypto";
import { qualifiedName } from "../src/spec/cluster";
import type { ClusterPlan, PlannedNode } from "../src/plan/plan";

const LABELS = {
  cluster: "coreform:cluster",
  environment: "coreform:environment",
  role: "coreform:role",
  node: "coreform:node",
} as const;

type Labels = Readonly<Record<string, string>>;

export { qualifiedName };

/** A node's cloud-wide name (its hostname stays the node's own name). */
export const nodeName = (plan: ClusterPlan, node: PlannedNode): string => `${qualifiedName(plan)}-${node.name}`;

export const environmentLabels = (plan: ClusterPlan): Labels => ({ [LABELS.cluster]: plan.cluster, [LABELS.environment]: plan.environment });

export const nodeLabels = (node: PlannedNode): Labels => ({ [LABELS.role]: node.role, [LABELS.node]: node.name });

/**
 * `name` cut to `max` characters where a cloud limits names: the start stays readable and a hash of the
 * whole name keeps two long names apart. Names that fit are kept as they are.
 */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
  return `${name.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/**
 * GCE labels: keys and values of lowercase letters, digits, `_` and `-`, at most 63 characters, keys
 * starting with a letter (cloud.google.com/compute/docs/labeling-resources, "Requirements for labels"):
 * `coreform:cluster` becomes `coreform_cluster` (`_`, because CDKTF writes provider settings with
 * snake_case keys, default labels included). Cluster, environment and node names are DNS labels
 * already, so values pass unchanged.
 */
export function gceLabels(labels: Labels): Labels {
  const fit = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [fit(k), fit(v)]));
}
