// The spec as the user meets it: the real CLI (`validate` and `render`) against bad, odd and good specs.
// Every bad spec must exit 2, name the problem as `path: message`, and leave nothing behind.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSpec } from "../../src/spec/load";
import { cli, editSpec, project, smallSpec, tempDir, type Doc } from "../helpers/cli";
import { sshKey } from "../helpers/ssh-keys";

const DEFAULT_SPEC = join(__dirname, "../../cluster.yaml");

const spec = editSpec;

/** smallSpec() with `environments` replaced by one environment. */
const withEnv = (name: string, env: Doc) => spec((d) => (d.environments = { [name]: env }));

const ADMIN = ["203.0.113.0/24"];
const aws = (extra: Doc = {}): Doc => ({ platform: "aws", region: "eu-central-1", adminCidrs: ADMIN, ...extra });
const azure = (extra: Doc = {}): Doc => ({ platform: "azure", location: "westeurope", adminCidrs: ADMIN, ...extra });
const gce = (extra: Doc = {}): Doc => ({ platform: "gce", project: "coreform-demo", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ADMIN, ...extra });
const openstack = (extra: Doc = {}): Doc => ({
  platform: "openstack",
  externalNetwork: "public",
  adminCidrs: ADMIN,
  control: { flavor: "m1.medium" },
  worker: { flavor: "m1.large" },
  ...extra,
});
const without = (doc: Doc, key: string): Doc => {
  const copy = { ...doc };
  delete copy[key];
  return copy;
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const lines = (text: string) => text.split("\n");

/** stderr holds a line `PATH: …FRAGMENT…` (an error: warnings start with `warning:`). */
function expectIssue(stderr: string, path: string, fragment: string): void {
  expect(lines(stderr)).toContainEqual(expect.stringMatching(new RegExp(`^${escape(path)}: .*${escape(fragment)}`)));
}

interface Bad {
  readonly name: string;
  /** The contents of cluster.yaml; null: there is no cluster.yaml. */
  readonly text: string | null;
  /** `{file}` stands for the spec's absolute path. */
  readonly path: string;
  readonly message: string;
}

const BAD: readonly Bad[] = [
  // wrong types
  { name: "name is a number", text: spec((d) => (d.name = 5)), path: "name", message: "must be a string, not a number" },
  { name: "nodes is a mapping", text: spec((d) => (d.nodes = { control: 3 })), path: "nodes", message: "must be a list, not a mapping" },
  { name: "network is empty", text: spec((d) => (d.network = null)), path: "network", message: "must be a mapping (cidr), not null" },
  { name: "a node group is a string", text: spec((d) => (d.nodes[1] = "worker")), path: "nodes[1]", message: "must be a mapping (name, role, count), not a string" },
  { name: "count is a string", text: spec((d) => (d.nodes[1].count = "two")), path: "nodes[1].count", message: "must be a number, not a string" },
  { name: "environments is a list", text: spec((d) => (d.environments = ["test"])), path: "environments", message: "must be a mapping, not a list" },
  {
    name: "allowWorldAccess is a string",
    text: withEnv("prod", aws({ allowWorldAccess: "yes" })),
    path: "environments.prod.allowWorldAccess",
    message: "must be true or false, not a string",
  },
  {
    name: "memoryMiB is a string",
    text: withEnv("laptop", { platform: "vagrant", control: { memoryMiB: "lots" } }),
    path: "environments.laptop.control.memoryMiB",
    message: "must be a number, not a string",
  },
  { name: "window length is a number", text: spec((d) => (d.updates.window.length = 30)), path: "updates.window.length", message: "must be a string, not a number" },
  // missing keys
  { name: "network missing", text: spec((d) => delete d.network), path: "network", message: "required" },
  { name: "nodes missing", text: spec((d) => delete d.nodes), path: "nodes", message: "required" },
  { name: "role missing", text: spec((d) => delete d.nodes[1].role), path: "nodes[1].role", message: "required: one of control, worker" },
  // unknown keys
  { name: "unknown top-level key", text: spec((d) => (d.colour = "blue")), path: "colour", message: "unknown key" },
  { name: "unknown key in os (typo)", text: spec((d) => (d.os = { chanel: "stable" })), path: "os.chanel", message: "unknown key" },
  { name: "unknown key in a node group", text: spec((d) => (d.nodes[0].size = "large")), path: "nodes[0].size", message: "unknown key" },
  { name: "another platform's key", text: withEnv("prod", aws({ flavor: "m1.small" })), path: "environments.prod.flavor", message: "unknown key" },
  // network.cidr
  { name: "cidr without prefix", text: spec((d) => (d.network.cidr = "10.42.0.0")), path: "network.cidr", message: "must be an IPv4 CIDR like 10.42.0.0/24" },
  { name: "cidr not an address", text: spec((d) => (d.network.cidr = "banana")), path: "network.cidr", message: "must be an IPv4 CIDR" },
  { name: "cidr /33", text: spec((d) => (d.network.cidr = "10.42.0.0/33")), path: "network.cidr", message: "must be an IPv4 CIDR" },
  { name: "cidr octet 256", text: spec((d) => (d.network.cidr = "10.42.0.256/24")), path: "network.cidr", message: "must be an IPv4 CIDR" },
  { name: "cidr host bits", text: spec((d) => (d.network.cidr = "10.42.0.5/24")), path: "network.cidr", message: "host bits are set: did you mean 10.42.0.0/24?" },
  {
    name: "cidr too small for the nodes (/28 holds 4)",
    text: smallSpec({ cidr: "10.42.0.0/28", control: 3, worker: 2 }),
    path: "network.cidr",
    message: "10.42.0.0/28 holds 4 nodes, the spec plans 5: use a larger network",
  },
  {
    name: "environment network override with host bits",
    text: withEnv("kvm", { platform: "libvirt", network: { cidr: "10.43.0.1/24" } }),
    path: "environments.kvm.network.cidr",
    message: "host bits are set: did you mean 10.43.0.0/24?",
  },
  {
    name: "environment network override too small",
    text: withEnv("kvm", { platform: "libvirt", network: { cidr: "10.43.0.0/29" } }),
    path: "environments.kvm.network.cidr",
    message: "holds 0 nodes, the spec plans 4",
  },
  // node counts and groups
  { name: "too many nodes for a /24", text: smallSpec({ worker: 300 }), path: "network.cidr", message: "holds 244 nodes, the spec plans 303" },
  { name: "count above the maximum", text: smallSpec({ worker: 6000 }), path: "nodes[1].count", message: "must be ≤ 5000" },
  { name: "negative count", text: spec((d) => (d.nodes[1].count = -1)), path: "nodes[1].count", message: "must be ≥ 1" },
  { name: "zero count", text: spec((d) => (d.nodes[0].count = 0)), path: "nodes[0].count", message: "must be ≥ 1" },
  { name: "non-integer count", text: spec((d) => (d.nodes[1].count = 1.5)), path: "nodes[1].count", message: "must be a whole number, not 1.5" },
  { name: "infinite count", text: spec((d) => (d.nodes[1].count = Infinity)), path: "nodes[1].count", message: "must be a number, not Infinity" },
  { name: "no node groups", text: spec((d) => (d.nodes = [])), path: "nodes", message: "needs at least one node group" },
  {
    name: "no control group",
    text: spec((d) => (d.nodes = [{ name: "worker", role: "worker", count: 3 }])),
    path: "nodes",
    message: "needs a group with role control",
  },
  { name: "unknown role", text: spec((d) => (d.nodes[1].role = "boss")), path: "nodes[1].role", message: "must be one of control, worker" },
  {
    name: "duplicate group names",
    text: spec((d) => (d.nodes[1].name = "control")),
    path: "nodes[1].name",
    message: 'duplicate group name "control" (also nodes[0])',
  },
  {
    name: "duplicate default group names",
    text: spec((d) => (d.nodes = [{ role: "control", count: 1 }, { role: "worker", count: 1 }, { role: "worker", count: 2 }])),
    path: "nodes[2].name",
    message: 'duplicate group name "worker" (also nodes[1])',
  },
  { name: "group name not DNS-safe", text: spec((d) => (d.nodes[0].name = "Control_Plane")), path: "nodes[0].name", message: "must be DNS-safe" },
  // reboot window
  { name: "window start hour 25", text: spec((d) => (d.updates.window.start = "25:00")), path: "updates.window.start", message: '"25:00" is not a start time' },
  { name: "window start long weekday", text: spec((d) => (d.updates.window.start = "Thursday 04:00")), path: "updates.window.start", message: "is not a start time" },
  { name: "window start without minutes", text: spec((d) => (d.updates.window.start = "4")), path: "updates.window.start", message: "is not a start time" },
  { name: "window length a word", text: spec((d) => (d.updates.window.length = "forever")), path: "updates.window.length", message: '"forever" is not a duration' },
  { name: "window of a whole day", text: spec((d) => (d.updates.window = { start: "04:00", length: "24h" })), path: "updates.window.length", message: "24h is not shorter than a day (24h)" },
  { name: "window of a whole week", text: spec((d) => (d.updates.window = { start: "Thu 04:00", length: "168h" })), path: "updates.window.length", message: "168h is not shorter than a week (168h)" },
  { name: "window length negative", text: spec((d) => (d.updates.window.length = "-1h")), path: "updates.window.length", message: '"-1h" is negative' },
  { name: "window length without unit", text: spec((d) => (d.updates.window.length = "90")), path: "updates.window.length", message: "is not a duration" },
  // etcd, updates, scheduler, os, ssh
  {
    name: "etcd 3.6 with etcd-lock",
    text: spec((d) => (d.etcd = { version: "v3.6.0" })),
    path: "etcd.version",
    message: "has no v2 API, which locksmith's reboot lock needs",
  },
  { name: "etcd 3.3", text: spec((d) => (d.etcd = { version: "v3.3.0" })), path: "etcd.version", message: "v3.3.0 is too old: use v3.5.x" },
  { name: "snapshot schedule a cron line", text: spec((d) => (d.etcd = { snapshots: { schedule: "0 3 * * *" } })), path: "etcd.snapshots.schedule", message: 'must be hourly, daily, weekly, a UTC time like "03:30", or "off"' },
  { name: "snapshot schedule 24:00", text: spec((d) => (d.etcd = { snapshots: { schedule: "24:00" } })), path: "etcd.snapshots.schedule", message: "must be hourly, daily" },
  { name: "snapshots off as a boolean", text: spec((d) => (d.etcd = { snapshots: { schedule: false } })), path: "etcd.snapshots.schedule", message: "string" },
  { name: "no snapshot kept", text: spec((d) => (d.etcd = { snapshots: { keep: 0 } })), path: "etcd.snapshots.keep", message: "must be ≥ 1" },
  { name: "etcd version without v", text: spec((d) => (d.etcd = { version: "3.5.16" })), path: "etcd.version", message: "must be an etcd release tag" },
  { name: "unknown reboot strategy", text: spec((d) => (d.updates.rebootStrategy = "sometimes")), path: "updates.rebootStrategy", message: "must be one of etcd-lock, reboot, off" },
  { name: "update server ftp", text: spec((d) => (d.updates.server = "ftp://updates.example")), path: "updates.server", message: "must be an http(s) URL or 'disabled'" },
  { name: "k3s version not a k3s release", text: spec((d) => (d.scheduler = { kind: "kubernetes", version: "1.32.2" } as never)), path: "scheduler.version", message: "must be a k3s release like v1.32.2+k3s1" },
  { name: "k3s version without +k3s", text: spec((d) => (d.scheduler = { kind: "kubernetes", version: "v1.32.2" } as never)), path: "scheduler.version", message: "must be a k3s release" },
  { name: "pod range not a CIDR", text: spec((d) => (d.scheduler = { kind: "kubernetes", podCidr: "10.244.0.0" } as never)), path: "scheduler.podCidr", message: "must be an IPv4 CIDR" },
  { name: "pod range over the nodes' network", text: spec((d) => (d.scheduler = { kind: "kubernetes", podCidr: "10.42.0.0/16" } as never)), path: "scheduler.podCidr", message: "10.42.0.0/16 overlaps network.cidr (10.42.0.0/24)" },
  { name: "etcd digest too short", text: spec((d) => (d.etcd = { digest: "sha256:abc" })), path: "etcd.digest", message: "must be an image digest like sha256:<64 hex digits>" },
  { name: "etcd digest in the version", text: spec((d) => (d.etcd = { version: `v3.5.16@sha256:${"a".repeat(64)}` })), path: "etcd.version", message: "must be an etcd release tag" },
  { name: "k3s hash too short", text: spec((d) => (d.scheduler = { kind: "kubernetes", sha256: { "k3s-v1.32.2+k3s1-x86-64.raw": "abc" } })), path: 'scheduler.sha256."k3s-v1.32.2+k3s1-x86-64.raw"', message: "must be a SHA-256 of 64 lowercase hex digits" },
  { name: "k3s hash of an unknown file", text: spec((d) => (d.scheduler = { kind: "kubernetes", sha256: { "k3s.raw": "a".repeat(64) } })), path: 'scheduler.sha256."k3s.raw"', message: "name must be a bakery file name like k3s-v1.32.2+k3s1-x86-64.raw" },
  { name: "fleet image with a digest but no tag", text: spec((d) => (d.scheduler = { kind: "fleet", image: `quay.io/coreos/fleet@sha256:${"a".repeat(64)}` } as never)), path: "scheduler.image", message: "must be an image with a tag" },
  { name: "fleet image with a short digest", text: spec((d) => (d.scheduler = { kind: "fleet", image: "quay.io/coreos/fleet:v1.0.0@sha256:abc" } as never)), path: "scheduler.image", message: "optionally pinned by digest" },
  { name: "k3s sysupdate not a boolean", text: spec((d) => (d.scheduler = { kind: "kubernetes", sysupdate: "no" } as never)), path: "scheduler.sysupdate", message: "must be true or false, not a string" },
  { name: "fleet image without a tag", text: spec((d) => (d.scheduler = { kind: "fleet", image: "quay.io/coreos/fleet" } as never)), path: "scheduler.image", message: "must be an image with a tag" },
  { name: "a fleet setting with kubernetes", text: spec((d) => (d.scheduler = { kind: "kubernetes", image: "quay.io/coreos/fleet:v1.0.0" } as never)), path: "scheduler.image", message: "unknown key" },
  { name: "a k3s setting with none", text: spec((d) => (d.scheduler = { kind: "none", version: "v1.32.2+k3s1" } as never)), path: "scheduler.version", message: "unknown key" },
  { name: "fleet on etcd v3.6", text: spec((d) => ((d.scheduler = { kind: "fleet" }), (d.etcd = { version: "v3.6.0" }), (d.updates.rebootStrategy = "reboot"))), path: "etcd.version", message: "fleet speaks only etcd's v2 API" },
  { name: "unknown scheduler", text: spec((d) => (d.scheduler = { kind: "nomad" })), path: "scheduler.kind", message: "must be one of kubernetes, fleet, none" },
  { name: "os.version latest", text: spec((d) => (d.os = { version: "latest" })), path: "os.version", message: 'must be "current" or a Flatcar release' },
  { name: "os.version two parts", text: spec((d) => (d.os = { version: "4593.2" })), path: "os.version", message: 'must be "current" or a Flatcar release' },
  { name: "os.channel unknown", text: spec((d) => (d.os = { channel: "edge" })), path: "os.channel", message: "must be one of stable, beta, alpha, lts" },
  { name: "ssh key not a key", text: spec((d) => (d.ssh.authorizedKeys = ["not a key"])), path: "ssh.authorizedKeys[0]", message: "must be an OpenSSH public key line" },
  {
    name: "ssh key without body",
    text: spec((d) => d.ssh.authorizedKeys.push("ssh-ed25519")),
    path: "ssh.authorizedKeys[1]",
    message: "must be an OpenSSH public key line",
  },
  { name: "ssh private key pasted", text: spec((d) => (d.ssh.authorizedKeys = ["-----BEGIN OPENSSH PRIVATE KEY-----"])), path: "ssh.authorizedKeys[0]", message: "must be an OpenSSH public key line" },
  // apiVersion and name
  { name: "wrong apiVersion", text: spec((d) => (d.apiVersion = "coreform/v2")), path: "apiVersion", message: 'must be "coreform/v1"' },
  { name: "apiVersion missing", text: spec((d) => delete d.apiVersion), path: "apiVersion", message: 'must be "coreform/v1"' },
  { name: "cluster name uppercase", text: spec((d) => (d.name = "Demo")), path: "name", message: "must be DNS-safe" },
  // environments and platforms
  { name: "no environments", text: spec((d) => (d.environments = {})), path: "environments", message: "needs at least one environment" },
  { name: "environment name not DNS-safe", text: withEnv("Prod_1", aws()), path: "environments.Prod_1", message: "name must be DNS-safe" },
  { name: "unknown platform", text: withEnv("prod", { platform: "vmware" }), path: "environments.prod.platform", message: "must be one of vagrant, libvirt, openstack, aws, gce, azure" },
  { name: "platform missing", text: withEnv("prod", { uri: "qemu:///system" }), path: "environments.prod.platform", message: "required: one of vagrant, libvirt" },
  { name: "aws region missing", text: withEnv("prod", without(aws(), "region")), path: "environments.prod.region", message: "required" },
  { name: "aws region a city", text: withEnv("prod", aws({ region: "Frankfurt" })), path: "environments.prod.region", message: "must be an AWS region like eu-central-1" },
  { name: "aws adminCidrs missing", text: withEnv("prod", without(aws(), "adminCidrs")), path: "environments.prod.adminCidrs", message: "required" },
  { name: "aws adminCidrs empty", text: withEnv("prod", aws({ adminCidrs: [] })), path: "environments.prod.adminCidrs", message: "needs at least one CIDR" },
  { name: "aws adminCidrs not a CIDR", text: withEnv("prod", aws({ adminCidrs: ["203.0.113.7"] })), path: "environments.prod.adminCidrs[0]", message: "must be an IPv4 CIDR" },
  {
    name: "aws adminCidrs with host bits",
    text: withEnv("prod", aws({ adminCidrs: ["203.0.113.7/24"] })),
    path: "environments.prod.adminCidrs[0]",
    message: "host bits are set: use 203.0.113.0/24, or 203.0.113.7/32 for one address",
  },
  {
    name: "0.0.0.0/0 without allowWorldAccess",
    text: withEnv("prod", aws({ adminCidrs: ["203.0.113.0/24", "0.0.0.0/0"] })),
    path: "environments.prod.adminCidrs[1]",
    message: "0.0.0.0/0 opens SSH and the APIs to the whole internet: name your own networks, or set allowWorldAccess: true",
  },
  {
    name: "0.0.0.0/0 with allowWorldAccess false",
    text: withEnv("prod", aws({ adminCidrs: ["0.0.0.0/0"], allowWorldAccess: false })),
    path: "environments.prod.adminCidrs[0]",
    message: "allowWorldAccess: true",
  },
  {
    name: "aws instance type in capitals",
    text: withEnv("prod", aws({ control: { instanceType: "T3-SMALL" } })),
    path: "environments.prod.control.instanceType",
    message: "must be an EC2 instance type like t3.small",
  },
  { name: "aws instance type without size", text: withEnv("prod", aws({ worker: { instanceType: "t3" } })), path: "environments.prod.worker.instanceType", message: "must be an EC2 instance type" },
  { name: "aws AMI id", text: withEnv("prod", aws({ ami: "ami-xyz" })), path: "environments.prod.ami", message: "must be an AMI id like ami-0123456789abcdef0" },
  { name: "aws disk too small", text: withEnv("prod", aws({ control: { diskGiB: 4 } })), path: "environments.prod.control.diskGiB", message: "must be ≥ 8" },
  { name: "aws arch amd64", text: withEnv("prod", aws({ arch: "amd64" })), path: "environments.prod.arch", message: "must be one of x86_64, arm64" },
  { name: "aws vpcId without subnetId", text: withEnv("prod", aws({ vpcId: "vpc-0abc1234" })), path: "environments.prod.subnetId", message: "required with vpcId: give both, or neither" },
  { name: "aws subnetId without vpcId", text: withEnv("prod", aws({ subnetId: "subnet-0abc1234" })), path: "environments.prod.vpcId", message: "required with subnetId" },
  {
    name: "aws network larger than a VPC",
    text: withEnv("prod", aws({ network: { cidr: "10.0.0.0/8" } })),
    path: "environments.prod.network.cidr",
    message: "AWS subnets are /16 to /28, not 10.0.0.0/8",
  },
  {
    name: "aws inherits a network larger than a VPC",
    text: spec((d) => ((d.network.cidr = "10.32.0.0/12"), (d.environments = { prod: aws() }))),
    path: "environments.prod",
    message: "AWS subnets are /16 to /28, not 10.32.0.0/12 (from network.cidr): set environments.prod.network.cidr",
  },
  { name: "backend without type", text: withEnv("prod", aws({ backend: { bucket: "demo-state" } })), path: "environments.prod.backend.type", message: "required: one of local, s3" },
  { name: "backend type unknown", text: withEnv("prod", aws({ backend: { type: "consul" } })), path: "environments.prod.backend.type", message: "must be one of local, s3, gcs, azurerm" },
  {
    name: "backend local absolute path",
    text: withEnv("prod", aws({ backend: { type: "local", path: "/var/lib/state/prod.tfstate" } })),
    path: "environments.prod.backend.path",
    message: "must be a path relative to the project",
  },
  { name: "backend local home path", text: withEnv("prod", aws({ backend: { type: "local", path: "~/prod.tfstate" } })), path: "environments.prod.backend.path", message: "must be a path relative" },
  { name: "backend s3 bucket missing", text: withEnv("prod", aws({ backend: { type: "s3", region: "eu-central-1" } })), path: "environments.prod.backend.bucket", message: "required" },
  { name: "backend s3 region missing", text: withEnv("prod", aws({ backend: { type: "s3", bucket: "demo-state" } })), path: "environments.prod.backend.region", message: "required" },
  {
    name: "backend s3 bucket name with capitals",
    text: withEnv("prod", aws({ backend: { type: "s3", bucket: "Demo_State", region: "eu-central-1" } })),
    path: "environments.prod.backend.bucket",
    message: "must be an S3 bucket name",
  },
  {
    name: "backend s3 encryption cannot be turned off",
    text: withEnv("prod", aws({ backend: { type: "s3", bucket: "demo-state", region: "eu-central-1", encrypt: false } })),
    path: "environments.prod.backend.encrypt",
    message: "unknown key",
  },
  { name: "gce project missing", text: withEnv("gce", without(gce(), "project")), path: "environments.gce.project", message: "required" },
  { name: "gce zone missing", text: withEnv("gce", without(gce(), "zone")), path: "environments.gce.zone", message: "required" },
  { name: "gce adminCidrs missing", text: withEnv("gce", without(gce(), "adminCidrs")), path: "environments.gce.adminCidrs", message: "required" },
  {
    name: "openstack externalNetwork missing",
    text: withEnv("os", without(openstack(), "externalNetwork")),
    path: "environments.os.externalNetwork",
    message: "required for the router of the network the stack creates and floating IPs (publicAddresses)",
  },
  {
    name: "openstack externalNetwork missing with an existing network and floating IPs",
    text: withEnv("os", without(openstack({ networkId: "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", subnetId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b" }), "externalNetwork")),
    path: "environments.os.externalNetwork",
    message: "required for floating IPs (publicAddresses): name the cloud's external network",
  },
  {
    name: "openstack externalNetwork missing without floating IPs, for the stack's router",
    text: withEnv("os", without(openstack({ publicAddresses: false }), "externalNetwork")),
    path: "environments.os.externalNetwork",
    message: "required for the router of the network the stack creates:",
  },
  { name: "openstack networkId without subnetId", text: withEnv("os", openstack({ networkId: "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d" })), path: "environments.os.subnetId", message: "required with networkId: give both, or neither" },
  { name: "openstack subnetId without networkId", text: withEnv("os", openstack({ subnetId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b" })), path: "environments.os.networkId", message: "required with subnetId" },
  { name: "openstack networkId by name", text: withEnv("os", openstack({ networkId: "private", subnetId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b" })), path: "environments.os.networkId", message: "must be the id of an existing network (a UUID" },
  { name: "openstack publicAddresses a string", text: withEnv("os", openstack({ publicAddresses: "yes" })), path: "environments.os.publicAddresses", message: "must be true or false, not a string" },
  { name: "openstack cloud empty", text: withEnv("os", openstack({ cloud: "" })), path: "environments.os.cloud", message: "must not be empty" },
  { name: "openstack credentials in the spec", text: withEnv("os", openstack({ password: "hunter2" })), path: "environments.os.password", message: "unknown key" },
  { name: "openstack backend type unknown", text: withEnv("os", openstack({ backend: { type: "swift" } })), path: "environments.os.backend.type", message: "must be one of local, s3, gcs, azurerm" },
  { name: "openstack boot volume too small", text: withEnv("os", openstack({ worker: { flavor: "m1.large", diskGiB: 4 } })), path: "environments.os.worker.diskGiB", message: "must be ≥ 8" },
  { name: "openstack control.flavor missing", text: withEnv("os", openstack({ control: {} })), path: "environments.os.control.flavor", message: "required" },
  { name: "openstack control missing", text: withEnv("os", without(openstack(), "control")), path: "environments.os.control", message: "required" },
  { name: "openstack adminCidrs missing", text: withEnv("os", without(openstack(), "adminCidrs")), path: "environments.os.adminCidrs", message: "required" },
  { name: "azure adminCidrs missing", text: withEnv("az", { platform: "azure", location: "westeurope" }), path: "environments.az.adminCidrs", message: "required" },
  // state backends: gcs and azurerm
  { name: "backend gcs bucket missing", text: withEnv("prod", aws({ backend: { type: "gcs" } })), path: "environments.prod.backend.bucket", message: "required" },
  { name: "backend gcs bucket with capitals", text: withEnv("prod", aws({ backend: { type: "gcs", bucket: "Demo-State" } })), path: "environments.prod.backend.bucket", message: "must be a Cloud Storage bucket name" },
  { name: "backend gcs prefix with a leading /", text: withEnv("prod", aws({ backend: { type: "gcs", bucket: "demo-state", prefix: "/demo/gce" } })), path: "environments.prod.backend.prefix", message: "without a leading or trailing '/'" },
  { name: "backend gcs with an s3 key", text: withEnv("prod", aws({ backend: { type: "gcs", bucket: "demo-state", key: "demo.tfstate" } })), path: "environments.prod.backend.key", message: "unknown key" },
  {
    name: "backend azurerm container missing",
    text: withEnv("prod", aws({ backend: { type: "azurerm", storageAccount: "demostate", resourceGroup: "state" } })),
    path: "environments.prod.backend.container",
    message: "required",
  },
  {
    name: "backend azurerm resource group missing",
    text: withEnv("prod", aws({ backend: { type: "azurerm", storageAccount: "demostate", container: "tfstate" } })),
    path: "environments.prod.backend.resourceGroup",
    message: "required",
  },
  {
    name: "backend azurerm storage account with a dash",
    text: withEnv("prod", aws({ backend: { type: "azurerm", storageAccount: "demo-state", container: "tfstate", resourceGroup: "state" } })),
    path: "environments.prod.backend.storageAccount",
    message: "must be a storage account name (3–24 lowercase letters and digits)",
  },
  {
    name: "backend azurerm container with a double dash",
    text: withEnv("prod", aws({ backend: { type: "azurerm", storageAccount: "demostate", container: "tf--state", resourceGroup: "state" } })),
    path: "environments.prod.backend.container",
    message: "must be a blob container name",
  },
  // architectures per platform
  {
    name: "gce Arm workers with x86 control nodes",
    text: withEnv("gce", gce({ worker: { machineType: "t2a-standard-4" } })),
    path: "environments.gce.worker.machineType",
    message: "t2a-standard-4 is arm64 but this environment's nodes are x86_64: use one architecture",
  },
  {
    name: "azure Arm control nodes with x86 workers",
    text: withEnv("az", { platform: "azure", location: "westeurope", adminCidrs: ADMIN, control: { vmSize: "Standard_D2ps_v5" } }),
    path: "environments.az.worker.vmSize",
    message: "Standard_B2s is x86_64 but this environment's nodes are arm64",
  },
  // gce
  { name: "gce Arm machine type (no Flatcar images)", text: withEnv("gce", gce({ control: { machineType: "c4a-standard-2" }, worker: { machineType: "c4a-standard-2" } })), path: "environments.gce.control.machineType", message: "c4a-standard-2 is arm64, but Flatcar publishes no arm64 images for gce" },
  { name: "gce zone of another region", text: withEnv("gce", gce({ zone: "us-central1-a" })), path: "environments.gce.zone", message: "us-central1-a is not in region europe-west1: use a zone like europe-west1-b" },
  { name: "gce image not an image path", text: withEnv("gce", gce({ image: "flatcar-stable" })), path: "environments.gce.image", message: "must be an image like projects/my-project/global/images/my-image" },
  { name: "gce publicAddresses a string", text: withEnv("gce", gce({ publicAddresses: "no" })), path: "environments.gce.publicAddresses", message: "must be true or false, not a string" },
  { name: "gce secureBoot a number", text: withEnv("gce", gce({ secureBoot: 1 })), path: "environments.gce.secureBoot", message: "must be true or false, not a number" },
  { name: "gce machine type with a dot", text: withEnv("gce", gce({ worker: { machineType: "t3.small" } })), path: "environments.gce.worker.machineType", message: "must be a GCE machine type like e2-standard-2" },
  { name: "gce an AWS setting", text: withEnv("gce", gce({ ami: "ami-0123456789abcdef0" })), path: "environments.gce.ami", message: "unknown key" },
  { name: "gce backend gcs without bucket", text: withEnv("gce", gce({ backend: { type: "gcs" } })), path: "environments.gce.backend.bucket", message: "required" },
  // azure
  { name: "azure without an SSH key", text: spec((d) => ((d.ssh.authorizedKeys = []), (d.environments = { az: azure() }))), path: "ssh.authorizedKeys", message: "is empty, and Azure creates the VMs of environments.az only with one: add your public key" },
  { name: "azure with ECDSA keys only", text: spec((d) => ((d.ssh.authorizedKeys = [sshKey("ecdsa-sha2-nistp256")]), (d.environments = { az: azure() }))), path: "ssh.authorizedKeys", message: "has no ssh-ed25519 key, nor an ssh-rsa key of 2048 bits or more" },
  { name: "azure free offer on Arm sizes", text: withEnv("az", azure({ offer: "free", control: { vmSize: "Standard_D2ps_v5" }, worker: { vmSize: "Standard_D4ps_v5" } })), path: "environments.az.offer", message: "free has no arm64 images" },
  { name: "azure LTS without a SKU", text: spec((d) => ((d.os = { channel: "lts" }), (d.environments = { az: azure() }))), path: "environments.az.sku", message: "required with os.channel lts" },
  { name: "azure unknown offer", text: withEnv("az", azure({ offer: "pro" })), path: "environments.az.offer", message: "must be one of corevm, free" },
  { name: "azure SKU with capitals", text: withEnv("az", azure({ sku: "Stable-Gen2" })), path: "environments.az.sku", message: "must be an image SKU like stable-gen2" },
  { name: "azure image not a resource id", text: withEnv("az", azure({ image: "kinvolk:flatcar-container-linux-free:stable-gen2:latest" })), path: "environments.az.image", message: "must be an image resource id" },
  { name: "azure subscription id not a GUID", text: withEnv("az", azure({ subscriptionId: "my-subscription" })), path: "environments.az.subscriptionId", message: "must be a subscription id like 00000000-0000-0000-0000-000000000000" },
  { name: "azure resource group ending in a dot", text: withEnv("az", azure({ resourceGroup: "coreform." })), path: "environments.az.resourceGroup", message: "must be an Azure resource group name" },
  { name: "azure publicAddresses a string", text: withEnv("az", azure({ publicAddresses: "false" })), path: "environments.az.publicAddresses", message: "must be true or false, not a string" },
  { name: "azure location missing", text: withEnv("az", without(azure(), "location")), path: "environments.az.location", message: "required" },
  { name: "aws private nodes in the stack's network", text: withEnv("prod", aws({ publicAddresses: false })), path: "environments.prod.publicAddresses", message: "false needs a subnet with its own way out" },
  // libvirt
  { name: "libvirt imagePath relative", text: withEnv("kvm", { platform: "libvirt", imagePath: "flatcar_production_qemu_image.img" }), path: "environments.kvm.imagePath", message: "must be an absolute path to an image file" },
  { name: "libvirt imagePath a directory", text: withEnv("kvm", { platform: "libvirt", imagePath: "/var/lib/libvirt/images/" }), path: "environments.kvm.imagePath", message: "must be an absolute path to an image file" },
  { name: "libvirt uri not a URI", text: withEnv("kvm", { platform: "libvirt", uri: "/var/run/libvirt/libvirt-sock" }), path: "environments.kvm.uri", message: "must be a libvirt URI like qemu:///system" },
  {
    name: "libvirt on another host",
    text: withEnv("kvm", { platform: "libvirt", uri: "qemu+ssh://root@kvm1.example.com/system" }),
    path: "environments.kvm.uri",
    message: "qemu+ssh://root@kvm1.example.com/system is another host: the provider writes each node's Ignition file where cdktf runs",
  },
  {
    name: "libvirt: two environments on one host share the spec's network",
    text: spec((d) => (d.environments = { a: { platform: "libvirt" }, b: { platform: "libvirt" } })),
    path: "environments.b",
    message: "10.42.0.0/24 overlaps the network of environments.a (10.42.0.0/24) on qemu:///system: libvirt starts only one of them",
  },
  {
    name: "libvirt: two environments on one host with overlapping networks",
    text: spec((d) => (d.environments = { a: { platform: "libvirt", network: { cidr: "10.43.0.0/24" } }, b: { platform: "libvirt", network: { cidr: "10.43.0.0/16" } } })),
    path: "environments.b.network.cidr",
    message: "10.43.0.0/16 overlaps the network of environments.a (10.43.0.0/24)",
  },
  { name: "libvirt firewall settings (the NAT network is the boundary)", text: withEnv("kvm", { platform: "libvirt", adminCidrs: ADMIN }), path: "environments.kvm.adminCidrs", message: "unknown key" },
  { name: "libvirt memory below 512 MiB", text: withEnv("kvm", { platform: "libvirt", control: { memoryMiB: 256 } }), path: "environments.kvm.control.memoryMiB", message: "must be ≥ 512" },
  // the file itself
  { name: "YAML: bad indentation", text: "apiVersion: coreform/v1\nname: t\n  bad: indent\n", path: "{file}:3:6", message: "YAML syntax error: bad indentation of a mapping entry" },
  { name: "YAML: unclosed flow list", text: "apiVersion: coreform/v1\nnodes: [\n", path: "{file}:3:1", message: "YAML syntax error: unexpected end of the stream" },
  { name: "YAML: duplicate key", text: "apiVersion: coreform/v1\nname: a\nname: b\n", path: "{file}:3:1", message: "YAML syntax error: duplicated mapping key" },
  { name: "YAML: tab indentation", text: "apiVersion: coreform/v1\nname:\n\t- a\n", path: "{file}:3:1", message: "YAML syntax error: tab characters must not be used" },
  { name: "empty file", text: "", path: "(root)", message: "the spec is empty: start from `coreform init`" },
  { name: "comments only", text: "# nothing yet\n", path: "(root)", message: "the spec is empty" },
  { name: "a list, not a mapping", text: "- apiVersion: coreform/v1\n- name: t\n", path: "(root)", message: "the spec must be a mapping" },
  { name: "a scalar, not a mapping", text: "coreform/v1\n", path: "(root)", message: "the spec must be a mapping" },
  { name: "missing file", text: null, path: "{file}", message: "not found, nor in any directory above: create one with `coreform init`, or name one with -f" },
];

describe("a bad spec", () => {
  it("the table covers at least 30 cases, each with its own name", () => {
    expect(BAD.length).toBeGreaterThanOrEqual(30);
    expect(new Set(BAD.map((b) => b.name)).size).toBe(BAD.length);
  });

  function setUp(bad: Bad): { dir: string; path: string } {
    const dir = bad.text === null ? tempDir() : project(bad.text);
    return { dir, path: bad.path.replace("{file}", join(dir, "cluster.yaml")) };
  }

  it.each(BAD)("$name: validate exits 2 and names $path", async (bad) => {
    const { dir, path } = setUp(bad);
    const r = await cli(dir, "validate");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expectIssue(r.stderr, path, bad.message);
    expect(lines(r.stderr)).toContainEqual(expect.stringMatching(/^coreform validate: .*nothing was written$/));
  });

  it.each(BAD)("$name: render exits 2, names $path and writes nothing", async (bad) => {
    const { dir, path } = setUp(bad);
    const r = await cli(dir, "render");
    expect(r.code).toBe(2);
    expectIssue(r.stderr, path, bad.message);
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(existsSync(join(dir, ".coreform"))).toBe(false);
  });
});

describe("every problem at once", () => {
  it("reports every schema problem of a spec in one run", async () => {
    const dir = project(
      spec((d) => {
        d.name = "Demo";
        d.os = { chanel: "stable" };
        d.nodes[1].count = 0;
        d.environments = { prod: without(aws(), "region"), gce: without(gce(), "zone") };
      }),
    );
    const r = await cli(dir, "validate");
    expect(r.code).toBe(2);
    expectIssue(r.stderr, "name", "must be DNS-safe");
    expectIssue(r.stderr, "os.chanel", "unknown key");
    expectIssue(r.stderr, "nodes[1].count", "must be ≥ 1");
    expectIssue(r.stderr, "environments.prod.region", "required");
    expectIssue(r.stderr, "environments.gce.zone", "required");
    expect(r.stderr).toContain("5 problems, nothing was written");
  });

  it("reports every rule problem of a spec in one run", async () => {
    const dir = project(
      spec((d) => {
        d.network.cidr = "10.42.0.5/24";
        d.nodes[1].name = "control";
        d.etcd = { version: "v3.3.0" };
        d.updates.window.start = "25:00";
        d.environments.prod = aws({ adminCidrs: ["0.0.0.0/0"] });
      }),
    );
    const r = await cli(dir, "render");
    expect(r.code).toBe(2);
    expectIssue(r.stderr, "network.cidr", "host bits are set");
    expectIssue(r.stderr, "nodes[1].name", "duplicate group name");
    expectIssue(r.stderr, "etcd.version", "is too old");
    expectIssue(r.stderr, "updates.window.start", "is not a start time");
    expectIssue(r.stderr, "environments.prod.adminCidrs[0]", "allowWorldAccess: true");
    expect(r.stderr).toContain("5 problems, nothing was written");
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(existsSync(join(dir, ".coreform"))).toBe(false);
  });
});

describe("render with an environment the spec does not have", () => {
  it("exits 2, names the environments it has and writes nothing", async () => {
    const dir = project(smallSpec());
    const r = await cli(dir, "render", "staging");
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toContainEqual(expect.stringMatching(/^coreform render: no environment staging in .*cluster\.yaml \(it has: test\)$/));
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(existsSync(join(dir, ".coreform"))).toBe(false);
  });
});

describe("warnings", () => {
  const WARNINGS = [
    { name: "no ssh keys", text: spec((d) => (d.ssh.authorizedKeys = [])), path: "ssh.authorizedKeys", message: "is empty: nobody can log in to the nodes" },
    { name: "no ssh section", text: spec((d) => delete d.ssh), path: "ssh.authorizedKeys", message: "is empty" },
    { name: "even control count", text: smallSpec({ control: 2 }), path: "nodes", message: "2 control nodes tolerate no more failures than 1: use an odd count" },
    { name: "loopback network", text: smallSpec({ cidr: "127.0.0.0/24" }), path: "network.cidr", message: "127.0.0.0/24 is a loopback network" },
    {
      name: "loopback network override",
      text: withEnv("local", { platform: "libvirt", network: { cidr: "127.1.0.0/24" } }),
      path: "environments.local.network.cidr",
      message: "is a loopback network",
    },
    {
      name: "libvirt network over libvirt's default one",
      text: withEnv("kvm", { platform: "libvirt", network: { cidr: "192.168.122.0/24" } }),
      path: "environments.kvm.network.cidr",
      message: "192.168.122.0/24 overlaps libvirt's default network (192.168.122.0/24): stop that network, or choose a range apart from it",
    },
    {
      name: "libvirt imagePath with a pinned release",
      text: spec((d) => ((d.os = { version: "4593.2.5" }), (d.environments = { kvm: { platform: "libvirt", imagePath: "/srv/flatcar_production_qemu_image.img" } }))),
      path: "environments.kvm.imagePath",
      message: "boots the release the file holds: os.version 4593.2.5 is not checked against it",
    },
    { name: "window with rebootStrategy off", text: spec((d) => (d.updates.rebootStrategy = "off")), path: "updates.window", message: "has no effect with rebootStrategy off" },
    { name: "a repeated admin CIDR", text: withEnv("gce", gce({ adminCidrs: [...ADMIN, "198.51.100.0/24", ...ADMIN] })), path: "environments.gce.adminCidrs[2]", message: "203.0.113.0/24 is listed already (adminCidrs[0]): remove it" },
  ];

  it.each(WARNINGS)("$name: exit 0 with `warning: $path: …`", async (w) => {
    const r = await cli(project(w.text), "validate");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cluster\.yaml: valid \(1 environment: \w+\)$/);
    expect(lines(r.stderr)).toContainEqual(expect.stringMatching(new RegExp(`^warning: ${escape(w.path)}: .*${escape(w.message)}`)));
    // warnings only: no line is an error
    expect(lines(r.stderr).every((l) => l.startsWith("warning: "))).toBe(true);
  });

  it("do not stop render", async () => {
    const dir = project(smallSpec({ control: 1, worker: 0 }).replace(/authorizedKeys: \[.*\]/, "authorizedKeys: []"));
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: ssh.authorizedKeys: is empty");
    expect(existsSync(join(dir, "out", "test", "plan.json"))).toBe(true);
  });
});

describe("a good spec", () => {
  it("the default cluster.yaml validates with no errors and no warnings", async () => {
    const r = await cli(tempDir(), "validate", "-f", DEFAULT_SPEC);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${DEFAULT_SPEC}: valid (6 environments: laptop, kvm, openstack, prod, gce, azure)`);
  });

  it("the default cluster.yaml has one environment per platform", () => {
    const { spec: parsed, issues } = parseSpec(readFileSync(DEFAULT_SPEC, "utf8"));
    expect(issues).toEqual([]);
    expect(Object.values(parsed!.environments).map((e) => e.platform).sort()).toEqual(["aws", "azure", "gce", "libvirt", "openstack", "vagrant"]);
  });

  it("smallSpec() is valid without a word", async () => {
    const r = await cli(project(smallSpec()), "validate");
    expect(r).toMatchObject({ code: 0, stderr: "" });
  });

  it.each([
    ["0.0.0.0/0 with allowWorldAccess: true", withEnv("prod", aws({ adminCidrs: ["0.0.0.0/0"], allowWorldAccess: true }))],
    ["a /28 holds exactly 4 nodes", smallSpec({ cidr: "10.42.0.0/28", control: 3, worker: 1 })],
    ["a pinned AMI", withEnv("prod", aws({ ami: "ami-0123456789abcdef0" }))],
    ["a pinned Flatcar release", spec((d) => (d.os = { version: "4593.2.5" }))],
    ["etcd 3.6 without the etcd lock", spec((d) => ((d.etcd = { version: "v3.6.0" }), (d.updates.rebootStrategy = "reboot")))],
    ["a window without a weekday", spec((d) => (d.updates.window = { start: "04:00", length: "1h30m" }))],
    ["the longest daily window locksmith takes", spec((d) => (d.updates.window = { start: "04:00", length: "23h59m" }))],
    ["the longest weekly window in hours", spec((d) => (d.updates.window = { start: "Thu 04:00", length: "167h" }))],
    ["a zero-length window (locksmithd reboots at its start)", spec((d) => (d.updates.window = { start: "thu 4:00", length: "0s" }))],
    ["an update server of one's own", spec((d) => (d.updates.server = "http://nebraska.local:8000/v1/update/"))],
    ["updates disabled", spec((d) => (d.updates.server = "disabled"))],
    ["a count of 1.0 is whole", spec((d) => (d.nodes[1].count = 1.0))],
    ["aws with an existing VPC and subnet", withEnv("prod", aws({ vpcId: "vpc-0abc1234", subnetId: "subnet-0def5678" }))],
    ["aws state in S3", withEnv("prod", aws({ backend: { type: "s3", bucket: "demo-state", key: "demo/prod.tfstate", region: "eu-central-1", useLockfile: false } }))],
    ["aws state in a local file of one's choice", withEnv("prod", aws({ backend: { type: "local", path: "../state/prod.tfstate" } }))],
    ["aws on a /16 network", withEnv("prod", aws({ network: { cidr: "10.50.0.0/16" } }))],
    ["openstack with every required field", withEnv("os", openstack())],
    [
      "openstack in an existing network without floating IPs (no external network), a cloud of clouds.yaml, an image of one's own, boot volumes, state in S3",
      withEnv("os", without(openstack({ networkId: "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", subnetId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", publicAddresses: false, cloud: "mycloud", region: "RegionOne", imageName: "flatcar-stable", keyPair: "operator", control: { flavor: "m1.medium", diskGiB: 30 }, backend: { type: "s3", bucket: "demo-state", region: "eu-central-1" } }), "externalNetwork")),
    ],
    ["gce with every required field", withEnv("gce", gce())],
    ["libvirt from a downloaded image, on the local daemon's socket", withEnv("kvm", { platform: "libvirt", uri: "qemu+unix:///system?socket=/run/libvirt/libvirt-sock", imagePath: "/srv/flatcar_production_qemu_image.img" })],
    ["libvirt through ssh to this host", withEnv("kvm", { platform: "libvirt", uri: "qemu+ssh://root@localhost/system" })],
    [
      "two libvirt environments on one host, each with its own network",
      spec((d) => (d.environments = { a: { platform: "libvirt", network: { cidr: "10.43.0.0/24" } }, b: { platform: "libvirt", network: { cidr: "10.44.0.0/24" } } })),
    ],
    ["azure with every required field", withEnv("az", azure())],
    [
      "azure in a resource group of one's own, free offer, pinned subscription, private nodes, state in Azure Storage",
      withEnv("az", azure({ resourceGroup: "my-group", offer: "free", subscriptionId: "12345678-1234-1234-1234-123456789abc", publicAddresses: false, backend: { type: "azurerm", storageAccount: "demostate", container: "tfstate", resourceGroup: "state" } })),
    ],
    ["azure on Cobalt (CoreVM has arm64 images)", withEnv("az", azure({ control: { vmSize: "Standard_D2ps_v6" }, worker: { vmSize: "Standard_D4ps_v6" } }))],
    ["azure LTS with its SKU", spec((d) => ((d.os = { channel: "lts" }), (d.environments = { az: azure({ sku: "lts2024-gen2" }) })))],
    ["azure with an image of one's own", withEnv("az", azure({ image: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/galleries/gal/images/flatcar/versions/1.0.0" }))],
    ["gce with an image of one's own, private nodes, Secure Boot and state in GCS", withEnv("gce", gce({ image: "projects/my-project/global/images/family/my-flatcar", publicAddresses: false, secureBoot: true, backend: { type: "gcs", bucket: "demo-state" } }))],
    ["gce on an Axion machine type with an image of one's own", withEnv("gce", gce({ image: "projects/my-project/global/images/flatcar-arm64", control: { machineType: "c4a-standard-2" }, worker: { machineType: "c4a-standard-4" } }))],
    ["etcd pinned by digest", spec((d) => (d.etcd = { digest: `sha256:${"0f".repeat(32)}` }))],
    ["k3s without sysupdate", spec((d) => (d.scheduler = { kind: "kubernetes", sysupdate: false }))],
    ["state in GCS", withEnv("prod", aws({ backend: { type: "gcs", bucket: "demo-state", prefix: "demo/prod" } }))],
    ["state in Azure Storage", withEnv("prod", aws({ backend: { type: "azurerm", storageAccount: "demostate", container: "tfstate", resourceGroup: "state", useAzureadAuth: true } }))],
  ])("%s passes", async (_name, text) => {
    const r = await cli(project(text), "validate");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("etcd.diskGiB", () => {
  it.each([9, 1025, 10.5])("%s is refused, named", (value) => {
    const { issues } = parseSpec(spec((d) => (d.etcd = { diskGiB: value })));
    expect(issues.filter((i) => i.severity === "error").map((i) => i.path)).toEqual(["etcd.diskGiB"]);
  });
  it.each([10, 1024])("%s is taken", (value) => expect(parseSpec(spec((d) => (d.etcd = { diskGiB: value }))).spec?.etcd.diskGiB).toBe(value));
});

describe("defaults", () => {
  const parse = (text: string) => {
    const { spec: parsed, issues } = parseSpec(text);
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    return parsed!;
  };

  it("fill in os, etcd, updates and scheduler", () => {
    const s = parse(spec((d) => (delete d.os, delete d.etcd, delete d.updates, delete d.scheduler)));
    expect(s.os).toEqual({ channel: "stable", version: "current" });
    expect(s.etcd).toEqual({ image: "quay.io/coreos/etcd", version: "v3.5.33", snapshots: { schedule: "daily", keep: 7 }, diskGiB: 10 });
    expect(s.updates).toEqual({ server: "https://public.update.flatcar-linux.net/v1/update/", rebootStrategy: "etcd-lock" });
    expect(s.scheduler).toEqual({ kind: "kubernetes", version: "v1.32.2+k3s1", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/16", sysupdate: true });
  });

  it("fill in the parts of os that are not given", () => {
    expect(parse(spec((d) => (d.os = { channel: "beta" }))).os).toEqual({ channel: "beta", version: "current" });
    expect(parse(spec((d) => (d.os = { version: "4593.2.5" }))).os).toEqual({ channel: "stable", version: "4593.2.5" });
  });

  it("leave a group without name unnamed (the plan uses the role)", () => {
    const s = parse(spec((d) => delete d.nodes[1].name));
    expect(s.nodes[1]).toEqual({ role: "worker", count: 1 });
  });

  it("size aws nodes t3.small with 30 GiB and keep the world out", () => {
    const env = parse(withEnv("prod", aws({ worker: { instanceType: "t3.large" } }))).environments.prod;
    expect(env).toMatchObject({
      platform: "aws",
      allowWorldAccess: false,
      control: { instanceType: "t3.small", diskGiB: 30 },
      worker: { instanceType: "t3.large", diskGiB: 30 },
    });
  });

  it.each([
    ["vagrant", { platform: "vagrant" }, { control: { memoryMiB: 2048, cpus: 2 }, worker: { memoryMiB: 2048, cpus: 2 } }],
    ["libvirt", { platform: "libvirt" }, { uri: "qemu:///system", pool: "default", control: { memoryMiB: 2048, cpus: 2, diskGiB: 20 } }],
    ["gce", gce(), { allowWorldAccess: false, control: { machineType: "e2-standard-2", diskGiB: 30 } }],
    ["azure", { platform: "azure", location: "westeurope", adminCidrs: ADMIN }, { allowWorldAccess: false, control: { vmSize: "Standard_B2s", diskGiB: 30 } }],
  ])("fill in %s sizes", (name, env, expected) => {
    expect(parse(withEnv(name, env)).environments[name]).toMatchObject(expected);
  });
});

describe("defaults of the gce and azure options", () => {
  it.each([
    ["gce", gce(), { publicAddresses: true, secureBoot: false }],
    ["az", azure(), { offer: "corevm", publicAddresses: true }],
  ])("%s: public addresses, and the image settings that need no terms", (name, env, expected) => {
    const { spec: parsed, issues } = parseSpec(withEnv(name, env));
    expect(issues).toEqual([]);
    const filled = parsed!.environments[name]!;
    expect(filled).toMatchObject(expected);
    for (const key of ["image", "backend", "sku", "resourceGroup", "subscriptionId"]) expect(filled).not.toHaveProperty(key);
  });
});
