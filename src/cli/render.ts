// `coreform render`: spec → plan → secrets → node configs → files, for each chosen environment.
// Every environment is rendered in memory before anything is written to OUTDIR.
import { dirname, resolve } from "node:path";
import { PUBLIC, SECRET } from "../node/context";
import { renderNodes, UserDataBudgetError } from "../node/render";
import { planCluster } from "../plan/plan";
import { ensureSecrets, secretsDir } from "../secrets/store";
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

export async function render(io: Io, names: string[], file: string | undefined, out: string | undefined): Promise<number> {
  const { spec, file: specFile } = loadSpecOrFail(io, file);
  const known = Object.keys(spec.environments);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw new InputError(`no environment ${unknown.join(", ")} in ${specFile} (it has: ${known.join(", ")})`);
  const chosen = names.length ? [...new Set(names)] : known;
  const baseDir = dirname(specFile);
  const outDir = out ? resolve(io.cwd, out) : resolve(baseDir, "out");

  const outputs = new Map<string, OutputFile[]>();
  const done: string[] = [];
  for (const env of chosen) {
    const plan = planCluster(spec, env);
    const secrets = await ensureSecrets(secretsDir(baseDir, env), plan, (line) => io.err(line));
    const nodes = renderNodesOrFail(spec, plan, secrets);
    outputs.set(env, [
      { path: "plan.json", contents: `${JSON.stringify(plan, null, 2)}\n`, mode: PUBLIC },
      ...nodes.flatMap(({ node, ignition, cloudConfig }) => [
        { path: `ignition/${node.name}.json`, contents: ignition, mode: SECRET },
        { path: `cloud-config/${node.name}.yaml`, contents: cloudConfig, mode: SECRET },
      ]),
    ]);
    done.push(`rendered ${env} (${plan.platform}): ${nodes.length} nodes → ${resolve(outDir, env)}`);
  }
  emit(outDir, outputs);
  for (const line of done) io.out(line);
  return EXIT_OK;
}
