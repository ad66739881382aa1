import type { ClusterPlan, PlannedNode } from "../plan/plan";
import type { EnvironmentSecrets } from "../secrets/store";
import type { Spec } from "../spec/schema";

/** Everything a component may read: the spec, the plan, this node and the environment's secrets. */
export interface NodeContext {
  readonly spec: Spec;
  readonly plan: ClusterPlan;
  readonly node: PlannedNode;
  readonly secrets: EnvironmentSecrets;
}
