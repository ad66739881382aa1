// Where an operator command talks to: the environment's etcd members (from the plan, or the
// operator's --endpoints, e.g. through a tunnel) with the operator's client certificate. The
// certificate is read from .coreform/<env>/ and never created here, and never printed.
import { dirname } from "node:path";
import { inspect } from "node:util";
import { InputError } from "../errors";
import type { ClusterPlan } from "../plan/plan";
import { planEnvironment } from "../secrets/record-file";
import { MissingSecretsError, readSecrets, secretsDir } from "../secrets/store";
import type { Spec } from "../spec/schema";
import { chooseEnvironments } from "../spec/file";
import type { HttpsTls } from "./https";
import { REQUEST_TIMEOUT_MS } from "./timeout";


/** The operator's certificate and key (PEM). Prints as a placeholder, never as its contents. */
export class OperatorTls implements HttpsTls {
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
  readonly timeoutMs: number;
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
 * URLs (unless `endpoints` is given) and the operator certificate.
 */
export function operatorTarget(spec: Spec, specFile: string, env: string, endpoints?: string): EtcdTarget {
  chooseEnvironments(spec, specFile, [env]);
  // Where the environment's last render put each member (its record), not where the spec alone would.
  const { plan } = planEnvironment(spec, env, dirname(specFile));
  if (plan.etcd.members.length === 0) throw new InputError(`environment ${env} has no control nodes: there is no etcd to ask`);
  const chosen = endpoints === undefined ? [...plan.etcd.clientUrls] : parseEndpoints(endpoints);
  let tls: OperatorTls;
  try {
    const secrets = readSecrets(secretsDir(dirname(specFile), env), plan);
    tls = new OperatorTls(secrets.ca.cert, secrets.clients.operator.cert, secrets.clients.operator.key);
  } catch (e) {
    if (e instanceof MissingSecretsError) throw new InputError(e.message);
    throw e;
  }
  return { plan, endpoints: chosen, tls, timeoutMs: REQUEST_TIMEOUT_MS };
}
