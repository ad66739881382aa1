// What parsed of a spec that failed the schema: good values as the schema gives them (defaults
// filled in), broken ones throwing BrokenInput when read, broken environments left out.
import yaml from "js-yaml";
import { BrokenInput, salvage } from "../../src/spec/partial";
import { checkRules } from "../../src/spec/rules";
import { specSchema, type Spec } from "../../src/spec/schema";
import { smallSpec } from "../helpers/cli";

type Doc = Record<string, any>;

function parts(edit: (d: Doc) => void): Spec {
  const doc = yaml.load(smallSpec()) as Doc;
  edit(doc);
  expect(specSchema.safeParse(doc).success).toBe(false);
  const out = salvage(specSchema, doc);
  if (!out.ok) throw new Error("nothing parsed");
  return out.value as Spec;
}

const read = (f: () => unknown) => {
  try {
    return f();
  } catch (e) {
    return e instanceof BrokenInput ? "broken" : e;
  }
};

describe("salvage", () => {
  it.each<[string, (d: Doc) => void, (s: Spec) => unknown, unknown]>([
    ["a good section, defaults filled in", (d) => (d.colour = 1), (s) => s.etcd, { image: "quay.io/coreos/etcd", version: "v3.5.33", snapshots: { schedule: "daily", keep: 7 }, diskGiB: 10 }],
    ["a broken section throws", (d) => (d.network = "x"), (s) => s.network, "broken"],
    ["… but is there for `in`", (d) => (d.network = "x"), (s) => "network" in s, true],
    ["a broken field throws", (d) => (d.updates.rebootStrategy = "x"), (s) => s.updates.rebootStrategy, "broken"],
    ["its good neighbour reads", (d) => (d.updates.rebootStrategy = "x"), (s) => s.updates.window, { start: "Thu 04:00", length: "1h" }],
    ["a broken list item throws", (d) => (d.nodes[1].count = 0), (s) => s.nodes[1]!.count, "broken"],
    ["its good fields read", (d) => (d.nodes[1].count = 0), (s) => s.nodes[1]!.role, "worker"],
    ["a list of items that are all good, but too few, is broken", (d) => ((d.nodes = []), (d.colour = 1)), (s) => s.nodes, "broken"],
    ["iterating over a broken item throws", (d) => (d.nodes[0] = 5), (s) => s.nodes.map((g) => g.role), "broken"],
    ["an environment that is no mapping is left out", (d) => (d.environments.prod = "aws"), (s) => Object.keys(s.environments), ["test"]],
    ["an environment with a bad name is left out", (d) => (d.environments.Prod = { platform: "libvirt" }), (s) => Object.keys(s.environments), ["test"]],
    ["an environment with a broken field is kept, the field throws", (d) => (d.environments.prod = { platform: "aws", adminCidrs: ["0.0.0.0/0"] }), (s) => read(() => (s.environments.prod as { region: string }).region), "broken"],
    ["… and its other fields read", (d) => (d.environments.prod = { platform: "aws", adminCidrs: ["0.0.0.0/0"] }), (s) => (s.environments.prod as { adminCidrs: string[] }).adminCidrs, ["0.0.0.0/0"]],
    ["an empty map of environments is broken", (d) => (d.environments = {}), (s) => s.environments, "broken"],
    ["a scheduler without kind gets kubernetes", (d) => ((d.scheduler = { version: "v1.32.2+k3s1" }), (d.colour = 1)), (s) => s.scheduler.kind, "kubernetes"],
    ["a scheduler of an unknown kind is broken", (d) => (d.scheduler = { kind: "nomad" }), (s) => s.scheduler, "broken"],
  ])("%s", (_n, edit, get, expected) => {
    const s = parts(edit);
    expect(read(() => get(s))).toEqual(expected);
  });

  it("a rule that reads a broken value is left out whole, the others run", () => {
    const s = parts((d) => ((d.nodes[1].count = "x"), (d.network.cidr = "10.42.0.0/29"), (d.nodes[1].name = "control")));
    // cidrHoldsAllNodes needs every count and is skipped; namesAreUnique reads only names and runs.
    expect(checkRules(s).map((i) => `${i.severity} ${i.path}`)).toEqual(["error nodes[1].name"]);
  });

  it("any other exception from a rule is not swallowed", () => {
    const s = parts((d) => (d.colour = 1));
    Object.defineProperty(s, "nodes", { get: () => { throw new TypeError("a bug"); } });
    expect(() => checkRules(s)).toThrow("a bug");
  });
});
