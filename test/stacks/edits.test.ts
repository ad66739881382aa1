// The edit table: what each kind of cluster.yaml edit does to a running environment, on every platform
// with a stack. Each row edits a rendered project (all five cloud environments, one set of secrets, each
// with its record) and renders every environment again with the real CLI, then synthesizes before and
// after. Where render accepts the edit: no control node's resource changes an attribute that would
// replace it, re-address it, stop it or fail (src/platforms/changes.ts, PROVIDERS, unless the stack
// ignores the attribute), and no control node's resource goes; every node that was there keeps its name
// and address and, unless the row says why, its user data; Azure's rules keep their priorities. Where
// render refuses it: exit 2, the kind named, not a byte written; and with `--accept` the stack would do
// exactly what the refusal was for (a control node's attribute on that list changes, or it goes). A new
// kind of edit, setting or platform is one more row, or one more key in a row.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { fromIgnition } from "../../cloud-config/ignition";
import type { PlannedNode } from "../../src/plan/plan";
import { PROVIDERS, type AcceptKind } from "../../src/platforms/changes";
import { cli, tempDir, tree } from "../helpers/cli";
import { CLOUD_ENVIRONMENTS, cloudSpec, renderedProject, synthesize, type CloudEnvironment, type Doc, type Tf } from "../helpers/stacks";

type Env = CloudEnvironment;
const ENVS = Object.keys(CLOUD_ENVIRONMENTS) as Env[];
const CLOUDS = ENVS.filter((e) => e !== "libvirt");
/** Each fixture environment's platform (its name is its platform's, but for KVM). */
const platformOf = (env: Env) => CLOUD_ENVIRONMENTS[env].platform as keyof typeof PROVIDERS;

/** What render says of a row on a platform: writes it, refuses it unless these kinds are accepted, or cannot do it at all. */
type Outcome = "ok" | readonly AcceptKind[] | "impossible";

interface Row {
  readonly name: string;
  /** The project the edit starts from (cloudSpec() changed by this), when not the shared one. */
  readonly base?: (doc: Doc) => void;
  readonly edit: (doc: Doc) => void;
  /** The platforms the row concerns; the others are not rendered again. Default: all. */
  readonly envs?: readonly Env[];
  /** Where render does not simply write the edit. */
  readonly outcome?: Partial<Record<Env, Outcome>>;
  /** What becomes of the user data of nodes that stay: the same (default), changed only where it lists the etcd members (added members), or changed. */
  readonly userData?: "same" | "members" | "changes";
  /** Nodes the edit adds and removes (default: none). */
  readonly added?: readonly string[];
  readonly removed?: readonly string[];
  /** The synthesized stacks are byte for byte what they were. */
  readonly identical?: boolean;
}

const env = (doc: Doc, name: Env) => doc.environments[name];
const eachEnv = (doc: Doc, f: (e: Doc, name: Env) => void, envs: readonly Env[] = ENVS) => envs.forEach((n) => f(env(doc, n), n));
/** The setting that sizes a role's machines on each platform, and two values of it. */
const SIZES: Record<Env, [key: string, from: string | number, to: string | number]> = {
  aws: ["instanceType", "t3.small", "t3.large"],
  gce: ["machineType", "e2-standard-2", "e2-standard-4"],
  azure: ["vmSize", "Standard_B2s", "Standard_B2ms"],
  openstack: ["flavor", "m1.medium", "m1.xlarge"],
  libvirt: ["memoryMiB", 2048, 4096],
};
const all = (outcome: Outcome, envs: readonly Env[] = ENVS): Partial<Record<Env, Outcome>> => Object.fromEntries(envs.map((e) => [e, outcome]));

const ROWS: readonly Row[] = [
  { name: "groups reordered", edit: (d) => d.nodes.reverse(), identical: true },
  { name: "a group inserted first", edit: (d) => d.nodes.unshift({ name: "db", role: "worker", count: 1 }), added: ["db-01"] },
  { name: "a worker more", edit: (d) => (d.nodes[1].count = 2), added: ["worker-02"] },
  { name: "two control nodes more", edit: (d) => (d.nodes[0].count = 5), added: ["control-04", "control-05"], userData: "members" },
  { name: "a control node fewer (coreform etcd remove, then deploy)", edit: (d) => (d.nodes[0].count = 2), removed: ["control-03"], userData: "changes" },
  {
    name: "two control nodes fewer at once",
    base: (d) => (d.nodes[0].count = 5),
    edit: (d) => (d.nodes[0].count = 3),
    outcome: all(["remove-members"]),
  },
  { name: "two control nodes of three fewer", edit: (d) => (d.nodes[0].count = 1), outcome: all(["remove-members", "quorum"]) },
  {
    name: "99 workers → 100",
    base: (d) => (d.nodes[1].count = 99),
    edit: (d) => (d.nodes[1].count = 100),
    added: ["worker-100"],
  },
  { name: "an admin network more", envs: CLOUDS, edit: (d) => eachEnv(d, (e) => e.adminCidrs.unshift("198.51.100.0/24"), CLOUDS) },
  { name: "an admin network fewer", envs: CLOUDS, base: (d) => eachEnv(d, (e) => e.adminCidrs.push("198.51.100.0/24"), CLOUDS), edit: (d) => eachEnv(d, (e) => e.adminCidrs.pop(), CLOUDS) },
  {
    name: "control disks larger",
    edit: (d) => eachEnv(d, (e) => (e.control = { ...e.control, diskGiB: 60 })),
    outcome: { azure: ["stop"] },
  },
  { name: "worker disks larger", edit: (d) => eachEnv(d, (e) => (e.worker = { ...e.worker, diskGiB: 60 })) },
  {
    name: "control disks smaller",
    base: (d) => eachEnv(d, (e) => (e.control = { ...e.control, diskGiB: 60 })),
    edit: (d) => eachEnv(d, (e) => (e.control = { ...e.control, diskGiB: 40 })),
    outcome: { aws: "impossible", azure: "impossible" },
  },
  { name: "etcd's data disks larger", edit: (d) => (d.etcd = { diskGiB: 20 }), outcome: { libvirt: "impossible" }, userData: "changes" },
  { name: "etcd's data disks smaller", base: (d) => (d.etcd = { diskGiB: 20 }), edit: (d) => (d.etcd = { diskGiB: 10 }), outcome: all("impossible") },
  {
    name: "control machines larger",
    edit: (d) => eachEnv(d, (e, n) => (e.control = { ...e.control, [SIZES[n][0]]: SIZES[n][2] })),
    base: (d) => eachEnv(d, (e, n) => (e.control = { ...e.control, [SIZES[n][0]]: SIZES[n][1] })),
    outcome: all(["stop"]),
  },
  {
    name: "worker machines larger",
    base: (d) => eachEnv(d, (e, n) => (e.worker = { ...e.worker, [SIZES[n][0]]: SIZES[n][1] })),
    edit: (d) => eachEnv(d, (e, n) => (e.worker = { ...e.worker, [SIZES[n][0]]: SIZES[n][2] })),
  },
  {
    name: "public addresses off",
    envs: CLOUDS,
    // AWS nodes without public addresses need a subnet with its own way out.
    base: (d) => Object.assign(env(d, "aws"), { vpcId: "vpc-0abc", subnetId: "subnet-0abc", publicAddresses: true }),
    edit: (d) => eachEnv(d, (e) => (e.publicAddresses = false), CLOUDS),
    outcome: { aws: ["replace"] },
  },
  // Neither Azure (a subnet in use keeps its range) nor the libvirt provider (it never changes a network) can do it at all.
  { name: "another network", edit: (d) => (d.network.cidr = "10.43.0.0/24"), outcome: { ...all(["readdress", "move"]), azure: "impossible", libvirt: "impossible" } },
  // AWS cuts its zones' subnets from the network anew: every address moves too.
  { name: "a larger network holding the old one", edit: (d) => (d.network.cidr = "10.42.0.0/23"), outcome: { ...all(["move"]), aws: ["move", "readdress"], gce: "ok", azure: "impossible", libvirt: "impossible" } },
  { name: "a group renamed", edit: (d) => (d.nodes[1].name = "app"), outcome: all(["rename"]) },
  // OpenStack renames in place, unless the state's key is made of the name.
  { name: "the cluster renamed", edit: (d) => (d.name = "u"), outcome: { ...all(["rename"]), openstack: "ok" }, userData: "changes" },
  {
    name: "the cluster renamed, its state in a bucket by the default key",
    envs: ["openstack"],
    base: (d) => (env(d, "openstack").backend = { type: "s3", bucket: "state", region: "eu-central-1" }),
    edit: (d) => (d.name = "u"),
    outcome: { openstack: ["rename"] },
  },
  {
    name: "another region, zone or host",
    edit: (d) => {
      env(d, "aws").region = "eu-west-1";
      env(d, "gce").zone = "europe-west1-c";
      env(d, "azure").location = "northeurope";
      env(d, "openstack").region = "RegionTwo";
      env(d, "libvirt").uri = "qemu+unix:///system?socket=/run/libvirt/other";
    },
    outcome: all(["move"]),
  },
  {
    name: "zones listed, reordered or fewer (running machines keep theirs)",
    envs: ["aws", "gce", "azure"],
    edit: (d) => {
      env(d, "aws").zones = ["eu-central-1c", "eu-central-1b", "eu-central-1a"];
      env(d, "gce").zones = ["europe-west1-d", "europe-west1-c"];
      env(d, "azure").zones = ["2", "1"];
    },
  },
  // The record keeps no zone for a VM in the set: which VMs the set holds would be lost.
  { name: "Azure: zones to an availability set", envs: ["azure"], edit: (d) => (env(d, "azure").zones = []), outcome: { azure: "impossible" } },
  // Another number of zone subnets moves every AWS address.
  { name: "AWS: another number of zones", envs: ["aws"], edit: (d) => (env(d, "aws").zones = ["eu-central-1a", "eu-central-1b"]), outcome: { aws: ["readdress"] } },
  { name: "a Nova key pair", envs: ["openstack"], edit: (d) => (env(d, "openstack").keyPair = "operator"), outcome: { openstack: ["replace"] } },
  { name: "another scheduler", edit: (d) => (d.scheduler = { kind: "none" }), userData: "changes" },
];

/** `a[0].b["c"]` → `a.b.c`: ignore_changes paths as dotted names. */
const dotted = (path: string) => path.replace(/\[(\d+)\]/g, "").replace(/\["([^"]+)"\]/g, ".$1");

/** The value at a dotted path, through lists. */
function at(value: unknown, path: readonly string[]): unknown {
  if (path.length === 0 || value === undefined || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => at(v, path));
  return at((value as Doc)[path[0]!], path.slice(1));
}

/** `value` without what lies at `path` (through lists). */
function without(value: unknown, path: readonly string[]): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => without(v, path));
  const [head, ...rest] = path;
  const copy = { ...(value as Doc) };
  if (rest.length === 0) delete copy[head!];
  else if (head! in copy) copy[head!] = without(copy[head!], rest);
  return copy;
}

/** A node's resources in a stack: named by the node, or `<node>-…`. */
function resourcesOf(tf: Tf, node: string): [type: string, id: string, r: Doc][] {
  return Object.entries(tf.resource).flatMap(([type, byId]) =>
    Object.entries(byId)
      .filter(([id]) => id === node || id.startsWith(`${node}-`))
      .map(([id, r]) => [type, id, r] as [string, string, Doc]),
  );
}

/** The facts of a platform's provider that must not change on a running member (anything but in place). */
const factsOf = (env: Env) => PROVIDERS[platformOf(env)].attributes.filter((f) => f.onChange !== "in-place");

/**
 * The facts of a resource whose value differs between `was` and `is` (what `is` ignores left out), or
 * that reference a resource Terraform replaces: its id is unknown until then, which forces the same.
 */
function changedFacts(env: Env, type: string, was: Doc, is: Doc, replaced: ReadonlySet<string>) {
  const ignored = ((is.lifecycle?.ignore_changes ?? []) as string[]).map(dotted);
  return factsOf(env)
    .filter((f) => f.resource === type && !ignored.some((i) => f.attribute === i || f.attribute.startsWith(`${i}.`)))
    .filter((f) => {
      const path = f.attribute.split(".");
      const inner = ignored.filter((i) => i.startsWith(`${f.attribute}.`)).map((i) => i.slice(f.attribute.length + 1).split("."));
      const value = (r: Doc) => JSON.stringify(inner.reduce((v, p) => without(v, p), at(r, path)) ?? null);
      if ([...replaced].some((ref) => value(is).includes(`\${${ref}.`))) return true;
      return value(was) !== value(is) && !f.inPlaceIf?.(at(was, path), at(is, path));
    });
}

/** Every resource of both stacks that Terraform would replace: a replacing attribute changed, or one that references a replaced resource. */
function replacedResources(env: Env, before: Tf, after: Tf): Set<string> {
  const replaced = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [type, byId] of Object.entries(after.resource))
      for (const [id, is] of Object.entries(byId)) {
        const was = before.resource[type]?.[id];
        if (!was || replaced.has(`${type}.${id}`)) continue;
        if (changedFacts(env, type, was, is, replaced).some((f) => f.onChange === "replace")) grew = replaced.add(`${type}.${id}`).size > 0;
      }
  }
  return replaced;
}

/** What would happen to `nodes` of `before` with `after` deployed: a machine gone, or an attribute on its provider's list changed. */
function harm(env: Env, before: Tf, after: Tf, nodes: readonly string[]): string[] {
  const replaced = replacedResources(env, before, after);
  const machine = PROVIDERS[platformOf(env)].machine;
  return nodes.flatMap((node) =>
    resourcesOf(before, node).flatMap(([type, id, was]) => {
      const is = after.resource[type]?.[id];
      if (!is) return type === machine ? [`${type}.${id}: removed`] : [];
      return changedFacts(env, type, was, is, replaced).map((f) => `${type}.${id}.${f.attribute}: ${f.onChange}`);
    }),
  );
}

/** Everything a refused change would do: harm to any node, a resource replaced, another provider configuration or state. */
function anyHarm(env: Env, before: Tf, after: Tf, nodes: readonly string[]): string[] {
  const moved = (tf: Tf) => JSON.stringify([tf.provider, tf.terraform.backend]);
  return [...harm(env, before, after, nodes), ...replacedResources(env, before, after), ...(moved(before) !== moved(after) ? ["provider or state"] : [])];
}

const planNodes = (dir: string, env: Env): PlannedNode[] => JSON.parse(readFileSync(join(dir, "out", env, "plan.json"), "utf8")).nodes;
const userData = (dir: string, env: Env, node: string) => readFileSync(join(dir, "out", env, "ignition", `${node}.json`), "utf8");
const azurePriorities = (tf: Tf) => Object.fromEntries(Object.entries(tf.resource.azurerm_network_security_rule ?? {}).map(([id, r]) => [id, r.priority]));

/** The rendered projects rows start from, by their base's text. */
const bases = new Map<string, Promise<string>>();
const baseOf = (row: Row) => {
  const text = cloudSpec({}, row.base ?? (() => {}));
  if (!bases.has(text)) bases.set(text, renderedProject(text));
  return bases.get(text)!;
};
const synthesized = new Map<string, ReturnType<typeof synthesize>>();
const stackOf = (dir: string, env: Env) => {
  const key = `${dir}/${env}`;
  if (!synthesized.has(key)) synthesized.set(key, synthesize(dir, env));
  return synthesized.get(key)!;
};

describe("the edit table: every kind of edit, on every platform with a stack", () => {
  it.each(ROWS.map((row) => [row.name, row] as const))("%s", async (_name, row) => {
    const base = await baseOf(row);
    const dir = tempDir("coreform-edit-");
    cpSync(base, dir, { recursive: true });
    const doc = yaml.load(readFileSync(join(dir, "cluster.yaml"), "utf8")) as Doc;
    row.edit(doc);
    writeFileSync(join(dir, "cluster.yaml"), yaml.dump(doc));
    const envs = row.envs ?? ENVS;
    const outcome = (e: Env): Outcome => row.outcome?.[e] ?? "ok";

    // Refused: exit 2, every kind named, nothing written; accepted, the stack does what the refusal is for.
    for (const e of envs.filter((x) => outcome(x) !== "ok")) {
      const before = tree(dir);
      const refused = await cli(dir, "render", e);
      expect([e, refused.code]).toEqual([e, 2]);
      expect(tree(dir)).toEqual(before);
      const kinds = outcome(e);
      if (kinds === "impossible") {
        expect(refused.stderr).toMatch(new RegExp(`^(coreform render: )?${e}: cannot be done: `, "m"));
        continue;
      }
      for (const kind of kinds) expect([e, refused.stderr]).toEqual([e, expect.stringContaining(`coreform render ${e} --accept ${kind}`)]);
      const accepted = await cli(dir, "render", e, "--accept", [...kinds].join(","));
      expect([e, accepted.stderr, accepted.code]).toEqual([e, accepted.stderr, 0]);
      const done = anyHarm(e, stackOf(base, e).tf, synthesize(dir, e).tf, planNodes(base, e).map((n) => n.name));
      expect([e, done.length > 0]).toEqual([e, true]);
    }

    // Accepted: rendered, and nothing on the list happens to a control node.
    const ok = envs.filter((x) => outcome(x) === "ok");
    if (ok.length === 0) return;
    const r = await cli(dir, "render", ...ok);
    expect([r.stderr, r.code]).toEqual([r.stderr, 0]);
    for (const e of ok) {
      const [was, is] = [planNodes(base, e), planNodes(dir, e)];
      const stay = was.filter((n) => is.some((m) => m.name === n.name));
      expect([e, is.filter((n) => !was.some((m) => m.name === n.name)).map((n) => n.name)]).toEqual([e, row.added ?? []]);
      expect([e, was.filter((n) => !is.some((m) => m.name === n.name)).map((n) => n.name)]).toEqual([e, row.removed ?? []]);
      for (const n of stay) expect(is.find((m) => m.name === n.name)).toEqual(n);

      const [before, after] = [stackOf(base, e), synthesize(dir, e)];
      if (row.identical) expect([e, after.synth === before.synth]).toEqual([e, true]);
      const controls = stay.filter((n) => n.role === "control").map((n) => n.name);
      expect([e, harm(e, before.tf, after.tf, controls)]).toEqual([e, []]);
      if (platformOf(e) === "azure") {
        const [p, q] = [azurePriorities(before.tf), azurePriorities(after.tf)];
        for (const id of Object.keys(p).filter((id) => id in q)) expect([id, q[id]]).toEqual([id, p[id]]);
      }

      const how = row.userData ?? "same";
      if (how === "changes") continue;
      const newMembers = is.filter((n) => n.role === "control" && !was.some((m) => m.name === n.name)).map((n) => n.ip);
      for (const n of stay) {
        const [old, now] = [userData(base, e, n.name), userData(dir, e, n.name)];
        if (how === "same") expect([e, n.name, now === old]).toEqual([e, n.name, true]);
        else {
          // Only what lists the etcd members changed, and each such file lists a new one.
          const files = (text: string) => new Map(fromIgnition(text).files.map((f) => [f.path, f.contents]));
          const [a, b] = [files(old), files(now)];
          const changed = [...b].filter(([path, contents]) => a.get(path) !== contents);
          expect(changed.length).toBeGreaterThan(0);
          for (const [path, contents] of changed) expect([n.name, path, newMembers.some((ip) => contents.includes(ip))]).toEqual([n.name, path, true]);
          expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
        }
      }
    }
  });

  it("has a row for each kind of refusal and each platform", () => {
    const kinds = new Set(ROWS.flatMap((r) => Object.values(r.outcome ?? {}).flatMap((o) => (Array.isArray(o) ? o : []))));
    expect([...kinds].sort()).toEqual(["move", "quorum", "readdress", "remove-members", "rename", "replace", "stop"]);
    expect(ENVS.map(platformOf).sort()).toEqual(Object.keys(PROVIDERS).sort());
  });
});
