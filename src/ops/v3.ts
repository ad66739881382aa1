// The etcd v3 API through the etcd3 client (gRPC over TLS with the operator certificate): one
// client per endpoint, one absolute deadline per call, the members asked in order until one answers.
// Used for member health (health.ts) and for locksmith's semaphore where a v3 locksmith keeps it.
import { Etcd3 } from "etcd3";
import { serverName, type EtcdTarget } from "./target";

export function v3Client(target: EtcdTarget, endpoint: string): Etcd3 {
  const { tls } = target;
  return new Etcd3({
    hosts: [endpoint],
    credentials: { rootCertificate: Buffer.from(tls.ca), certChain: Buffer.from(tls.cert), privateKey: Buffer.from(tls.key) },
    grpcOptions: { "grpc.ssl_target_name_override": serverName(target, endpoint) },
    dialTimeout: target.timeoutMs,
  });
}

/**
 * Call options with one absolute deadline: etcd3 retries a failed call on its own, and every retry
 * shares it, so a call never takes longer than the timeout.
 */
export const within = (target: EtcdTarget) => ({ deadline: Date.now() + target.timeoutMs });

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0] as string;

/** Runs `call` against the members in order until one answers. */
export async function ask<T>(target: EtcdTarget, call: (client: Etcd3) => Promise<T>): Promise<T> {
  const failures: string[] = [];
  for (const endpoint of target.endpoints) {
    const client = v3Client(target, endpoint);
    try {
      return await call(client);
    } catch (e) {
      failures.push(`${endpoint}: ${firstLine(e)}`);
    } finally {
      client.close();
    }
  }
  throw new Error(`no etcd member answered (${target.timeoutMs} ms timeout each): ${failures.join("; ")}`);
}

export interface V3Value {
  readonly value: string;
  /** The key's version: how often it was written since created (locksmith compares it). */
  readonly version: number;
}

/** A member-local (serializable) read, like the v2 GET: it answers even from a member without quorum. */
export async function v3Read(target: EtcdTarget, key: string): Promise<V3Value | undefined> {
  const res = await ask(target, (c) => c.get(key).serializable(true).options(within(target)).exec());
  const kv = res.kvs[0];
  return kv ? { value: kv.value.toString("utf8"), version: Number(kv.version) } : undefined;
}

/** Writes `value` only if the key is still at `version` (0: still absent). False when another writer came first. */
export async function v3CompareAndSwap(target: EtcdTarget, key: string, value: string, version: number | undefined): Promise<boolean> {
  const res = await ask(target, (c) => c.if(key, "Version", "==", version ?? 0).then(c.put(key).value(value)).options(within(target)).commit());
  return res.succeeded;
}
