// Semantic rules: checks that span fields. Each rule is a named function that pushes issues and never
// throws; `checkRules` runs them all so that every problem is reported at once. On a spec that failed
// the schema they get what parsed (partial.ts): a rule that reads a broken value is skipped.
import { contains, formatCidr, formatIp, nodeCapacity, overlaps, parseCidr, PUBLIC_ADDRESSES, publicAddresses, type Cidr } from "./ipv4";
import type { SpecIssue } from "./issues";
import { BrokenInput } from "./partial";
import { formatWindowStart, parseGoDuration, parseWindowStart, periodNs } from "./periodic";
import type { Push } from "../platforms/platform";
import { environmentArch, environmentsOf, PLATFORMS, platformOf } from "../platforms/table";
import { ETCD_DEFAULT_VERSION } from "./cluster";
import type { Spec } from "./schema";

type Rule = (spec: Spec, push: Push) => void;

const LOOPBACK = parseCidr("127.0.0.0/8");
const totalNodes = (spec: Spec) => spec.nodes.reduce((sum, g) => sum + g.count, 0);

/** Every network a spec uses, with the path that sets it. */
function networks(spec: Spec): { path: string; cidr: string }[] {
  const out = [{ path: "network.cidr", cidr: spec.network.cidr }];
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.network) out.push({ path: `environments.${name}.network.cidr`, cidr: env.network.cidr });
  }
  return out;
}

/** The message for a block written with host bits (10.42.0.5/24), or undefined for a network address. */
const hostBits = (c: Cidr & { readonly address: number }) => (c.address !== c.base ? `host bits are set: did you mean ${formatCidr(c)}?` : undefined);

export function cidrIsNetworkAddress(spec: Spec, push: Push): void {
  for (const { path, cidr } of networks(spec)) {
    const why = hostBits(parseCidr(cidr));
    if (why) push("error", path, why);
  }
}

/** Cloud firewalls take network addresses only (Terraform's AWS provider rejects 203.0.113.5/24 at plan time). */
export function adminCidrsAreNetworks(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    if (!("adminCidrs" in env)) continue;
    env.adminCidrs.forEach((cidr, i) => {
      const c = parseCidr(cidr);
      if (c.address !== c.base)
        push("error", `environments.${name}.adminCidrs[${i}]`, `host bits are set: use ${formatCidr(c)}, or ${formatIp(c.address)}/32 for one address`);
    });
  }
}

export function cidrHoldsAllNodes(spec: Spec, push: Push): void {
  const count = totalNodes(spec);
  for (const { path, cidr } of networks(spec)) {
    const capacity = nodeCapacity(parseCidr(cidr));
    if (count > capacity) push("error", path, `${cidr} holds ${capacity} nodes, the spec plans ${count}: use a larger network`);
  }
}

/** Where nodes may be planned: private and shared address space, so no node shadows a public address. */
const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map(parseCidr);
const isPrivate = (c: Cidr) => PRIVATE.some((p) => contains(p, c));

export function cidrIsPrivate(spec: Spec, push: Push): void {
  for (const { path, cidr } of networks(spec)) {
    const c = parseCidr(cidr);
    if (contains(LOOPBACK, c) || isPrivate(c)) continue;
    push(
      "error",
      path,
      `${cidr} is not a private network: use one inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918) or 100.64.0.0/10 (RFC 6598), ` +
        "so that no node's address is also someone's on the internet",
    );
  }
}

/**
 * Kubernetes routes pod and service addresses inside the cluster: a range that overlaps a network of
 * the nodes, or the other range, makes those nodes unreachable from pods (k3s's own defaults,
 * 10.42.0.0/16 and 10.43.0.0/16, docs.k3s.io/cli/server, would hold the default network.cidr).
 */
export function schedulerRangesApart(spec: Spec, push: Push): void {
  if (spec.scheduler.kind !== "kubernetes") return;
  const ranges = [
    { path: "scheduler.podCidr", cidr: spec.scheduler.podCidr },
    { path: "scheduler.serviceCidr", cidr: spec.scheduler.serviceCidr },
  ];
  for (const [i, { path, cidr }] of ranges.entries()) {
    const c = parseCidr(cidr);
    const why = hostBits(c) ?? (isPrivate(c) ? undefined : `${cidr} is not a private range: use one inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`);
    if (why) push("error", path, why);
    for (const other of [...ranges.slice(0, i), ...networks(spec)].filter((o) => overlaps(parseCidr(o.cidr), c)))
      push("error", path, `${cidr} overlaps ${other.path} (${other.cidr}): pods could not reach those addresses, choose a range apart from it`);
  }
}

export function loopbackIsForTests(spec: Spec, push: Push): void {
  for (const { path, cidr } of networks(spec)) {
    if (contains(LOOPBACK, parseCidr(cidr))) push("warning", path, `${cidr} is a loopback network: only for running a cluster's etcd on one machine in tests`);
  }
}

/**
 * Each control node is an etcd member, and every write waits for a majority of them: etcd advises
 * no more than seven (https://etcd.io/docs/v3.5/faq/#what-is-maximum-cluster-size).
 */
export const MAX_CONTROL = 7;

const controlNodes = (spec: Spec) => spec.nodes.filter((g) => g.role === "control").reduce((sum, g) => sum + g.count, 0);

export function controlCountGivesQuorum(spec: Spec, push: Push): void {
  const control = controlNodes(spec);
  if (control === 0) push("error", "nodes", "needs a group with role control (it runs etcd)");
  else if (control % 2 === 0 && control <= MAX_CONTROL)
    push("warning", "nodes", `${control} control nodes tolerate no more failures than ${control - 1}: use an odd count`);
}

export function controlCountIsBounded(spec: Spec, push: Push): void {
  const control = controlNodes(spec);
  if (control > MAX_CONTROL)
    push(
      "error",
      "nodes",
      `${control} control nodes: each runs an etcd member, and etcd advises at most ${MAX_CONTROL} (https://etcd.io/docs/v3.5/faq/#what-is-maximum-cluster-size): ` +
        "use 3, 5 or 7 and give the other nodes role worker",
    );
}

/** Kubernetes supports clusters of up to 5000 nodes (https://kubernetes.io/docs/setup/best-practices/cluster-large/). */
export const MAX_NODES = 5000;

export function nodeCountIsBounded(spec: Spec, push: Push): void {
  const count = totalNodes(spec);
  if (count > MAX_NODES)
    push("error", "nodes", `${count} nodes: a cluster has at most ${MAX_NODES} (Kubernetes' own limit, https://kubernetes.io/docs/setup/best-practices/cluster-large/): split it into clusters`);
}

export function namesAreUnique(spec: Spec, push: Push): void {
  const seen = new Map<string, number>();
  spec.nodes.forEach((group, i) => {
    const name = group.name ?? group.role;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else push("error", `nodes[${i}].name`, `duplicate group name "${name}" (also nodes[${first}]): give each group its own name`);
  });
}

const START_HINT = 'use "HH:MM" or "Thu 04:00" (24-hour, optional weekday)';
// update.conf is a systemd EnvironmentFile: a line break ends the value, a backslash escapes.
const NOT_IN_ENV_FILE = /[\n\r\\]/;

/** Exactly what locksmithd takes (src/spec/periodic.ts, a port of flatcar/locksmith's ParsePeriodic). */
export function rebootWindowSyntax(spec: Spec, push: Push): void {
  const window = spec.updates.window;
  if (!window) return;
  for (const key of ["start", "length"] as const)
    if (NOT_IN_ENV_FILE.test(window[key]))
      push("error", `updates.window.${key}`, `contains a line break or a backslash, which /etc/flatcar/update.conf cannot carry as written: remove it`);
  const start = parseWindowStart(window.start);
  if ("error" in start) push("error", "updates.window.start", `"${window.start}" is not a start time (${start.error}): ${START_HINT}`);
  else if (start.ignored)
    push("warning", "updates.window.start", `"${window.start}": locksmithd reads it as ${formatWindowStart(start)} and ignores "${start.ignored}"`);
  const length = parseGoDuration(window.length);
  if (length === undefined) push("error", "updates.window.length", `"${window.length}" is not a duration: use a Go duration like 1h or 1h30m`);
  else if (length < 0n) push("error", "updates.window.length", `"${window.length}" is negative: use a duration like 1h`);
  else if (!("error" in start) && length >= periodNs(start)) {
    const [period, fix] =
      start.weekday === undefined
        ? ["a day (24h), the period of a daily window", "less than 24h, or a weekday in start for a weekly window"]
        : ["a week (168h), the period of a weekly window", "less than 168h"];
    push("error", "updates.window.length", `${window.length} is not shorter than ${period}, and locksmithd refuses it: use ${fix}`);
  }
  if (spec.updates.rebootStrategy === "off")
    push("warning", "updates.window", "has no effect with rebootStrategy off");
}

export function etcdSpeaksV2(spec: Spec, push: Push): void {
  const minor = Number(spec.etcd.version.split(".")[1]);
  if (minor < 4) push("error", "etcd.version", `${spec.etcd.version} is too old: use v3.5.x`);
  else if (minor > 5 && spec.updates.rebootStrategy === "etcd-lock")
    push("error", "etcd.version", `etcd ${spec.etcd.version} has no v2 API, which locksmith's reboot lock needs: use v3.5.x or another rebootStrategy`);
}

/**
 * The first v3.5 patch release a cluster may move to 3.6 from: v3.5.26 repairs membership data that
 * older 3.5 releases could leave inconsistent, which 3.6 turns into zombie members
 * (etcd.io/blog/2025/zombie_members_upgrade); v3.5.1 to v3.5.19 also stored a learner's promotion in
 * the v2 store only, so a promoted member (every member that rejoined here) fell back to a learner on
 * 3.6 (etcd.io/blog/2025/upgrade_from_3.5_to_3.6_issue, fixed in v3.5.20).
 */
const ETCD_SAFE_PATCH = 26;

export function etcdIsCurrent(spec: Spec, push: Push): void {
  const [, minor, patch] = spec.etcd.version.slice(1).split(".").map(Number) as [number, number, number];
  if (minor === 5 && patch < ETCD_SAFE_PATCH)
    push(
      "warning",
      "etcd.version",
      `${spec.etcd.version} is older than v3.5.${ETCD_SAFE_PATCH}, which repairs membership data before any move to 3.6 (older ones make zombie members, or turn promoted members back into learners): use ${ETCD_DEFAULT_VERSION}`,
    );
}

export function fleetIsLegacy(spec: Spec, push: Push): void {
  if (spec.scheduler.kind === "fleet")
    push("warning", "scheduler.kind", "fleet is unmaintained since 2018 and needs etcd ≤ 3.5 with the v2 API: use kubernetes for anything but demos");
  if (spec.scheduler.kind === "fleet" && Number(spec.etcd.version.split(".")[1]) > 5)
    push("error", "etcd.version", `fleet speaks only etcd's v2 API, which ${spec.etcd.version} no longer has: use v3.5.x`);
}

export function sshKeysGiven(spec: Spec, push: Push): void {
  if (spec.ssh.authorizedKeys.length === 0)
    push("warning", "ssh.authorizedKeys", "is empty: nobody can log in to the nodes");
}

/**
 * More public addresses than a /8 holds (16,777,216) count as world access: that is more than any
 * one organisation's networks, whether written as 0.0.0.0/0, two /1 halves or many large blocks.
 */
const WORLD_ACCESS_ADDRESSES = 2 ** 24;

const shareOfInternet = (addresses: number) =>
  addresses === PUBLIC_ADDRESSES ? "the whole internet" : `${((100 * addresses) / PUBLIC_ADDRESSES).toFixed(1)}% of the internet's public addresses`;

/** adminCidrs are judged together: what counts is how much of the public internet their union covers. */
export function worldAccessIsExplicit(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    if (!("adminCidrs" in env) || env.allowWorldAccess) continue;
    const blocks = env.adminCidrs.map(parseCidr);
    const total = publicAddresses(blocks);
    if (total <= WORLD_ACCESS_ADDRESSES) continue;
    const fix = "name your own networks, or set allowWorldAccess: true";
    const large = env.adminCidrs.map((cidr, i) => ({ cidr, i, addresses: publicAddresses([blocks[i]!]) })).filter((b) => b.addresses > WORLD_ACCESS_ADDRESSES);
    for (const { cidr, i, addresses } of large) push("error", `environments.${name}.adminCidrs[${i}]`, `${cidr} opens SSH and the APIs to ${shareOfInternet(addresses)}: ${fix}`);
    if (large.length === 0)
      push("error", `environments.${name}.adminCidrs`, `together open SSH and the APIs to ${shareOfInternet(total)}, more than a /8's worth counts as the world: ${fix}`);
  }
}

/** Each admin network once: the stacks open each network once, so a repeated one is left out, which the user should know. */
export function adminCidrsAreDistinct(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    if (!("adminCidrs" in env)) continue;
    const seen = new Map<string, number>();
    env.adminCidrs.forEach((cidr, i) => {
      const key = formatCidr(parseCidr(cidr));
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else push("warning", `environments.${name}.adminCidrs[${i}]`, `${cidr} is listed already (adminCidrs[${first}]): remove it`);
    });
  }
}

/** Images and system extensions are per architecture: one per environment, whatever the platform. */
export function oneArchPerEnvironment(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    const { size, explicitArch } = platformOf(env.platform);
    if (!size) continue;
    const arch = environmentArch(env);
    for (const role of ["control", "worker"] as const) {
      const type = size.of(env, role);
      if (size.arch(type) !== arch)
        push("error", `environments.${name}.${role}.${size.key}`, `${type} is ${size.arch(type)} but this environment's nodes are ${arch}: use one architecture${explicitArch?.(env) ? " (arch is set)" : ""}`);
    }
  }
}

/** Flatcar does not publish every architecture everywhere: on GCE only amd64 images. */
export function flatcarHasImageForArch(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    const { size, imageArchs } = platformOf(env.platform);
    const arch = environmentArch(env);
    if (imageArchs(env).includes(arch) || ("image" in env && env.image)) continue;
    const path = size ? `environments.${name}.control.${size.key}` : `environments.${name}`;
    const what = size ? `${size.of(env, "control")} is ${arch}, but ` : "";
    push("error", path, `${what}Flatcar publishes no ${arch} images for ${env.platform}: use an x86_64 ${size?.key ?? "size"}, or an image of your own (image)`);
  }
}

/** The generic rules, in the order they run; each platform's own rules (its module's `rules`) run after them. */
export const RULES: readonly Rule[] = [
  cidrIsNetworkAddress,
  adminCidrsAreNetworks,
  cidrHoldsAllNodes,
  cidrIsPrivate,
  loopbackIsForTests,
  schedulerRangesApart,
  controlCountGivesQuorum,
  controlCountIsBounded,
  nodeCountIsBounded,
  namesAreUnique,
  rebootWindowSyntax,
  etcdSpeaksV2,
  etcdIsCurrent,
  fleetIsLegacy,
  sshKeysGiven,
  worldAccessIsExplicit,
  adminCidrsAreDistinct,
  oneArchPerEnvironment,
  flatcarHasImageForArch,
];

/** Every platform's rules, in the table's order, each given its own platform's environments. */
const PLATFORM_RULES: readonly Rule[] = PLATFORMS.flatMap((platform) =>
  Object.values(platformOf(platform).rules).map((rule): Rule => (spec, push) => rule(environmentsOf(spec, platform), spec, push)),
);

/** Every rule's issues, in rule order. A rule that reads a value that did not parse is left out whole. */
export function checkRules(spec: Spec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const rule of [...RULES, ...PLATFORM_RULES]) {
    const found: SpecIssue[] = [];
    try {
      rule(spec, (severity, path, message) => found.push({ severity, path, message }));
    } catch (e) {
      if (e instanceof BrokenInput) continue;
      throw e;
    }
    issues.push(...found);
  }
  return issues;
}
