// How a change to an environment reads (src/plan/changes.ts): the refusals render stops at, the
// summary it prints after writing, and the whole view `coreform diff` prints.
import { ACCEPT, PROVIDERS, type AcceptKind } from "../platforms/changes";
import { quorumOf, standing, type EnvironmentChange, type Refusal } from "../plan/changes";
import { table } from "./table";

const machineOf = (change: EnvironmentChange) => (change.platform === "vagrant" ? undefined : PROVIDERS[change.platform].machine);

/** The refusals `accepted` leaves standing, grouped by kind: what, why, what to do instead, how to accept. */
export function refusalLines(change: EnvironmentChange, accepted: ReadonlySet<AcceptKind>): string[] {
  const env = change.environment;
  const refusals = standing(change, accepted);
  const kinds = [...new Set(refusals.map((r) => r.accept))];
  return kinds.flatMap((kind) => {
    const these = refusals.filter((r) => r.accept === kind);
    const what = these.map((r: Refusal) => `${r.subject}: ${r.reason}`).join("; ");
    if (!kind) return [`${env}: cannot be done: ${what}`];
    return [
      `${env}: refused: ${what}`,
      `  why: ${ACCEPT[kind].why}`,
      `  instead: ${ACCEPT[kind].today(env, machineOf(change))}`,
      `  to render it anyway: coreform render ${env} --accept ${kind}`,
    ];
  });
}

const members = (names: readonly string[]) => `${names.length} member${names.length === 1 ? "" : "s"}${names.length ? ` (quorum ${quorumOf(names.length)})` : ""}`;

/** One line of what changes in an environment rendered before, and the steps; nothing when nothing changes. */
export function changeSummary(change: EnvironmentChange): string[] {
  if (!change.rendered) return [];
  const count = (state: string) => change.nodes.filter((n) => n.state === state).map((n) => n.name);
  const [added, removed, changed] = [count("added"), count("removed"), count("changed")];
  const settings = change.settings.filter((s) => s.effect.kind !== "none");
  if (!added.length && !removed.length && !changed.length && !settings.length) return [];
  const parts = [
    ...(added.length ? [`added ${added.join(", ")}`] : []),
    ...(removed.length ? [`removed ${removed.join(", ")}`] : []),
    ...(changed.length ? [`${changed.length} node${changed.length === 1 ? "" : "s"} changed`] : []),
    ...(settings.length ? [`settings: ${settings.map((s) => s.path).join(", ")}`] : []),
  ];
  const etcd =
    change.members.before.join() === change.members.after.join() ? [] : [`etcd ${members(change.members.before)} → ${members(change.members.after)}`];
  return [`${change.environment}: ${[...parts, ...etcd].join("; ")} (coreform diff ${change.environment} shows each)`, ...change.steps.map((s) => `  next: ${s}`)];
}

const show = (v: unknown) => (v === undefined ? "(unset)" : typeof v === "string" ? v : JSON.stringify(v));

/** The whole view: every node, the etcd members before and after, each setting changed, the refusals, the steps. */
export function changeView(change: EnvironmentChange, accepted: ReadonlySet<AcceptKind>): string[] {
  const env = change.environment;
  const lines = [
    change.rendered ? `${env} (${change.platform}): compared with its last render` : `${env} (${change.platform}): not rendered yet: every node is new`,
    "",
    ...table([
      ["NODE", "ROLE", "ADDRESS", "CHANGE"],
      ...change.nodes.map((n) => [n.name, n.role, n.ip, n.what.length ? `${n.state}: ${n.what.join(", ")}` : n.state]),
    ]),
    "",
    `etcd: ${members(change.members.before)} → ${members(change.members.after)}` +
      (change.members.before.join() === change.members.after.join() ? ", unchanged" : `: ${change.members.before.join(", ") || "none"} → ${change.members.after.join(", ")}`),
  ];
  for (const s of change.settings) {
    const effect = s.effect;
    const how = effect.kind === "none" ? "nothing on the machines" : effect.kind === "refused" ? `refused (${effect.accept}): ${effect.what}` : `${effect.kind}: ${effect.what}`;
    lines.push(`setting ${s.path}: ${show(s.from)} → ${show(s.to)}: ${how}`);
  }
  const refusals = refusalLines(change, accepted);
  if (refusals.length) lines.push("", ...refusals);
  else if (change.steps.length) lines.push("", "steps:", ...change.steps.map((s, i) => `  ${i + 1}. ${s}`));
  return lines;
}
