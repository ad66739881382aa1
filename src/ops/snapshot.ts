// `coreform etcd snapshot`: a v3 snapshot of one healthy member's backend (Maintenance.Snapshot, what
// `etcdctl snapshot save` calls), written 0600 (it holds every key, Kubernetes' secrets among them)
// and checked: etcd ends the stream with the SHA-256 of what it sent (server/etcdserver/api/v3rpc/
// maintenance.go), the same trailer `etcdutl snapshot restore` verifies. The revision is the member's
// before and after the stream: equal unless writes went on meanwhile.
import { createHash } from "node:crypto";
import { closeSync, createReadStream, fsyncSync, linkSync, mkdirSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { ISnapshotResponse } from "etcd3";
import { temporaryPath } from "../files";
import { SECRET, SECRET_DIR } from "../modes";
import { serverName, type EtcdTarget } from "./target";
import { COMMAND_TIMEOUT_MS } from "./timeout";
import { v3Client, within } from "./v3";

/** etcd's trailer: the SHA-256 of the database bytes before it. */
const TRAILER = 32;
/** A whole snapshot may take this long; each chunk must come within the target's timeout. */
const SNAPSHOT_DEADLINE_MS = 15 * 60_000;
/**
 * The snapshot command's time (target.ts, operatorTarget's budget): the stream, and the member's status
 * asked before and after it, which must not find the command's usual 10 s used up by a long stream.
 */
export const SNAPSHOT_BUDGET_MS = SNAPSHOT_DEADLINE_MS + COMMAND_TIMEOUT_MS;

interface SavedSnapshot {
  readonly file: string;
  /** The member it came from (its name in the plan, or its endpoint). */
  readonly member: string;
  readonly bytes: number;
  /** SHA-256 of the whole file, to compare copies by. */
  readonly sha256: string;
  readonly revision: { readonly before: number; readonly after: number };
}

/** Whether the file ends with the SHA-256 of the bytes before it, as etcd writes snapshots. */
export async function hasIntactTrailer(file: string): Promise<boolean> {
  const size = statSync(file).size;
  // bbolt pages are multiples of 512 bytes: with the trailer, 32 more (etcdutl's own test).
  if (size < TRAILER || size % 512 !== TRAILER) return false;
  const hash = createHash("sha256");
  let trailer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file)) {
    const all = Buffer.concat([trailer, chunk as Buffer]);
    hash.update(all.subarray(0, Math.max(0, all.length - TRAILER)));
    trailer = all.subarray(Math.max(0, all.length - TRAILER));
  }
  return hash.digest().equals(trailer);
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Streams one member's snapshot into `fd`; rejects when a chunk is late or the stream fails. */
async function stream(target: EtcdTarget, endpoint: string, fd: number): Promise<{ bytes: number; before: number; after: number }> {
  const client = v3Client(target, endpoint);
  try {
    const before = Number((await client.maintenance.status(within(target))).header.revision);
    const responses = await client.maintenance.snapshot({ deadline: Date.now() + SNAPSHOT_DEADLINE_MS });
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout;
      const fail = (e: Error) => (clearTimeout(idle), (responses as unknown as { cancel?: () => void }).cancel?.(), reject(e));
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => fail(new Error(`no part of the snapshot within ${target.timeoutMs} ms`)), target.timeoutMs);
      };
      arm();
      responses.on("data", (r: ISnapshotResponse) => {
        arm();
        writeSync(fd, r.blob);
        bytes += r.blob.length;
      });
      responses.on("error", fail);
      responses.on("end", () => (clearTimeout(idle), resolve()));
    });
    const after = Number((await client.maintenance.status(within(target))).header.revision);
    return { bytes, before, after };
  } finally {
    client.close();
  }
}

/**
 * Saves a snapshot from the first of the target's endpoints that gives a whole, intact one into
 * `file`, which must not exist yet (its directory is made 0700).
 */
export async function saveSnapshot(target: EtcdTarget, file: string): Promise<SavedSnapshot> {
  mkdirSync(dirname(file), { recursive: true, mode: SECRET_DIR });
  // Named as every temporary file of coreform's: one a killed run left (it holds every key) is
  // reported by `render --check` and removed by the next render (src/files.ts).
  const part = temporaryPath(file);
  const failures: string[] = [];
  for (const endpoint of target.endpoints) {
    const fd = openSync(part, "wx", SECRET);
    try {
      const got = await stream(target, endpoint, fd);
      fsyncSync(fd);
      closeSync(fd);
      if (!(await hasIntactTrailer(part))) throw new Error("the snapshot does not end with the SHA-256 of its contents: it is incomplete");
      linkSync(part, file); // fails rather than replace an existing file
      return { file, member: serverName(target, endpoint) === "localhost" ? endpoint : serverName(target, endpoint), bytes: got.bytes, sha256: await fileSha256(file), revision: { before: got.before, after: got.after } };
    } catch (e) {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new Error(`${file} exists: choose another -o FILE`);
      failures.push(`${endpoint}: ${(e as Error).message.split("\n")[0]}`);
    } finally {
      rmSync(part, { force: true });
    }
  }
  throw new Error(`no member gave a snapshot: ${failures.join("; ")}`);
}
