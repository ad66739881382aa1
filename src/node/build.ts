// One node's NodeConfig, assembled from the components in a fixed order.
import { basePart } from "./base";
import type { NodeContext } from "./context";
import { etcdPart } from "./etcd";
import type { NodeConfig, NodePart } from "./model";
import { schedulerPart } from "./scheduler";
import { updatesPart } from "./updates";

const COMPONENTS: readonly ((ctx: NodeContext) => NodePart)[] = [basePart, etcdPart, updatesPart, schedulerPart];

export function buildNodeConfig(ctx: NodeContext): NodeConfig {
  const parts = COMPONENTS.map((component) => component(ctx));
  const files = parts.flatMap((p) => p.files ?? []);
  const downloads = parts.flatMap((p) => p.downloads ?? []);
  const links = parts.flatMap((p) => p.links ?? []);
  const units = parts.flatMap((p) => p.units ?? []);
  for (const list of [[...files, ...downloads, ...links].map((f) => f.path), units.map((u) => u.name)]) {
    const dup = list.find((item, i) => list.indexOf(item) !== i);
    if (dup) throw new Error(`two components of node ${ctx.node.name} both define ${dup}`);
  }
  return { hostname: ctx.node.name, sshAuthorizedKeys: ctx.spec.ssh.authorizedKeys, files, downloads, links, units };
}
