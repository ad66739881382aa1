// The record of a render (src/plan/record.ts) from its rendered nodes: a digest of each node's user
// data and of each thing it gets, keyed by where it lands (a path, `unit:<name>`, `hostname`, `ssh`),
// so that a later render can say which of a node's files change without keeping them (they hold keys).
import type { ClusterPlan, PlannedNode } from "../plan/plan";
import { canonical, digest, recordOf, serializeRecord, settingsOf, type EnvironmentRecord } from "../plan/record";
import type { Spec } from "../spec/schema";
import type { NodeConfig } from "./model";

function nodeFileDigests(config: NodeConfig): Record<string, string> {
  const out: Record<string, string> = { hostname: digest(config.hostname), ssh: digest(canonical(config.sshAuthorizedKeys)) };
  for (const entry of [...config.files, ...config.downloads, ...config.links]) out[entry.path] = digest(canonical(entry));
  for (const unit of config.units) out[`unit:${unit.name}`] = digest(canonical(unit));
  return out;
}

/** A node as rendered: what the record keeps of it. */
interface RenderedForRecord {
  readonly node: PlannedNode;
  readonly config: NodeConfig;
  readonly userData: string;
}

/** The record a render of `environment` writes, kept to `previous`, and its file's text. */
export function renderedRecord(
  spec: Spec,
  environment: string,
  plan: Pick<ClusterPlan, "cidr" | "etcd">,
  nodes: readonly RenderedForRecord[],
  previous: EnvironmentRecord | undefined,
): { readonly record: EnvironmentRecord; readonly text: string } {
  const disk = plan.etcd.members.find((m) => m.dataDiskGiB)?.dataDiskGiB;
  const settings = settingsOf(spec.name, plan.cidr, spec.environments[environment]!, disk);
  const record = recordOf(
    nodes.map((r) => ({ ...r.node, userData: digest(r.userData), files: nodeFileDigests(r.config) })),
    settings,
    previous,
  );
  return { record, text: serializeRecord(record) };
}

/** Whether rendering `nodes` now would write another record than `previous`: the spec changed since its last render. */
export const changedSinceRender = (
  spec: Spec,
  environment: string,
  plan: Pick<ClusterPlan, "cidr" | "etcd">,
  nodes: readonly RenderedForRecord[],
  previous: EnvironmentRecord,
): boolean => renderedRecord(spec, environment, plan, nodes, previous).text !== serializeRecord(previous);
