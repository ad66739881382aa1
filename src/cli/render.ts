// `coreform render`: spec → plan → secrets → node configs → files, for each chosen environment.
// Every environment is rendered in memory, new secrets included, and compared with its record before
// anything is written: a refused render (an invalid spec, a change the operator did not accept) leaves
// neither output, nor secrets, nor record behind. `render --check` (render-check.ts) renders
// the same list of files in memory, with the existing secrets only, and compares it with OUTDIR.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { FORMATS, renderNodes, UserDataBudgetError } from "../../cloud-config/user-data";
import { EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { PUBLIC, SECRET } from "../modes";
import { renderedRecord } from "../node/record";
import { compareRecords, type EnvironmentChange } from "../plan/changes";
import type { ClusterPlan } from "../plan/plan";
import { environmentTopology } from "../plan/topology";
import { ACCEPT_KINDS, type AcceptKind } from "../platforms/changes";
import { platformOf } from "../platforms/table";
import { planEnvironment, RECORD_FILE, type RecordSource } from "../secrets/record-file";
import { MissingSecretsError, prepareSecrets, readSecrets, secretsDir, type PreparedSecrets } from "../secrets/store";
import { chooseEnvironments, loadSpecOrFail } from "../spec/file";
import type { Spec } from "../spec/schema";
import { renderVagrantfile, vagrantfileModel } from "../vagrant/vagrantfile";
import { changeSummary, refusalLines } from "./changes-view";
import { emit, type OutputFile } from "./emit";

/** The nodes, or the lines saying which are over the platform's user-data budget (the spec's problem: invalid input). */
function renderNodesOrRefuse(...args: Parameters<typeof renderNodes>): ReturnType<typeof renderNodes> | string {
  try {
    return renderNodes(...args);
  } catch (e) {
    if (e instanceof UserDataBudgetError) return e.message;
    throw e;
  }
}

/** Where output goes: OUTDIR from the command line, else out/ next to the spec. */
export const outDirOf = (io: Io, specFile: string, out: string | undefined) => (out ? resolve(io.cwd, out) : resolve(dirname(specFile), "out"));

/** Everything render writes for one environment, built in memory; check compares the same list. */
export interface RenderedEnvironment {
  readonly env: string;
  readonly plan: ClusterPlan;
  /** Every file below OUTDIR/<env>/, each with its contents and mode. */
  readonly files: readonly OutputFile[];
  /** The environment's record as render would write it, where, and whether the file holds it already. */
  readonly record: { readonly file: string; readonly text: string; readonly current: boolean; readonly source: RecordSource };
  /** What this render changes in the environment, against its record. */
  readonly change: EnvironmentChange;
  /** Writes the secrets made for it (nothing when every one existed) and its record, when new. */
  readonly persist: () => void;
}

/** An environment whose secrets render would first create or renew: it cannot be compared. */
interface WithoutSecrets {
  readonly env: string;
  readonly dir: string;
}

/**
 * Renders the environments in memory: nothing is written. `secrets` says whether missing or stale
 * secrets are made (render: in memory, written by `persist`) or leave the environment unrendered
 * (check: the secrets are only read, so nothing is created and nothing is logged). Each environment is
 * planned as its record says (src/secrets/record-file.ts). An environment over its platform's
 * user-data budget is invalid input, for both.
 */
export async function renderInMemory(
  io: Io,
  spec: Spec,
  specFile: string,
  envs: readonly string[],
  secrets: "create" | "existing",
  outDir: string,
): Promise<{ readonly rendered: RenderedEnvironment[]; readonly withoutSecrets: WithoutSecrets[] }> {
  const rendered: RenderedEnvironment[] = [];
  const withoutSecrets: WithoutSecrets[] = [];
  const refused: string[] = [];
  for (const env of envs) {
    const format = platformOf(spec.environments[env]!.platform).userData.format;
    const planned = planEnvironment(spec, env, dirname(specFile), outDir, (n) => FORMATS[format].file(n));
    const { plan } = planned;
    const dir = secretsDir(dirname(specFile), env);
    let prepared: PreparedSecrets;
    if (secrets === "create") prepared = await prepareSecrets(dir, plan, (line) => io.err(line));
    else {
      try {
        prepared = { secrets: readSecrets(dir, plan), persist: () => {} };
      } catch (e) {
        if (!(e instanceof MissingSecretsError)) throw e;
        withoutSecrets.push({ env, dir });
        continue;
      }
    }
    const nodes = renderNodesOrRefuse(spec, plan, prepared.secrets);
    if (typeof nodes === "string") {
      refused.push(nodes);
      continue;
    }
    const files: OutputFile[] = [
      { path: "plan.json", contents: `${JSON.stringify(plan, null, 2)}\n`, mode: PUBLIC },
      { path: "topology.svg", contents: environmentTopology(plan, spec.environments[env]!), mode: PUBLIC },
      ...nodes.map(({ node, format, userData }) => ({ path: FORMATS[format].file(node.name), contents: userData, mode: SECRET })),
      ...(plan.platform === "vagrant"
        ? [{ path: "Vagrantfile", contents: renderVagrantfile(vagrantfileModel(spec.environments[env]!, plan, (n) => FORMATS["cloud-config"].file(n.name))), mode: PUBLIC }]
        : []),
    ];
    const { record: next, text } = renderedRecord(spec, env, plan.cidr, nodes, planned.previous);
    const change = compareRecords({
      cluster: spec.name,
      environment: env,
      platform: plan.platform,
      settings: next.settings?.environment ?? {},
      cidr: plan.cidr,
      previous: planned.previous,
      next,
    });
    const current = planned.source === "record" && readFileSync(planned.file, "utf8") === text;
    const record = { file: planned.file, text, current, source: planned.source };
    rendered.push({ env, plan, files, record, change, persist: () => prepared.persist(current ? undefined : new Map([[RECORD_FILE, text]])) });
  }
  if (refused.length) throw new InputError(refused.join("\n"));
  return { rendered, withoutSecrets };
}

/** The `--accept` list: kinds of refused changes the operator accepts. */
export function acceptedKinds(text: string | undefined): Set<AcceptKind> {
  const kinds = (text ?? "").split(",").map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.filter((k) => !(ACCEPT_KINDS as readonly string[]).includes(k));
  if (unknown.length) throw new InputError(`--accept: ${unknown.join(", ")} is no kind of change (kinds: ${ACCEPT_KINDS.join(", ")})`);
  return new Set(kinds as AcceptKind[]);
}

/**
 * Renders the environments into `outDir` (secrets created or reused next to the spec) and returns each
 * one's plan and summary line. Nothing is written, secrets, record or output, unless every environment
 * rendered and no change of one is refused (unless `accepted`).
 */
export async function renderEnvironments(
  io: Io,
  spec: Spec,
  specFile: string,
  envs: readonly string[],
  outDir: string,
  accepted: ReadonlySet<AcceptKind> = new Set(),
): Promise<{ readonly plan: ClusterPlan; readonly summary: string }[]> {
  const { rendered } = await renderInMemory(io, spec, specFile, envs, "create", outDir);
  const refusals = rendered.flatMap((r) => refusalLines(r.change, accepted));
  if (refusals.length) throw new InputError([...refusals, "nothing was written"].join("\n"));
  // Secrets first: output whose keys were not kept would be worse than no output.
  for (const r of rendered) r.persist();
  emit(outDir, new Map(rendered.map((r) => [r.env, r.files])));
  for (const r of rendered) for (const line of changeSummary(r.change)) io.err(line);
  return rendered.map(({ env, plan }) => ({ plan, summary: `rendered ${env} (${plan.platform}): ${plan.nodes.length} nodes → ${resolve(outDir, env)}` }));
}

/** What render and render --check take besides the environments. */
export interface RenderOptions {
  readonly file?: string;
  readonly out?: string;
  readonly accept?: string;
}

export async function render(io: Io, names: string[], options: RenderOptions): Promise<number> {
  const accepted = acceptedKinds(options.accept);
  const { spec, file: specFile } = loadSpecOrFail(io, options.file);
  const chosen = chooseEnvironments(spec, specFile, names);
  for (const { summary } of await renderEnvironments(io, spec, specFile, chosen, outDirOf(io, specFile, options.out), accepted)) io.out(summary);
  return EXIT_OK;
}
