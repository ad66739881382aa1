// Before a render writes, and when `render --check` looks: what earlier runs left behind. A render
// takes the project lock, completes a render that was killed after its commit point (emit.ts),
// removes the temporary copies killed runs left (some hold keys), and later repairs secret modes
// (src/secrets/store.ts). `render --check` reports the same, one line each, and changes nothing.
import { dirname, join } from "node:path";
import { leftoversIn, removeLeftovers } from "../files";
import type { Io } from "../io";
import { wrongModes } from "../secrets/disk";
import { secretsDir, STATE_DIR } from "../secrets/store";
import { JOURNAL, readJournal, recoverOutput } from "./emit";
import { lockProject } from "./lock";

/** `.coreform/` next to the spec: the secrets of every environment, and the project lock. */
export const stateDir = (specFile: string) => join(dirname(specFile), STATE_DIR);

/**
 * Takes the project lock for a render of `envs` into `outDir` and puts the project in order under it;
 * returns the lock's release. Says what it took over or completed.
 */
export function beginRender(io: Io, specFile: string, outDir: string, envs: readonly string[]): () => void {
  const release = lockProject(stateDir(specFile), "render", (line) => io.err(`coreform: ${line}`));
  try {
    const completed = recoverOutput(outDir);
    if (completed) io.err(`coreform: ${completed}`);
    removeLeftovers(stateDir(specFile));
    for (const env of envs) removeLeftovers(secretsDir(dirname(specFile), env), true);
    return release;
  } catch (e) {
    release();
    throw e;
  }
}

const octal = (m: number) => `0${(m & 0o777).toString(8).padStart(3, "0")}`;

interface Repair {
  readonly path: string;
  readonly what: string;
  /** The environment it concerns; none for the project's own files. */
  readonly env?: string;
}

/** What `beginRender` and the secrets' persist would repair for `envs`, without doing it. */
export function pendingRepairs(specFile: string, outDir: string, envs: readonly string[]): Repair[] {
  const found: Repair[] = [];
  const journal = readJournal(outDir);
  if (journal)
    found.push({
      path: join(outDir, JOURNAL),
      what: `a render (pid ${journal.pid}, ${journal.started}) was interrupted while it replaced ${journal.environments.join(", ")}: coreform render completes it`,
    });
  const left = (path: string, env?: string): Repair => ({ path, what: "left by an interrupted run (render removes it)", ...(env ? { env } : {}) });
  const mode = (m: { path: string; mode: number; expected: number }, env?: string): Repair => ({
    path: m.path,
    what: `mode ${octal(m.mode)}, expected ${octal(m.expected)} (render repairs it)`,
    ...(env ? { env } : {}),
  });
  const state = stateDir(specFile);
  found.push(...[...leftoversIn(outDir), ...leftoversIn(state)].map((p) => left(p)), ...wrongModes(state, false).map((m) => mode(m)));
  for (const env of envs) {
    const secrets = secretsDir(dirname(specFile), env);
    found.push(...[...leftoversIn(join(outDir, env)), ...leftoversIn(secrets, true)].map((p) => left(p, env)), ...wrongModes(secrets).map((m) => mode(m, env)));
  }
  return found;
}
