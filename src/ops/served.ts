// The certificate a member serves on its client port: its member certificate, which is its peer
// certificate too (one for both, src/node/etcd.ts). What `render` renews in .coreform/ reaches a
// running node only when the node is replaced, so `status` reads the ones the members run.
import type { X509Certificate } from "node:crypto";
import { httpsRequest } from "./https";
import { remainingMs, serverName, type EtcdTarget } from "./target";

/** The certificate `endpoint` presents (checked against the CA), from one bounded request for its version. */
export async function servedCertificate(target: EtcdTarget, endpoint: string): Promise<X509Certificate> {
  const timeoutMs = remainingMs(target);
  if (timeoutMs <= 0) throw new Error("the command's time was up");
  const { certificate } = await httpsRequest(`${endpoint}/version`, target.tls, { timeoutMs, serverName: serverName(target, endpoint) });
  if (!certificate) throw new Error("no certificate");
  return certificate;
}
