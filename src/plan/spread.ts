// What spreading an environment rendered before zones (issue 26) would take, for `coreform diff` and
// render's next steps: nodes made before generation 2 stay where they are (their stack gives them no
// zone or group: that would replace them), and say how each gets one.
import type { Spread } from "../platforms/platform";
import type { EnvironmentRecord } from "./record";

export function spreadSteps(environment: string, spread: Spread | undefined, previous: EnvironmentRecord, next: EnvironmentRecord): string[] {
  if (!spread) return [];
  // AWS: a network made with one subnet keeps it; a subnet per zone would move every address.
  if (spread.kind === "zones" && spread.subnets) {
    if (previous.generation >= 2) return [];
    return [
      `${environment}'s network was made before a subnet per zone: its nodes stay in one subnet and zone; spreading them moves every address: ` +
        `make a new environment beside ${environment}, move the workload and etcd's data (coreform etcd snapshot, restore), then remove ${environment}`,
    ];
  }
  const old = next.nodes.filter((n) => n.generation < 2 && n.zone === undefined).sort((a, b) => (a.role === b.role ? a.slot - b.slot : a.role === "control" ? -1 : 1));
  if (!old.length) return [];
  const where = spread.kind === "zones" ? "in one zone, made before zones" : `made before the ${spread.what}`;
  return [`${old.map((n) => n.name).join(", ")}: ${where}: \`coreform roll ${environment} NODE\` makes each anew ${spread.kind === "zones" ? "in a zone of its own" : `in the ${spread.what}`}, one at a time (control nodes first)`];
}
