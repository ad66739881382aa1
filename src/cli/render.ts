// `coreform render`: spec → plan → secrets → node configs → files, for each chosen environment.
// Every environment is rendered in memory, new secrets included, before anything is written: a
// refused render leaves neither output nor secrets behind.
import { dirname, resolve } from "node:path";
import { FORMATS, renderNodes, UserDataBudgetError } from "../../cloud-config/user-data";
import { EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { PUBLIC, SECRET } from "../modes";
import { planCluster, type ClusterPlan } from "../plan/plan";
import { prepareSecrets, secretsDir } from "../secrets/store";
import { loadSpecOrFail } from "../spec/file";
import type { Spec } from "../spec/schema";
import { renderVagrantfile, vagrantfileModel } from "../vagrant/vagrantfile";
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
  const outputs = new Map<string, OutputFile[]>();
  const persist: (() => void)[] = [];
  const refused: string[] = [];
  const done: { plan: ClusterPlan; summary: string }[] = [];
  for (const env of envs) {
    const plan = planCluster(spec, env);
    const prepared = await prepareSecrets(secretsDir(dirname(specFile), env), plan, (line) => io.err(line));
    const nodes = renderNodesOrRefuse(spec, plan, prepared.secrets);
    if (typeof nodes === "string") {
      refused.push(nodes);
      continue;
    }
    persist.push(prepared.persist);
    outputs.set(env, [
      { path: "plan.json", contents: `${JSON.stringify(plan, null, 2)}\n`, mode: PUBLIC },
      ...nodes.map(({ node, format, userData }) => ({ path: FORMATS[format].file(node.name), contents: userData, mode: SECRET })),
      ...(plan.platform === "vagrant"
        ? [{ path: "Vagrantfile", contents: renderVagrantfile(vagrantfileModel(spec.environments[env]!, plan, (n) => FORMATS["cloud-config"].file(n.name))), mode: PUBLIC }]
        : []),
    ]);
    done.push({ plan, summary: `rendered ${env} (${plan.platform}): ${nodes.length} nodes → ${resolve(outDir, env)}` });
  }
  if (refused.length) throw new InputError(refused.join("\n"));
  // Secrets first: output whose keys were not kept would be worse than no output.
  for (const p of persist) p();
  emit(outDir, outputs);
  return done;
}

export async function render(io: Io, names: string[], file: string | undefined, out: string | undefined): Promise<number> {
  const { spec, file: specFile } = loadSpecOrFail(io, file);
  const known = Object.keys(spec.environments);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw new InputError(`no environment ${unknown.join(", ")} in ${specFile} (it has: ${known.join(", ")})`);
  const chosen = names.length ? [...new Set(names)] : known;
  for (const { summary } of await renderEnvironments(io, spec, specFile, chosen, outDirOf(io, specFile, out))) io.out(summary);
  return EXIT_OK;
}
