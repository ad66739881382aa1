// What an earlier render of an environment left in OUTDIR/<env>/plan.json holds the etcd membership
// its nodes booted with: a change of it on a rendered environment is not silent. (The same file is
// evidence that the environment has secrets: src/secrets/disk.ts, renderedBefore.) Small on purpose:
// issue 25 replaces this warning with a preview of every change, per node and member.
import { relative } from "node:path";
import type { ClusterPlan } from "../plan/plan";
import type { RenderedBefore } from "../secrets/store";

type Member = { readonly name: string; readonly group: string };
const members = (plan: ClusterPlan): Member[] => plan.nodes.filter((n) => n.role === "control").map((n) => ({ name: n.name, group: n.group }));
const names = (ms: readonly Member[]) => (ms.length ? ms.map((m) => m.name).join(", ") : "none");
const groups = (ms: readonly Member[]) => [...new Set(ms.map((m) => m.group))].join(", ");

/**
 * A warning when the etcd members change on an environment that was rendered: a running etcd does not
 * add, drop or rename members because the nodes' first-boot configs say so.
 */
export function membershipWarning(cwd: string, earlier: RenderedBefore | undefined, plan: ClusterPlan): string | undefined {
  let before: Member[];
  try {
    before = earlier?.plan ? members(earlier.plan) : [];
  } catch {
    return undefined; // a plan.json coreform did not write: nothing to compare
  }
  const now = members(plan);
  if (!before.length || names(now) === names(before)) return undefined;
  const what =
    groups(now) !== groups(before) && now.length === before.length
      ? `the control group is renamed from ${groups(before)} to ${groups(now)}`
      : `the control count changes from ${before.length} to ${now.length}`;
  return (
    `warning: ${plan.environment}: ${what}: etcd members ${names(before)} become ${names(now)} ` +
    `(as rendered in ${relative(cwd, earlier!.planFile) || earlier!.planFile}). A running etcd cluster does not change its members ` +
    `because new nodes boot: add or remove them with etcdctl member add/remove one at a time, keeping quorum`
  );
}
