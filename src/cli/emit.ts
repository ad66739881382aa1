// The one step that writes rendered output. Everything is staged in temporary directories first and
// then moved into place by rename, so a failing run leaves the previous output as it was. Only what
// coreform owns is replaced: other files in out/<env>/ (Vagrant's .vagrant/ state, a local config.rb)
// stay untouched.
import { closeSync, fchmodSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SECRET_DIR } from "../modes";

export interface OutputFile {
  /** Relative to the environment's directory: `plan.json`, `ignition/control-01.json`. */
  readonly path: string;
  readonly contents: string;
  readonly mode: number;
}

interface Staged {
  readonly tmp: string;
  readonly final: string;
}

/** A new file with exactly `mode` (fchmod: the umask may have narrowed it), through one descriptor. */
function writeFile(file: string, contents: string, mode: number): void {
  const fd = openSync(file, "wx", mode);
  try {
    fchmodSync(fd, mode);
    writeFileSync(fd, contents);
  } finally {
    closeSync(fd);
  }
}

/** Writes each environment's files below `outDir/<env>/`, replacing what an earlier run wrote there. */
export function emit(outDir: string, environments: ReadonlyMap<string, readonly OutputFile[]>): void {
  const tag = `${process.pid}-${Date.now()}`;
  const staged: Staged[] = [];
  try {
    for (const [env, files] of environments) {
      const envDir = join(outDir, env);
      mkdirSync(envDir, { recursive: true });
      const dirs = new Map<string, string>();
      const made = new Set<string>();
      for (const file of files) {
        const [top, ...rest] = file.path.split("/");
        if (rest.length === 0) {
          const tmp = join(envDir, `.${top}.tmp-${tag}`);
          staged.push({ tmp, final: join(envDir, top) });
          writeFile(tmp, file.contents, file.mode);
          continue;
        }
        let tmpDir = dirs.get(top);
        if (!tmpDir) {
          tmpDir = join(envDir, `.${top}.tmp-${tag}`);
          mkdirSync(tmpDir, { mode: SECRET_DIR });
          dirs.set(top, tmpDir);
          staged.push({ tmp: tmpDir, final: join(envDir, top) });
        }
        const target = join(tmpDir, ...rest);
        if (!made.has(dirname(target))) {
          mkdirSync(dirname(target), { recursive: true, mode: SECRET_DIR });
          made.add(dirname(target));
        }
        writeFile(target, file.contents, file.mode);
      }
    }
  } catch (e) {
    for (const s of staged) rmSync(s.tmp, { recursive: true, force: true });
    throw e;
  }
  // Everything is on disk: swap it in. A directory is moved aside first, then removed.
  for (const { tmp, final } of staged) {
    const old = `${final}.old-${tag}`;
    try {
      renameSync(final, old);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    renameSync(tmp, final);
    rmSync(old, { recursive: true, force: true });
  }
}
