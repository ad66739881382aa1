// One HTTPS request to an etcd member, as locksmith makes them for the v2 keys API: no keep-alive (no
// socket outlives the call), and one deadline for the whole exchange, so a member that accepts the
// connection and then says nothing cannot hang the caller.
import { request } from "node:https";
import type { X509Certificate } from "node:crypto";
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from "node:tls";

/** PEM contents; `cert`/`key` absent for a client without a certificate. */
export interface HttpsTls {
  readonly ca: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
}

export interface HttpsResult {
  readonly status: number;
  readonly body: string;
  /** The certificate the server presented (checked against the CA). */
  readonly certificate?: X509Certificate;
}

interface HttpsOptions {
  readonly method?: string;
  /** Sent as application/x-www-form-urlencoded (what the v2 keys API reads). */
  readonly form?: Record<string, string>;
  readonly timeoutMs: number;
  /** The name the server's certificate must carry, when it is not the URL's host. */
  readonly serverName?: string;
}

/** Resolves with any HTTP answer; rejects on TLS and network errors and after `timeoutMs`. */
export function httpsRequest(url: string, tls: HttpsTls, opts: HttpsOptions): Promise<HttpsResult> {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = <T>(fn: (v: T) => void) => (v: T) => {
      clearTimeout(timer);
      fn(v);
    };
    const done = settle(resolve);
    const fail = settle(reject);
    const req = request(
      url,
      {
        method: opts.method ?? "GET",
        agent: false,
        ca: tls.ca,
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        ...(opts.serverName ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(opts.serverName as string, cert) } : {}),
        headers: body ? { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } : {},
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        const certificate = (res.socket as TLSSocket).getPeerX509Certificate();
        res.on("end", () => done({ status: res.statusCode ?? 0, body: text, ...(certificate ? { certificate } : {}) }));
        res.on("error", fail);
      },
    );
    timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on("error", fail);
    req.end(body);
  });
}
