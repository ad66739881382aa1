// Loading a spec as a careless or hostile operator writes it: schema and rule problems together,
// the shape a section wants, JavaScript's own names, huge input, one line a problem. Each table
// lists every issue parseSpec must report, in order, and nothing else.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { formatIssue, type Severity } from "../../src/spec/issues";
import { loadSpec, MAX_SPEC_BYTES, parseSpec } from "../../src/spec/load";
import { cli, project, smallSpec, tempDir } from "../helpers/cli";

type Doc = Record<string, any>;
/** [severity, path, a fragment of the message] */
type Expected = readonly [Severity, string, string];

/** smallSpec() (3 control, 1 worker, 10.42.0.0/24, libvirt environment `test`) changed by `edit`, as YAML. */
function spec(edit: (d: Doc) => void): string {
  const doc = yaml.load(smallSpec()) as Doc;
  edit(doc);
  return yaml.dump(doc, { lineWidth: -1 });
}

const ADMIN = ["203.0.113.0/24"];
const aws = (extra: Doc = {}): Doc => ({ platform: "aws", region: "eu-central-1", adminCidrs: ADMIN, ...extra });

function expectIssues(text: string, expected: readonly Expected[]): void {
  const { spec: parsed, issues } = parseSpec(text);
  expect(issues.map((i) => [i.severity, i.path, i.message])).toEqual(expected.map(([s, p, m]) => [s, p, expect.stringContaining(m)]));
  if (expected.some(([s]) => s === "error")) expect(parsed).toBeUndefined();
}

type Row = readonly [name: string, text: string, expected: readonly Expected[]];

describe("schema problems do not hide rule problems", () => {
  it.each<Row>([
    [
      "an unknown key and host bits in the network",
      spec((d) => ((d.colour = "blue"), (d.network.cidr = "10.42.0.5/24"))),
      [
        ["error", "colour", "unknown key"],
        ["error", "network.cidr", "host bits are set: did you mean 10.42.0.0/24?"],
      ],
    ],
    [
      "a bad count and a bad reboot window",
      spec((d) => ((d.nodes[1].count = "two"), (d.updates.window.start = "25:00"))),
      [
        ["error", "nodes[1].count", "must be a number, not a string"],
        ["error", "updates.window.start", "25:00"],
      ],
    ],
    [
      "README's example: a bad worker count keeps the control count's warning",
      spec((d) => ((d.nodes[0].count = 2), (d.nodes[1].count = 0), (d.environments.prod = { platform: "aws", adminCidrs: ADMIN }))),
      [
        ["error", "nodes[1].count", "must be ≥ 1"],
        ["error", "environments.prod.region", "required"],
        ["warning", "nodes", "2 control nodes tolerate no more failures than 1: use an odd count"],
      ],
    ],
    [
      "a broken environment and world access in another",
      spec((d) => (d.environments = { prod: { platform: "aws", adminCidrs: ADMIN }, gce: { platform: "gce", project: "coreform-demo", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ["0.0.0.0/0"] } })),
      [
        ["error", "environments.prod.region", "required"],
        ["error", "environments.gce.adminCidrs[0]", "0.0.0.0/0 opens SSH and the APIs to the whole internet"],
      ],
    ],
    [
      "a missing field and world access in the same environment",
      spec((d) => (d.environments = { prod: { platform: "aws", adminCidrs: ["0.0.0.0/0"] } })),
      [
        ["error", "environments.prod.region", "required"],
        ["error", "environments.prod.adminCidrs[0]", "the whole internet"],
      ],
    ],
    [
      "an environment that is no mapping at all, and a private-network rule",
      spec((d) => ((d.environments.prod = "aws"), (d.network.cidr = "8.8.8.0/24"))),
      [
        ["error", "environments.prod", "must be a mapping like {platform: aws}, not a string"],
        ["error", "network.cidr", "8.8.8.0/24 is not a private network"],
      ],
    ],
    [
      "a bad environment name, and duplicate group names",
      spec((d) => ((d.environments.Prod_1 = aws()), (d.nodes[1].name = "control"))),
      [
        ["error", "environments.Prod_1", "name must be DNS-safe"],
        ["error", "nodes[1].name", 'duplicate group name "control"'],
      ],
    ],
    [
      "an unknown scheduler, and an etcd too old: fleet's rule is skipped, etcd's runs",
      spec((d) => ((d.scheduler = { kind: "nomad" }), (d.etcd = { version: "v3.3.0" }))),
      [
        ["error", "scheduler.kind", "must be one of kubernetes, fleet, none"],
        ["error", "etcd.version", "v3.3.0 is too old"],
      ],
    ],
    [
      "a network that is a string: the network rules are skipped, the group rules run",
      spec((d) => ((d.network = "10.42.0.0/24"), (d.nodes[1].name = "control"))),
      [
        ["error", "network", "must be a mapping (cidr), not a string"],
        ["error", "nodes[1].name", "duplicate group name"],
      ],
    ],
    [
      "a rule that reads a broken value is skipped: no capacity check without every count",
      spec((d) => ((d.network.cidr = "10.42.0.0/28"), (d.nodes[0].count = 9), (d.nodes[1].count = "x"))),
      [
        ["error", "nodes[1].count", "must be a number"],
        ["error", "nodes", "9 control nodes"],
      ],
    ],
    [
      "environments as a list, and an even control count",
      spec((d) => ((d.environments = ["test"]), (d.nodes[0].count = 4))),
      [
        ["error", "environments", "must be a mapping, not a list"],
        ["warning", "nodes", "4 control nodes tolerate no more failures than 3"],
      ],
    ],
    [
      "a merge key, and host bits elsewhere",
      `${smallSpec().replace("cidr: 10.42.0.0/24", "cidr: 10.42.0.1/24").replace("environments:\n  test:\n    platform: libvirt\n", "environments:\n  base: &b { platform: libvirt }\n  test:\n    <<: *b\n")}`,
      [
        ["error", "environments.test.<<", "YAML merge keys are not supported: write the keys out"],
        ["error", "environments.test.platform", "required"],
        ["error", "network.cidr", "host bits are set"],
      ],
    ],
  ])("%s", (_n, text, expected) => expectIssues(text, expected));
});

describe("a scalar where a section belongs says which shape to write", () => {
  it.each<Row>([
    ["scheduler: kubernetes", spec((d) => (d.scheduler = "kubernetes")), [["error", "scheduler", "must be a mapping like {kind: kubernetes}, not a string"]]],
    ["scheduler: fleet", spec((d) => (d.scheduler = "fleet")), [["error", "scheduler", "must be a mapping like {kind: fleet}, not a string"]]],
    ["scheduler: a list", spec((d) => (d.scheduler = ["none"])), [["error", "scheduler", "must be a mapping like {kind: kubernetes}, not a list"]]],
    ["os: stable", spec((d) => (d.os = "stable")), [["error", "os", "must be a mapping (channel, version), not a string"]]],
    ["ssh: a key", spec((d) => (d.ssh = "ssh-ed25519 AAAA")), [["error", "ssh", "must be a mapping (authorizedKeys), not a string"]]],
    ["network: a CIDR", spec((d) => (d.network = "10.42.0.0/24")), [["error", "network", "must be a mapping (cidr), not a string"]]],
    ["etcd: a version", spec((d) => (d.etcd = "v3.5.16")), [["error", "etcd", "must be a mapping (image, version, digest, snapshots, diskGiB), not a string"]]],
    ["updates: off", spec((d) => (d.updates = "off")), [["error", "updates", "must be a mapping (group, server, rebootStrategy, window), not a string"]]],
    ["updates.window: a time", spec((d) => (d.updates.window = "Thu 04:00")), [["error", "updates.window", "must be a mapping (start, length), not a string"]]],
    ["a node group: a name", spec((d) => (d.nodes[1] = "worker")), [["error", "nodes[1]", "must be a mapping (name, role, count), not a string"]]],
    ["an environment: its platform", spec((d) => (d.environments.test = "libvirt")), [["error", "environments.test", "must be a mapping like {platform: libvirt}, not a string"]]],
    ["an environment: an unknown platform", spec((d) => (d.environments.test = "vmware")), [["error", "environments.test", "must be a mapping like {platform: vagrant}, not a string"]]],
    ["an environment's control: a size", spec((d) => (d.environments.test = { platform: "libvirt", control: 4096 })), [["error", "environments.test.control", "must be a mapping (memoryMiB, cpus, diskGiB), not a number"]]],
    ["an environment's network: a CIDR", spec((d) => (d.environments.test = { platform: "libvirt", network: "10.43.0.0/24" })), [["error", "environments.test.network", "must be a mapping (cidr), not a string"]]],
    ["a state backend: its type", spec((d) => (d.environments = { prod: aws({ backend: "s3" }) })), [["error", "environments.prod.backend", "must be a mapping like {type: s3}, not a string"]]],
    ["os: empty", spec((d) => (d.os = null)), [["error", "os", "must be a mapping (channel, version), not null"]]],
  ])("%s", (_n, text, expected) => expectIssues(text, expected));
});

describe("JavaScript's own names", () => {
  it.each(["prototype", "valueof", "tostring", "hasownproperty", "isprototypeof", "proto"])("an environment named %s is an environment like any other", (name) => {
    const { spec: parsed, issues } = parseSpec(spec((d) => (d.environments = { [name]: { platform: "libvirt" }, test: { platform: "vagrant" } })));
    expect(issues).toEqual([]);
    expect(Object.keys(parsed!.environments)).toEqual([name, "test"]);
    expect(parsed!.environments[name]!.platform).toBe("libvirt");
  });

  it("the environments map has no prototype: a name it lacks is simply not there", () => {
    const { spec: parsed } = parseSpec(smallSpec());
    expect(Object.getPrototypeOf(parsed!.environments)).toBeNull();
    expect((parsed!.environments as Record<string, unknown>).constructor).toBeUndefined();
    expect("toString" in parsed!.environments).toBe(false);
  });

  it.each<Row>([
    ["an environment named __proto__", smallSpec().replace("  test:\n", "  __proto__:\n    platform: vagrant\n  test:\n"), [["error", "environments.__proto__", "__proto__ is reserved in JavaScript: use another name"]]],
    [
      "__proto__ as the only environment",
      smallSpec().replace("  test:\n", "  __proto__:\n"),
      [
        ["error", "environments.__proto__", "is reserved"],
        ["error", "environments", "needs at least one environment"],
      ],
    ],
    ["an environment named constructor", smallSpec().replace("  test:\n", "  constructor:\n"), [["error", "environments.constructor", "name is reserved in JavaScript: use another name"]]],
    ["__proto__ at the top", `${smallSpec()}__proto__: { name: x }\n`, [["error", "__proto__", "is reserved"]]],
    ["__proto__ in a section", smallSpec().replace("network:\n", "network:\n  __proto__: { cidr: 10.0.0.0/8 }\n"), [["error", "network.__proto__", "is reserved"]]],
    ["__proto__ in a node group", smallSpec().replace("{ name: worker,", "{ __proto__: {}, name: worker,"), [["error", "nodes[1].__proto__", "is reserved"]]],
    ["constructor as an unknown key", `${smallSpec()}constructor: 1\n`, [["error", "constructor", "unknown key"]]],
    ["toString in a section", smallSpec().replace("network:\n", "network:\n  toString: x\n"), [["error", "network.toString", "unknown key"]]],
  ])("%s", (_n, text, expected) => expectIssues(text, expected));

  it.each([["render"], ["status"], ["kubeconfig"], ["down"], ["up"]])("%s names the environments it has for constructor, __proto__ and toString", async (command) => {
    const dir = project(smallSpec().replace("platform: libvirt", "platform: vagrant"));
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const r = await cli(dir, command, name);
      expect([name, r.code]).toEqual([name, 2]);
      expect(r.stderr).toMatch(new RegExp(`no environment ${name.replace(/_/g, "_")} in .*cluster\\.yaml \\(it has: test\\)`));
    }
  });
});

describe("huge input", () => {
  it("a spec over 1 MiB is refused at once, unread", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "cluster.yaml"), `${smallSpec()}# ${"x".repeat(MAX_SPEC_BYTES)}\n`);
    const r = await cli(dir, "validate");
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")).toEqual([
      `${join(dir, "cluster.yaml")}: is larger than 1 MiB: a spec is a few KiB (is this the right file?)`,
      `coreform validate: ${join(dir, "cluster.yaml")}: 1 problem, nothing was written`,
    ]);
    expect(parseSpec("#".repeat(MAX_SPEC_BYTES + 1)).issues).toEqual([{ severity: "error", path: "cluster.yaml", message: expect.stringContaining("larger than 1 MiB") }]);
  });

  it("a device that never ends is refused the same way", () => {
    expect(loadSpec("/dev/zero").issues).toEqual([{ severity: "error", path: "/dev/zero", message: expect.stringContaining("larger than 1 MiB") }]);
  });

  it("exactly 1 MiB is still read", () => {
    const text = smallSpec();
    const padded = `${text}${"#".repeat(MAX_SPEC_BYTES - Buffer.byteLength(text) - 1)}\n`;
    expect(Buffer.byteLength(padded)).toBe(MAX_SPEC_BYTES);
    expect(parseSpec(padded).issues).toEqual([]);
  });

  it("100,000 unknown keys: ten lines, one line for the rest, and the count of all", async () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `k${i}: 1`).join("\n");
    const dir = project(`${smallSpec()}${keys}\n`);
    const r = await cli(dir, "validate");
    expect(r.code).toBe(2);
    const lines = r.stderr.split("\n");
    expect(lines).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `k${i}: unknown key`),
      "(root): … and 99,990 more: unknown key",
      `coreform validate: ${join(dir, "cluster.yaml")}: 100000 problems, nothing was written`,
    ]);
  });

  it.each<Row>([
    [
      "many unknown keys in one environment are summed up there",
      spec((d) => Object.assign(d.environments.test, Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`x${i}`, 1])))),
      [
        ...Array.from({ length: 10 }, (_, i): Expected => ["error", `environments.test.x${i}`, "unknown key"]),
        ["error", "environments.test", "… and 5 more: unknown key"],
      ],
    ],
    [
      "repeats of different messages are counted each",
      spec((d) => ((d.ssh.authorizedKeys = Array.from({ length: 12 }, () => "nope")), (d.nodes = [...d.nodes, ...Array.from({ length: 12 }, (_, i) => ({ name: `w${i}`, role: "worker", count: 0 }))]))),
      [
        ...Array.from({ length: 10 }, (_, i): Expected => ["error", `ssh.authorizedKeys[${i}]`, "must be an OpenSSH public key line"]),
        ["error", "ssh.authorizedKeys", "… and 2 more: must be an OpenSSH public key line"],
        ...Array.from({ length: 10 }, (_, i): Expected => ["error", `nodes[${i + 2}].count`, "must be ≥ 1"]),
        ["error", "nodes", "… and 2 more: must be ≥ 1"],
      ],
    ],
    ["an overlong value", spec((d) => (d.updates.group = "g".repeat(5000))), [["error", "updates.group", "is 5,000 characters long: no setting needs more than 4,096"]]],
    ["an overlong value under an unknown key", spec((d) => (d.notes = "n".repeat(5000))), [["error", "notes", "is 5,000 characters long: no setting needs more than 4,096; unknown key"]]],
    ["an overlong key", spec((d) => (d.environments.test[`k${"k".repeat(5000)}`] = 1)), [["error", `environments.test."k${"k".repeat(63)}…"`, "a key of 5,001 characters"]]],
  ])("%s", (_n, text, expected) => expectIssues(text, expected));

  it("printed lines are short and free of control characters", () => {
    const { issues } = parseSpec(spec((d) => ((d["\u001b[2Jevil\r"] = 1), (d.updates.window.start = `x${"\u0007".repeat(2000)}`))));
    const lines = issues.map(formatIssue);
    expect(lines[0]).toBe('"\\u001b[2Jevil\\r": unknown key');
    for (const line of lines) {
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(line.length).toBeLessThan(500);
    }
  });

  it("aliases do not multiply the work: a YAML bomb (10^10 values if each alias were walked) is looked at once", () => {
    let text = "apiVersion: coreform/v1\nname: t\nnetwork: { cidr: 10.42.0.0/24 }\nnodes: [{ role: control, count: 1 }]\nenvironments: { test: { platform: libvirt } }\nx0: &a0 [k, k, k, k, k, k, k, k, k, k]\n";
    for (let i = 1; i <= 9; i++) text += `x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
    const { issues } = parseSpec(`${text}bomb: *a9\n`);
    expect(issues.map((i) => i.path)).toEqual(["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "bomb", "ssh.authorizedKeys"]);
  });
});

describe("one line a problem, saying what is wrong", () => {
  it.each<Row>([
    ["network: {}", spec((d) => (d.network = {})), [["error", "network.cidr", "required"]]],
    ["an environment's network: {}", spec((d) => (d.environments.test = { platform: "libvirt", network: {} })), [["error", "environments.test.network.cidr", "required"]]],
    ["an admin CIDR null", spec((d) => (d.environments = { prod: aws({ adminCidrs: [null] }) })), [["error", "environments.prod.adminCidrs[0]", "must be an IPv4 CIDR"]]],
    ["a count of 1e20", spec((d) => (d.nodes[1].count = 1e20)), [["error", "nodes[1].count", "must be ≤ 5000"]]],
    ["a count of -1e20", spec((d) => (d.nodes[1].count = -1e20)), [["error", "nodes[1].count", "must be ≥ 1"]]],
    ["a count of 1.5", spec((d) => (d.nodes[1].count = 1.5)), [["error", "nodes[1].count", "must be a whole number, not 1.5"]]],
    ["a name too long and not DNS-safe", spec((d) => (d.name = "X".repeat(40))), [["error", "name", "must be at most 32 characters; must be DNS-safe"]]],
    ["a merge key at the top", `base: &b { name: t }\n<<: *b\n${smallSpec()}`, [["error", "<<", "YAML merge keys are not supported"], ["error", "base", "unknown key"]]],
  ])("%s", (_n, text, expected) => {
    expectIssues(text, expected);
    const paths = parseSpec(text).issues.map((i) => i.path);
    expect(new Set(paths).size).toBe(paths.length);
  });
});
