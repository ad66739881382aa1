// Stacks as the CDKTF app builds them, from projects the real CLI rendered: the user data a stack
// carries is then byte for byte what `coreform render` wrote to out/<env>/. One fixture spec holds an
// environment of every platform that has a stack, named by its platform, and every environment of a
// project shares one set of secrets, so that node N's user data is the same on every cloud.
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { loadSpec } from "../../src/spec/load";
import type { Spec } from "../../src/spec/schema";
import { EARLIER_PLACEMENT, planCluster } from "../../src/plan/plan";
import { GENERATION, identityOf, RECORD_VERSION, serializeRecord, type EnvironmentRecord } from "../../src/plan/record";
import { RECORD_FILE } from "../../src/secrets/record-file";
import { ensureSecrets, secretsDir } from "../../src/secrets/store";
import { prepareStacks } from "../../stacks/registry";
import { cli, editSpec, project, type Doc } from "./cli";
export { unliteral } from "./literal";

// The tests read synthesized JSON loosely, as they write specs: its shape is Terraform's, not a TypeScript type.
export type { Doc };
export type Tf = { resource: Record<string, Record<string, Doc>>; data?: Record<string, Record<string, Doc>>; terraform: Doc; output: Doc; provider: Doc };

export const ADMIN_CIDRS = ["203.0.113.0/24"];

/** The fixture's environments: one per platform with a stack, each with only its required settings. */
export const CLOUD_ENVIRONMENTS = {
  aws: { platform: "aws", region: "eu-central-1", adminCidrs: ADMIN_CIDRS },
  gce: { platform: "gce", project: "coreform-test", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ADMIN_CIDRS },
  azure: { platform: "azure", location: "westeurope", adminCidrs: ADMIN_CIDRS },
  openstack: { platform: "openstack", externalNetwork: "public", adminCidrs: ADMIN_CIDRS, control: { flavor: "m1.medium" }, worker: { flavor: "m1.large" } },
  libvirt: { platform: "libvirt" },
} as const;
export type CloudEnvironment = keyof typeof CLOUD_ENVIRONMENTS;

/**
 * smallSpec() (3 control nodes, 1 worker, 10.42.0.0/24, cluster `t`) with every cloud environment;
 * `settings` are merged into the environment of that name, then `edit` may change the whole document.
 */
export function cloudSpec(settings: Partial<Record<CloudEnvironment, Doc>> = {}, edit: (doc: Doc) => void = () => {}): string {
  return editSpec((doc) => {
    doc.environments = Object.fromEntries(Object.entries(CLOUD_ENVIRONMENTS).map(([name, env]) => [name, { ...env, ...settings[name as CloudEnvironment] }]));
    edit(doc);
  });
}

/** The record of an environment this coreform made that has no node yet. */
const NEW_RECORD: EnvironmentRecord = { version: RECORD_VERSION, generation: GENERATION, groups: {}, nodes: [], retired: [] };

/**
 * A project holding `text` as cluster.yaml, rendered by the real CLI (secrets and out/<env>/): every
 * environment, or `only` one (the others have no secrets). Secrets come from `secretsFrom` (a project
 * of the same plan), else the first environment's are made and shared by the others, so every
 * platform carries the same user data.
 */
export async function renderedProject(text: string, options: { secretsFrom?: string; only?: string } = {}): Promise<string> {
  const dir = project(text);
  const render = async (...envs: string[]) => {
    const r = await cli(dir, "render", ...envs);
    expect(r.stderr).not.toMatch(/^coreform render:/m);
    expect(r.code).toBe(0);
  };
  const envs = options.only ? [options.only] : Object.keys(loaded(dir).environments);
  // The secrets only: a record says where another project's (or environment's) nodes are, and this one
  // is new. Secrets without a record are an environment a coreform before records rendered: each copy
  // gets the record of a new one instead, without nodes yet.
  const secretsOnly = { recursive: true, filter: (path: string) => basename(path) !== RECORD_FILE };
  const secrets = (env: string) => join(dir, ".coreform", env);
  const copy = (from: string, env: string) => {
    cpSync(from, secrets(env), secretsOnly);
    writeFileSync(join(secrets(env), RECORD_FILE), serializeRecord(NEW_RECORD), { mode: 0o600 });
  };
  if (options.secretsFrom) {
    for (const env of envs) if (existsSync(join(options.secretsFrom, ".coreform", env))) copy(join(options.secretsFrom, ".coreform", env), env);
  } else {
    // A new AWS environment's members have addresses of their own (zone subnets), and so certificates of
    // their own: the shared secrets come from another platform's environment where there is one.
    const spec = loaded(dir);
    const first = envs.find((e) => spec.environments[e]!.platform !== "aws") ?? envs[0]!;
    await render(first);
    for (const env of envs.filter((e) => e !== first)) copy(secrets(first), env);
  }
  await render(...envs);
  return dir;
}

/**
 * A project holding `text`, its environments `envs` rendered by a coreform of generation 1 (issue 25:
 * before zones and data disks): each one's record says so, with every node where that coreform put it,
 * and this coreform renders it (keeping all of that), as an operator upgrading would.
 */
export async function olderProject(text: string, envs: readonly string[]): Promise<string> {
  const dir = project(text);
  const spec = loaded(dir);
  for (const env of envs) {
    const plan = planCluster(spec, env, EARLIER_PLACEMENT);
    await ensureSecrets(secretsDir(dir, env), plan);
    const nodes = plan.nodes.map((n) => ({ ...identityOf(n), generation: 1 as const, userData: "" }));
    const groups = Object.fromEntries(spec.nodes.map((g) => [g.name ?? g.role, { width: 2 }]));
    const record: EnvironmentRecord = { version: RECORD_VERSION, generation: 1, groups, nodes, retired: [] };
    writeFileSync(join(dir, ".coreform", env, RECORD_FILE), serializeRecord(record), { mode: 0o600 });
  }
  const r = await cli(dir, "render", ...envs);
  expect([r.stderr, r.code]).toEqual([r.stderr, 0]);
  return dir;
}

export function loaded(dir: string): Spec {
  const { spec, issues } = loadSpec(join(dir, "cluster.yaml"));
  if (!spec) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return spec;
}

/** The stack the app builds for `env`, synthesized as cdktf would into dir/cdktf.out. */
export function synthesize(dir: string, env: string) {
  const warnings: string[] = [];
  const prepared = prepareStacks(loaded(dir), dir, (line) => warnings.push(line));
  const wanted = prepared.find((p) => p.name === env);
  if (!wanted) throw new Error(`no stack ${env}`);
  const stack = new TerraformStack(Testing.app({ outdir: join(dir, "cdktf.out") }), env);
  wanted.build(stack, wanted.input);
  const synth = Testing.synth(stack);
  return { synth, tf: JSON.parse(synth) as Tf, warnings, prepared, input: wanted.input };
}

/** A stack's resources of one type, as [name, attributes] (synthesized resources come sorted by name). */
export const resources = (tf: Tf, type: string) => Object.entries(tf.resource[type] ?? {});


/** A node's Ignition config as `coreform render` wrote it. */
export const renderedIgnition = (dir: string, env: string, node: string) => readFileSync(join(dir, "out", env, "ignition", `${node}.json`), "utf8");

/**
 * For a test file about one environment's settings: the fixture rendered once (in beforeAll), and
 * variants of it that share its secrets and render only that environment.
 */
export function settingsOf(env: CloudEnvironment) {
  let base = "";
  beforeAll(async () => {
    base = await renderedProject(cloudSpec());
  });
  return {
    base: () => base,
    variant: (settings: Doc = {}, edit?: (doc: Doc) => void) => renderedProject(cloudSpec({ [env]: settings }, edit), { secretsFrom: base, only: env }),
    stackOf: (dir: string) => synthesize(dir, env),
  };
}

/** The repository's cluster.yaml. */
export const DEFAULT_SPEC = readFileSync(join(__dirname, "../../cluster.yaml"), "utf8");

/** For a test file about the default spec's stack `env`: the spec rendered once (in beforeAll), and the stack. */
export function defaultStack(env: string): { readonly dir: string; readonly result: ReturnType<typeof synthesize> } {
  const state = {} as { dir: string; result: ReturnType<typeof synthesize> };
  beforeAll(async () => {
    state.dir = await renderedProject(DEFAULT_SPEC);
    state.result = synthesize(state.dir, env);
  });
  return state;
}
