// The files of one environment's secrets directory, `.coreform/<env>/`: read as text, written through
// the one atomic writer (src/files.ts; durable: secrets cannot be made again), and kept to their modes
// (files 0600, directories 0700).
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fsProblem, makeDir, temporaryPath, writeAtomic } from "../files";
import { SECRET, SECRET_DIR } from "../modes";
import type { ClusterPlan } from "../plan/plan";
import type { CertKey } from "./pki";

/**
 * What says an environment already has secrets that running nodes may trust, besides its own
 * directory: the plan.json of an earlier render (its path, the scheduler it was rendered with, and the
 * plan as written, unchecked).
 */
export interface RenderedBefore {
  readonly planFile: string;
  readonly scheduler: ClusterPlan["scheduler"]["kind"] | "unknown";
  readonly plan?: ClusterPlan;
}

/** OUTDIR/<env>/plan.json of an earlier render, or undefined when there is none. */
export function renderedBefore(outDir: string, env: string): RenderedBefore | undefined {
  const planFile = join(outDir, env, "plan.json");
  let text: string;
  try {
    text = readFileSync(planFile, "utf8");
  } catch {
    return undefined;
  }
  try {
    const plan = JSON.parse(text) as ClusterPlan;
    return { planFile, scheduler: plan.scheduler.kind, plan };
  } catch {
    // Not coreform's plan.json any more, but it says the environment was rendered.
    return { planFile, scheduler: "unknown" };
  }
}

/** The file's text, or undefined when it is missing or holds only white space (an emptied file is a lost one). */
export function readText(dir: string, id: string): string | undefined {
  const file = join(dir, id);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fsProblem(e, file, "read");
  }
  return text.trim() ? text : undefined;
}

/** `id.crt` and `id.key`; `partial` when only one of them is there. */
export function readPair(dir: string, id: string): { pair?: CertKey; partial: boolean } {
  const cert = readText(dir, `${id}.crt`);
  const key = readText(dir, `${id}.key`);
  return cert !== undefined && key !== undefined ? { pair: { cert, key }, partial: false } : { partial: cert !== undefined || key !== undefined };
}

/** Whether the directory holds any file at all (below it, too). */
export function holdsFiles(dir: string): boolean {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).some((e) => !e.isDirectory());
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw fsProblem(e, dir, "read");
  }
}

const octal = (m: number) => `0${(m & 0o777).toString(8).padStart(3, "0")}`;

/** `dir` and (`deep`) every file and directory below it whose mode is not the one it must have. */
export function wrongModes(dir: string, deep = true): { path: string; mode: number; expected: number }[] {
  if (!existsSync(dir)) return [];
  const found: { path: string; mode: number; expected: number }[] = [];
  const check = (path: string) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    const expected = st.isDirectory() ? SECRET_DIR : SECRET;
    if ((st.mode & 0o777) !== expected) found.push({ path, mode: st.mode & 0o777, expected });
  };
  check(dir);
  if (deep) for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) check(join(e.parentPath, e.name));
  return found;
}

/** Sets what wrongModes finds; returns one `path 0644 → 0600` per change, paths relative to `base`. */
export function repairModes(dir: string, base: string, deep = true): string[] {
  return wrongModes(dir, deep).map(({ path, mode, expected }) => {
    chmodSync(path, expected);
    return `${relative(base, path)} ${octal(mode)} → ${octal(expected)}`;
  });
}

/** Refused because the secrets on disk are not as coreform left them: a runtime failure (exit 1). */
export class SecretsChanged extends Error {}

const raced = (path: string) => new SecretsChanged(`${path} appeared while this render ran (another coreform render?): run it again`);

/**
 * Secrets made in memory and not yet on disk: file below the environment's directory → contents.
 * `write` puts them there: a new environment's directory appears whole, by rename, or not at all. Only
 * the files read and found stale are replaced; a new file that another run wrote meanwhile is an
 * error, never overwritten.
 */
export class PendingSecrets {
  private readonly files = new Map<string, { contents: string; replace: boolean }>();
  /** The directory did not exist when the secrets were read. */
  private readonly fresh: boolean;

  constructor(private readonly dir: string) {
    this.fresh = !existsSync(dir);
  }

  get size(): number {
    return this.files.size;
  }

  /** A file there now (stale, or half of a pair) may be replaced; one that is not must still be new when written. */
  add(id: string, contents: string): void {
    this.files.set(id, { contents, replace: existsSync(join(this.dir, id)) });
  }

  addPair(id: string, pair: CertKey): void {
    this.add(`${id}.key`, pair.key);
    this.add(`${id}.crt`, pair.cert);
  }

  write(): void {
    if (this.files.size === 0) return;
    const target = this.fresh ? temporaryPath(this.dir) : this.dir;
    try {
      makeDir(dirname(this.dir), SECRET_DIR);
      makeDir(target, SECRET_DIR);
      chmodSync(target, SECRET_DIR);
      for (const [id, { contents, replace }] of this.files) {
        const file = join(target, id);
        makeDir(dirname(file), SECRET_DIR);
        try {
          writeAtomic(file, contents, { mode: SECRET, existing: replace ? "replace" : "new", durable: true });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "EEXIST") throw raced(join(this.dir, id));
          throw e;
        }
      }
      // Fails if another run made the directory meanwhile (rename(2) onto a non-empty directory).
      if (this.fresh) renameSync(target, this.dir);
    } catch (e) {
      if (this.fresh) rmSync(target, { recursive: true, force: true });
      const code = (e as NodeJS.ErrnoException).code;
      if (this.fresh && (code === "ENOTEMPTY" || code === "EEXIST") && statSync(this.dir, { throwIfNoEntry: false })?.isDirectory()) throw raced(this.dir);
      throw fsProblem(e, this.dir);
    }
  }
}
