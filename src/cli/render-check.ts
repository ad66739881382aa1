// `coreform render --check`: renders the environments in memory with their existing secrets (creating
// nothing) and compares every file render would write with what is in OUTDIR/<env>/. Writes nothing.
import { existsSync, lstatSync, readdirSync, readFileSync, type Stats } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { EXIT_FAILURE, EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { FORMATS } from "../../cloud-config/user-data";
import { chooseEnvironments, loadSpecOrFail } from "../spec/file";
import type { Spec } from "../spec/schema";
import type { OutputFile } from "./emit";
import { lockHolder } from "./lock";
import { outDirOf, renderInMemory, type RenderOptions } from "./render";
import { pendingRepairs, stateDir } from "./repairs";

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
  const octal = (m: number) => `0${(m & 0o777).toString(8).padStart(3, "0")}`;
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

/**
 * `render --check`: renders the environments in memory with their existing secrets and compares every
 * file render would write with OUTDIR/<env>/. Writes nothing. Prints one line per difference, sorted,
 * then a summary; exit 0 when all match, 1 when anything differs.
 */
async function checkEnvironments(io: Io, spec: Spec, specFile: string, chosen: readonly string[] | "all", outDir: string): Promise<number> {
  const whole = chosen === "all";
  const envs = whole ? Object.keys(spec.environments) : chosen;
  const busy = lockHolder(stateDir(specFile));
  if (busy) throw new Error(`${busy} is writing this project: check again when it is done`);
  const { rendered, withoutSecrets } = await renderInMemory(io, spec, specFile, envs, { secrets: "existing", outDir });
  // What killed runs left (an unfinished swap, temporary copies of keys) and secret modes render repairs.
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
  for (const { env, files, record } of rendered) {
    const found = differences(io, join(outDir, env), files);
    // A record made by render, not what this spec would make: a setting or a node changed since (an
    // environment rendered before records has none yet, and render would derive the same).
    if (record.source === "record" && !record.current) found.push(`${shown(io, record.file)}: differs (coreform diff ${env} shows what the spec changes)`);
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

export async function renderCheck(io: Io, names: string[], options: RenderOptions): Promise<number> {
  if (options["new-secrets"]) throw new InputError("--new-secrets makes secrets; --check writes nothing: use one of them");
  const { spec, file: specFile } = loadSpecOrFail(io, options.file);
  const chosen = chooseEnvironments(spec, specFile, names);
  return checkEnvironments(io, spec, specFile, names.length ? chosen : "all", outDirOf(io, specFile, options.out));
}
