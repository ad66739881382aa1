// locksmith's semaphore as a value: key layout, parsing, and the changes locksmithd makes.
import {
  acquire,
  INITIAL_SEMAPHORE,
  LockRefused,
  MACHINE_ID,
  parseSemaphore,
  queryEscape,
  release,
  semaphoreKey,
  serializeSemaphore,
  setMax,
  type Semaphore,
} from "../../src/ops/semaphore";

const A = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const B = "1f2e3d4c5b6a79880796a5b4c3d2e1f0";
const C = "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b";
const sem = (semaphore: number, max: number, holders: string[] = []): Semaphore => ({ semaphore, max, holders });

describe("key layout (locksmith lock/etcd.go)", () => {
  test.each([
    ["web", "web"],
    ["team-1.prod_x~", "team-1.prod_x~"],
    ["a b", "a+b"],
    ["a/b", "a%2Fb"],
    ["x!*'()", "x%21%2A%27%28%29"],
    ["50%+", "50%25%2B"],
    ["grün", "gr%C3%BCn"],
  ])("url.QueryEscape(%j) = %j", (group, escaped) => {
    expect(queryEscape(group)).toBe(escaped);
    expect(semaphoreKey(group)).toBe(`coreos.com/updateengine/rebootlock/groups/${escaped}/semaphore`);
  });

  test("the default semaphore", () => {
    expect(semaphoreKey()).toBe("coreos.com/updateengine/rebootlock/semaphore");
  });

  test("machine ids are /etc/machine-id: 32 lowercase hex characters", () => {
    expect([A, B, C].every((id) => MACHINE_ID.test(id))).toBe(true);
    for (const bad of ["", "m1", A.toUpperCase(), `${A}0`, A.slice(1), `${A.slice(0, 31)}g`, `${A}\n`]) expect([bad, MACHINE_ID.test(bad)]).toEqual([bad, false]);
  });
});

describe("the stored JSON", () => {
  test("locksmithd's first write (Go marshals its nil holders as null) reads as the initial state", () => {
    expect(parseSemaphore('{"semaphore":1,"max":1,"holders":null}', "k")).toEqual(INITIAL_SEMAPHORE);
    expect(INITIAL_SEMAPHORE).toEqual(sem(1, 1));
  });

  test("holders come back sorted, as locksmith keeps them", () => {
    expect(parseSemaphore(`{"semaphore":0,"max":2,"holders":["${B}","${A}"]}`, "k")).toEqual(sem(0, 2, [A, B]));
  });

  test("written with locksmith's field order and an empty list, never null", () => {
    expect(serializeSemaphore(sem(1, 1))).toBe('{"semaphore":1,"max":1,"holders":[]}');
    expect(serializeSemaphore(sem(0, 2, [A, B]))).toBe(`{"semaphore":0,"max":2,"holders":["${A}","${B}"]}`);
  });

  test.each([
    ["not json", "k: not JSON"],
    ["null", "k: not a locksmith semaphore"],
    ['{"semaphore":1,"holders":[]}', "k: not a locksmith semaphore"],
    ['{"semaphore":"1","max":1,"holders":[]}', "k: not a locksmith semaphore"],
    ['{"semaphore":1.5,"max":2,"holders":[]}', "k: not a locksmith semaphore"],
    ['{"semaphore":1,"max":1,"holders":"m1"}', "k: not a locksmith semaphore"],
    ['{"semaphore":1,"max":1,"holders":[1]}', "k: not a locksmith semaphore"],
  ])("%s is refused", (text, message) => {
    expect(() => parseSemaphore(text, "k")).toThrow(message);
  });
});

describe("changes (locksmith lock/semaphore.go)", () => {
  test("acquire takes a free slot and keeps holders sorted", () => {
    expect(acquire(sem(2, 2, [B]), A)).toEqual(sem(1, 2, [A, B]));
    expect(acquire(sem(1, 1), C)).toEqual(sem(0, 1, [C]));
  });

  test("acquire is refused without a free slot, or for a machine that already holds it", () => {
    expect(() => acquire(sem(0, 1, [A]), B)).toThrow(new LockRefused(`no free slot (max 1, holders: ${A})`));
    expect(() => acquire(sem(1, 2, [A]), A)).toThrow(new LockRefused(`${A} already holds the lock`));
  });

  test("release frees the holder's slot; a machine that holds nothing is refused with the holders", () => {
    expect(release(sem(0, 2, [A, B]), A)).toEqual(sem(1, 2, [B]));
    expect(() => release(sem(0, 2, [A, B]), C)).toThrow(new LockRefused(`${C} does not hold the lock (holders: ${A}, ${B})`));
    expect(() => release(sem(1, 1), C)).toThrow(new LockRefused(`${C} does not hold the lock (holders: none)`));
  });

  test("setMax moves the free slots by the same difference, down to the number of holders", () => {
    expect(setMax(sem(0, 1, [A]), 3)).toEqual(sem(2, 3, [A]));
    expect(setMax(sem(2, 3, [A]), 1)).toEqual(sem(0, 1, [A]));
    expect(setMax(sem(1, 1), 0)).toEqual(sem(0, 0)); // no reboots at all
    expect(() => setMax(sem(0, 2, [A, B]), 1)).toThrow(new LockRefused(`max 1 is below the 2 current holders (${A}, ${B}): unlock some first`));
    expect(() => setMax(sem(1, 1), -1)).toThrow(LockRefused);
  });
});
