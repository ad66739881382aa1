// Reading and changing locksmith's semaphore in etcd (see semaphore.ts for the format and sources).
// The same key and JSON live in the v2 keyspace for the v2 locksmith (flatcar/locksmith 3f36f3bf and
// before) and in the v3 keyspace for the v3 one (flatcar/locksmith 2433b1b1: compare-and-swap on the
// key's version). Which one a node's locksmithd uses depends on its Flatcar release, so both are read:
// changes go to every keyspace that holds the key (to both while neither does: the first locksmithd
// to start keeps what it finds there).
import { INITIAL_SEMAPHORE, parseSemaphore, semaphoreKey, serializeSemaphore, type Semaphore } from "./semaphore";
import type { EtcdTarget } from "./target";
import { v2CompareAndSwap, v2Read } from "./v2";
import { v3CompareAndSwap, v3Read } from "./v3";

export type LockApi = "v3" | "v2";
const APIS: readonly LockApi[] = ["v3", "v2"];

interface Stored {
  readonly value: string;
  /** What the compare-and-swap compares: v2 modifiedIndex, v3 version. */
  readonly revision: number;
}

const STORE: Record<LockApi, { read(t: EtcdTarget, key: string): Promise<Stored | undefined>; swap(t: EtcdTarget, key: string, value: string, revision?: number): Promise<boolean> }> = {
  v2: {
    read: async (t, key) => {
      const node = await v2Read(t, key);
      return node && { value: node.value, revision: node.modifiedIndex };
    },
    swap: v2CompareAndSwap,
  },
  v3: {
    read: async (t, key) => {
      const kv = await v3Read(t, key);
      return kv && { value: kv.value, revision: kv.version };
    },
    swap: v3CompareAndSwap,
  },
};

/** " (etcd v3)", " (etcd v3 and v2)", or nothing while the key does not exist. */
export const keyspaces = (apis: readonly LockApi[]) => (apis.length ? ` (etcd ${apis.join(" and ")})` : "");

interface LockState {
  readonly key: string;
  /** False while no locksmithd has created the key: it then reads as the initial semaphore. */
  readonly exists: boolean;
  /** The keyspaces that hold the key (v3 first); empty while it does not exist. */
  readonly apis: readonly LockApi[];
  /** The semaphore of the first of `apis` (or the initial one). */
  readonly semaphore: Semaphore;
  /** Each keyspace's semaphore, in the order of `apis`. */
  readonly each: readonly { readonly api: LockApi; readonly semaphore: Semaphore }[];
}

async function readAll(target: EtcdTarget, key: string): Promise<Map<LockApi, Stored>> {
  const found = await Promise.all(APIS.map(async (api) => [api, await STORE[api].read(target, key)] as const));
  return new Map(found.filter((f): f is readonly [LockApi, Stored] => f[1] !== undefined));
}

export async function readLock(target: EtcdTarget, group?: string): Promise<LockState> {
  const key = semaphoreKey(group);
  const stored = await readAll(target, key);
  const apis = APIS.filter((a) => stored.has(a));
  const each = apis.map((api) => ({ api, semaphore: parseSemaphore(stored.get(api)!.value, key) }));
  return { key, exists: apis.length > 0, apis, semaphore: each[0]?.semaphore ?? INITIAL_SEMAPHORE, each };
}

/** How often a change is tried again when another writer got in between (each try reads afresh). */
const ATTEMPTS = 5;

/**
 * Applies `change` to the current semaphore by compare-and-swap, as locksmithd does, in the keyspaces
 * `only` names, or else in every keyspace that holds the key (both while neither does); when another
 * writer changed it in between, reads again and reapplies. `change` throws to refuse, and a refusal in
 * any keyspace is found before anything is written. Returns the first keyspace's states.
 */
export async function changeLock(
  target: EtcdTarget,
  group: string | undefined,
  change: (current: Semaphore) => Semaphore,
  only?: readonly LockApi[],
): Promise<{ key: string; apis: readonly LockApi[]; before: Semaphore; after: Semaphore }> {
  const key = semaphoreKey(group);
  let apis: readonly LockApi[] | undefined = only; // else decided by the first read
  let pending: readonly LockApi[] = [];
  const done = new Map<LockApi, { before: Semaphore; after: Semaphore }>();
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const stored = await readAll(target, key);
    if (attempt === 1) pending = apis ??= stored.size ? APIS.filter((a) => stored.has(a)) : APIS;
    const plans = pending.map((api) => {
      const now = stored.get(api);
      const before = now ? parseSemaphore(now.value, key) : INITIAL_SEMAPHORE;
      return { api, revision: now?.revision, before, after: change(before) };
    });
    const swapped = await Promise.all(plans.map((p) => STORE[p.api].swap(target, key, serializeSemaphore(p.after), p.revision)));
    plans.forEach((p, i) => swapped[i] && done.set(p.api, { before: p.before, after: p.after }));
    pending = pending.filter((_, i) => !swapped[i]);
    if (pending.length === 0) return { key, apis: apis!, ...(done.get(apis![0]!) as { before: Semaphore; after: Semaphore }) };
  }
  throw new Error(`${key} changed under every one of ${ATTEMPTS} attempts: try again`);
}
