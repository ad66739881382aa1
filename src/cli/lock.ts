// One writer at a time per project: `render` (and `up`), `kubeconfig` and `pin --write` hold
// `.coreform/lock` from reading the secrets until the last file is written, so two runs never mix
// their certificates and keys. The lock file says who holds it (command, pid, host, since); a second
// run is refused with exactly that (exit 1). A holder that died (kill -9, a crash) is found by its pid
// on this host and the lock is taken over: the kernel frees nothing here, so the takeover itself is
// guarded by a second file that only one run can create.
import { hostname } from "node:os";
import { join } from "node:path";
import { readFileSync, rmdirSync, rmSync, statSync } from "node:fs";
import { makeDir, writeAtomic } from "../files";
import { SECRET_DIR, SECRET } from "../modes";

const LOCK_FILE = "lock";

interface Holder {
  readonly command: string;
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/** Refused because another run holds the project: a runtime failure (exit 1). */
class ProjectBusy extends Error {}

const describe = (h: Holder) => `coreform ${h.command} (pid ${h.pid} on ${h.host}, since ${h.since})`;

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Holder;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    // Unreadable or torn (written by something else): nobody can be told apart from it.
    return { command: "?", pid: 0, host: "?", since: "?" };
  }
}

/** Whether the holder is gone: only knowable for a process of this host. */
function dead(h: Holder): boolean {
  if (h.host !== hostname() || !Number.isInteger(h.pid) || h.pid <= 0) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** A takeover takes microseconds: a guard older than this was left by a run that died taking over. */
const GUARD_STALE_MS = 10_000;

/** Removes the lock a dead run left, unless another run is doing the same; true when it was removed. */
function takeOver(path: string, stale: Holder, me: string): boolean {
  const guard = `${path}.takeover`;
  try {
    writeAtomic(guard, me, { mode: SECRET, existing: "new" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) rmSync(guard, { force: true });
    } catch {
      // gone meanwhile
    }
    return false;
  }
  try {
    const now = readHolder(path);
    if (now && JSON.stringify(now) === JSON.stringify(stale)) rmSync(path, { force: true });
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}

/**
 * Takes the lock of the project whose coreform directory is `stateDir` (`.coreform/` next to the
 * spec) for `command`; returns the release. `note` hears when a dead run's lock was taken over.
 */
export function lockProject(stateDir: string, command: string, note: (line: string) => void = () => {}): () => void {
  const made = !existsDir(stateDir);
  makeDir(stateDir, SECRET_DIR);
  const path = join(stateDir, LOCK_FILE);
  const mine: Holder = { command, pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      writeAtomic(path, text, { mode: SECRET, existing: "new" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = readHolder(path);
    if (!holder) continue; // released meanwhile
    if (attempt < 3 && dead(holder) && takeOver(path, holder, text)) {
      note(`took over ${path} from ${describe(holder)}, which is no longer running`);
      continue;
    }
    throw new ProjectBusy(`${describe(holder)} is writing this project (${path}): wait for it to finish; if that process is gone, remove the file`);
  }
  return () => {
    if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
    if (made)
      try {
        rmdirSync(stateDir); // only if it is still empty: a refused first render leaves no .coreform/
      } catch {
        // it holds secrets now
      }
  };
}

function existsDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Who holds the project's lock now, if a live run does (for read-only commands that want to say so). */
export function lockHolder(stateDir: string): string | undefined {
  const holder = readHolder(join(stateDir, LOCK_FILE));
  return holder && !dead(holder) ? describe(holder) : undefined;
}
