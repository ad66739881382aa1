// locksmith's reboot lock, as locksmithd reads and changes it. Sources (flatcar/locksmith, the v2
// client Flatcar ships: lock/etcd.go and lock/lock.go at 3f36f3bf; coreos/locksmith lock/semaphore.go
// at 959bb672):
// - the etcd v2 key `coreos.com/updateengine/rebootlock/semaphore`, or for a group
//   `path.Join("coreos.com/updateengine/rebootlock", "groups", url.QueryEscape(group), "semaphore")`;
// - its value is the JSON of `Semaphore{Semaphore int "semaphore"; Max int "max"; Holders []string
//   "holders"}`; a missing key is created as `{"semaphore":1,"max":1,"holders":null}` (Go writes an
//   empty slice as null);
// - Lock refuses when `semaphore <= 0` or the id already holds it, else inserts the id keeping holders
//   sorted and decrements `semaphore`; Unlock removes the id ("holder does not exist" otherwise) and
//   increments it; SetMax moves `semaphore` by the same difference as `max`;
// - every change is Get, then Set with PrevIndex = the modifiedIndex read: a compare-and-swap.
// Unlike locksmithctl, set-max below the number of holders is refused here: it would leave
// `semaphore` negative.
// flatcar/locksmith's newer sources (2433b1b1) keep the same key and JSON in the etcd v3 keyspace,
// compare-and-swap on the key's version: lock.ts reads and changes both.

const KEY_PREFIX = "coreos.com/updateengine/rebootlock";

/** Machine ids are /etc/machine-id: 32 lowercase hex characters. */
export const MACHINE_ID = /^[0-9a-f]{32}$/;

export interface Semaphore {
  /** Free slots. */
  readonly semaphore: number;
  readonly max: number;
  /** Machine ids, sorted. */
  readonly holders: readonly string[];
}

/** What a missing key means: locksmithd creates exactly this before its first change. */
export const INITIAL_SEMAPHORE: Semaphore = { semaphore: 1, max: 1, holders: [] };

/** A change locksmith would refuse (or that coreform refuses): the request, not the cluster, is wrong. */
export class LockRefused extends Error {}

/** Go's url.QueryEscape: everything but A-Z a-z 0-9 - _ . ~ is %XX (uppercase), a space is "+". */
export function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

export function semaphoreKey(group?: string): string {
  return group === undefined ? `${KEY_PREFIX}/semaphore` : `${KEY_PREFIX}/groups/${queryEscape(group)}/semaphore`;
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** Reads a stored value; anything locksmithd could not have written is an error naming the key. */
export function parseSemaphore(text: string, key: string): Semaphore {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${key}: not JSON`);
  }
  const { semaphore, max, holders } = (data ?? {}) as Record<string, unknown>;
  const list = holders === null || holders === undefined ? [] : holders;
  if (!isCount(semaphore) || !isCount(max) || !Array.isArray(list) || !list.every((h) => typeof h === "string"))
    throw new Error(`${key}: not a locksmith semaphore ({"semaphore":N,"max":M,"holders":[…]})`);
  return { semaphore, max, holders: [...(list as string[])].sort(byBytes) };
}

/** The JSON locksmithd reads, fields in its struct's order. */
export const serializeSemaphore = (s: Semaphore): string => JSON.stringify({ semaphore: s.semaphore, max: s.max, holders: s.holders });

/** Go's sort.Strings order (bytewise; ids are ASCII). */
const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const holdersText = (s: Semaphore) => (s.holders.length ? s.holders.join(", ") : "none");

/** locksmith's Lock: what a machine does before it reboots. */
export function acquire(s: Semaphore, id: string): Semaphore {
  if (s.semaphore <= 0) throw new LockRefused(`no free slot (max ${s.max}, holders: ${holdersText(s)})`);
  if (s.holders.includes(id)) throw new LockRefused(`${id} already holds the lock`);
  return { semaphore: s.semaphore - 1, max: s.max, holders: [...s.holders, id].sort(byBytes) };
}

/** locksmith's Unlock. */
export function release(s: Semaphore, id: string): Semaphore {
  if (!s.holders.includes(id)) throw new LockRefused(`${id} does not hold the lock (holders: ${holdersText(s)})`);
  return { semaphore: s.semaphore + 1, max: s.max, holders: s.holders.filter((h) => h !== id) };
}

/** locksmith's SetMax, refusing a maximum below the current holders. */
export function setMax(s: Semaphore, max: number): Semaphore {
  if (!Number.isInteger(max) || max < 0) throw new LockRefused(`max must be a whole number ≥ 0, got ${max}`);
  if (max < s.holders.length)
    throw new LockRefused(`max ${max} is below the ${s.holders.length} current holders (${holdersText(s)}): unlock some first`);
  return { semaphore: s.semaphore + (max - s.max), max, holders: s.holders };
}
