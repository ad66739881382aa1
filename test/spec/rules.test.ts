// Each semantic rule on its own: valid specs push nothing, invalid ones push exactly the expected issues.
// Specs are built with the schema only (no rules), so a rule sees exactly what the table gives it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import type { Severity, SpecIssue } from "../../src/spec/issues";
import * as rules from "../../src/spec/rules";
import { checkRules, RULES } from "../../src/spec/rules";
import { flatcarMajorDate } from "../../src/platforms/flatcar";
import { environmentsOf, platformOf } from "../../src/platforms/table";
import { specSchema, type Platform, type Spec, type SpecInput } from "../../src/spec/schema";
import { editSpec, smallSpec, type Doc } from "../helpers/cli";
import { sshKey } from "../helpers/ssh-keys";

type Rule = (spec: Spec, push: (severity: Severity, path: string, message: string) => void) => void;
type Edit = (doc: SpecInput) => void;
/** [severity, path, a fragment of the message] */
type Expected = readonly [Severity, string, string];
type Row = readonly [name: string, edit: Edit, expected: readonly Expected[]];

/** smallSpec() (3 control, 1 worker, 10.42.0.0/24, one libvirt environment `test`), changed by `edit`, through the schema only. */
const spec = (edit: Edit = () => {}, base = smallSpec()): Spec => specSchema.parse(yaml.load(editSpec(edit as (d: Doc) => void, base)));

/** Rule `name` of `platform`'s module, as checkRules runs it: given that platform's environments. */
const platformRule =
  (platform: Platform, name: string): Rule =>
  (s, push) => {
    const rule = platformOf(platform).rules[name];
    if (!rule) throw new Error(`${platform} has no rule ${name}`);
    rule(environmentsOf(s, platform), s, push);
  };

function issuesOf(rule: Rule, s: Spec): SpecIssue[] {
  const out: SpecIssue[] = [];
  rule(s, (severity, path, message) => out.push({ severity, path, message }));
  return out;
}

function expectRule(rule: Rule, edit: Edit, expected: readonly Expected[]): void {
  expect(issuesOf(rule, spec(edit))).toEqual(expected.map(([severity, path, fragment]) => ({ severity, path, message: expect.stringContaining(fragment) })));
}

const ADMIN = ["203.0.113.0/24"];
const awsEnv = (adminCidrs: string[], allowWorldAccess?: boolean) => ({
  platform: "aws" as const,
  region: "eu-central-1",
  adminCidrs,
  ...(allowWorldAccess === undefined ? {} : { allowWorldAccess }),
});
const cidr = (c: string): Edit => (d) => (d.network.cidr = c);
const envNetwork = (c: string): Edit => (d) => (d.environments.test = { platform: "libvirt", network: { cidr: c } });
const groups = (...g: SpecInput["nodes"]): Edit => (d) => (d.nodes = g);

describe("cidrIsNetworkAddress", () => {
  it.each<Row>([
    ["a network address", cidr("10.42.0.0/24"), []],
    ["a /32", cidr("10.42.0.7/32"), []],
    ["a /16", cidr("172.16.0.0/16"), []],
    ["host bits in the last octet", cidr("10.42.0.5/24"), [["error", "network.cidr", "host bits are set: did you mean 10.42.0.0/24?"]]],
    ["host bits in the third octet of a /16", cidr("10.42.3.0/16"), [["error", "network.cidr", "did you mean 10.42.0.0/16?"]]],
    ["host bits in a /23", cidr("10.42.1.0/23"), [["error", "network.cidr", "did you mean 10.42.0.0/23?"]]],
    ["host bits in an environment's network", envNetwork("10.43.0.9/24"), [["error", "environments.test.network.cidr", "did you mean 10.43.0.0/24?"]]],
    [
      "host bits in both",
      (d) => (cidr("10.42.0.1/24")(d), envNetwork("10.43.0.1/24")(d)),
      [
        ["error", "network.cidr", "10.42.0.0/24"],
        ["error", "environments.test.network.cidr", "10.43.0.0/24"],
      ],
    ],
  ])("%s", (_n, edit, expected) => expectRule(rules.cidrIsNetworkAddress, edit, expected));
});

describe("adminCidrsAreNetworks", () => {
  it.each<Row>([
    ["a network", (d) => (d.environments.prod = awsEnv(ADMIN)), []],
    ["one address", (d) => (d.environments.prod = awsEnv(["198.51.100.7/32"])), []],
    ["a platform without adminCidrs", () => {}, []],
    [
      "an address with a /24",
      (d) => (d.environments.prod = awsEnv(["203.0.113.0/24", "198.51.100.7/24"])),
      [["error", "environments.prod.adminCidrs[1]", "host bits are set: use 198.51.100.0/24, or 198.51.100.7/32 for one address"]],
    ],
  ])("%s", (_n, edit, expected) => expectRule(rules.adminCidrsAreNetworks, edit, expected));
});

describe("cidrHoldsAllNodes", () => {
  // A block holds its size minus 10 at the start and 2 at the end.
  it.each<Row>([
    ["4 nodes in a /28 (holds 4)", cidr("10.42.0.0/28"), []],
    ["4 nodes in a /24", cidr("10.42.0.0/24"), []],
    ["5 nodes in a /28", (d) => (cidr("10.42.0.0/28")(d), (d.nodes[1].count = 2)), [["error", "network.cidr", "10.42.0.0/28 holds 4 nodes, the spec plans 5: use a larger network"]]],
    ["4 nodes in a /29 (holds none)", cidr("10.42.0.0/29"), [["error", "network.cidr", "10.42.0.0/29 holds 0 nodes, the spec plans 4"]]],
    ["4 nodes in a /32", cidr("10.42.0.0/32"), [["error", "network.cidr", "holds 0 nodes"]]],
    ["244 nodes in a /24", (d) => (d.nodes[1].count = 241), []],
    ["245 nodes in a /24", (d) => (d.nodes[1].count = 242), [["error", "network.cidr", "holds 244 nodes, the spec plans 245"]]],
    ["counts of every group add up", groups({ role: "control", count: 3 }, { name: "a", role: "worker", count: 2 }, { name: "b", role: "worker", count: 240 }), [["error", "network.cidr", "the spec plans 245"]]],
    ["an environment's network too", (d) => envNetwork("10.43.0.0/29")(d), [["error", "environments.test.network.cidr", "10.43.0.0/29 holds 0 nodes"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.cidrHoldsAllNodes, edit, expected));
});

describe("loopbackIsForTests", () => {
  it.each<Row>([
    ["a private network", cidr("10.42.0.0/24"), []],
    ["next to loopback", cidr("128.0.0.0/24"), []],
    ["below loopback", cidr("126.255.255.0/24"), []],
    ["127.0.0.0/24", cidr("127.0.0.0/24"), [["warning", "network.cidr", "127.0.0.0/24 is a loopback network: only for running a cluster's etcd on one machine in tests"]]],
    ["all of 127/8", cidr("127.0.0.0/8"), [["warning", "network.cidr", "is a loopback network"]]],
    ["the top of 127/8", cidr("127.255.255.0/24"), [["warning", "network.cidr", "is a loopback network"]]],
    ["an environment's network", envNetwork("127.0.1.0/24"), [["warning", "environments.test.network.cidr", "is a loopback network"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.loopbackIsForTests, edit, expected));
});

describe("controlCountGivesQuorum", () => {
  it.each<Row>([
    ["1 control node", groups({ role: "control", count: 1 }), []],
    ["3 control nodes", groups({ role: "control", count: 3 }, { role: "worker", count: 4 }), []],
    ["5 control nodes in two groups", groups({ name: "a", role: "control", count: 2 }, { name: "b", role: "control", count: 3 }), []],
    ["no control group", groups({ role: "worker", count: 3 }), [["error", "nodes", "needs a group with role control (it runs etcd)"]]],
    ["2 control nodes", groups({ role: "control", count: 2 }), [["warning", "nodes", "2 control nodes tolerate no more failures than 1: use an odd count"]]],
    ["4 control nodes in two groups", groups({ name: "a", role: "control", count: 1 }, { role: "worker", count: 1 }, { name: "b", role: "control", count: 3 }), [["warning", "nodes", "4 control nodes tolerate no more failures than 3"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.controlCountGivesQuorum, edit, expected));
});

describe("controlCountIsBounded", () => {
  const etcdFaq = "https://etcd.io/docs/v3.5/faq/#what-is-maximum-cluster-size";
  it.each<Row>([
    ["7 control nodes", groups({ role: "control", count: 7 }, { role: "worker", count: 4993 }), []],
    ["7 in three groups", groups({ name: "a", role: "control", count: 3 }, { name: "b", role: "control", count: 3 }, { name: "c", role: "control", count: 1 }), []],
    [
      "9 control nodes",
      groups({ role: "control", count: 9 }),
      [["error", "nodes", `9 control nodes: each runs an etcd member, and etcd advises at most 7 (${etcdFaq}): use 3, 5 or 7 and give the other nodes role worker`]],
    ],
    ["8 in two groups", groups({ name: "a", role: "control", count: 5 }, { name: "b", role: "control", count: 3 }), [["error", "nodes", "8 control nodes: each runs an etcd member"]]],
    ["4999 control nodes", groups({ role: "control", count: 4999 }), [["error", "nodes", "4999 control nodes"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.controlCountIsBounded, edit, expected));

  it("over the bound, the odd-count warning gives way to the error", () => {
    expect(issuesOf(rules.controlCountGivesQuorum, spec(groups({ role: "control", count: 8 })))).toEqual([]);
  });
});

describe("nodeCountIsBounded", () => {
  it.each<Row>([
    ["5000 nodes", groups({ role: "control", count: 3 }, { role: "worker", count: 4997 }), []],
    ["5001 nodes", groups({ role: "control", count: 3 }, { role: "worker", count: 4998 }), [["error", "nodes", "5001 nodes: a cluster has at most 5000 (Kubernetes' own limit, https://kubernetes.io/docs/setup/best-practices/cluster-large/)"]]],
    ["groups of 5000 add up", groups({ role: "control", count: 3 }, { name: "a", role: "worker", count: 5000 }, { name: "b", role: "worker", count: 5000 }), [["error", "nodes", "10003 nodes"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.nodeCountIsBounded, edit, expected));
});

describe("namesAreUnique", () => {
  it.each<Row>([
    ["named groups", groups({ name: "control", role: "control", count: 1 }, { name: "worker", role: "worker", count: 1 }), []],
    ["unnamed groups of different roles", groups({ role: "control", count: 1 }, { role: "worker", count: 1 }), []],
    ["a name that is another group's role", groups({ role: "control", count: 1 }, { name: "control", role: "worker", count: 1 }), [["error", "nodes[1].name", 'duplicate group name "control" (also nodes[0]): give each group its own name']]],
    ["two unnamed worker groups", groups({ role: "control", count: 1 }, { role: "worker", count: 1 }, { role: "worker", count: 1 }), [["error", "nodes[2].name", 'duplicate group name "worker" (also nodes[1])']]],
    [
      "three of a kind name the first each time",
      groups({ name: "x", role: "control", count: 1 }, { name: "x", role: "worker", count: 1 }, { name: "x", role: "worker", count: 1 }),
      [
        ["error", "nodes[1].name", "(also nodes[0])"],
        ["error", "nodes[2].name", "(also nodes[0])"],
      ],
    ],
  ])("%s", (_n, edit, expected) => expectRule(rules.namesAreUnique, edit, expected));
});

describe("rebootWindowSyntax: exactly what flatcar/locksmith's ParsePeriodic takes", () => {
  const window = (start: string, length: string): Edit => (d) => (d.updates = { rebootStrategy: "etcd-lock", window: { start, length } });
  it("no window", () => expectRule(rules.rebootWindowSyntax, (d) => (d.updates = {}), []));
  it.each<Row>([
    ["Thu 04:00 for 1h", window("Thu 04:00", "1h"), []],
    ["04:00 for 1h30m", window("04:00", "1h30m"), []],
    ["Sun 23:59 for 90m", window("Sun 23:59", "90m"), []],
    ["00:00 for 0.5h", window("00:00", "0.5h"), []],
    ["Mon 00:00 for 45s", window("Mon 00:00", "45s"), []],
    // The bounds: shorter than the period, a day or a week.
    ["daily 23h59m", window("04:00", "23h59m"), []],
    ["daily 23h59m59.999999999s", window("04:00", "23h59m59.999999999s"), []],
    ["daily 24h", window("04:00", "24h"), [["error", "updates.window.length", "24h is not shorter than a day (24h), the period of a daily window, and locksmithd refuses it: use less than 24h, or a weekday in start for a weekly window"]]],
    ["daily 23.99999999999999999h: Go rounds the fraction to a whole day", window("04:00", "23.99999999999999999h"), [["error", "updates.window.length", "not shorter than a day"]]],
    ["daily 1440m", window("04:00", "1440m"), [["error", "updates.window.length", "not shorter than a day"]]],
    ["daily 23h60m", window("04:00", "23h60m"), [["error", "updates.window.length", "not shorter than a day"]]],
    ["daily 1000h", window("04:00", "1000h"), [["error", "updates.window.length", "not shorter than a day"]]],
    ["weekly 24h", window("Thu 04:00", "24h"), []],
    ["weekly 167h", window("Thu 04:00", "167h"), []],
    ["weekly 167h59m", window("Thu 04:00", "167h59m"), []],
    ["weekly 168h", window("Thu 04:00", "168h"), [["error", "updates.window.length", "168h is not shorter than a week (168h), the period of a weekly window, and locksmithd refuses it: use less than 168h"]]],
    ["weekly 1000h", window("Thu 04:00", "1000h"), [["error", "updates.window.length", "not shorter than a week"]]],
    // Start: what Sscanf("%d:%d") and the weekday table take.
    ["one-digit hour and minute", window("4:0", "1h"), []],
    ["lowercase weekday", window("thu 04:00", "1h"), []],
    ["uppercase weekday", window("THU 04:00", "1h"), []],
    ["tab and spaces around", window("\tThu   04:00 ", "1h"), []],
    ["signed hour", window("+4:00", "1h"), []],
    ["hour 24", window("24:00", "1h"), [["error", "updates.window.start", '"24:00" is not a start time (hour 24 is not 0 to 23): use "HH:MM" or "Thu 04:00" (24-hour, optional weekday)']]],
    ["minute 60", window("04:60", "1h"), [["error", "updates.window.start", "(minute 60 is not 0 to 59)"]]],
    ["negative minute", window("04:-1", "1h"), [["error", "updates.window.start", "(minute -1 is not 0 to 59)"]]],
    ["full weekday", window("Thursday 04:00", "1h"), [["error", "updates.window.start", '(unknown weekday "Thursday")']]],
    ["12-hour clock", window("4:00 AM", "1h"), [["error", "updates.window.start", '(unknown weekday "4:00")']]],
    ["weekday, time and zone", window("Thu 04:00 UTC", "1h"), [["error", "updates.window.start", "(more than a weekday and a time)"]]],
    ["weekday only", window("Thu", "1h"), [["error", "updates.window.start", '("Thu" is not HH:MM)']]],
    ["hour only", window("4", "1h"), [["error", "updates.window.start", '("4" is not HH:MM)']]],
    ["empty start", window("", "1h"), [["error", "updates.window.start", "(no time of day)"]]],
    ["blank start", window("  ", "1h"), [["error", "updates.window.start", "(no time of day)"]]],
    ["seconds: locksmith ignores them", window("04:00:30", "1h"), [["warning", "updates.window.start", '"04:00:30": locksmithd reads it as 04:00 and ignores ":30"']]],
    ["text after the minutes", window("thu 4:05pm", "1h"), [["warning", "updates.window.start", 'reads it as Thu 04:05 and ignores "pm"']]],
    ["a line break", window("04:00\nREBOOT_STRATEGY=off", "1h"), [["error", "updates.window.start", "contains a line break or a backslash"], ["error", "updates.window.start", '(unknown weekday "04:00")']]],
    ["a backslash after the time", window("04:00\\", "1h"), [["error", "updates.window.start", "contains a line break or a backslash"], ["warning", "updates.window.start", "ignores"]]],
    // Length: Go's time.ParseDuration.
    ["zero length", window("04:00", "0"), []],
    ["zero length with a unit", window("04:00", "0h0m"), []],
    ["minus zero", window("04:00", "-0s"), []],
    ["fractions and every unit", window("04:00", "1.5h2m3s4ms5us6µs7ns"), []],
    ["leading dot", window("04:00", ".5h"), []],
    ["length without unit", window("04:00", "60"), [["error", "updates.window.length", '"60" is not a duration: use a Go duration like 1h or 1h30m']]],
    ["length in days", window("04:00", "1d"), [["error", "updates.window.length", "is not a duration"]]],
    ["uppercase unit", window("04:00", "1H"), [["error", "updates.window.length", "is not a duration"]]],
    ["a dot only", window("04:00", ".h"), [["error", "updates.window.length", "is not a duration"]]],
    ["empty length", window("04:00", ""), [["error", "updates.window.length", "is not a duration"]]],
    ["negative length", window("04:00", "-1h"), [["error", "updates.window.length", '"-1h" is negative: use a duration like 1h']]],
    ["length with a space", window("04:00", "1h 30m"), [["error", "updates.window.length", "is not a duration"]]],
    ["past int64", window("04:00", "2562048h"), [["error", "updates.window.length", "is not a duration"]]],
    [
      "both wrong",
      window("noon", "long"),
      [
        ["error", "updates.window.start", '"noon"'],
        ["error", "updates.window.length", '"long"'],
      ],
    ],
    ["a bad start hides no bad length", window("25:00", "-1h"), [["error", "updates.window.start", "hour 25"], ["error", "updates.window.length", "negative"]]],
    ["with rebootStrategy off", (d) => (d.updates = { rebootStrategy: "off", window: { start: "04:00", length: "1h" } }), [["warning", "updates.window", "has no effect with rebootStrategy off"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.rebootWindowSyntax, edit, expected));
});

describe("etcdSpeaksV2", () => {
  const etcd = (version: string, rebootStrategy: "etcd-lock" | "reboot" | "off" = "etcd-lock"): Edit => (d) => ((d.etcd = { version }), (d.updates = { rebootStrategy }));
  it.each<Row>([
    ["v3.5.16 with etcd-lock", etcd("v3.5.16"), []],
    ["v3.4.34 with etcd-lock", etcd("v3.4.34"), []],
    ["v3.6.0 with reboot", etcd("v3.6.0", "reboot"), []],
    ["v3.6.0 with off", etcd("v3.6.0", "off"), []],
    ["v3.6.0 with etcd-lock", etcd("v3.6.0"), [["error", "etcd.version", "etcd v3.6.0 has no v2 API, which locksmith's reboot lock needs: use v3.5.x or another rebootStrategy"]]],
    ["v3.10.0 with etcd-lock", etcd("v3.10.0"), [["error", "etcd.version", "has no v2 API"]]],
    ["v3.3.27", etcd("v3.3.27", "reboot"), [["error", "etcd.version", "v3.3.27 is too old: use v3.5.x"]]],
    ["v3.0.0", etcd("v3.0.0"), [["error", "etcd.version", "is too old"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.etcdSpeaksV2, edit, expected));
});

describe("etcdIsCurrent", () => {
  const etcd = (version: string): Edit => (d) => (d.etcd = { version });
  const why = "is older than v3.5.26, which repairs membership data before any move to 3.6 (older ones make zombie members, or turn promoted members back into learners): use v3.5.33";
  it.each<Row>([
    ["the default", () => {}, []],
    ["v3.5.26", etcd("v3.5.26"), []],
    ["v3.5.33", etcd("v3.5.33"), []],
    ["v3.5.25", etcd("v3.5.25"), [["warning", "etcd.version", `v3.5.25 ${why}`]]],
    ["v3.5.16", etcd("v3.5.16"), [["warning", "etcd.version", `v3.5.16 ${why}`]]],
    ["v3.5.0", etcd("v3.5.0"), [["warning", "etcd.version", `v3.5.0 ${why}`]]],
    ["v3.6.8 (no v2: etcdSpeaksV2's)", etcd("v3.6.8"), []],
  ])("%s", (_n, edit, expected) => expectRule(rules.etcdIsCurrent, edit, expected));
});

describe("fleetIsLegacy", () => {
  const fleetWarning: Row[2][number] = ["warning", "scheduler.kind", "fleet is unmaintained since 2018 and needs etcd ≤ 3.5 with the v2 API: use kubernetes for anything but demos"];
  it.each<Row>([
    ["none", (d) => (d.scheduler = { kind: "none" }), []],
    ["the default (kubernetes)", (d) => delete d.scheduler, []],
    ["kubernetes", (d) => (d.scheduler = { kind: "kubernetes" }), []],
    ["fleet", (d) => (d.scheduler = { kind: "fleet" }), [fleetWarning]],
    ["fleet on etcd v3.6", (d) => ((d.scheduler = { kind: "fleet" }), (d.etcd = { version: "v3.6.0" })), [fleetWarning, ["error", "etcd.version", "fleet speaks only etcd's v2 API, which v3.6.0 no longer has: use v3.5.x"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.fleetIsLegacy, edit, expected));
});

describe("sshKeysGiven", () => {
  it.each<Row>([
    ["one key", () => {}, []],
    ["no keys", (d) => (d.ssh = { authorizedKeys: [] }), [["warning", "ssh.authorizedKeys", "is empty: nobody can log in to the nodes"]]],
    ["no ssh section", (d) => delete d.ssh, [["warning", "ssh.authorizedKeys", "is empty"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.sshKeysGiven, edit, expected));
});

describe("oneArchPerEnvironment", () => {
  const types = (control: string, worker: string, arch?: "x86_64" | "arm64"): Edit => (d) =>
    (d.environments.prod = { ...awsEnv(ADMIN), control: { instanceType: control }, worker: { instanceType: worker }, ...(arch ? { arch } : {}) });
  it.each<Row>([
    ["the defaults (t3.small)", (d) => (d.environments.prod = awsEnv(ADMIN)), []],
    ["Graviton everywhere", types("t4g.medium", "m7g.large"), []],
    ["x2gd and c7gn are Graviton too", types("x2gd.large", "c7gn.large"), []],
    ["g4dn and g5 are x86", types("g4dn.xlarge", "g5.xlarge"), []],
    ["explicit arm64 on Graviton", types("t4g.small", "t4g.small", "arm64"), []],
    ["a Graviton worker with x86 control nodes", types("t3.small", "m7g.large"), [["error", "environments.prod.worker.instanceType", "m7g.large is arm64 but this environment's nodes are x86_64: use one architecture"]]],
    ["explicit arm64 on t3", types("t3.small", "t4g.small", "arm64"), [["error", "environments.prod.control.instanceType", "t3.small is x86_64 but this environment's nodes are arm64: use one architecture (arch is set)"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.oneArchPerEnvironment, edit, expected));
});

describe("k3sHashesMatchVersion", () => {
  const hash = "5d".repeat(32);
  test.each<Row>([
    ["no hashes", (d) => (d.scheduler = { kind: "kubernetes" }), []],
    ["the version's files", (d) => (d.scheduler = { kind: "kubernetes", sha256: { "k3s-v1.32.2+k3s1-x86-64.raw": hash, "k3s-v1.32.2+k3s1-arm64.raw": hash } }), []],
    [
      "a file of the release before",
      (d) => (d.scheduler = { kind: "kubernetes", version: "v1.32.3+k3s1", sha256: { "k3s-v1.32.2+k3s1-x86-64.raw": hash } }),
      [["error", 'scheduler.sha256."k3s-v1.32.2+k3s1-x86-64.raw"', "is a file of another release than scheduler.version v1.32.3+k3s1: copy the hashes from that release's SHA256SUMS"]],
    ],
  ])("%s", (_n, edit, expected) => expectRule(rules.k3sHashesMatchVersion, edit, expected));
});

describe("schedulerRangesApart", () => {
  const k8s = (ranges: { podCidr?: string; serviceCidr?: string }): Edit => (d) => (d.scheduler = { kind: "kubernetes", ...ranges });
  it.each<Row>([
    ["the defaults, next to 10.42.0.0/24", () => {}, []],
    ["k3s's own defaults hold the default network", k8s({ podCidr: "10.42.0.0/16", serviceCidr: "10.43.0.0/16" }), [["error", "scheduler.podCidr", "10.42.0.0/16 overlaps network.cidr (10.42.0.0/24)"]]],
    ["a service range over an environment's network", (d) => (envNetwork("10.96.3.0/24")(d), k8s({})(d)), [["error", "scheduler.serviceCidr", "10.96.0.0/16 overlaps environments.test.network.cidr (10.96.3.0/24)"]]],
    ["pods and services on one range", k8s({ podCidr: "10.200.0.0/16", serviceCidr: "10.200.128.0/20" }), [["error", "scheduler.serviceCidr", "10.200.128.0/20 overlaps scheduler.podCidr (10.200.0.0/16)"]]],
    ["host bits", k8s({ podCidr: "10.244.1.0/16" }), [["error", "scheduler.podCidr", "did you mean 10.244.0.0/16?"]]],
    ["a public range", k8s({ serviceCidr: "8.8.0.0/16" }), [["error", "scheduler.serviceCidr", "8.8.0.0/16 is not a private range"]]],
    ["fleet has no such ranges", (d) => (d.scheduler = { kind: "fleet" }), []],
  ])("%s", (_n, edit, expected) => expectRule(rules.schedulerRangesApart, edit, expected));
});

describe("cidrIsPrivate", () => {
  const notPrivate = (path: string, c: string): Expected => ["error", path, `${c} is not a private network: use one inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918) or 100.64.0.0/10 (RFC 6598)`];
  it.each<Row>([
    ["10.42.0.0/24", cidr("10.42.0.0/24"), []],
    ["all of 10/8", cidr("10.0.0.0/8"), []],
    ["the top of 172.16/12", cidr("172.31.255.0/24"), []],
    ["192.168.56.0/24 (VirtualBox)", cidr("192.168.56.0/24"), []],
    ["shared address space 100.64/10", cidr("100.127.0.0/16"), []],
    ["loopback (it has its own warning)", cidr("127.0.0.0/24"), []],
    ["the whole internet", cidr("0.0.0.0/0"), [notPrivate("network.cidr", "0.0.0.0/0")]],
    ["a public block", cidr("8.8.8.0/24"), [notPrivate("network.cidr", "8.8.8.0/24")]],
    ["10/7 reaches past 10/8", cidr("10.0.0.0/7"), [notPrivate("network.cidr", "10.0.0.0/7")]],
    ["172.15.0.0/16, next to 172.16/12", cidr("172.15.0.0/16"), [notPrivate("network.cidr", "172.15.0.0/16")]],
    ["172.32.0.0/16, past 172.16/12", cidr("172.32.0.0/16"), [notPrivate("network.cidr", "172.32.0.0/16")]],
    ["100.128.0.0/16, past 100.64/10", cidr("100.128.0.0/16"), [notPrivate("network.cidr", "100.128.0.0/16")]],
    ["link-local", cidr("169.254.0.0/24"), [notPrivate("network.cidr", "169.254.0.0/24")]],
    ["documentation", cidr("192.0.2.0/24"), [notPrivate("network.cidr", "192.0.2.0/24")]],
    ["multicast", cidr("224.0.0.0/24"), [notPrivate("network.cidr", "224.0.0.0/24")]],
    ["reserved", cidr("240.0.0.0/24"), [notPrivate("network.cidr", "240.0.0.0/24")]],
    ["\"this network\"", cidr("0.0.0.0/24"), [notPrivate("network.cidr", "0.0.0.0/24")]],
    ["an environment's network", envNetwork("1.2.3.0/24"), [notPrivate("environments.test.network.cidr", "1.2.3.0/24")]],
  ])("%s", (_n, edit, expected) => expectRule(rules.cidrIsPrivate, edit, expected));
});

describe("worldAccessIsExplicit", () => {
  it.each<Row>([
    ["own networks", (d) => (d.environments.prod = awsEnv(ADMIN)), []],
    ["0.0.0.0/0 allowed", (d) => (d.environments.prod = awsEnv(["0.0.0.0/0"], true)), []],
    ["a platform without a firewall", () => {}, []],
    ["0.0.0.0/0", (d) => (d.environments.prod = awsEnv(["0.0.0.0/0"])), [["error", "environments.prod.adminCidrs[0]", "0.0.0.0/0 opens SSH and the APIs to the whole internet: name your own networks, or set allowWorldAccess: true"]]],
    ["0.0.0.0/0 explicitly not allowed", (d) => (d.environments.prod = awsEnv(["0.0.0.0/0"], false)), [["error", "environments.prod.adminCidrs[0]", "allowWorldAccess: true"]]],
    [
      "0.0.0.0/0 second, in two environments",
      (d) => {
        d.environments.prod = awsEnv([...ADMIN, "0.0.0.0/0"]);
        d.environments.gce = { platform: "gce", project: "coreform-demo", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ["0.0.0.0/0"] };
      },
      [
        ["error", "environments.prod.adminCidrs[1]", "0.0.0.0/0 opens"],
        ["error", "environments.gce.adminCidrs[0]", "0.0.0.0/0 opens"],
      ],
    ],
    ["two /1 halves", (d) => (d.environments.prod = awsEnv(["0.0.0.0/1", "128.0.0.0/1"])), [
      ["error", "environments.prod.adminCidrs[0]", "0.0.0.0/1 opens SSH and the APIs to 56.5% of the internet's public addresses"],
      ["error", "environments.prod.adminCidrs[1]", "128.0.0.0/1 opens SSH and the APIs to 43.5%"],
    ]],
    ["two /1 halves allowed", (d) => (d.environments.prod = awsEnv(["0.0.0.0/1", "128.0.0.0/1"], true)), []],
    ["a /7 of public addresses", (d) => (d.environments.prod = awsEnv(["8.0.0.0/7"])), [["error", "environments.prod.adminCidrs[0]", "8.0.0.0/7 opens SSH and the APIs to 0.9% of the internet's public addresses: name your own networks, or set allowWorldAccess: true"]]],
    ["a public /8 is one organisation's", (d) => (d.environments.prod = awsEnv(["17.0.0.0/8"])), []],
    [
      "two public /8s together",
      (d) => (d.environments.prod = awsEnv(["17.0.0.0/8", "18.0.0.0/8"])),
      [["error", "environments.prod.adminCidrs", "together open SSH and the APIs to 0.9% of the internet's public addresses, more than a /8's worth counts as the world"]],
    ],
    ["many /9s together", (d) => (d.environments.prod = awsEnv(Array.from({ length: 40 }, (_, i) => `${20 + Math.floor(i / 2)}.${(i % 2) * 128}.0.0/9`))), [["error", "environments.prod.adminCidrs", "together open"]]],
    ["a /8 and an address more", (d) => (d.environments.prod = awsEnv(["17.0.0.0/8", "198.51.100.7/32", "8.8.8.8/32"])), [["error", "environments.prod.adminCidrs", "together open"]]],
    ["overlapping blocks count once", (d) => (d.environments.prod = awsEnv(["17.0.0.0/8", "17.0.0.0/9", "17.128.0.0/9"])), []],
    ["private and shared space is not the world", (d) => (d.environments.prod = awsEnv(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"])), []],
    ["a /1 that is half private and special still reaches far", (d) => (d.environments.prod = awsEnv(["0.0.0.0/1"])), [["error", "environments.prod.adminCidrs[0]", "0.0.0.0/1 opens"]]],
    ["per environment: one wide, one narrow", (d) => ((d.environments.prod = awsEnv(["0.0.0.0/2"])), (d.environments.os = { platform: "openstack", externalNetwork: "public", adminCidrs: ADMIN, control: { flavor: "m1" }, worker: { flavor: "m1" } })), [["error", "environments.prod.adminCidrs[0]", "0.0.0.0/2 opens"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.worldAccessIsExplicit, edit, expected));
});

describe("adminCidrsAreDistinct", () => {
  it.each<Row>([
    ["different networks", (d) => (d.environments.prod = awsEnv(["203.0.113.0/24", "198.51.100.0/24"])), []],
    ["nested networks", (d) => (d.environments.prod = awsEnv(["203.0.113.0/24", "203.0.113.0/25"])), []],
    ["the same network twice", (d) => (d.environments.prod = awsEnv(["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"])), [["warning", "environments.prod.adminCidrs[2]", "203.0.113.0/24 is listed already (adminCidrs[0]): remove it"]]],
    ["the same network, written with host bits", (d) => (d.environments.prod = awsEnv(["203.0.113.0/24", "203.0.113.9/24"])), [["warning", "environments.prod.adminCidrs[1]", "is listed already (adminCidrs[0])"]]],
    ["three times", (d) => (d.environments.prod = awsEnv(["198.51.100.7/32", "198.51.100.7/32", "198.51.100.7/32"])), [
      ["warning", "environments.prod.adminCidrs[1]", "(adminCidrs[0])"],
      ["warning", "environments.prod.adminCidrs[2]", "(adminCidrs[0])"],
    ]],
  ])("%s", (_n, edit, expected) => expectRule(rules.adminCidrsAreDistinct, edit, expected));
});

describe("aws: existingNetworkAndSubnetTogether", () => {
  const aws = (extra: object): Edit => (d) => (d.environments.prod = { ...awsEnv(ADMIN), ...extra });
  it.each<Row>([
    ["neither: the stack creates both", aws({}), []],
    ["both", aws({ vpcId: "vpc-0abc", subnetId: "subnet-0def" }), []],
    ["a platform without them", () => {}, []],
    ["a VPC alone", aws({ vpcId: "vpc-0abc" }), [["error", "environments.prod.subnetId", "required with vpcId: give both, or neither to let the stack create them"]]],
    ["a subnet alone", aws({ subnetId: "subnet-0def" }), [["error", "environments.prod.vpcId", "required with subnetId"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("aws", "existingNetworkAndSubnetTogether"), edit, expected));
});

describe("aws: networkFitsVpc", () => {
  const aws = (network?: string): Edit => (d) => (d.environments.prod = { ...awsEnv(ADMIN), ...(network ? { network: { cidr: network } } : {}) });
  it.each<Row>([
    ["the spec's /24", aws(), []],
    ["a /16 of its own", aws("10.50.0.0/16"), []],
    ["a /28 of its own", aws("10.50.0.0/28"), []],
    ["a /15 of its own", aws("10.50.0.0/15"), [["error", "environments.prod.network.cidr", "AWS subnets are /16 to /28, not 10.50.0.0/15"]]],
    ["a /29 of its own", aws("10.50.0.0/29"), [["error", "environments.prod.network.cidr", "not 10.50.0.0/29"]]],
    ["the spec's /8", (d) => (cidr("10.0.0.0/8")(d), aws()(d)), [["error", "environments.prod", "not 10.0.0.0/8 (from network.cidr): set environments.prod.network.cidr"]]],
    ["the spec's /8 overridden", (d) => (cidr("10.0.0.0/8")(d), aws("10.50.0.0/24")(d)), []],
    ["the spec's /8 on another platform", cidr("10.0.0.0/8"), []],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("aws", "networkFitsVpc"), edit, expected));
});

describe("checkRules", () => {
  it("runs every exported rule", () => {
    const exported = Object.entries(rules)
      .filter(([name, value]) => typeof value === "function" && name !== "checkRules")
      .map(([, value]) => value);
    expect(exported.length).toBeGreaterThanOrEqual(11);
    for (const rule of exported) expect(RULES).toContain(rule);
    expect(new Set(RULES).size).toBe(RULES.length);
  });

  it("finds nothing in a good spec", () => {
    expect(checkRules(spec())).toEqual([]);
  });

  it("finds nothing in the default cluster.yaml", () => {
    expect(checkRules(spec(() => {}, readFileSync(join(__dirname, "../../cluster.yaml"), "utf8")))).toEqual([]);
  });

  it("collects the issues of every rule, in rule order", () => {
    const issues = checkRules(
      spec((d) => {
        d.network.cidr = "127.0.0.1/28";
        d.nodes[1].name = "control";
        d.nodes[1].count = 2;
        d.ssh = { authorizedKeys: [] };
        d.scheduler = { kind: "fleet" };
      }),
    );
    expect(issues.map((i) => `${i.severity} ${i.path}`)).toEqual([
      "error network.cidr", // host bits
      "error network.cidr", // 5 nodes in a /28
      "warning network.cidr", // loopback
      "error nodes[1].name",
      "warning scheduler.kind",
      "warning ssh.authorizedKeys",
    ]);
  });

  it("never throws, even on a spec no schema would let through", () => {
    const odd = spec();
    const broken = { ...odd, nodes: [], environments: {}, updates: { ...odd.updates, window: { start: "", length: "" } } } as Spec;
    expect(() => checkRules(broken)).not.toThrow();
    expect(checkRules(broken).map((i) => i.path)).toEqual(expect.arrayContaining(["nodes", "updates.window.start", "updates.window.length"]));
  });
});

describe("oneArchPerEnvironment on every cloud", () => {
  const gce = (control: string, worker: string): Edit => (d) =>
    (d.environments.gce = { platform: "gce", project: "coreform-demo", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ADMIN, control: { machineType: control }, worker: { machineType: worker } });
  const azure = (control: string, worker: string): Edit => (d) =>
    (d.environments.az = { platform: "azure", location: "westeurope", adminCidrs: ADMIN, control: { vmSize: control }, worker: { vmSize: worker } });
  it.each<Row>([
    ["gce x86 everywhere", gce("e2-standard-2", "n2-standard-4"), []],
    ["gce Axion everywhere", gce("c4a-standard-2", "c4a-standard-4"), []],
    ["gce Tau T2A workers with x86 control nodes", gce("e2-standard-2", "t2a-standard-4"), [["error", "environments.gce.worker.machineType", "t2a-standard-4 is arm64 but this environment's nodes are x86_64: use one architecture"]]],
    ["azure x86 everywhere", azure("Standard_B2s", "Standard_D4s_v5"), []],
    ["azure Cobalt everywhere", azure("Standard_D2ps_v6", "Standard_D4ps_v6"), []],
    ["azure Cobalt control nodes, x86 workers", azure("Standard_D2ps_v6", "Standard_B2ms"), [["error", "environments.az.worker.vmSize", "Standard_B2ms is x86_64 but this environment's nodes are arm64"]]],
  ])("%s", (_n, edit, expected) => expectRule(rules.oneArchPerEnvironment, edit, expected));
});

const gceEnv = (extra: object = {}) => ({ platform: "gce" as const, project: "coreform-demo", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ADMIN, ...extra });

describe("flatcarHasImageForArch", () => {
  const gceTypes = (control: string, extra: object = {}): Edit => (d) => (d.environments.gce = gceEnv({ control: { machineType: control }, worker: { machineType: control }, ...extra }));
  it.each<Row>([
    ["gce on x86", gceTypes("e2-standard-2"), []],
    ["gce on Tau T2A", gceTypes("t2a-standard-1"), [["error", "environments.gce.control.machineType", "t2a-standard-1 is arm64, but Flatcar publishes no arm64 images for gce: use an x86_64 machineType, or an image of your own (image)"]]],
    ["gce on Axion with an image of one's own", gceTypes("c4a-standard-2", { image: "projects/my-project/global/images/flatcar-arm64" }), []],
    ["aws on Graviton", (d) => (d.environments.prod = { ...awsEnv(ADMIN), control: { instanceType: "t4g.small" }, worker: { instanceType: "t4g.small" } }), []],
    ["libvirt", () => {}, []],
  ])("%s", (_n, edit, expected) => expectRule(rules.flatcarHasImageForArch, edit, expected));
});

describe("gce: zoneInRegion", () => {
  it.each<Row>([
    ["a zone of the region", (d) => (d.environments.gce = gceEnv()), []],
    ["a zone of another region", (d) => (d.environments.gce = gceEnv({ zone: "europe-west4-a" })), [["error", "environments.gce.zone", "europe-west4-a is not in region europe-west1: use a zone like europe-west1-b"]]],
    ["a zone of a region with the same start", (d) => (d.environments.gce = gceEnv({ region: "us-east1", zone: "us-east11-a" })), [["error", "environments.gce.zone", "us-east11-a is not in region us-east1"]]],
    ["zones of the region", (d) => (d.environments.gce = gceEnv({ zones: ["europe-west1-c", "europe-west1-d"] })), []],
    ["a listed zone of another region", (d) => (d.environments.gce = gceEnv({ zones: ["europe-west1-c", "europe-west4-a"] })), [["error", "environments.gce.zones.1", "europe-west4-a is not in region europe-west1: use a zone like europe-west1-b"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("gce", "zoneInRegion"), edit, expected));
});

describe("aws: zonesInRegion", () => {
  it.each<Row>([
    ["no zones (the region's)", (d) => (d.environments.aws = awsEnv(ADMIN)), []],
    ["zones of the region", (d) => (d.environments.aws = { ...awsEnv(ADMIN), zones: ["eu-central-1a", "eu-central-1b"] }), []],
    ["a zone of another region", (d) => (d.environments.aws = { ...awsEnv(ADMIN), zones: ["eu-central-1a", "eu-west-1b"] }), [["error", "environments.aws.zones.1", "eu-west-1b is not in region eu-central-1: use a zone like eu-central-1a"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("aws", "zonesInRegion"), edit, expected));
});

const azureEnv = (extra: object = {}) => ({ platform: "azure" as const, location: "westeurope", adminCidrs: ADMIN, ...extra });

describe("azure: hasSshKey", () => {
  const NO_AZURE_KEY = "has no ssh-ed25519 key, nor an ssh-rsa key of 2048 bits or more, and Azure creates the VMs of environments.az only with one: add your public key";
  const keys = (...k: string[]): Edit => (d) => ((d.ssh = { authorizedKeys: k }), (d.environments.az = azureEnv()));
  it.each<Row>([
    ["an ed25519 key", keys(sshKey("ssh-ed25519")), []],
    ["an RSA key of 2048 bits after an ECDSA one", keys(sshKey("ecdsa-sha2-nistp256"), sshKey("ssh-rsa")), []],
    ["no keys and no azure environment", (d) => (d.ssh = { authorizedKeys: [] }), []],
    ["no keys", keys(), [["error", "ssh.authorizedKeys", "is empty, and Azure creates the VMs of environments.az only with one: add your public key"]]],
    ["ECDSA keys only", keys(sshKey("ecdsa-sha2-nistp256")), [["error", "ssh.authorizedKeys", NO_AZURE_KEY]]],
    ["an RSA key of 1024 bits", keys(sshKey("ssh-rsa", 1, "a@b", 1024)), [["error", "ssh.authorizedKeys", NO_AZURE_KEY]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("azure", "hasSshKey"), edit, expected));
});

describe("azure: osDiskFits", () => {
  it.each<Row>([
    ["4095 GiB", (d) => (d.environments.az = azureEnv({ control: { diskGiB: 4095 } })), []],
    ["4096 GiB on workers", (d) => (d.environments.az = azureEnv({ worker: { diskGiB: 4096 } })), [["error", "environments.az.worker.diskGiB", "4096: an Azure OS disk holds at most 4095 GiB"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("azure", "osDiskFits"), edit, expected));
});

describe("azure: freeOfferIsX86", () => {
  const az = (extra: object): Edit => (d) => (d.environments.az = azureEnv(extra));
  const arm = { control: { vmSize: "Standard_D2ps_v5" }, worker: { vmSize: "Standard_D2ps_v5" } };
  it.each<Row>([
    ["corevm on arm64", az(arm), []],
    ["free on x86_64", az({ offer: "free" }), []],
    ["free on arm64", az({ offer: "free", ...arm }), [["error", "environments.az.offer", "free has no arm64 images (Standard_D2ps_v5 is arm64): use offer corevm"]]],
    ["free on arm64 with an image of one's own", az({ offer: "free", image: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/images/flatcar", ...arm }), []],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("azure", "freeOfferIsX86"), edit, expected));
});

describe("azure: ltsNeedsSku", () => {
  const lts = (extra: object = {}): Edit => (d) => ((d.os = { channel: "lts" }), (d.environments.az = azureEnv(extra)));
  it.each<Row>([
    ["stable", (d) => (d.environments.az = azureEnv()), []],
    ["lts with its SKU", lts({ sku: "lts2024-gen2" }), []],
    ["lts on another platform", (d) => (d.os = { channel: "lts" }), []],
    ["lts without a SKU", lts(), [["error", "environments.az.sku", "required with os.channel lts: Azure names each LTS stream, like lts2024-gen2"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("azure", "ltsNeedsSku"), edit, expected));
});

describe("aws: privateNodesNeedTheirSubnet", () => {
  const aws = (extra: object): Edit => (d) => (d.environments.prod = { ...awsEnv(ADMIN), ...extra });
  it.each<Row>([
    ["the default", aws({}), []],
    ["public addresses in the stack's network", aws({ publicAddresses: true }), []],
    ["private nodes in a subnet of one's own", aws({ vpcId: "vpc-0abc", subnetId: "subnet-0def", publicAddresses: false }), []],
    ["private nodes in the stack's network", aws({ publicAddresses: false }), [["error", "environments.prod.publicAddresses", "false needs a subnet with its own way out (a NAT gateway): give vpcId and subnetId"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("aws", "privateNodesNeedTheirSubnet"), edit, expected));
});

const NETWORK_ID = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
const SUBNET_ID = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
const openstackEnv = (extra: object = {}) => ({ platform: "openstack" as const, externalNetwork: "public", adminCidrs: ADMIN, control: { flavor: "m1.medium" }, worker: { flavor: "m1.large" }, ...extra });
/** An openstack environment `os` with `extra`; `externalNetwork: undefined` leaves it out. */
const os = (extra: object = {}): Edit => (d) => {
  const env: Record<string, unknown> = openstackEnv(extra);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  d.environments.os = env as never;
};

describe("openstack: existingNetworkAndSubnetTogether", () => {
  it.each<Row>([
    ["neither: the stack creates both", os(), []],
    ["both", os({ networkId: NETWORK_ID, subnetId: SUBNET_ID }), []],
    ["a platform without them", () => {}, []],
    ["a network alone", os({ networkId: NETWORK_ID }), [["error", "environments.os.subnetId", "required with networkId: give both, or neither to let the stack create them"]]],
    ["a subnet alone", os({ subnetId: SUBNET_ID }), [["error", "environments.os.networkId", "required with subnetId"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("openstack", "existingNetworkAndSubnetTogether"), edit, expected));
});

describe("openstack: externalNetworkWhenNeeded", () => {
  const existing = { networkId: NETWORK_ID, subnetId: SUBNET_ID };
  it.each<Row>([
    ["given", os(), []],
    ["given, with an existing network and no floating IPs", os({ ...existing, publicAddresses: false }), []],
    ["left out with an existing network and no floating IPs: nothing needs it", os({ ...existing, publicAddresses: false, externalNetwork: undefined }), []],
    ["left out: the router and the floating IPs need it", os({ externalNetwork: undefined }), [["error", "environments.os.externalNetwork", "required for the router of the network the stack creates and floating IPs (publicAddresses)"]]],
    ["left out without floating IPs: the router needs it", os({ externalNetwork: undefined, publicAddresses: false }), [["error", "environments.os.externalNetwork", "required for the router of the network the stack creates: name"]]],
    ["left out with an existing network: the floating IPs need it", os({ ...existing, externalNetwork: undefined }), [["error", "environments.os.externalNetwork", "required for floating IPs (publicAddresses): name"]]],
    ["left out with only a network id: the stack creates the network, so the router needs it", os({ networkId: NETWORK_ID, externalNetwork: undefined, publicAddresses: false }), [["error", "environments.os.externalNetwork", "required for the router"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("openstack", "externalNetworkWhenNeeded"), edit, expected));
});

const libvirtEnv = (extra: object = {}) => ({ platform: "libvirt" as const, ...extra });

describe("libvirt: networksApart", () => {
  it.each<Row>([
    ["one environment", () => {}, []],
    ["two on one host, each with its own network", (d) => (d.environments = { a: libvirtEnv({ network: { cidr: "10.43.0.0/24" } }), b: libvirtEnv({ network: { cidr: "10.44.0.0/24" } }) }), []],
    ["two on different hosts' URIs with the spec's network", (d) => (d.environments = { a: libvirtEnv(), b: libvirtEnv({ uri: "qemu:///session" }) }), []],
    ["a libvirt network and a cloud's, the same range", (d) => (d.environments = { a: libvirtEnv(), prod: awsEnv(ADMIN) }), []],
    [
      "two on one host with the spec's network",
      (d) => (d.environments = { a: libvirtEnv(), b: libvirtEnv(), c: libvirtEnv() }),
      [
        ["error", "environments.b", "10.42.0.0/24 overlaps the network of environments.a (10.42.0.0/24) on qemu:///system"],
        ["error", "environments.c", "overlaps the network of environments.a"],
        ["error", "environments.c", "overlaps the network of environments.b"],
      ],
    ],
    [
      "a /16 over another's /24",
      (d) => (d.environments = { a: libvirtEnv({ network: { cidr: "10.43.7.0/24" } }), b: libvirtEnv({ network: { cidr: "10.43.0.0/16" } }) }),
      [["error", "environments.b.network.cidr", "10.43.0.0/16 overlaps the network of environments.a (10.43.7.0/24)"]],
    ],
    ["libvirt's default network", envNetwork("192.168.122.0/24"), [["warning", "environments.test.network.cidr", "overlaps libvirt's default network (192.168.122.0/24)"]]],
    ["the spec's network holding libvirt's default one", cidr("192.168.0.0/16"), [["warning", "network.cidr", "192.168.0.0/16 overlaps libvirt's default network"]]],
    ["next to libvirt's default network", envNetwork("192.168.123.0/24"), []],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("libvirt", "networksApart"), edit, expected));
});

describe("libvirt: hostIsLocal", () => {
  const uri = (u: string): Edit => (d) => (d.environments.test = libvirtEnv({ uri: u }));
  it.each<Row>([
    ["the system daemon", uri("qemu:///system"), []],
    ["the session daemon", uri("qemu:///session"), []],
    ["a socket of this host", uri("qemu+unix:///system?socket=/run/libvirt/virtqemud-sock"), []],
    ["ssh to this host, with a user and a port", uri("qemu+ssh://root@localhost:2222/system"), []],
    ["tcp to this host's IPv6 loopback", uri("qemu+tcp://[::1]/system"), []],
    ["ssh to another host", uri("qemu+ssh://root@kvm1.example.com/system"), [["error", "environments.test.uri", "qemu+ssh://root@kvm1.example.com/system is another host"]]],
    ["tls to another host", uri("qemu+tls://10.0.0.5/system"), [["error", "environments.test.uri", "is another host"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("libvirt", "hostIsLocal"), edit, expected));
});

describe("libvirt: imagePathIsUnversioned", () => {
  const image = (d: SpecInput) => (d.environments.test = libvirtEnv({ imagePath: "/srv/flatcar_production_qemu_image.img" }));
  it.each<Row>([
    ["the release server", (d) => (d.os = { version: "4593.2.5" }), []],
    ["a downloaded image of the current release", image, []],
    ["a downloaded image with a pinned release", (d) => (image(d), (d.os = { version: "4593.2.5" })), [["warning", "environments.test.imagePath", "os.version 4593.2.5 is not checked against it"]]],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("libvirt", "imagePathIsUnversioned"), edit, expected));
});

describe("aws: releaseStillPublished", () => {
  /** The major branched `daysAgo` days before today (majors count days since 2013-07-01). */
  const majorOf = (daysAgo: number) => Math.floor((Date.now() - Date.UTC(2013, 6, 1)) / 86_400_000) - daysAgo;
  const aws = (d: SpecInput, extra = {}) => (d.environments.prod = { ...awsEnv(ADMIN), ...extra });
  const pinned = (daysAgo: number) => (d: SpecInput) => (d.os = { version: `${majorOf(daysAgo)}.2.0` });

  it("dates a major by its number", () => {
    expect(flatcarMajorDate("3815.2.0").toISOString().slice(0, 10)).toBe("2023-12-11");
    expect(flatcarMajorDate("1.0.0").toISOString().slice(0, 10)).toBe("2013-07-02");
  });

  it.each<Row>([
    ["a release of a month ago", (d) => (aws(d), pinned(30)(d)), []],
    ["the current release", aws, []],
    [
      "a release of 400 days ago",
      (d) => (aws(d), pinned(400)(d)),
      [["warning", "os.version", "Flatcar's AMIs are un-published 9 months after release, so environments.prod may find no AMI"]],
    ],
    ["an old release on a platform that keeps its images", pinned(400), []],
    ["an old release with an AMI of one's own", (d) => (aws(d, { ami: "ami-0123456789abcdef0" }), pinned(400)(d)), []],
  ])("%s", (_n, edit, expected) => expectRule(platformRule("aws", "releaseStillPublished"), edit, expected));

  it("names the major's date", () => {
    const s = spec((d) => (aws(d), pinned(400)(d)));
    const [issue] = issuesOf(platformRule("aws", "releaseStillPublished"), s);
    expect(issue!.message).toContain(`is from ${flatcarMajorDate(s.os.version).toISOString().slice(0, 10)} or a little later`);
  });
});
