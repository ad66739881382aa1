// The certificate a member serves on its client port: its member certificate, which is its peer
// certificate too (one for both, src/node/etcd.ts). What `render` renews in .coreform/ reaches a
// running node only when the node is replaced, so `status` reads the ones the members run.
import type { X509Certificate } from "node:crypto";
import { connect } from "node:tls";
import { remainingMs, serverName, type EtcdTarget } from "./target";

/** The certificate `endpoint` presents in a TLS handshake (checked against the CA); rejects after the request timeout. */
export function servedCertificate(target: EtcdTarget, endpoint: string): Promise<X509Certificate> {
  const url = new URL(endpoint);
  const ms = remainingMs(target);
  return new Promise((resolve, reject) => {
    if (ms <= 0) return reject(new Error("the command's time was up"));
    const { ca, cert, key } = target.tls;
    const socket = connect({ host: url.hostname, port: Number(url.port || 443), ca, cert, key, servername: serverName(target, endpoint) });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${ms} ms`)), ms);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const served = socket.getPeerX509Certificate();
      socket.destroy();
      if (served) resolve(served);
      else reject(new Error("no certificate"));
    });
    socket.once("error", (e) => (clearTimeout(timer), reject(e)));
  });
}
