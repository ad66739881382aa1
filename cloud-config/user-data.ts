// A planned environment → its nodes' user data: each node's config in the first-boot format its
// platform takes (Ignition, or cloud-config for Vagrant), with the platform's user-data budget checked.
// Only that format is made: the other would be one more file of TLS keys that nothing reads. Pure: the
// caller reads secrets and writes files.
import { serializeCloudConfig, toCloudConfig } from "./coreos-cloudinit";
import { packIgnition, serializeIgnition, toIgnition } from "./ignition";
import type { ClusterPlan, PlannedNode } from "../src/plan/plan";
import type { EnvironmentSecrets } from "../src/secrets/store";
import type { UserDataLimit } from "../src/platforms/platform";
import { platformOf } from "../src/platforms/table";
import type { Spec } from "../src/spec/schema";
import { buildNodeConfig } from "../src/node/build";
import type { NodeConfig } from "../src/node/model";

type UserDataFormat = UserDataLimit["format"];

/** Each first-boot format: how a NodeConfig is written in it, and where its file goes below out/<env>/. */
export const FORMATS: Record<UserDataFormat, { readonly serialize: (config: NodeConfig) => string; readonly file: (node: string) => string }> = {
  ignition: { serialize: (c) => serializeIgnition(toIgnition(c)), file: (n) => `ignition/${n}.json` },
  "cloud-config": { serialize: (c) => serializeCloudConfig(toCloudConfig(c)), file: (n) => `cloud-config/${n}.yaml` },
};

/** A node config in both formats: for cross-checks and measurements, never written together. */
export const inBothFormats = (config: NodeConfig) => ({ ignition: FORMATS.ignition.serialize(config), cloudConfig: FORMATS["cloud-config"].serialize(config) });

export interface RenderedNode {
  readonly node: PlannedNode;
  readonly config: NodeConfig;
  /** The platform's first-boot format. */
  readonly format: UserDataFormat;
  /** The user data in that format, exactly as written to out/<env>/ (FORMATS[format].file). */
  readonly userData: string;
}

export class UserDataBudgetError extends Error {}

export function renderNodes(spec: Spec, plan: ClusterPlan, secrets: EnvironmentSecrets): RenderedNode[] {
  const limit = platformOf(plan.platform).userData;
  const rendered = plan.nodes.map((node) => {
    const config = buildNodeConfig({ spec, plan, node, secrets });
    const userData = FORMATS[limit.format].serialize(config);
    // Over the budget, an Ignition config is packed (packIgnition); the budget holds for what is sent.
    const packed = limit.format === "ignition" && limit.maxBytes !== undefined && Buffer.byteLength(userData) > limit.maxBytes;
    return { node, config, format: limit.format, userData: packed ? packIgnition(userData) : userData };
  });
  if (limit.maxBytes !== undefined) {
    const over = rendered
      .map((r) => ({ name: r.node.name, bytes: Buffer.byteLength(r.userData) }))
      .filter((r) => r.bytes > (limit.maxBytes as number));
    if (over.length)
      throw new UserDataBudgetError(
        over
          .map(
            (o) =>
              `environments.${plan.environment}: node ${o.name}: ${limit.format} config is ${o.bytes} bytes, over the ${limit.maxBytes}-byte limit (${limit.why}): ` +
              `fewer or shorter ssh.authorizedKeys make every node smaller, scheduler.kind decides most of a control node's size`,
          )
          .join("\n"),
      );
  }
  return rendered;
}
