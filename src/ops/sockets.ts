// The TCP connections a library opens on behalf of one client, so that closing the client really
// closes them. grpc-js (1.14, build/src/transport.js) cannot abort a TCP connect or a TLS handshake it
// has begun: a channel closed meanwhile leaves that socket open until the peer ends it (etcd3's own
// workaround, connection-pool.js, only waits a second). One open socket keeps Node running, so
// `coreform status` against a member that accepted and then said nothing printed its answer and then
// never exited. Node announces every client socket it creates on the diagnostics channel
// `net.client.socket`; the scope whose `run` was active then (AsyncLocalStorage follows the library's
// promises, ticks and timers) keeps it, and `destroy` ends them all.
import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";

const current = new AsyncLocalStorage<SocketScope>();
let subscribed = false;

export class SocketScope {
  private readonly sockets = new Set<Socket>();
  private destroyed = false;

  constructor() {
    if (subscribed) return;
    subscribed = true;
    subscribe("net.client.socket", (message) => current.getStore()?.adopt((message as { socket: Socket }).socket));
  }

  private adopt(socket: Socket): void {
    // Announced before net.connect() starts connecting it: destroyed now, connect() would revive it.
    if (this.destroyed) return void process.nextTick(() => socket.destroy());
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  /** Runs `fn`; every client socket opened by it, now or later in its asynchronous course, is this scope's. */
  run<T>(fn: () => T): T {
    return current.run(this, fn);
  }

  /** How many of its sockets are still open. */
  get open(): number {
    return this.sockets.size;
  }

  /** Ends every socket of the scope, and any it would still get. */
  destroy(): void {
    this.destroyed = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
