// Where an operator command talks to: the environment's etcd members (from the plan, or the
// operator's --endpoints, e.g. through a tunnel) with the operator's client certificate. The
// certificate is read from .coreform/<env>/ and never created here, and never printed.
import { dirname } from "node:path";
import { inspect } from "node:util";
import { firstLine, InputError } from "../errors";
import type { ClusterPlan } from "../plan/plan";
import { planEnvironment } from "../secrets/record-file";
import { readSecrets, secretsDir } from "../secrets/store";
import type { Spec } from "../spec/schema";
import { chooseEnvironments } from "../spec/file";
import type { HttpsTls } from "./https";
import { COMMAND_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "./timeout";

/** The operator's certificate and key (PEM). Prints as a placeholder, never as its contents. */
class OperatorTls implements HttpsTls {
  constructor(
    readonly ca: string,
    readonly cert: string,
    readonly key: string,
  ) {}
  toJSON(): string {
    return "[operator TLS]";
  }
  [inspect.custom](): string {
    return "[operator TLS]";
  }
}

export interface EtcdTarget {
  readonly plan: ClusterPlan;
  /** `https://host:port` of each member to ask, in order. */
  readonly endpoints: readonly string[];
  readonly tls: OperatorTls;
  /** Each request to a member gives up after this. */
  readonly timeoutMs: number;
  /** When (ms since the epoch) the whole command gives up: no request outlives it. */
  readonly deadline: number;
}

/** What a request may take now: the request timeout, cut to what is left of the command's time. */
export const remainingMs = (target: EtcdTarget) => Math.min(target.timeoutMs, target.deadline - Date.now());

/**
 * One line saying why a request failed, cut down from grpc-js's and OpenSSL's texts to their cause
 * ("connect ECONNREFUSED 10.0.0.1:2379", "no answer within 2000 ms"); `timeoutMs` is the time it had.
 */
export function reason(e: unknown, timeoutMs: number): string {
  const text = firstLine(e);
  // etcd itself may end the call first, when the deadline the call carries runs out there (a read that
  // waits for a quorum): it answers with Go's words and gRPC's UNKNOWN, "2 UNKNOWN: context deadline exceeded".
  if (/DEADLINE_EXCEEDED|^no answer within|context deadline exceeded/.test(text)) return `no answer within ${timeoutMs} ms`;
  // Something answered, but not with TLS: a wrong port, or not etcd at all.
  const tls = /SSL routines:(?:[^:]*:)?([^:]+?)(?::\.\.\/|$)|(wrong version number|packet length too long)/.exec(text);
  if (tls) return `not a TLS answer (${tls[1] ?? tls[2]}): is this an etcd client URL?`;
  const cause = /Last error: (?:Error: )?(.*?)\.? Resolution note:/.exec(text)?.[1];
  return cause ?? text.replace(/^\d+ [A-Z_]+: /, "");
}

/**
 * Sends one request to the members in order until one answers: `attempt` gets the endpoint and the
 * milliseconds it may take. The one place that walks the endpoints (the v2 and v3 APIs alike).
 */
export async function firstAnswer<T>(target: EtcdTarget, attempt: (endpoint: string, timeoutMs: number) => Promise<T>): Promise<T> {
  const failures: string[] = [];
  for (const endpoint of target.endpoints) {
    const ms = remainingMs(target);
    if (ms <= 0) {
      failures.push(`${endpoint}: not asked: the command's time was up`);
      continue;
    }
    try {
      return await attempt(endpoint, ms);
    } catch (e) {
      failures.push(`${endpoint}: ${reason(e, ms)}`);
    }
  }
  throw new Error(noAnswer(target, failures));
}

/** The error of a request no member answered, each endpoint with its reason. */
export const noAnswer = (target: EtcdTarget, failures: readonly string[]) =>
  `no etcd member answered (${target.timeoutMs} ms timeout each): ${failures.join("; ")}`;

/** Rejects with "no answer within N ms" when `promise` has not settled by then; the timer never outlives it. */
export async function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The name an endpoint's certificate must carry. Every member's server certificate holds the
 * member's name and "localhost" as DNS names (src/secrets/store.ts). A planned endpoint must be its
 * member; any other (a tunnel or bastion, whose address is not the member's) must be a member of the
 * environment's own CA. Names, not addresses: grpc-js would otherwise send an IP address as the TLS
 * server name, which Node deprecates (DEP0123, a warning on stderr).
 */
export function serverName(target: EtcdTarget, endpoint: string): string {
  return target.plan.etcd.members.find((m) => m.clientUrl === endpoint)?.name ?? "localhost";
}

/** `--endpoints URL,…`: https URLs with a host and nothing after the port. */
export function parseEndpoints(text: string): string[] {
  const items = text.split(",").map((s) => s.trim());
  if (items.some((s) => s === "")) throw new InputError(`--endpoints: empty entry in "${text}" (expected https://HOST:PORT,…)`);
  return items.map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new InputError(`--endpoints: ${item} is not a URL (expected https://HOST:PORT)`);
    }
    if (url.protocol !== "https:") throw new InputError(`--endpoints: ${item} must use https (etcd requires client certificates)`);
    if (url.pathname !== "/" || url.search || url.hash || url.username || url.password)
      throw new InputError(`--endpoints: ${item} must be just https://HOST:PORT`);
    return `https://${url.host}`;
  });
}

/**
 * The target for environment `env` of `spec` (read from `specFile`): its plan, its members' client
 * URLs (unless `endpoints` is given) and the operator certificate. The command's time starts now:
 * `budgetMs` (default COMMAND_TIMEOUT_MS), for a command that legitimately needs longer.
 */
export function operatorTarget(spec: Spec, specFile: string, env: string, endpoints?: string, budgetMs = COMMAND_TIMEOUT_MS): EtcdTarget {
  chooseEnvironments(spec, specFile, [env]);
  // Where the environment's last render put each member (its record), not where the spec alone would.
  const { plan } = planEnvironment(spec, env, dirname(specFile));
  if (plan.etcd.members.length === 0) throw new InputError(`environment ${env} has no control nodes: there is no etcd to ask`);
  const chosen = endpoints === undefined ? [...plan.etcd.clientUrls] : parseEndpoints(endpoints);
  // Missing secrets are the project's state, not the command line: exit 1, like every such failure.
  const secrets = readSecrets(secretsDir(dirname(specFile), env), plan);
  const tls = new OperatorTls(secrets.ca.cert, secrets.clients.operator.cert, secrets.clients.operator.key);
  return { plan, endpoints: chosen, tls, timeoutMs: REQUEST_TIMEOUT_MS, deadline: Date.now() + budgetMs };
}
