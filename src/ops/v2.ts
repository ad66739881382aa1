// The etcd v2 keys API over HTTPS, the way locksmith uses it: GET a key, PUT it back only if it is
// unchanged (prevIndex) or still absent (prevExist=false). Each request goes to the first member
// that answers (target.ts, firstAnswer); a member that does not answer in time is skipped.
import { httpsRequest, type HttpsResult } from "./https";
import { firstAnswer, serverName, type EtcdTarget } from "./target";

export interface V2Node {
  readonly value: string;
  readonly modifiedIndex: number;
}

/** The key's path below /v2/keys/, each segment percent-encoded (a group name may hold %, + or /). */
const keyUrl = (endpoint: string, key: string) => `${endpoint}/v2/keys/${key.split("/").map(encodeURIComponent).join("/")}`;

/** Sends one request to the members in order until one answers over HTTP. */
const ask = (target: EtcdTarget, path: (endpoint: string) => string, init: { method?: string; form?: Record<string, string> }) =>
  firstAnswer(target, (endpoint, timeoutMs) => httpsRequest(path(endpoint), target.tls, { ...init, timeoutMs, serverName: serverName(target, endpoint) }));

function unexpected(what: string, res: HttpsResult): Error {
  let message = res.body.trim().slice(0, 200);
  try {
    message = (JSON.parse(res.body) as { message?: string; cause?: string }).message ?? message;
  } catch {
    // not JSON: keep the text
  }
  return new Error(`${what}: etcd answered ${res.status}: ${message}`);
}

/** The key's value and index, or undefined when it does not exist. */
export async function v2Read(target: EtcdTarget, key: string): Promise<V2Node | undefined> {
  const res = await ask(target, (e) => keyUrl(e, key), {});
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw unexpected(`reading ${key}`, res);
  const node = (JSON.parse(res.body) as { node?: { value?: unknown; modifiedIndex?: unknown; dir?: boolean } }).node;
  if (typeof node?.value !== "string" || typeof node.modifiedIndex !== "number") throw new Error(`reading ${key}: not a plain key`);
  return { value: node.value, modifiedIndex: node.modifiedIndex };
}

/**
 * Compare-and-swap: writes `value` only if the key is still at `prevIndex` (or still absent when
 * `prevIndex` is undefined). False when someone else changed it first.
 */
export async function v2CompareAndSwap(target: EtcdTarget, key: string, value: string, prevIndex: number | undefined): Promise<boolean> {
  const condition = prevIndex === undefined ? "prevExist=false" : `prevIndex=${prevIndex}`;
  const res = await ask(target, (e) => `${keyUrl(e, key)}?${condition}`, { method: "PUT", form: { value } });
  if (res.status === 200 || res.status === 201) return true;
  if (res.status === 412) return false;
  throw unexpected(`writing ${key}`, res);
}

/** The keys and directories at the top of the v2 keyspace (empty when it holds nothing). */
export async function v2TopKeys(target: EtcdTarget): Promise<string[]> {
  const res = await ask(target, (e) => `${e}/v2/keys/`, {});
  if (res.status !== 200) throw unexpected("listing the v2 keyspace", res);
  const nodes = (JSON.parse(res.body) as { node?: { nodes?: { key?: unknown }[] } }).node?.nodes ?? [];
  return nodes.map((n) => String(n.key)).sort();
}
