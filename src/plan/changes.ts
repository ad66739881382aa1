// What a render would change in an environment, from its record before and the record it would write:
// per node added, removed, changed (what) or unchanged; the etcd members before and after with their
// quorum; each changed setting with what it does (src/platforms/changes.ts); what render refuses unless
// the operator accepts it by name; and the steps that carry the change out. Pure: `coreform diff` prints
// it, `coreform render` refuses by it, and nothing else decides either.
import { ACCEPT, settingChanges, type AcceptKind, type Effect } from "../platforms/changes";
import type { AddedNodes } from "../platforms/platform";
import { platformOf } from "../platforms/table";
import type { Platform, Role } from "../spec/schema";
import type { EnvironmentRecord, RecordedNode } from "./record";
import { spreadSteps } from "./spread";

interface NodeChange {
  readonly name: string;
  readonly role: Role;
  readonly ip: string;
  readonly state: "added" | "removed" | "changed" | "unchanged";
  /** What changed: the address, the role, its files (`+path` new, `-path` gone). */
  readonly what: readonly string[];
}

export interface Refusal {
  /** What `--accept` takes; undefined when nothing can make it possible. */
  readonly accept?: AcceptKind;
  /** The node, group or setting. */
  readonly subject: string;
  readonly reason: string;
}

export interface EnvironmentChange {
  readonly environment: string;
  readonly platform: Platform;
  /** The environment was rendered before (its record, or an earlier coreform's output). */
  readonly rendered: boolean;
  readonly nodes: readonly NodeChange[];
  readonly members: { readonly before: readonly string[]; readonly after: readonly string[] };
  readonly settings: readonly { readonly path: string; readonly from: unknown; readonly to: unknown; readonly effect: Effect }[];
  readonly refusals: readonly Refusal[];
  readonly steps: readonly string[];
}

export const quorumOf = (members: number) => Math.floor(members / 2) + 1;

/** Keys of a node's files that differ: changed ones as they are, `+key` new, `-key` gone. */
function changedFiles(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => before[k] !== after[k]).map((k) => (!(k in before) ? `+${k}` : !(k in after) ? `-${k}` : k));
}

function nodeChange(before: RecordedNode | undefined, after: RecordedNode | undefined): NodeChange {
  const node = (after ?? before)!;
  const base = { name: node.name, role: node.role, ip: node.ip };
  if (!before) return { ...base, state: "added", what: [] };
  if (!after) return { ...base, state: "removed", what: [] };
  const what = [
    ...(before.ip !== after.ip ? [`address ${before.ip} → ${after.ip}`] : []),
    ...(before.role !== after.role ? [`role ${before.role} → ${after.role}`] : []),
  ];
  if (before.files && after.files) what.push(...changedFiles(before.files, after.files));
  else if (!before.userData) what.push("user data (not compared: rendered by an earlier coreform whose output is not here)");
  else if (before.userData !== after.userData) what.push("user data (which files: not kept by the coreform that rendered it)");
  return { ...base, state: what.length ? "changed" : "unchanged", what };
}

/** A group gone while another of the same role appears: most likely the group renamed, which would replace its nodes. */
function renamedGroups(before: EnvironmentRecord, after: EnvironmentRecord): Refusal[] {
  const groups = (r: EnvironmentRecord) => new Map(r.nodes.map((n) => [n.group, n.role]));
  const [was, is] = [groups(before), groups(after)];
  const gone = [...was].filter(([g]) => !is.has(g));
  const fresh = [...is].filter(([g]) => !was.has(g) && !before.retired.some((r) => r.group === g));
  return gone.flatMap(([old, role]) =>
    fresh
      .filter(([, r]) => r === role)
      .map(([name]) => ({ accept: "rename" as const, subject: `group ${old}`, reason: `its nodes go and group ${name}'s come: renamed, its ${role} nodes would be replaced by new ones` })),
  );
}

interface CompareInput {
  readonly cluster: string;
  readonly environment: string;
  readonly platform: Platform;
  /** The environment's settings (for the steps its platform needs). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly cidr: string;
  readonly previous: EnvironmentRecord | undefined;
  readonly next: EnvironmentRecord;
}

export function compareRecords({ cluster, environment, platform, settings, cidr, previous, next }: CompareInput): EnvironmentChange {
  const before = new Map(previous?.nodes.map((n) => [n.name, n]));
  const after = new Map(next.nodes.map((n) => [n.name, n]));
  const nodes = [...new Set([...before.keys(), ...after.keys()])]
    .map((name) => nodeChange(before.get(name), after.get(name)))
    .sort((a, b) => (after.get(a.name) ?? before.get(a.name))!.slot - (after.get(b.name) ?? before.get(b.name))!.slot);
  const membersOf = (r: EnvironmentRecord | undefined) => (r?.nodes ?? []).filter((n) => n.role === "control").map((n) => n.name);
  const members = { before: membersOf(previous), after: membersOf(next) };
  const removed = members.before.filter((m) => !members.after.includes(m));
  const added = members.after.filter((m) => !members.before.includes(m));
  const settingsChanged = previous?.settings && next.settings ? settingChanges(platform, previous.settings, next.settings) : [];

  const refusals: Refusal[] = [];
  if (previous) {
    for (const n of nodes) {
      const address = n.what.find((w) => w.startsWith("address "));
      if (address) refusals.push({ accept: "readdress", subject: n.name, reason: address });
    }
    refusals.push(...renamedGroups(previous, next));
    if (removed.length > 1) refusals.push({ accept: "remove-members", subject: removed.join(", "), reason: `${removed.length} etcd members removed at once` });
    if (members.before.length && members.after.length < quorumOf(members.before.length))
      refusals.push({
        accept: "quorum",
        subject: "etcd",
        reason: `${members.after.length} of ${members.before.length} members left, below the running cluster's quorum of ${quorumOf(members.before.length)}`,
      });
    for (const s of settingsChanged)
      if (s.effect.kind === "refused" || s.effect.kind === "fails")
        refusals.push({ ...(s.effect.kind === "refused" ? { accept: s.effect.accept } : {}), subject: s.path, reason: `${show(s.from)} → ${show(s.to)}: ${s.effect.what}` });
  }

  const vagrant = platform === "vagrant";
  const deploy = vagrant ? `coreform up ${environment}` : `npx cdktf deploy ${environment}`;
  const steps: string[] = [];
  if (previous) {
    for (const m of removed) steps.push(`before deploying: coreform etcd remove ${environment} ${m} (once this render is written; a removed member still counts for the quorum)`);
    // The settings are this platform's environment, as parsed.
    const platformSteps = platformOf(platform).newNodeSteps as ((env: unknown, added: AddedNodes) => string[]) | undefined;
    const fresh = next.nodes.filter((n) => !before.has(n.name)).map(({ name, ip, slot }) => ({ name, ip, slot }));
    if (fresh.length && platformSteps) steps.push(...platformSteps(settings, { cluster, environment, cidr, generation: previous.generation, nodes: fresh }));
    if (nodes.some((n) => n.state !== "unchanged")) steps.push(`deploy: ${deploy}`);
    steps.push(...joinSteps(environment, members.before, added));
    const gone = nodes.filter((n) => n.state === "removed").map((n) => n.name);
    if (vagrant && gone.length) steps.push(`then, in out/${environment}/: vagrant destroy -f ${gone.join(" ")} (coreform up leaves removed machines)`);
    if (nodes.some((n) => n.state === "changed"))
      steps.push(`changed nodes keep the user data they booted with: it reaches a node when its machine is made anew, one at a time (README, Changing a running cluster)`);
    steps.push(...spreadSteps(environment, platformOf(platform).spread?.(settings as never), previous, next));
    // Made before data disks: etcd stays on the root disk until the node is made anew (README, etcd's data disk).
    const rootDisk = platformOf(platform).etcdOnRootDisk ? [] : next.nodes.filter((n) => n.role === "control" && n.generation < 2).map((n) => n.name);
    if (rootDisk.length) steps.push(`${rootDisk.join(", ")}: etcd's data on the root disk, no data disk (made before data disks): \`coreform roll ${environment} NODE\` gives each one, one at a time`);
  }
  return { environment, platform, rendered: previous !== undefined, nodes, members, settings: settingsChanged, refusals, steps };
}

/**
 * What becomes of members added to a running etcd, and what the operator watches: each node's
 * etcd-member script (templates/etcd-member.sh.hbs) adds it as a learner at its first boot, one at a
 * time (etcd takes one learner at a time), and promotes it once it has caught up.
 */
function joinSteps(environment: string, before: readonly string[], added: readonly string[]): string[] {
  if (!added.length) return [];
  const names = added.join(", ");
  const one = added.length === 1;
  if (!before.length) return [`${names} start a new etcd at first boot: no member ran before`];
  const after = before.length + added.length;
  return [
    `${names} ${one ? "joins" : "join"} the running etcd by ${one ? "itself" : "themselves, one at a time,"} at first boot: ` +
      `${one ? "it adds itself" : "each adds itself"} as a learner (no vote: the quorum stays ${quorumOf(before.length)} of ${before.length}), catches up, then votes`,
    `watch: coreform etcd members ${environment} until ${names} ${one ? "votes and is" : "vote and are"} healthy (then ${after} members, quorum ${quorumOf(after)}); ` +
      `to add ${one ? "it" : `${added[0]}`} yourself before the deploy, checked (refused while a member is unhealthy or another is joining): coreform etcd add ${environment} ${added[0]}`,
  ];
}

const show = (v: unknown) => (v === undefined ? "(unset)" : typeof v === "string" ? v : JSON.stringify(v));

/** The refusals `accepted` leaves standing. */
export const standing = (change: EnvironmentChange, accepted: ReadonlySet<AcceptKind>) => change.refusals.filter((r) => !r.accept || !accepted.has(r.accept));

export { ACCEPT };
