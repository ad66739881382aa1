// The secrets of one environment under `.coreform/<env>/` (directories 0700, files 0600): created once,
// reused on every render, never printed. A certificate is issued again only when it no longer fits the
// plan (its node's address changed, or it expired); a CA is never replaced behind the user's back.
import { randomBytes } from "node:crypto";
import { basename, dirname, join, relative } from "node:path";
import type { ClusterPlan } from "../plan/plan";
import { qualifiedName } from "../spec/cluster";
import { holdsFiles, PendingSecrets, readPair, readText, repairModes, SecretsChanged, type RenderedBefore } from "./disk";

export { renderedBefore, type RenderedBefore } from "./disk";
import { caProblem, privateKeyProblem, pskProblem, tokenProblem } from "./forms";
import { createCa, createKey, issueLeaf, leafMisfit, type CertKey, type LeafRequest } from "./pki";

type ClientName = "locksmith" | "operator";
const CLIENTS: readonly ClientName[] = ["locksmith", "operator"];
/**
 * The scheduler's own etcd client, for nodes without an etcd member: fleet's. (Control nodes present
 * their member certificate to etcd, and k3s's servers run only there.)
 */
type SchedulerClientName = "fleet";
const SCHEDULER_CLIENT: Record<ClusterPlan["scheduler"]["kind"], SchedulerClientName | undefined> = { kubernetes: undefined, fleet: "fleet", none: undefined };

/**
 * Kubernetes: coreform makes every CA and key of k3s's bootstrap data itself (k3s uses the files it finds
 * at first start instead of generating them: pkg/daemons/control/deps/deps.go, createSigningCertKey,
 * genServiceAccount, genEncryptedNetworkInfo), so that all servers hold the same ones whichever starts
 * first. k3s itself serializes a first start with an empty lock key in the datastore, but a server that
 * has waited five seconds takes the lock over and generates its own (pkg/cluster/storage.go,
 * storageBootstrap); files that then differ from the datastore's are overwritten, or stop k3s when
 * newer (pkg/cluster/bootstrap.go, ReconcileBootstrapData). The client CA also signs the operator's
 * admin certificate, which works the moment the API server is up: no copying k3s.yaml off a node. The
 * join token is shared by servers and agents.
 */
export interface KubernetesSecrets {
  readonly serverCa: CertKey;
  readonly clientCa: CertKey;
  /** Signs the API server's front-proxy client certificate (aggregated APIs). */
  readonly requestHeaderCa: CertKey;
  /** k3s's CA for an embedded etcd: unused with the cluster's own etcd, but in k3s's bootstrap data. */
  readonly etcdCa: CertKey;
  /** Signs service-account tokens (PEM): one key for all servers, or tokens fail on the others. */
  readonly serviceAccountKey: string;
  /** flannel's IPsec pre-shared key, unused with the default VXLAN backend; in k3s's bootstrap data. */
  readonly ipsecPsk: string;
  /** The operator's client certificate (O=system:masters), only in the kubeconfig, never on a node. */
  readonly admin: CertKey;
  readonly token: string;
}

export interface EnvironmentSecrets {
  readonly ca: CertKey;
  readonly clients: Readonly<Record<ClientName, CertKey>> & Readonly<Partial<Record<SchedulerClientName, CertKey>>>;
  /**
   * Per etcd member: one certificate for both its client and its peer listener (same names, same
   * usages: a second one would only cost user data, ~1.1 KB per control node).
   */
  readonly members: Readonly<Record<string, CertKey>>;
  readonly kubernetes?: KubernetesSecrets;
}

/** Raised when secrets are needed but were never created (the CDKTF app never creates them). */
export class MissingSecretsError extends Error {}

/** The project's directory of secrets and state, beside the spec. */
export const STATE_DIR = ".coreform";

export const secretsDir = (baseDir: string, environment: string) => join(baseDir, STATE_DIR, environment);

const ETCD_CA = "ca";
const K8S_SERVER_CA = "kubernetes/server-ca";
const K8S_CLIENT_CA = "kubernetes/client-ca";
const K8S_REQUEST_HEADER_CA = "kubernetes/request-header-ca";
const K8S_ETCD_CA = "kubernetes/etcd-ca";
const K8S_TOKEN = "kubernetes/token";
const K8S_SERVICE_KEY = "kubernetes/service.key";
const K8S_IPSEC_PSK = "kubernetes/ipsec.psk";
const isKubernetes = (plan: ClusterPlan) => plan.scheduler.kind === "kubernetes";

/** Every CA the plan needs: id (path below the environment's directory) and common name. */
function wantedCas(plan: ClusterPlan): { id: string; commonName: string }[] {
  const name = qualifiedName(plan);
  return [
    { id: ETCD_CA, commonName: `${name} etcd CA` },
    ...(isKubernetes(plan)
      ? [
          { id: K8S_SERVER_CA, commonName: `${name} kubernetes server CA` },
          { id: K8S_CLIENT_CA, commonName: `${name} kubernetes client CA` },
          { id: K8S_REQUEST_HEADER_CA, commonName: `${name} kubernetes request-header CA` },
          { id: K8S_ETCD_CA, commonName: `${name} k3s etcd CA (unused)` },
        ]
      : []),
  ];
}

interface Wanted {
  /** Path below the environment's directory, without `.crt`/`.key`. */
  readonly id: string;
  /** The CA that signs it. */
  readonly issuer: string;
  readonly req: LeafRequest;
}

/** Every leaf certificate the plan needs. */
function wanted(plan: ClusterPlan): Wanted[] {
  const schedulerClient = SCHEDULER_CLIENT[plan.scheduler.kind];
  const out: Wanted[] = [...CLIENTS, ...(schedulerClient ? [schedulerClient] : [])].map((name) => ({
    id: `clients/${name}`,
    issuer: ETCD_CA,
    req: { commonName: name, usage: "client" },
  }));
  if (isKubernetes(plan))
    out.push({ id: "kubernetes/admin", issuer: K8S_CLIENT_CA, req: { commonName: "coreform-admin", organization: "system:masters", usage: "client" } });
  for (const m of plan.etcd.members) {
    const names = { dnsNames: [m.name, "localhost"], ips: [m.ip, "127.0.0.1"] };
    out.push({ id: `members/${m.name}`, issuer: ETCD_CA, req: { commonName: m.name, usage: "server-and-client", ...names } });
  }
  return out;
}

/** A secret that is one file of text, not a certificate and its key. */
interface WantedFile {
  /** Path below the environment's directory. */
  readonly id: string;
  readonly create: () => Promise<string>;
  /** Why the text read back is not this secret, or undefined. */
  readonly problem: (text: string) => string | undefined;
}

/** Every such file the plan needs: k3s's join token, service-account key and IPsec key. */
function wantedFiles(plan: ClusterPlan): WantedFile[] {
  if (!isKubernetes(plan)) return [];
  return [
    { id: K8S_TOKEN, create: async () => `${randomBytes(32).toString("hex")}\n`, problem: tokenProblem },
    { id: K8S_SERVICE_KEY, create: createKey, problem: privateKeyProblem },
    // As k3s makes it: 48 random bytes, hex (deps.go, genEncryptedNetworkInfo).
    { id: K8S_IPSEC_PSK, create: async () => `${randomBytes(48).toString("hex")}\n`, problem: pskProblem },
  ];
}

function assemble(pairs: Map<string, CertKey>, texts: Map<string, string>, plan: ClusterPlan): EnvironmentSecrets {
  const get = (id: string) => pairs.get(id) as CertKey;
  const text = (id: string) => texts.get(id) as string;
  const schedulerClient = SCHEDULER_CLIENT[plan.scheduler.kind];
  return {
    ca: get(ETCD_CA),
    clients: {
      locksmith: get("clients/locksmith"),
      operator: get("clients/operator"),
      ...(schedulerClient ? { [schedulerClient]: get(`clients/${schedulerClient}`) } : {}),
    },
    members: Object.fromEntries(
      plan.etcd.members.map((m) => [m.name, get(`members/${m.name}`)]),
    ),
    ...(isKubernetes(plan)
      ? {
          kubernetes: {
            serverCa: get(K8S_SERVER_CA),
            clientCa: get(K8S_CLIENT_CA),
            requestHeaderCa: get(K8S_REQUEST_HEADER_CA),
            etcdCa: get(K8S_ETCD_CA),
            serviceAccountKey: text(K8S_SERVICE_KEY),
            ipsecPsk: text(K8S_IPSEC_PSK).trim(),
            admin: get("kubernetes/admin"),
            token: text(K8S_TOKEN).trim(),
          },
        }
      : {}),
  };
}


interface SecretsOptions {
  readonly rendered?: RenderedBefore;
  /**
   * `--new-secrets`: make afresh the kept secrets that are missing (CAs, the k3s token and keys),
   * which running nodes will not trust. Without it, a missing one is an error.
   */
  readonly newSecrets?: boolean;
}

/**
 * A CA, the k3s token, service-account key or IPsec key is missing or damaged in an environment that
 * has secrets: making a new one would lock running nodes out, so the user restores it (exit 1).
 */
class LostSecretError extends SecretsChanged {}

/** Kept secrets come in two families: the etcd CA, and k3s's CAs, token and keys. */
type Family = "etcd" | "kubernetes";
const familyOf = (id: string): Family => (id.startsWith("kubernetes/") ? "kubernetes" : "etcd");

/**
 * Whether a family of kept secrets was made before, so that one missing now was lost rather than never
 * made: the etcd family once `.coreform/<env>/` holds any file or an earlier render's plan.json exists;
 * k3s's once `kubernetes/` holds a file or that plan.json was rendered with the kubernetes scheduler
 * (switching a rendered environment from none or fleet to kubernetes makes them for the first time).
 */
function madeBefore(dir: string, options: SecretsOptions): (family: Family) => string | undefined {
  const base = dirname(dirname(dir));
  const rendered = options.rendered && `${relative(base, options.rendered.planFile)} shows it was rendered`;
  const etcd = holdsFiles(dir) ? `${relative(base, dir)}/ holds its other secrets` : rendered;
  const kubernetes = holdsFiles(join(dir, "kubernetes"))
    ? `${relative(base, join(dir, "kubernetes"))}/ holds k3s's other secrets`
    : options.rendered?.scheduler === "kubernetes"
      ? rendered
      : undefined;
  return (family) => (family === "etcd" ? etcd : kubernetes);
}

const fixes = (env: string) =>
  `restore it from your backup of .coreform/; \`coreform render ${env} --new-secrets\` makes a new one instead, which running nodes will not trust`;

function lost(dir: string, env: string, file: string, evidence: string): LostSecretError {
  return new LostSecretError(`${join(dir, file)} is missing, but ${env} has secrets (${evidence}): ${fixes(env)}`);
}

function damaged(dir: string, env: string, file: string, problem: string): LostSecretError {
  return new LostSecretError(`${join(dir, file)}: ${problem}: restore it from your backup of .coreform/ (or remove it and run \`coreform render ${env} --new-secrets\`: running nodes will not trust a new one)`);
}

/** The CA `id`, or undefined when both its files are missing or empty; anything else that is not a usable CA is an error. */
function loadCa(dir: string, env: string, id: string): CertKey | undefined {
  const { pair, partial } = readPair(dir, id);
  const files = `${id}.crt and ${basename(id)}.key`;
  if (partial) throw damaged(dir, env, files, "one of the two is missing or empty");
  const problem = pair && caProblem(pair);
  if (problem) throw damaged(dir, env, files, problem);
  return pair;
}

/** An environment's secrets, with what is new only in memory until `persist`. */
export interface PreparedSecrets {
  readonly secrets: EnvironmentSecrets;
  /**
   * Writes what was created or reissued and repairs modes, and says so through the `log` given to
   * `prepareSecrets`; `also` (id → contents) goes with them in the same step, 0600: the environment's record.
   */
  persist(also?: ReadonlyMap<string, string>): void;
}

/**
 * Loads the environment's secrets and makes what is missing, in memory: nothing is written until
 * `persist`, so a render that is refused later leaves no secrets behind. A kept secret (CA, k3s token
 * and keys) is made only for an environment that never had it, or with `newSecrets`; one that is there
 * but damaged is always an error. `log` hears what was created, reissued or repaired, by name only.
 */
export async function prepareSecrets(dir: string, plan: ClusterPlan, log: (line: string) => void = () => {}, options: SecretsOptions = {}): Promise<PreparedSecrets> {
  const env = plan.environment;
  const before = madeBefore(dir, options);
  const pending = new PendingSecrets(dir);
  const created: string[] = [];
  const replaced: string[] = [];
  const reissued: string[] = [];
  /** A kept secret is missing: made anew only when its family never existed, or with newSecrets. */
  const missingKept = (id: string, file: string) => {
    const evidence = before(familyOf(id));
    if (evidence === undefined) return created.push(id);
    if (!options.newSecrets) throw lost(dir, env, file, evidence);
    replaced.push(id);
  };
  const pairs = new Map<string, CertKey>();
  for (const { id, commonName } of wantedCas(plan)) {
    let ca = loadCa(dir, env, id);
    if (!ca) {
      missingKept(id, `${id}.crt`);
      ca = await createCa(commonName);
      pending.addPair(id, ca);
    }
    pairs.set(id, ca);
  }
  for (const { id, issuer, req } of wanted(plan)) {
    const ca = pairs.get(issuer) as CertKey;
    const { pair: existing } = readPair(dir, id);
    const misfit = existing && leafMisfit(ca, existing, req);
    if (existing && !misfit) {
      pairs.set(id, existing);
      continue;
    }
    const pair = await issueLeaf(ca, req);
    pending.addPair(id, pair);
    pairs.set(id, pair);
    if (misfit) reissued.push(`${id} (${misfit})`);
    else created.push(id);
  }
  const texts = new Map<string, string>();
  for (const { id, create, problem } of wantedFiles(plan)) {
    let text = readText(dir, id);
    const wrong = text !== undefined && problem(text);
    if (wrong) throw damaged(dir, env, id, wrong);
    if (text === undefined) {
      missingKept(id, id);
      text = await create();
      pending.add(id, text);
    }
    texts.set(id, text);
  }
  const persist = (also: ReadonlyMap<string, string> = new Map()) => {
    for (const [id, contents] of also) pending.add(id, contents);
    pending.write();
    const project = dirname(dirname(dir));
    // The project's .coreform/ too, but nothing else above `dir`: a caller may keep secrets elsewhere
    // (the tests keep them in a temporary directory, whose parent is /tmp).
    const state = basename(dirname(dir)) === STATE_DIR ? repairModes(dirname(dir), project, false) : [];
    const repaired = [...state, ...repairModes(dir, project)];
    if (replaced.length) log(`${env}: made NEW ${replaced.join(", ")} in ${dir} (--new-secrets): nodes that run with the old ones will not trust them`);
    if (created[0] === ETCD_CA) log(`${env}: created the etcd CA and ${created.length - 1} more secrets in ${dir} (back it up)`);
    else if (created.length) log(`${env}: created ${created.join(", ")} in ${dir}`);
    if (reissued.length) log(`${env}: reissued ${reissued.join("; ")}`);
    if (repaired.length) log(`${env}: repaired modes (secrets are the owner's only): ${repaired.join(", ")}`);
  };
  return { secrets: assemble(pairs, texts, plan), persist };
}

/** Loads the environment's secrets, creating and writing what is missing at once. */
export async function ensureSecrets(dir: string, plan: ClusterPlan, log: (line: string) => void = () => {}, options: SecretsOptions = {}): Promise<EnvironmentSecrets> {
  const prepared = await prepareSecrets(dir, plan, log, options);
  prepared.persist();
  return prepared.secrets;
}

/**
 * Loads the environment's secrets without creating anything (the CDKTF app, status, kubeconfig):
 * secrets render would make are a MissingSecretsError naming it; a lost or damaged kept one is a
 * LostSecretError, as for render.
 */
export function readSecrets(dir: string, plan: ClusterPlan, options: Pick<SecretsOptions, "rendered"> = {}): EnvironmentSecrets {
  const env = plan.environment;
  const hint = `run \`coreform render ${env}\` first: it creates them once, so that keys survive between deploys`;
  const before = madeBefore(dir, options);
  const missingKept = (id: string, file: string, what: string): never => {
    const evidence = before(familyOf(id));
    throw evidence === undefined ? new MissingSecretsError(`no ${what} for environment ${env} in ${dir}: ${hint}`) : lost(dir, env, file, evidence);
  };
  const pairs = new Map<string, CertKey>();
  for (const { id } of wantedCas(plan)) pairs.set(id, loadCa(dir, env, id) ?? missingKept(id, `${id}.crt`, id === ETCD_CA ? "secrets" : id));
  for (const { id, issuer, req } of wanted(plan)) {
    const { pair } = readPair(dir, id);
    if (!pair) throw new MissingSecretsError(`certificate ${id} of ${env} is missing: ${hint}`);
    const misfit = leafMisfit(pairs.get(issuer) as CertKey, pair, req);
    if (misfit) throw new MissingSecretsError(`certificate ${id} of ${env} is out of date (${misfit}): ${hint}`);
    pairs.set(id, pair);
  }
  const texts = new Map<string, string>();
  for (const { id, problem } of wantedFiles(plan)) {
    const text = readText(dir, id) ?? missingKept(id, id, id);
    const wrong = problem(text);
    if (wrong) throw damaged(dir, env, id, wrong);
    texts.set(id, text);
  }
  return assemble(pairs, texts, plan);
}
