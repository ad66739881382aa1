// Writing coreform's files (rendered output, secrets, the spec, kubeconfigs, the project lock) so that
// a failure, a full disk or a `kill -9` never leaves a half-written file in place. One set of
// guarantees for every writer:
// - a file is written whole beside its target (same directory: the rename stays on one file system),
//   with its mode set on the descriptor (the umask cannot narrow or widen it), then renamed over the
//   target, or linked to it when the target must be new (link(2) fails if it exists);
// - `durable` files (secrets, the spec: what cannot be made again) are flushed to disk before the rename,
//   and so is their directory after it. Rendered output is not: it is made again from those;
// - a failed write removes its temporary file (a full disk leaves no 0-byte file behind);
// - every temporary name carries TEMP_MARK, so what a killed run left is recognised (`render --check`
//   reports it) and removed by the next writing run (`removeLeftovers`, under the project lock).
// Errors name the path and the cause in words (fsProblem): a read-only disk says so, not ENOENT.
import { closeSync, fchmodSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** In the name of every temporary file or directory coreform makes; nothing else has it. */
export const TEMP_MARK = ".coreform-tmp-";

let counter = 0;
/** A temporary name beside `path`: hidden, marked, unique to this process. */
export const temporaryPath = (path: string) => join(dirname(path), `.${basename(path)}${TEMP_MARK}${process.pid}-${++counter}`);

/**
 * A name of a temporary file or directory: TEMP_MARK, or what coreform before it used
 * (`.ignition.tmp-<pid>-<ms>`, `ignition.old-<pid>-<ms>`, `ca.crt.tmp-<pid>`, `.<env>.tmp-<pid>`).
 */
export const isTemporary = (name: string) => name.includes(TEMP_MARK) || /\.(?:tmp|old)-\d+(?:-\d+)?$/.test(name);

const CAUSES: Readonly<Record<string, string>> = {
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  ENOTDIR: "a file is where a directory belongs",
  EISDIR: "a directory is where a file belongs",
  ENOENT: "no such file or directory",
  EEXIST: "exists already",
  ENOTEMPTY: "directory not empty",
  EMFILE: "too many open files",
  EIO: "input/output error",
};

/** An error from the file system as one line: `cannot write PATH: read-only file system (EROFS)`. */
class FileProblem extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    what = "write",
  ) {
    super(`cannot ${what} ${path}: ${CAUSES[code] ?? "failed"} (${code})`);
  }
}

/** The nearest ancestor of `path` (or `path`) that exists and is not a directory: what ENOTDIR is about. */
function fileInTheWay(path: string): string {
  for (let p = path; dirname(p) !== p; p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      // missing, or below the file we look for
    }
  }
  return path;
}

/** `e` as a FileProblem about `path` when it is a file-system error, else `e` itself. */
export function fsProblem(e: unknown, path: string, what = "write"): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code !== "string" || !/^E[A-Z]+$/.test(code) || e instanceof FileProblem) return e;
  return new FileProblem(code === "ENOTDIR" ? fileInTheWay(path) : path, code, what);
}

/**
 * Makes `dir` and its missing parents with `mode`, one level at a time: Node's recursive mkdir says
 * ENOENT when the real cause is a read-only disk or a file in the way.
 */
export function makeDir(dir: string, mode: number): void {
  let code: string | undefined;
  try {
    if (statSync(dir).isDirectory()) return;
    throw new FileProblem(dir, "ENOTDIR");
  } catch (e) {
    code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR from stat: some parent is a file; the parent's own check names it.
    if (code !== "ENOENT" && !(code === "ENOTDIR" && !(e instanceof FileProblem))) throw fsProblem(e, dir);
  }
  if (dirname(dir) !== dir) makeDir(dirname(dir), mode);
  try {
    mkdirSync(dir, { mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw fsProblem(e, dir);
  }
}

/**
 * A new file with exactly `mode`, written through one descriptor; fails if `path` exists. Errors name
 * `shownAs` (the file a temporary one stands for).
 */
export function writeNew(path: string, contents: string | Uint8Array, mode: number, durable = false, shownAs = path): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "wx", mode);
    fchmodSync(fd, mode);
    const data = typeof contents === "string" ? Buffer.from(contents) : contents;
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at);
    if (durable) fsyncSync(fd);
  } catch (e) {
    if (fd !== undefined) rmSync(path, { force: true });
    throw fsProblem(e, shownAs);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Flushes a directory's entries (a rename in it) to disk; not every platform can, which is fine. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; the rename itself is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface WriteOptions {
  readonly mode: number;
  /** `replace` renames over an existing file; `new` refuses one (EEXIST), even one that appears meanwhile. */
  readonly existing: "replace" | "new";
  /** Flushed to disk before it replaces anything: for what cannot be made again. */
  readonly durable?: boolean;
}

/** Writes `path` whole or not at all (see the top of this file). */
export function writeAtomic(path: string, contents: string | Uint8Array, options: WriteOptions): void {
  const tmp = temporaryPath(path);
  writeNew(tmp, contents, options.mode, options.durable, path);
  try {
    if (options.existing === "replace") renameSync(tmp, path);
    else linkSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fsProblem(e, path);
  }
  if (options.existing === "new") rmSync(tmp, { force: true });
  if (options.durable) syncDir(dirname(path));
}

/**
 * The temporary files and directories a killed run left in `dir` (and, `deep`, in the directories
 * below it); none when it does not exist.
 */
export function leftoversIn(dir: string, deep = false): string[] {
  try {
    const entries = readdirSync(dir, { withFileTypes: true, recursive: deep });
    // Below a leftover directory, everything is part of it.
    const found = entries.filter((e) => isTemporary(e.name)).map((e) => join(e.parentPath, e.name));
    return found.filter((path) => !found.some((other) => path.startsWith(`${other}/`)));
  } catch {
    return [];
  }
}

/** Whether the process that made a temporary name (its pid follows TEMP_MARK) still runs, on this host. */
function makerRuns(path: string): boolean {
  const pid = Number(/(?:\.coreform-tmp-|\.(?:tmp|old)-)(\d+)/.exec(basename(path))?.[1]);
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes what `leftoversIn` finds, but for what a running process is making (a run waiting for the
 * project lock writes its lock file that way). Run under the project lock.
 */
export function removeLeftovers(dir: string, deep = false): string[] {
  const found = leftoversIn(dir, deep).filter((path) => !makerRuns(path));
  for (const path of found) rmSync(path, { recursive: true, force: true });
  return found;
}
