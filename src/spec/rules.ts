// Semantic rules: checks that span fields. Each rule is a named function that pushes issues and never
// throws; `checkRules` runs them all so that every problem is reported at once. On a spec that failed
// the schema they get what parsed (partial.ts): a rule that reads a broken value is skipped.
import { contains, formatCidr, formatIp, nodeCapacity, overlaps, parseCidr, PUBLIC_ADDRESSES, publicAddresses, type Cidr } from "./ipv4";
import type { SpecIssue } from "./issues";
import { BrokenInput } from "./partial";
import { formatWindowStart, parseGoDuration, parseWindowStart, periodNs } from "./periodic";
import { azureAcceptsKey, environmentArch, factsOf, flatcarMajorDate } from "./platforms";
import { ETCD_DEFAULT_VERSION, type Platform, type Spec } from "./schema";

type Push = (severity: SpecIssue["severity"], path: string, message: string) => void;
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
export const WORLD_ACCESS_ADDRESSES = 2 ** 24;

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
    const { size, explicitArch } = factsOf(env);
    if (!size) continue;
    const arch = environmentArch(env);
    for (const role of ["control", "worker"] as const) {
      const type = size.of(env, role);
      if (size.arch(type) !== arch)
        push("error", `environments.${name}.${role}.${size.key}`, `${type} is ${size.arch(type)} but this environment's nodes are ${arch}: use one architecture${explicitArch?.(env) ? " (arch is set)" : ""}`);
    }
  }
}

/**
 * The settings naming an existing network and its subnet, per platform that takes them: AWS needs the
 * VPC for the security group, OpenStack the network for the ports, and both the subnet the nodes' fixed
 * addresses are in. One without the other is an error.
 */
const EXISTING_NETWORK: Partial<Record<Platform, readonly [network: string, subnet: string]>> = {
  aws: ["vpcId", "subnetId"],
  openstack: ["networkId", "subnetId"],
};

export function existingNetworkAndSubnetTogether(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    const keys = EXISTING_NETWORK[env.platform];
    if (!keys) continue;
    const settings = env as unknown as Record<string, unknown>;
    const [network, subnet] = keys.map((k) => settings[k] !== undefined);
    if (network === subnet) continue;
    const [missing, given] = network ? [keys[1], keys[0]] : [keys[0], keys[1]];
    push("error", `environments.${name}.${missing}`, `required with ${given}: give both, or neither to let the stack create them`);
  }
}

/** The network an AWS stack builds has an internet gateway and no NAT: its nodes need public addresses. */
export function awsPrivateNodesNeedTheirSubnet(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "aws" || env.publicAddresses !== false || env.subnetId) continue;
    push("error", `environments.${name}.publicAddresses`, "false needs a subnet with its own way out (a NAT gateway): give vpcId and subnetId, or leave it out");
  }
}

// docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html: VPC and subnet blocks are /16 to /28.
const AWS_PREFIX = { min: 16, max: 28 };

export function awsNetworkFitsVpc(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "aws") continue;
    const cidr = env.network?.cidr ?? spec.network.cidr;
    const { prefix } = parseCidr(cidr);
    if (prefix >= AWS_PREFIX.min && prefix <= AWS_PREFIX.max) continue;
    const why = `AWS subnets are /${AWS_PREFIX.min} to /${AWS_PREFIX.max}, not ${cidr}`;
    if (env.network) push("error", `environments.${name}.network.cidr`, why);
    else push("error", `environments.${name}`, `${why} (from network.cidr): set environments.${name}.network.cidr`);
  }
}

/** Flatcar does not publish every architecture everywhere: on GCE only amd64 images. */
export function flatcarHasImageForArch(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    const { size, imageArchs } = factsOf(env);
    const arch = environmentArch(env);
    if (imageArchs(env).includes(arch) || ("image" in env && env.image)) continue;
    const path = size ? `environments.${name}.control.${size.key}` : `environments.${name}`;
    const what = size ? `${size.of(env, "control")} is ${arch}, but ` : "";
    push("error", path, `${what}Flatcar publishes no ${arch} images for ${env.platform}: use an x86_64 ${size?.key ?? "size"}, or an image of your own (image)`);
  }
}

/** The router the stack builds and every floating IP need the external network; an existing network without floating IPs does not. */
export function openstackExternalNetworkWhenNeeded(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "openstack" || env.externalNetwork !== undefined) continue;
    const needs = [...(env.networkId && env.subnetId ? [] : ["the router of the network the stack creates"]), ...(env.publicAddresses ? ["floating IPs (publicAddresses)"] : [])];
    if (needs.length)
      push("error", `environments.${name}.externalNetwork`, `required for ${needs.join(" and ")}: name the cloud's external network (openstack network list --external)`);
  }
}

/** A GCE zone is `<region>-<letter>`: the nodes run in `zone`, their subnetwork is in `region`. */
export function gceZoneInRegion(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "gce" || env.zone.startsWith(`${env.region}-`)) continue;
    push("error", `environments.${name}.zone`, `${env.zone} is not in region ${env.region}: use a zone like ${env.region}-b`);
  }
}

/** Azure creates a VM only with an SSH key for its admin user (and no password, here). */
export function azureHasSshKey(spec: Spec, push: Push): void {
  if (spec.ssh.authorizedKeys.some(azureAcceptsKey)) return;
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "azure") continue;
    const some = spec.ssh.authorizedKeys.length ? "has no ssh-rsa or ssh-ed25519 key" : "is empty";
    push("error", "ssh.authorizedKeys", `${some}, and Azure creates the VMs of environments.${name} only with one: add your public key`);
  }
}

/** Flatcar's free Azure offer has x86_64 images only; arm64 ones are in the CoreVM offer. */
export function azureFreeOfferIsX86(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "azure" || env.offer !== "free" || env.image || environmentArch(env) !== "arm64") continue;
    push("error", `environments.${name}.offer`, `free has no arm64 images (${env.control.vmSize} is arm64): use offer corevm`);
  }
}

/** Azure publishes each Flatcar LTS stream as a SKU of its own (lts2024-gen2), not as `lts`. */
export function azureLtsNeedsSku(spec: Spec, push: Push): void {
  if (spec.os.channel !== "lts") return;
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "azure" || env.sku || env.image) continue;
    push("error", `environments.${name}.sku`, "required with os.channel lts: Azure names each LTS stream, like lts2024-gen2 (arm64: lts2024)");
  }
}

/** libvirt's own `default` network (192.168.122.0/24, active out of the box on Debian and Fedora). */
const LIBVIRT_DEFAULT_NETWORK = parseCidr("192.168.122.0/24");

/**
 * libvirt refuses to start a NAT network whose range a running one already routes ("Network is already
 * in use by interface virbr0"): a libvirt environment's network stays apart from libvirt's default one
 * (a warning: it may be stopped) and from every other libvirt environment's on the same host (an error).
 */
export function libvirtNetworksApart(spec: Spec, push: Push): void {
  const seen: { name: string; uri: string; cidr: string }[] = [];
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "libvirt") continue;
    const cidr = env.network?.cidr ?? spec.network.cidr;
    const path = env.network ? `environments.${name}.network.cidr` : "network.cidr";
    const c = parseCidr(cidr);
    if (overlaps(c, LIBVIRT_DEFAULT_NETWORK))
      push("warning", path, `${cidr} overlaps libvirt's default network (192.168.122.0/24): stop that network, or choose a range apart from it`);
    for (const other of seen.filter((o) => o.uri === env.uri && overlaps(parseCidr(o.cidr), c)))
      push("error", env.network ? path : `environments.${name}`, `${cidr} overlaps the network of environments.${other.name} (${other.cidr}) on ${env.uri}: libvirt starts only one of them, give each its own network.cidr`);
    seen.push({ name, uri: env.uri, cidr });
  }
}

/**
 * terraform-provider-libvirt 0.9.7 writes each node's Ignition file where Terraform runs
 * (internal/provider/ignition_resource.go) and hands QEMU that path: on another host QEMU would not find it.
 */
export function libvirtHostIsLocal(spec: Spec, push: Push): void {
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "libvirt") continue;
    const host = URL.canParse(env.uri) ? new URL(env.uri).hostname : "";
    if (["", "localhost", "127.0.0.1", "[::1]"].includes(host)) continue;
    push("error", `environments.${name}.uri`, `${env.uri} is another host: the provider writes each node's Ignition file where cdktf runs, and QEMU there would not find it: run cdktf on that host, with qemu:///system`);
  }
}

/** A downloaded image boots whatever release it holds: a pinned os.version cannot be checked against it. */
export function libvirtImagePathIsUnversioned(spec: Spec, push: Push): void {
  if (spec.os.version === "current") return;
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "libvirt" || !env.imagePath) continue;
    push("warning", `environments.${name}.imagePath`, `boots the release the file holds: os.version ${spec.os.version} is not checked against it`);
  }
}

/**
 * AWS keeps Flatcar's AMIs public for 9 months after publishing, then un-publishes them: existing
 * instances keep running, new ones cannot be created (flatcar.org/docs/latest/deploy/cloud/aws-ec2/,
 * "Release retention time"). Judged by the major's date, so a release may be younger than it says.
 */
export function awsReleaseStillPublished(spec: Spec, push: Push, now = new Date()): void {
  if (spec.os.version === "current") return;
  const branched = flatcarMajorDate(spec.os.version);
  const gone = new Date(branched);
  gone.setUTCMonth(gone.getUTCMonth() + 9);
  if (gone > now) return;
  const date = branched.toISOString().slice(0, 10);
  for (const [name, env] of Object.entries(spec.environments)) {
    if (env.platform !== "aws" || env.ami) continue;
    push(
      "warning",
      "os.version",
      `Flatcar ${spec.os.version} is from ${date} or a little later (majors count days since 2013-07-01): Flatcar's AMIs are un-published 9 months after release, so environments.${name} may find no AMI: pin a newer release, or set environments.${name}.ami to an AMI you keep`,
    );
  }
}

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
  existingNetworkAndSubnetTogether,
  awsNetworkFitsVpc,
  flatcarHasImageForArch,
  gceZoneInRegion,
  azureHasSshKey,
  azureFreeOfferIsX86,
  azureLtsNeedsSku,
  awsPrivateNodesNeedTheirSubnet,
  openstackExternalNetworkWhenNeeded,
  libvirtNetworksApart,
  libvirtHostIsLocal,
  libvirtImagePathIsUnversioned,
  awsReleaseStillPublished,
];

/** Every rule's issues, in rule order. A rule that reads a value that did not parse is left out whole. */
export function checkRules(spec: Spec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const rule of RULES) {
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
