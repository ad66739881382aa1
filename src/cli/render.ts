// `coreform render`: spec → plan → secrets → node configs → files, for each chosen environment.
// Every environment is rendered in memory, new secrets included, before anything is written: a
// refused render leaves neither output nor secrets behind. `render --check` (render-check.ts) renders
// the same list of files in memory, with the existing secrets only, and compares it with OUTDIR.
import { dirname, resolve } from "node:path";
import { FORMATS, renderNodes, UserDataBudgetError } from "../../cloud-config/user-data";
import { EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { PUBLIC, SECRET } from "../modes";
import { planCluster, type ClusterPlan } from "../plan/plan";
import { environmentTopology } from "../plan/topology";
import { MissingSecretsError, prepareSecrets, readSecrets, secretsDir, type PreparedSecrets } from "../secrets/store";
import { chooseEnvironments, loadSpecOrFail } from "../spec/file";
import type { Spec } from "../spec/schema";
import { renderVagrantfile, vagrantfileModel } from "../vagrant/vagrantfile";
import { emit, type OutputFile } from "./emit";
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

/** Where output goes: OUTDIR from the command line, else out/ next to the spec. */
export const outDirOf = (io: Io, specFile: string, out: string | undefined) => (out ? resolve(io.cwd, out) : resolve(dirname(specFile), "out"));

/** Everything render writes for one environment, built in memory; check compares the same list. */
export interface RenderedEnvironment {
  readonly env: string;
  readonly plan: ClusterPlan;
  /** Every file below OUTDIR/<env>/, each with its contents and mode. */
  readonly files: readonly OutputFile[];
  /** Writes the secrets made for it (nothing when every one existed). */
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
 * (check: the secrets are only read, so nothing is created and nothing is logged). An environment
 * over its platform's user-data budget is invalid input, for both.
 */
export async function renderInMemory(
  io: Io,
  spec: Spec,
  specFile: string,
  envs: readonly string[],
  secrets: "create" | "existing",
): Promise<{ readonly rendered: RenderedEnvironment[]; readonly withoutSecrets: WithoutSecrets[] }> {
  const rendered: RenderedEnvironment[] = [];
  const withoutSecrets: WithoutSecrets[] = [];
  const refused: string[] = [];
  for (const env of envs) {
    const plan = planCluster(spec, env);
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
    rendered.push({ env, plan, files, persist: prepared.persist });
  }
  if (refused.length) throw new InputError(refused.join("\n"));
  return { rendered, withoutSecrets };
}

/**
 * Renders the environments into `outDir` (secrets created or reused next to the spec) and returns each
 * one's plan and summary line. Nothing is written, secrets or output, unless every environment rendered.
 */
export async function renderEnvironments(
  io: Io,
  spec: Spec,
  specFile: string,
  envs: readonly string[],
  outDir: string,
): Promise<{ readonly plan: ClusterPlan; readonly summary: string }[]> {
  const { rendered } = await renderInMemory(io, spec, specFile, envs, "create");
  // Secrets first: output whose keys were not kept would be worse than no output.
  for (const r of rendered) r.persist();
  emit(outDir, new Map(rendered.map((r) => [r.env, r.files])));
  return rendered.map(({ env, plan }) => ({ plan, summary: `rendered ${env} (${plan.platform}): ${plan.nodes.length} nodes → ${resolve(outDir, env)}` }));
}

/** What render and render --check take besides the environments. */
export interface RenderOptions {
  readonly file?: string;
  readonly out?: string;
}

export async function render(io: Io, names: string[], options: RenderOptions): Promise<number> {
  const { spec, file: specFile } = loadSpecOrFail(io, options.file);
  const chosen = chooseEnvironments(spec, specFile, names);
  // The certificates as they are before render renews any: those the running nodes have.
  warnExpiringCertificates(io, spec, specFile, chosen);
  for (const { summary } of await renderEnvironments(io, spec, specFile, chosen, outDirOf(io, specFile, options.out))) io.out(summary);
  return EXIT_OK;
}
