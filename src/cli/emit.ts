// The one step that writes rendered output, so that a run that fails or is killed at any point leaves
// every environment's output all old or all new:
// 1. each environment's files are staged whole in OUTDIR/<env>/.new.coreform-tmp-<tag>/;
// 2. one journal, OUTDIR/.coreform-render.json, is written (atomically): the commit point;
// 3. in each environment, every entry coreform owns (plan.json, ignition/, …) is moved aside and its
//    staged copy renamed into place; then the journal goes, then what was moved aside.
// A run killed before 2 left staging only: the next run removes it (all old). One killed after it left
// the journal: the next run completes step 3 first (all new), before anything else reads out/, and
// `render --check` says so meanwhile (several paths cannot be swapped by one rename(2), so for the
// moment of step 3 the journal is what makes it whole). Other files in out/<env>/ (Vagrant's .vagrant/
// state, a local config.rb) are never touched.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeDir, removeLeftovers, TEMP_MARK, writeAtomic, writeNew, fsProblem } from "../files";
import { PUBLIC, SECRET_DIR } from "../modes";

export interface OutputFile {
  /** Relative to the environment's directory: `plan.json`, `ignition/control-01.json`. */
  readonly path: string;
  readonly contents: string;
  readonly mode: number;
}

/** The commit record of a render between steps 2 and 3. */
export const JOURNAL = ".coreform-render.json";

interface Journal {
  readonly tag: string;
  readonly pid: number;
  readonly started: string;
  readonly environments: readonly string[];
}

const staging = (envDir: string, tag: string) => join(envDir, `.new${TEMP_MARK}${tag}`);
const asideDir = (envDir: string, tag: string) => join(envDir, `.old${TEMP_MARK}${tag}`);

const exists = (path: string) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

/** The journal of an interrupted render in `outDir`, if there is one. */
export function readJournal(outDir: string): Journal | undefined {
  const path = join(outDir, JOURNAL);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Journal;
  } catch (e) {
    throw new Error(`${path} is not a render journal coreform wrote (${(e as Error).message}): move it away`);
  }
}

/** Step 3 for one environment; safe to repeat after it was interrupted. */
function swapIn(envDir: string, tag: string): void {
  const stage = staging(envDir, tag);
  if (!existsSync(stage)) return;
  const aside = asideDir(envDir, tag);
  mkdirSync(aside, { recursive: true, mode: SECRET_DIR });
  for (const name of readdirSync(stage)) {
    const final = join(envDir, name);
    if (!exists(join(aside, name)) && exists(final)) renameSync(final, join(aside, name));
    renameSync(join(stage, name), final);
  }
}

function finish(outDir: string, journal: Journal): void {
  for (const env of journal.environments) swapIn(join(outDir, env), journal.tag);
  rmSync(join(outDir, JOURNAL));
  for (const env of journal.environments) {
    rmSync(asideDir(join(outDir, env), journal.tag), { recursive: true, force: true });
    rmSync(staging(join(outDir, env), journal.tag), { recursive: true, force: true });
  }
}

/**
 * Completes a render that was killed after its commit point, then removes what interrupted runs left
 * in `outDir` and its environments' directories. Run under the project lock, before out/ is read.
 * Returns a line saying what was completed, if anything was.
 */
export function recoverOutput(outDir: string): string | undefined {
  let done: string | undefined;
  try {
    const journal = readJournal(outDir);
    if (journal) {
      finish(outDir, journal);
      done = `completed the render that pid ${journal.pid} began at ${journal.started} and did not finish (${journal.environments.join(", ")})`;
    }
    removeLeftovers(outDir);
    for (const e of existsSync(outDir) ? readdirSync(outDir, { withFileTypes: true }) : []) if (e.isDirectory()) removeLeftovers(join(outDir, e.name));
  } catch (e) {
    throw fsProblem(e, outDir, "repair");
  }
  return done;
}

/** Writes each environment's files below `outDir/<env>/`, replacing what an earlier run wrote there. */
export function emit(outDir: string, environments: ReadonlyMap<string, readonly OutputFile[]>): void {
  const journal: Journal = { tag: `${process.pid}-${Date.now()}`, pid: process.pid, started: new Date().toISOString(), environments: [...environments.keys()] };
  const stages: string[] = [];
  try {
    for (const [env, files] of environments) {
      const envDir = join(outDir, env);
      makeDir(envDir, 0o777);
      const stage = staging(envDir, journal.tag);
      stages.push(stage);
      makeDir(stage, SECRET_DIR);
      const made = new Set<string>([stage]);
      for (const file of files) {
        const target = join(stage, file.path);
        if (!made.has(dirname(target))) {
          makeDir(dirname(target), SECRET_DIR);
          made.add(dirname(target));
        }
        writeNew(target, file.contents, file.mode, false, join(envDir, file.path));
      }
    }
    writeAtomic(join(outDir, JOURNAL), `${JSON.stringify(journal)}\n`, { mode: PUBLIC, existing: "new" });
  } catch (e) {
    for (const stage of stages) rmSync(stage, { recursive: true, force: true });
    throw e;
  }
  try {
    finish(outDir, journal);
  } catch (e) {
    throw new Error(`${(fsProblem(e, outDir) as Error).message}: the next coreform render completes this one`);
  }
}
