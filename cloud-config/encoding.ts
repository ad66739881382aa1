// File contents in first-boot configs: plain where plain is smallest, gzip where it pays, as Butane
// chooses. Deterministic: zlib's gzip header carries no timestamp.
import { gunzipSync, gzipSync } from "node:zlib";

const gzip = (text: string) => gzipSync(Buffer.from(text, "utf8"), { level: 9 });
const gunzip = (b64: string) => gunzipSync(Buffer.from(b64, "base64")).toString("utf8");

// Characters that stand for themselves in a data URL. '+' is not among them: Ignition's data URL
// decoder would read it as a space.
const RAW = /[A-Za-z0-9\-._~/:=@]/;

function percentEncode(text: string): string {
  let out = "";
  for (const ch of text) {
    if (RAW.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export interface IgnitionContents {
  source: string;
  compression?: "gzip";
}

/**
 * A cluster's nodes carry the same few texts (CA and client certificates, units, update.conf): each is
 * encoded once per process, not once per node (gzip was a third of a 1000-node render, see bench/).
 * Callers get a copy, so the cached value cannot be changed through them.
 */
function once<R extends object>(encode: (text: string) => R): (text: string) => R {
  const cache = new Map<string, R>();
  return (text) => {
    let encoded = cache.get(text);
    if (!encoded) {
      if (cache.size >= 4096) cache.clear();
      encoded = encode(text);
      cache.set(text, encoded);
    }
    return { ...encoded };
  };
}

/** The smallest of `data:,<percent-encoded>`, `data:;base64,…` and gzip + base64. */
// gzip's header and trailer alone are 18 bytes: its data URL is never shorter than this.
const SHORTEST_GZIP_URL = "data:;base64,".length + Math.ceil(18 / 3) * 4;

export const toDataUrl = once((text: string): IgnitionContents => {
  const plain = { source: `data:,${percentEncode(text)}` };
  const candidates: IgnitionContents[] = [plain, { source: `data:;base64,${Buffer.from(text, "utf8").toString("base64")}` }];
  // A hostname, a token: gzip cannot beat a form this short, so it is not tried.
  if (plain.source.length > SHORTEST_GZIP_URL) candidates.push({ source: `data:;base64,${gzip(text).toString("base64")}`, compression: "gzip" });
  return candidates.reduce((best, c) => (c.source.length < best.source.length ? c : best));
});

/** Always gzip + base64: a whole config packed into another (packIgnition). */
export const gzipDataUrl = (text: string): IgnitionContents & { compression: "gzip" } => ({ source: `data:;base64,${gzip(text).toString("base64")}`, compression: "gzip" });

/** The inverse of toDataUrl, for fromIgnition (beside gzip, which both use). */
export function fromDataUrl(contents: IgnitionContents): string {
  const { source, compression } = contents;
  const comma = source.indexOf(",");
  if (!source.startsWith("data:") || comma < 0) throw new Error(`not a data URL: ${source.slice(0, 40)}`);
  const meta = source.slice(5, comma);
  const data = source.slice(comma + 1);
  if (compression === "gzip") return gunzip(data);
  return meta.endsWith(";base64") ? Buffer.from(data, "base64").toString("utf8") : decodeURIComponent(data);
}

export type CloudConfigEncoding = "gzip+base64";

/** cloud-config `write_files` content: plain text unless gzip + base64 is smaller. */
export const toCloudConfigContent = once((text: string): { content: string; encoding?: CloudConfigEncoding } => {
  const packed = gzip(text).toString("base64");
  return packed.length < text.length ? { content: packed, encoding: "gzip+base64" } : { content: text };
});

/** The inverse of toCloudConfigContent, for fromCloudConfig. */
export function fromCloudConfigContent(content: string, encoding?: string): string {
  if (encoding === undefined) return content;
  if (encoding === "gzip+base64" || encoding === "gz+b64") return gunzip(content);
  if (encoding === "base64" || encoding === "b64") return Buffer.from(content, "base64").toString("utf8");
  throw new Error(`unsupported write_files encoding ${encoding}`);
}
