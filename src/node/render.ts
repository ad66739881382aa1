// A planned environment → its nodes' first-boot configs in both formats, with the platform's
// user-data budget checked. Pure: the caller reads secrets and writes files.
import { serializeCloudConfig, toCloudConfig } from "../../cloud-config/coreos-cloudinit";
import { serializeIgnition, toIgnition } from "../../cloud-config/ignition";
import type { ClusterPlan, PlannedNode } from "../plan/plan";
import type { EnvironmentSecrets } from "../secrets/store";
import { USER_DATA } from "../spec/platforms";
import type { Spec } from "../spec/schema";
import { buildNodeConfig } from "./build";
import type { NodeConfig } from "./model";

export interface RenderedNode {
  readonly node: PlannedNode;
  readonly config: NodeConfig;
  /** Ignition 3.3.0 JSON, exactly as written to out/<env>/ignition/<node>.json. */
  readonly ignition: string;
  /** `#cloud-config` YAML, exactly as written to out/<env>/cloud-config/<node>.yaml. */
  readonly cloudConfig: string;
}

export class UserDataBudgetError extends Error {}

export function renderNodes(spec: Spec, plan: ClusterPlan, secrets: EnvironmentSecrets): RenderedNode[] {
  const rendered = plan.nodes.map((node) => {
    const config = buildNodeConfig({ spec, plan, node, secrets });
    return { node, config, ignition: serializeIgnition(toIgnition(config)), cloudConfig: serializeCloudConfig(toCloudConfig(config)) };
  });
  const limit = USER_DATA[plan.platform];
  if (limit.maxBytes !== undefined) {
    const over = rendered
      .map((r) => ({ name: r.node.name, bytes: Buffer.byteLength(limit.format === "ignition" ? r.ignition : r.cloudConfig) }))
      .filter((r) => r.bytes > (limit.maxBytes as number));
    if (over.length)
      throw new UserDataBudgetError(
        over
          .map((o) => `${plan.environment}: node ${o.name}: ${limit.format} config is ${o.bytes} bytes, over the ${limit.maxBytes}-byte limit (${limit.why})`)
          .join("\n"),
      );
  }
  return rendered;
}
