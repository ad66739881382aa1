// `coreform render`: spec → plan → secrets → node configs → files, for each chosen environment.
// Every environment is rendered in memory before anything is written to OUTDIR.
import { dirname, resolve } from "node:path";
import { PUBLIC, SECRET } from "../node/context";
import { FORMATS, renderNodes, UserDataBudgetError } from "../node/render";
import { planCluster } from "../plan/plan";
import { ensureSecrets, secretsDir } from "../secrets/store";
import type { Spec } from "../spec/schema";
import { renderVagrantfile, vagrantfileModel } from "../vagrant/vagrantfile";
import { emit, type OutputFile } from "./emit";
import { EXIT_OK, InputError } from "./errors";
import type { Io } from "./io";
import { loadSpecOrFail } from "./spec-file";

/** Over a platform's user-data budget is the spec's problem: invalid input. */
function renderNodesOrFail(...args: Parameters<typeof renderNodes>) {
  try {
    return renderNodes(...args);
  } catch (e) {
    if (e instanceof UserDataBudgetError) throw new InputError(e.message);
    throw e;
  }
}

/** Where output goes: OUTDIR from the command line, else out/ next to the spec. */
export const outDirOf = (io: Io, specFile: string, out: string | undefined) => (out ? resolve(io.cwd, out) : resolve(dirname(specFile), "out"));

/**
 * Renders the environments into `outDir` (secrets created or reused next to the spec) and returns one
 * summary line each. Nothing is written to `outDir` unless every environment rendered.
 */
export async function renderEnvironments(io: Io, spec: Spec, specFile: string, envs: readonly string[], outDir: string): Promise<string[]> {
  const outputs = new Map<string, OutputFile[]>();
  const done: string[] = [];
  for (const env of envs) {
    const plan = planCluster(spec, env);
    const secrets = await ensureSecrets(secretsDir(dirname(specFile), env), plan, (line) => io.err(line));
    const nodes = renderNodesOrFail(spec, plan, secrets);
    outputs.set(env, [
      { path: "plan.json", contents: `${JSON.stringify(plan, null, 2)}\n`, mode: PUBLIC },
      ...nodes.map(({ node, format, userData }) => ({ path: FORMATS[format].file(node.name), contents: userData, mode: SECRET })),
      ...(plan.platform === "vagrant"
        ? [{ path: "Vagrantfile", contents: renderVagrantfile(vagrantfileModel(spec, plan, (n) => FORMATS["cloud-config"].file(n.name))), mode: PUBLIC }]
        : []),
    ]);
    done.push(`rendered ${env} (${plan.platform}): ${nodes.length} nodes → ${resolve(outDir, env)}`);
  }
  emit(outDir, outputs);
  return done;
}

export async function render(io: Io, names: string[], file: string | undefined, out: string | undefined): Promise<number> {
  const { spec, file: specFile } = loadSpecOrFail(io, file);
  const known = Object.keys(spec.environments);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw new InputError(`no environment ${unknown.join(", ")} in ${specFile} (it has: ${known.join(", ")})`);
  const chosen = names.length ? [...new Set(names)] : known;
  for (const line of await renderEnvironments(io, spec, specFile, chosen, outDirOf(io, specFile, out))) io.out(line);
  return EXIT_OK;
}
