// `coreform render`: spec → plan → secrets → node configs → files, for each chosen environment.
// Every environment is rendered in memory, new secrets included, and compared with its record before
// anything is written: a refused render (an invalid spec, a change the operator did not accept) leaves
// neither output, nor secrets, nor record behind. `render --check` (render-check.ts) renders
// the same list of files in memory, with the existing secrets only, and compares it with OUTDIR.
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
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
import { SecretsChanged } from "../secrets/disk";
import { planEnvironment, RECORD_FILE, type RecordSource } from "../secrets/record-file";
import { MissingSecretsError, prepareSecrets, readSecrets, renderedBefore, secretsDir, type PreparedSecrets } from "../secrets/store";
import { chooseEnvironments, loadSpecOrFail } from "../spec/file";
import type { Spec } from "../spec/schema";
import { renderVagrantfile, vagrantfileModel } from "../vagrant/vagrantfile";
import { changeSummary, refusalLines } from "./changes-view";
import { emit, type OutputFile } from "./emit";
import { beginRender } from "./repairs";
import { warnExpiringCertificates } from "./validate";

/** The nodes, or the lines saying which are over the platform's user-data budget (the spec's problem: invalid input). */
function renderNodesOrRefuse(...args: Parameters<typeof renderNodes>): ReturnType<typeof renderNodes> | string {
  try {
    return renderNodes(...args);
  } catch (e) {
    if (e instanceof UserDataBudgetError) return e.message;
    throw e;
  }
}

/** A render of this many nodes or more shows, on a terminal, a line as it starts each environment. */
const PROGRESS_NODES = 500;

/** Where output goes: OUTDIR from the command line, else out/ next to the spec. */
export const outDirOf = (io: Io, specFile: string, out: string | undefined) => (out ? resolve(io.cwd, out) : resolve(dirname(specFile), "out"));

/** Everything render writes for one environment, built in memory; check compares the same list. */
interface RenderedEnvironment {
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

/** An environment whose secrets render would first create or renew, or refuses: it cannot be compared. */
interface WithoutSecrets {
  readonly env: string;
  readonly dir: string;
  /** Why render would refuse it (a lost or damaged kept secret), when it would. */
  readonly refused?: string;
}

/** How renderInMemory treats secrets (see there) and where earlier output is. */
interface InMemoryOptions {
  readonly secrets: "create" | "existing";
  readonly outDir: string;
  /** `render --new-secrets`: make lost CAs, token and keys afresh. */
  readonly newSecrets?: boolean;
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
  options: InMemoryOptions,
): Promise<{ readonly rendered: RenderedEnvironment[]; readonly withoutSecrets: WithoutSecrets[] }> {
  const rendered: RenderedEnvironment[] = [];
  const withoutSecrets: WithoutSecrets[] = [];
  const refused: string[] = [];
  const planned = envs.map((env) => {
    const format = platformOf(spec.environments[env]!.platform).userData.format;
    return planEnvironment(spec, env, dirname(specFile), options.outDir, (n) => FORMATS[format].file(n));
  });
  const total = planned.reduce((n, { plan }) => n + plan.nodes.length, 0);
  for (const [i, env] of envs.entries()) {
    const { plan, previous, source, file: recordFile } = planned[i]!;
    if (io.progress && total >= PROGRESS_NODES) io.progress(`coreform: rendering ${env} (${i + 1} of ${envs.length}): ${plan.nodes.length} nodes…`);
    const dir = secretsDir(dirname(specFile), env);
    // out/<env>/plan.json of an earlier render: evidence of secrets nodes trust.
    const earlier = renderedBefore(options.outDir, env);
    let prepared: PreparedSecrets;
    if (options.secrets === "create") {
      prepared = await prepareSecrets(dir, plan, (line) => io.err(line), { ...(earlier ? { rendered: earlier } : {}), newSecrets: options.newSecrets === true });
    } else {
      try {
        prepared = { secrets: readSecrets(dir, plan, earlier ? { rendered: earlier } : {}), persist: () => {} };
      } catch (e) {
        if (e instanceof SecretsChanged) withoutSecrets.push({ env, dir, refused: e.message });
        else if (e instanceof MissingSecretsError) withoutSecrets.push({ env, dir });
        else throw e;
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
    const { record: next, text } = renderedRecord(spec, env, plan, nodes, previous);
    const change = compareRecords({
      cluster: spec.name,
      environment: env,
      platform: plan.platform,
      settings: next.settings?.environment ?? {},
      cidr: plan.cidr,
      previous,
      next,
    });
    const current = source === "record" && readFileSync(recordFile, "utf8") === text;
    const record = { file: recordFile, text, current, source };
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
  options: { readonly accepted?: ReadonlySet<AcceptKind>; readonly newSecrets?: boolean } = {},
): Promise<{ readonly plan: ClusterPlan; readonly summary: string }[]> {
  // One render at a time per project, from reading the secrets to the last file written.
  const release = beginRender(io, specFile, outDir, envs);
  try {
    const { rendered } = await renderInMemory(io, spec, specFile, envs, { secrets: "create", outDir, newSecrets: options.newSecrets === true });
    const refusals = rendered.flatMap((r) => refusalLines(r.change, options.accepted ?? new Set()));
    if (refusals.length) throw new InputError([...refusals, "nothing was written"].join("\n"));
    // Secrets (and records) first: output whose keys were not kept would be worse than no output.
    for (const r of rendered) r.persist();
    emit(outDir, new Map(rendered.map((r) => [r.env, r.files])));
    for (const r of rendered) {
      if (r.record.source === "output" || r.record.source === "secrets")
        io.err(
          `${r.env}: rendered by a coreform before records: every node stays where it put it (${r.record.source === "output" ? `as out/${r.env}/plan.json says` : "in the spec's order, as it placed them"}); ` +
            `${relative(dirname(specFile), r.record.file)} keeps them from now on: back it up with the secrets`,
        );
      for (const line of changeSummary(r.change)) io.err(line);
    }
    return rendered.map(({ env, plan }) => ({ plan, summary: `rendered ${env} (${plan.platform}): ${plan.nodes.length} nodes → ${resolve(outDir, env)}` }));
  } finally {
    release();
  }
}

/** What render and render --check take besides the environments. */
export interface RenderOptions {
  readonly file?: string;
  readonly out?: string;
  readonly accept?: string;
  /** `--new-secrets` (render only). */
  readonly "new-secrets"?: boolean;
}

export async function render(io: Io, names: string[], options: RenderOptions): Promise<number> {
  const accepted = acceptedKinds(options.accept);
  const newSecrets = options["new-secrets"] === true;
  // Never for every environment at once: a new CA is a new cluster for the nodes of each one named.
  if (newSecrets && !names.length) throw new InputError("--new-secrets needs the environments named: coreform render ENV… --new-secrets");
  const { spec, file: specFile } = loadSpecOrFail(io, options.file);
  const chosen = chooseEnvironments(spec, specFile, names);
  // The certificates as they are before render renews any: those the running nodes have.
  warnExpiringCertificates(io, spec, specFile, chosen);
  for (const { summary } of await renderEnvironments(io, spec, specFile, chosen, outDirOf(io, specFile, options.out), { accepted, newSecrets })) io.out(summary);
  return EXIT_OK;
}
