// Real etcd members for the integration tests: started with exactly the settings of a rendered node
// (its env file and certificates), talked to with etcdctl (v3) and Node's https (the v2 keys API, as
// locksmith does). Every process started here is tracked so that `stopAllEtcd` always ends it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { NodeFile } from "../../src/node/model";
import { httpsRequest, type HttpsResult, type HttpsTls } from "../../src/ops/https";
import { findTool } from "./tools";

/** KEY=VALUE lines as Docker's --env-file reads them: comments and blank lines skipped, value verbatim. */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`env file line is not KEY=VALUE: ${line}`);
    const key = line.slice(0, eq);
    if (key in vars) throw new Error(`env file sets ${key} twice`);
    vars[key] = line.slice(eq + 1);
  }
  return vars;
}

/** This process's environment without any ETCD_* / ETCDCTL_* variable. */
export function envWithoutEtcd(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ETCD")));
}

/** Writes files below `root` (`/etc/etcd/tls/x` → `<root>/x` when `stripPrefix` is `/etc/etcd/tls`), keeping modes. */
export function writeFiles(root: string, stripPrefix: string, files: readonly NodeFile[]): void {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  for (const f of files) {
    if (!f.path.startsWith(`${stripPrefix}/`)) throw new Error(`${f.path} is not below ${stripPrefix}`);
    const target = join(root, f.path.slice(stripPrefix.length + 1));
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(target, f.contents, { mode: f.mode });
    chmodSync(target, f.mode); // the umask may have narrowed it
  }
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface EtcdProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Settles when the process has ended and its output pipes are closed. */
  readonly ended: Promise<Exit>;
  hasEnded(): boolean;
  /** The last lines etcd logged (no key material: etcd logs paths, never keys). */
  logTail(lines?: number): string;
  /** The first lines etcd logged: how it read its settings. */
  logHead(): string;
}

const running = new Set<EtcdProcess>();
const LOG_LIMIT = 64 * 1024;

/** Starts `etcd` with exactly `env` as its environment and no flags. */
export function startEtcd(name: string, env: NodeJS.ProcessEnv): EtcdProcess {
  const bin = findTool("etcd");
  if (!bin) throw new Error("etcd is not installed");
  const child = spawn(bin, [], { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  let head = "";
  const keep = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    if (head.length < LOG_LIMIT) head += text.slice(0, LOG_LIMIT - head.length);
    log = (log + text).slice(-LOG_LIMIT);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let done = false;
  const ended = new Promise<Exit>((resolve) => {
    child.on("error", (err) => {
      keep(Buffer.from(`spawn failed: ${err.message}\n`));
      done = true;
      resolve({ code: null, signal: null });
    });
    child.on("close", (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  const proc: EtcdProcess = {
    name,
    child,
    ended,
    hasEnded: () => done,
    logTail: (lines = 30) => log.split("\n").slice(-lines).join("\n"),
    logHead: () => head,
  };
  running.add(proc);
  void ended.then(() => running.delete(proc));
  return proc;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with the promise's value, or with undefined after `ms` (the timer never outlives the call). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if it has not ended after `graceMs`. `forced` says whether SIGKILL was needed. */
export async function stopEtcd(proc: EtcdProcess, graceMs = 10_000): Promise<Exit & { forced: boolean }> {
  if (!proc.hasEnded()) proc.child.kill("SIGTERM");
  const exit = await within(proc.ended, graceMs);
  if (exit) return { ...exit, forced: false };
  proc.child.kill("SIGKILL");
  return { ...(await proc.ended), forced: true };
}

/** Ends every etcd started by this file (for afterAll/afterEach; also after a failed test). */
export async function stopAllEtcd(): Promise<void> {
  await Promise.all([...running].map((p) => stopEtcd(p, 3_000)));
}

/** Certificate files for a client, as paths (etcdctl) — `cert`/`key` absent for a client without one. */
export interface ClientTls {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs etcdctl (API v3) against `endpoints`; never hangs longer than `timeoutMs`. */
export function etcdctl(
  endpoints: readonly string[],
  tls: ClientTls,
  args: readonly string[],
  { timeoutMs = 15_000, commandTimeout = "5s" }: { timeoutMs?: number; commandTimeout?: string } = {},
): Promise<CommandResult> {
  const bin = findTool("etcdctl");
  if (!bin) throw new Error("etcdctl is not installed");
  const flags = [
    `--endpoints=${endpoints.join(",")}`,
    `--cacert=${tls.ca}`,
    ...(tls.cert ? [`--cert=${tls.cert}`] : []),
    ...(tls.key ? [`--key=${tls.key}`] : []),
    "--dial-timeout=2s",
    `--command-timeout=${commandTimeout}`,
  ];
  return new Promise((resolve) => {
    execFile(
      bin,
      [...flags, ...args],
      { env: { ...envWithoutEtcd(), ETCDCTL_API: "3" }, timeout: timeoutMs, killSignal: "SIGKILL", encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: err && err.killed ? `${stderr}\netcdctl killed after ${timeoutMs} ms` : stderr });
      },
    );
  });
}

/** Polls `endpoint health` of all endpoints until every one is healthy; fails early if a member ends. */
export async function waitHealthy(procs: readonly EtcdProcess[], endpoints: readonly string[], tls: ClientTls, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: CommandResult | undefined;
  while (Date.now() < deadline) {
    const dead = procs.find((p) => p.hasEnded());
    if (dead) throw new Error(`etcd ${dead.name} ended before the cluster was healthy:\n${dead.logTail()}`);
    last = await etcdctl(endpoints, tls, ["endpoint", "health"], { timeoutMs: 10_000, commandTimeout: "3s" });
    if (last.code === 0) return;
    await sleep(250);
  }
  const logs = procs.map((p) => `--- ${p.name}\n${p.logTail(15)}`).join("\n");
  throw new Error(`etcd not healthy after ${timeoutMs} ms: ${last?.stderr.trim()}\n${logs}`);
}

/** Polls until `check` passes (it throws until then), for at most `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(500);
    }
  }
}

/** Retries a command until it succeeds or `timeoutMs` passes (e.g. while a new leader is elected). */
export async function retry(run: () => Promise<CommandResult>, timeoutMs: number): Promise<CommandResult> {
  const deadline = Date.now() + timeoutMs;
  let last = await run();
  while (last.code !== 0 && Date.now() < deadline) {
    await sleep(250);
    last = await run();
  }
  return last;
}

export type { HttpsResult, HttpsTls };

export const readTls = (tls: ClientTls): HttpsTls => ({
  ca: readFileSync(tls.ca),
  ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
  ...(tls.key ? { key: readFileSync(tls.key) } : {}),
});

/** One HTTPS request with coreform's own client (no keep-alive); rejects on TLS errors and after `timeoutMs`. */
export const httpsCall = (url: string, tls: HttpsTls, opts: { method?: string; form?: Record<string, string>; timeoutMs?: number } = {}) =>
  httpsRequest(url, tls, { timeoutMs: 5_000, ...opts });

/** The v2 keys API, as locksmith uses it. */
export interface V2Node {
  readonly key: string;
  readonly value?: string;
  readonly modifiedIndex: number;
}

export async function v2Set(clientUrl: string, tls: HttpsTls, key: string, value: string, query = ""): Promise<{ status: number; node?: V2Node; body: string }> {
  const res = await httpsCall(`${clientUrl}/v2/keys/${key}${query}`, tls, { method: "PUT", form: { value } });
  return { status: res.status, body: res.body, node: parseNode(res.body) };
}

export async function v2Get(clientUrl: string, tls: HttpsTls, key: string): Promise<{ status: number; node?: V2Node; body: string }> {
  const res = await httpsCall(`${clientUrl}/v2/keys/${key}`, tls);
  return { status: res.status, body: res.body, node: parseNode(res.body) };
}

function parseNode(body: string): V2Node | undefined {
  try {
    return (JSON.parse(body) as { node?: V2Node }).node;
  } catch {
    return undefined;
  }
}

/** etcdctl's JSON, with uint64 ids kept exact (as strings) instead of rounded to doubles. */
export const parseEtcdJson = <T>(text: string): T => JSON.parse(text.replace(/(:\s*)(\d{16,})/g, '$1"$2"')) as T;
