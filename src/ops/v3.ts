// The etcd v3 API through the etcd3 client (gRPC over TLS with the operator certificate). The helpers
// every command that talks to etcd is built on, and what each guarantees:
// - `v3Client(target, endpoint)`: one client for one member, without etcd3's own retries and circuit
//   breakers (a retry after the deadline only said "waiting for name resolution"); its `close()`
//   closes the channels and destroys every socket its calls opened, even one still connecting or in
//   its TLS handshake (sockets.ts). Close it in a `finally`, or let `ask` do it all.
// - `within(target)`: call options with one absolute deadline, the request timeout cut to what is
//   left of the command's time; every call passes it, so etcd drops the call too.
// - `ask(target, call)`: `call` against the members in order until one answers, each try on its own
//   client, bounded by that deadline even for a call that forgot `within`, and closed after.
import { Channel, connectivityState, type ChannelCredentials, type ChannelInterface, type ChannelOptions } from "@grpc/grpc-js";
import { Etcd3, type IOptions } from "etcd3";
import { noop } from "cockatiel";
import { SocketScope } from "./sockets";
import { bounded, firstAnswer, remainingMs, serverName, type EtcdTarget } from "./target";

/**
 * A grpc-js channel that stays shut once closed. etcd3 watches a channel that failed while connecting,
 * to close it once it is ready or after a second (connection-pool.js, resetAllServices), and grpc-js
 * (1.14, internal-channel.js) lets that watcher's `getConnectivityState(true)` wake a closed channel's
 * resolver and load balancer again: a new connection attempt and a one-second timer that kept the
 * process alive after the command had answered. Closed, this one answers SHUTDOWN and takes no watcher.
 */
class ClosingChannel implements ChannelInterface {
  private closed = false;
  private readonly inner: Channel;

  constructor(target: string, credentials: ChannelCredentials, options: ChannelOptions) {
    this.inner = new Channel(target, credentials, options);
  }
  close(): void {
    this.closed = true;
    this.inner.close();
  }
  getTarget(): string {
    return this.inner.getTarget();
  }
  getConnectivityState(tryToConnect: boolean): connectivityState {
    return this.closed ? connectivityState.SHUTDOWN : this.inner.getConnectivityState(tryToConnect);
  }
  watchConnectivityState(state: connectivityState, deadline: Date | number, callback: (error?: Error) => void): void {
    if (this.closed) throw new Error("Channel has been shut down");
    this.inner.watchConnectivityState(state, deadline, callback);
  }
  getChannelzRef(): ReturnType<Channel["getChannelzRef"]> {
    return this.inner.getChannelzRef();
  }
  createCall(...args: Parameters<Channel["createCall"]>): ReturnType<Channel["createCall"]> {
    return this.inner.createCall(...args);
  }
}

/**
 * An Etcd3 whose calls run in a SocketScope of its own, on channels it makes itself (grpc-js's
 * `channelFactoryOverride`), so that `close()` shuts both at once.
 */
class ClosingEtcd3 extends Etcd3 {
  private readonly sockets = new SocketScope();
  private readonly channels: ClosingChannel[];

  constructor(options: IOptions) {
    const channels: ClosingChannel[] = [];
    const channelFactoryOverride = (target: string, credentials: ChannelCredentials, channelOptions: ChannelOptions) => {
      const channel = new ClosingChannel(target, credentials, channelOptions);
      channels.push(channel);
      return channel;
    };
    super({ ...options, grpcOptions: { ...options.grpcOptions, channelFactoryOverride } as unknown as ChannelOptions });
    this.channels = channels;
    // Every unary call and stream goes through these two (etcd3 connection-pool.js).
    const pool = this.pool;
    const exec = pool.exec.bind(pool);
    const withConnection = pool.withConnection.bind(pool);
    pool.exec = (...args: Parameters<typeof exec>) => this.sockets.run(() => exec(...args));
    pool.withConnection = ((...args: Parameters<typeof withConnection>) => this.sockets.run(() => withConnection(...args))) as typeof withConnection;
  }

  override close(): void {
    // Inside the scope: what grpc-js still does on a closing channel, and opens, is ended at once.
    this.sockets.run(() => {
      for (const channel of this.channels) channel.close();
      super.close();
    });
    this.sockets.destroy();
  }
}

export function v3Client(target: EtcdTarget, endpoint: string): Etcd3 {
  const { tls } = target;
  return new ClosingEtcd3({
    hosts: [endpoint],
    credentials: { rootCertificate: Buffer.from(tls.ca), certChain: Buffer.from(tls.cert), privateKey: Buffer.from(tls.key) },
    // A subchannel of its own: no other client's connection is shared, or closed with this one.
    grpcOptions: { "grpc.ssl_target_name_override": serverName(target, endpoint), "grpc.use_local_subchannel_pool": 1 },
    dialTimeout: target.timeoutMs,
    faultHandling: { host: () => noop, global: noop },
  });
}

/** Call options with one absolute deadline: the request timeout, cut to what is left of the command's time. */
export const within = (target: EtcdTarget) => ({ deadline: Date.now() + Math.max(0, remainingMs(target)) });

/** Runs `call` against the members in order until one answers (see the top of this file). */
export function ask<T>(target: EtcdTarget, call: (client: Etcd3) => Promise<T>): Promise<T> {
  return firstAnswer(target, async (endpoint, ms) => {
    const client = v3Client(target, endpoint);
    try {
      return await bounded(call(client), ms);
    } finally {
      client.close();
    }
  });
}

interface V3Value {
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
