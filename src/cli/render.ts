// `coreform render`: spec → plan → secrets → node configs → files, for each chosen environment.
// Every environment is rendered in memory, new secrets included, before anything is written: a
// refused render leaves neither output nor secrets behind. `render --check` renders the same list of
// files in memory, with the existing secrets only, and compares it with what is in OUTDIR.
import { existsSync, lstatSync, readdirSync, readFileSync, type Stats } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { FORMATS, renderNodes, UserDataBudgetError } from "../../cloud-config/user-data";
import { EXIT_FAILURE, EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { PUBLIC, SECRET } from "../modes";
import { planCluster, type ClusterPlan } from "../plan/plan";
import { environmentTopology } from "../plan/topology";
import { MissingSecretsError, prepareSecrets, readSecrets, renderedBefore, secretsDir, type PreparedSecrets } from "../secrets/store";
import { SecretsChanged } from "../secrets/disk";
import { chooseEnvironments, loadSpecOrFail } from "../spec/file";
import type { Spec } from "../spec/schema";
import { renderVagrantfile, vagrantfileModel } from "../vagrant/vagrantfile";
import { membershipWarning } from "./earlier";
import { emit, type OutputFile } from "./emit";
import { lockHolder } from "./lock";
import { beginRender, pendingRepairs, stateDir } from "./repairs";

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
export interface RenderedEnvironment {
  readonly env: string;
  readonly plan: ClusterPlan;
  /** Every file below OUTDIR/<env>/, each with its contents and mode. */
  readonly files: readonly OutputFile[];
  /** Writes the secrets made for it (nothing when every one existed). */
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
export interface InMemoryOptions {
  readonly secrets: "create" | "existing";
  readonly outDir: string;
  /** `render --new-secrets`: make lost CAs, token and keys afresh. */
  readonly newSecrets?: boolean;
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
  options: InMemoryOptions,
): Promise<{ readonly rendered: RenderedEnvironment[]; readonly withoutSecrets: WithoutSecrets[] }> {
  const rendered: RenderedEnvironment[] = [];
  const withoutSecrets: WithoutSecrets[] = [];
  const refused: string[] = [];
  const plans = envs.map((env) => planCluster(spec, env));
  const total = plans.reduce((n, plan) => n + plan.nodes.length, 0);
  for (const [i, env] of envs.entries()) {
    const plan = plans[i]!;
    if (io.progress && total >= PROGRESS_NODES) io.progress(`coreform: rendering ${env} (${i + 1} of ${envs.length}): ${plan.nodes.length} nodes…`);
    const dir = secretsDir(dirname(specFile), env);
    const earlier = renderedBefore(options.outDir, env);
    let prepared: PreparedSecrets;
    if (options.secrets === "create") {
      const warning = membershipWarning(io.cwd, earlier, plan);
      if (warning) io.err(warning);
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
  newSecrets = false,
): Promise<{ readonly plan: ClusterPlan; readonly summary: string }[]> {
  // One render at a time per project, from reading the secrets to the last file written.
  const release = beginRender(io, specFile, outDir, envs);
  try {
    const { rendered } = await renderInMemory(io, spec, specFile, envs, { secrets: "create", outDir, newSecrets });
    // Secrets first: output whose keys were not kept would be worse than no output.
    for (const r of rendered) r.persist();
    emit(outDir, new Map(rendered.map((r) => [r.env, r.files])));
    return rendered.map(({ env, plan }) => ({ plan, summary: `rendered ${env} (${plan.platform}): ${plan.nodes.length} nodes → ${resolve(outDir, env)}` }));
  } finally {
    release();
  }
}

/** A path as printed by check: relative to the current directory when below it, else absolute. */
function shown(io: Io, path: string): string {
  const rel = relative(io.cwd, path);
  if (rel === "") return ".";
  return rel === ".." || rel.startsWith("../") || isAbsolute(rel) ? path : rel;
}

/** The file at `path`, or undefined when there is none (or a file sits where a directory should). */
function statOrNone(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw e;
  }
}

/** The directories coreform owns in OUTDIR/<env>/: those of the first-boot formats, and any render writes. */
function ownedDirs(files: readonly OutputFile[]): string[] {
  const dirs = new Set(Object.values(FORMATS).map((f) => f.file("node").split("/")[0]!));
  for (const f of files) if (f.path.includes("/")) dirs.add(f.path.split("/")[0]!);
  return [...dirs].sort();
}

/** The lines saying how OUTDIR/<env>/ differs from `files`; paths and modes only, never contents. */
function differences(io: Io, envDir: string, files: readonly OutputFile[]): string[] {
  const lines: string[] = [];
  for (const file of files) {
    const path = join(envDir, file.path);
    const st = statOrNone(path);
    if (!st) {
      lines.push(`${shown(io, path)}: missing`);
      continue;
    }
    if (!st.isFile() || !readFileSync(path).equals(Buffer.from(file.contents))) lines.push(`${shown(io, path)}: differs`);
    if ((st.mode & 0o777) !== file.mode) lines.push(`${shown(io, path)}: mode ${octal(st.mode)}, expected ${octal(file.mode)}`);
  }
  // A file in a directory coreform owns that render would not write now: a removed node, an old format.
  const expected = new Set(files.map((f) => f.path));
  for (const dir of ownedDirs(files)) {
    const top = join(envDir, dir);
    const st = statOrNone(top);
    if (!st) continue;
    const found = st.isDirectory()
      ? readdirSync(top, { withFileTypes: true, recursive: true })
          .filter((e) => !e.isDirectory())
          .map((e) => join(e.parentPath, e.name))
      : [top];
    for (const path of found) if (!expected.has(relative(envDir, path))) lines.push(`${shown(io, path)}: not rendered by this spec (stale)`);
  }
  return lines;
}

const octal = (m: number) => `0${(m & 0o777).toString(8).padStart(3, "0")}`;

/**
 * `render --check`: renders the environments in memory with their existing secrets and compares every
 * file render would write with OUTDIR/<env>/. Writes nothing. Prints one line per difference, sorted,
 * then a summary; exit 0 when all match, 1 when anything differs.
 */
export async function checkEnvironments(io: Io, spec: Spec, specFile: string, chosen: readonly string[] | "all", outDir: string): Promise<number> {
  const whole = chosen === "all";
  const envs = whole ? Object.keys(spec.environments) : chosen;
  const busy = lockHolder(stateDir(specFile));
  if (busy) throw new Error(`${busy} is writing this project: check again when it is done`);
  const { rendered, withoutSecrets } = await renderInMemory(io, spec, specFile, envs, { secrets: "existing", outDir });
  const repairs = pendingRepairs(specFile, outDir, envs);
  const lines: string[] = repairs.map((r) => `${shown(io, r.path)}: ${r.what}`);
  const differing = new Set<string>(repairs.flatMap((r) => (r.env ? [r.env] : [])));
  for (const { env, dir, refused } of withoutSecrets) {
    lines.push(
      refused
        ? `${env}: render would refuse: ${refused}`
        : existsSync(dir)
          ? `${env}: secrets in ${shown(io, dir)}/ are incomplete or out of date (render would create or renew some): run coreform render ${env}`
          : `${env}: no secrets in ${shown(io, dir)}/: run coreform render ${env}`,
    );
    differing.add(env);
  }
  // Checking the whole spec: an environment rendered once (its plan.json is there) and gone from the spec since.
  const gone =
    whole && existsSync(outDir)
      ? readdirSync(outDir, { withFileTypes: true }).filter((e) => e.isDirectory() && !Object.hasOwn(spec.environments, e.name) && existsSync(join(outDir, e.name, "plan.json")))
      : [];
  for (const e of gone) lines.push(`${shown(io, join(outDir, e.name))}/: not an environment of this spec (stale)`);
  let checked = 0;
  for (const { env, files } of rendered) {
    const found = differences(io, join(outDir, env), files);
    checked += files.length;
    if (found.length) differing.add(env);
    lines.push(...found);
  }
  // Code-unit order, not the locale's: the same tree gives the same lines everywhere.
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const line of lines) io.out(line);
  const out = `${shown(io, outDir)}/`;
  const envCount = (n: number) => `${n} ${n === 1 ? "environment" : "environments"}`;
  if (!lines.length) {
    io.out(`${out} matches ${shown(io, specFile)}: ${checked} ${checked === 1 ? "file" : "files"} in ${envCount(envs.length)}`);
    return EXIT_OK;
  }
  io.out(
    `${out} does not match ${shown(io, specFile)}: ${lines.length} ${lines.length === 1 ? "difference" : "differences"} in ${differing.size} of ${envCount(envs.length)}` +
      (gone.length ? `, and ${envCount(gone.length)} it no longer has` : ""),
  );
  return EXIT_FAILURE;
}

export async function render(io: Io, names: string[], file: string | undefined, out: string | undefined, check = false, newSecrets = false): Promise<number> {
  if (newSecrets && check) throw new InputError("--new-secrets makes secrets; --check writes nothing: use one of them");
  // Never for every environment at once: a new CA is a new cluster for the nodes of each one named.
  if (newSecrets && !names.length) throw new InputError("--new-secrets needs the environments named: coreform render ENV… --new-secrets");
  const { spec, file: specFile } = loadSpecOrFail(io, file);
  const chosen = chooseEnvironments(spec, specFile, names);
  if (check) return checkEnvironments(io, spec, specFile, names.length ? chosen : "all", outDirOf(io, specFile, out));
  for (const { summary } of await renderEnvironments(io, spec, specFile, chosen, outDirOf(io, specFile, out), newSecrets)) io.out(summary);
  return EXIT_OK;
}
