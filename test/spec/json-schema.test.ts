// cluster.schema.json and README's spec table are made from the zod schema's descriptions: both are
// current, every field has its description, and a standard JSON Schema validator (ajv) accepts what
// coreform's schema accepts, the default cluster.yaml first.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import yaml from "js-yaml";
import { SCHEMA_FILE, specJsonSchemaText, specTable } from "../../src/spec/json-schema";
import { specSchema } from "../../src/spec/schema";
import { editSpec, smallSpec, type Doc } from "../helpers/cli";

const ROOT = join(__dirname, "../..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const COMMITTED = JSON.parse(read(SCHEMA_FILE)) as Doc;
const DEFAULT_SPEC = read("cluster.yaml");

/** The JSON Schema's validator: draft-07 in strict mode, formats checked (zod's cidrv4 is also a pattern there). */
function validator() {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addFormat("cidrv4", true);
  return ajv.compile(COMMITTED);
}
const validate = validator();
const load = (text: string) => yaml.load(text, { schema: yaml.CORE_SCHEMA });

describe("cluster.schema.json", () => {
  it("is current: `npm run schema` writes it from the zod schema", () => {
    expect(read(SCHEMA_FILE)).toBe(specJsonSchemaText());
  });

  it("describes every field and every branch", () => {
    const undescribed: string[] = [];
    const walk = (node: Doc, path: string): void => {
      for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Doc>)) {
        if (!child.description) undescribed.push(`${path}.${key}`);
        walk(child, `${path}.${key}`);
      }
      for (const [i, branch] of ((node.oneOf ?? []) as Doc[]).entries()) {
        if (!branch.description) undescribed.push(`${path}[${i}]`);
        walk(branch, `${path}[${i}]`);
      }
      for (const key of ["items", "additionalProperties"]) if (typeof node[key] === "object") walk(node[key], `${path}.${key}`);
    };
    walk(COMMITTED, "");
    expect(undescribed).toEqual([]);
  });

  it("is the one the default cluster.yaml names in its first line, relative to it", () => {
    expect(DEFAULT_SPEC.split("\n")[0]).toBe(`# yaml-language-server: $schema=${SCHEMA_FILE}`);
  });

  it("accepts the default cluster.yaml (ajv, draft-07)", () => {
    expect(validate(load(DEFAULT_SPEC))).toBe(true);
    expect(validate.errors).toBeNull();
  });

  /** smallSpec() changed by `edit`. */
  const doc = (edit: (d: Doc) => void) => load(editSpec(edit, smallSpec()));
  const aws = { platform: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"] };
  it.each<[string, (d: Doc) => void]>([
    ["the small spec", () => {}],
    ["what has a default left out: os, etcd, updates, a scheduler without kind", (d) => ((d.scheduler = { sysupdate: false }), delete d.os, delete d.etcd)],
    ["fleet", (d) => (d.scheduler = { kind: "fleet", image: "quay.io/coreos/fleet:v1.0.0" })],
    ["an aws environment with a backend", (d) => (d.environments.prod = { ...aws, backend: { type: "s3", bucket: "my-state", region: "eu-west-1" } })],
    ["an environment's own network", (d) => (d.environments.test.network = { cidr: "10.50.0.0/24" })],
    ["a reboot window", (d) => (d.updates = { window: { start: "Thu 04:00", length: "2h" } })],
  ])("accepts what coreform accepts: %s", (_name, edit) => {
    const spec = doc(edit);
    expect(specSchema.safeParse(spec).success).toBe(true);
    expect(validate(spec)).toBe(true);
  });

  it.each<[string, (d: Doc) => void]>([
    ["an unknown key", (d) => (d.colour = "blue")],
    ["an unknown key in an environment", (d) => (d.environments.test.region = "x")],
    ["a missing required setting", (d) => (d.environments.prod = { platform: "aws", adminCidrs: ["203.0.113.0/24"] })],
    ["an unknown platform", (d) => (d.environments.test = { platform: "hetzner" })],
    ["a scheduler kind that is none of them", (d) => (d.scheduler = { kind: "nomad" })],
    ["a wrong type", (d) => (d.nodes[0].count = "three")],
    ["a bad CIDR", (d) => (d.network.cidr = "10.42.0.0/33")],
    ["an environment name that is not DNS-safe", (d) => (d.environments.Test = { platform: "libvirt" })],
    ["the wrong apiVersion", (d) => (d.apiVersion = "coreform/v2")],
  ])("refuses what coreform refuses: %s", (_name, edit) => {
    const spec = doc(edit);
    expect(specSchema.safeParse(spec).success).toBe(false);
    expect(validate(spec)).toBe(false);
  });
});

describe("README's spec table", () => {
  it("is current: made from the descriptions of the spec's sections", () => {
    expect(read("README.md")).toContain(specTable());
  });
});
