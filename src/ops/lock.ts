// Reading and changing locksmith's semaphore in etcd (see semaphore.ts for the format and sources).
import { INITIAL_SEMAPHORE, parseSemaphore, semaphoreKey, serializeSemaphore, type Semaphore } from "./semaphore";
import type { EtcdTarget } from "./target";
import { v2CompareAndSwap, v2Read } from "./v2";

export interface LockState {
  readonly key: string;
  /** False while no locksmithd has created the key: it then reads as the initial semaphore. */
  readonly exists: boolean;
  readonly semaphore: Semaphore;
}

export async function readLock(target: EtcdTarget, group?: string): Promise<LockState> {
  const key = semaphoreKey(group);
  const node = await v2Read(target, key);
  return { key, exists: node !== undefined, semaphore: node ? parseSemaphore(node.value, key) : INITIAL_SEMAPHORE };
}

/** How often a change is tried again when another writer got in between (each try reads afresh). */
const ATTEMPTS = 5;

/**
 * Applies `change` to the current semaphore by compare-and-swap, as locksmithd does; when another
 * writer changed it in between, reads again and reapplies. `change` throws to refuse.
 */
export async function changeLock(
  target: EtcdTarget,
  group: string | undefined,
  change: (current: Semaphore) => Semaphore,
): Promise<{ key: string; before: Semaphore; after: Semaphore }> {
  const key = semaphoreKey(group);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const node = await v2Read(target, key);
    const before = node ? parseSemaphore(node.value, key) : INITIAL_SEMAPHORE;
    const after = change(before);
    if (await v2CompareAndSwap(target, key, serializeSemaphore(after), node?.modifiedIndex)) return { key, before, after };
  }
  throw new Error(`${key} changed under every one of ${ATTEMPTS} attempts: try again`);
}
