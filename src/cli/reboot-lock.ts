// `coreform reboot-lock <env> status|unlock <machine-id>|set-max <n>`: locksmith's semaphore, read and
// changed by compare-and-swap exactly as locksmithd does (see src/ops/semaphore.ts).
import { changeLock, keyspaces, readLock, type LockApi } from "../ops/lock";
import { LockRefused, MACHINE_ID, release, setMax, type Semaphore } from "../ops/semaphore";
import { operatorTarget, type EtcdTarget } from "../ops/target";
import { EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { loadSpecOrFail } from "../spec/file";

interface RebootLockOptions {
  readonly file?: string;
  readonly endpoints?: string;
  readonly group?: string;
}

/** Each action and how many arguments it takes. */
const ACTIONS: Readonly<Record<string, number>> = { status: 0, unlock: 1, "set-max": 1 };

const summary = (s: Semaphore) => `${s.semaphore} of ${s.max} free, holders: ${s.holders.length ? s.holders.join(", ") : "none"}`;

/** A refused change is the request's fault: exit 2 with locksmith's reason. */
async function change(target: EtcdTarget, group: string | undefined, fn: (s: Semaphore) => Semaphore, only?: readonly LockApi[]) {
  try {
    return await changeLock(target, group, fn, only);
  } catch (e) {
    if (e instanceof LockRefused) throw new InputError(e.message);
    throw e;
  }
}

export async function rebootLock(io: Io, positionals: string[], opts: RebootLockOptions): Promise<number> {
  const [env, action, arg, ...extra] = positionals;
  const usage = "usage: coreform reboot-lock <env> status|unlock <machine-id>|set-max <n>";
  if (env === undefined || action === undefined) throw new InputError(usage);
  const wanted = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (wanted === undefined) throw new InputError(`unknown action ${action}: ${usage}`);
  if ((arg === undefined ? 0 : 1 + extra.length) !== wanted) throw new InputError(usage);
  if (opts.group !== undefined && opts.group === "") throw new InputError("--group: empty (leave it out for the default semaphore)");
  if (action === "unlock" && !MACHINE_ID.test(arg as string))
    throw new InputError(`machine id ${JSON.stringify(arg)}: expected 32 lowercase hex characters (a node's /etc/machine-id)`);
  if (action === "set-max" && !/^\d{1,6}$/.test(arg as string)) throw new InputError(`set-max ${JSON.stringify(arg)}: expected a whole number ≥ 0`);

  const { spec, file } = loadSpecOrFail(io, opts.file);
  const target = operatorTarget(spec, file, env, opts.endpoints);
  const group = opts.group;
  if (action === "status") {
    const lock = await readLock(target, group);
    io.out(`reboot lock ${lock.key}${lock.exists ? keyspaces(lock.apis) : " (not created yet: reads as the initial state)"}`);
    io.out(summary(lock.semaphore));
  } else if (action === "unlock") {
    // Only where the machine holds it: a v2 and a v3 locksmith never share a semaphore.
    const lock = await readLock(target, group);
    const holding = lock.each.filter((e) => e.semaphore.holders.includes(arg as string)).map((e) => e.api);
    const { key, apis, after } = await change(target, group, (s) => release(s, arg as string), holding.length ? holding : undefined);
    io.out(`${key}${keyspaces(apis)}: unlocked ${arg}; ${summary(after)}`);
  } else {
    const { key, apis, before, after } = await change(target, group, (s) => setMax(s, Number(arg)));
    io.out(`${key}${keyspaces(apis)}: max ${before.max} → ${after.max}; ${summary(after)}`);
  }
  return EXIT_OK;
}
