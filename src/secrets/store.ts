// The secrets of one environment under `.coreform/<env>/` (directories 0700, files 0600): created once,
// reused on every render, never printed. A certificate is issued again only when it no longer fits the
// plan (its node's address changed, or it expired); a CA is never replaced behind the user's back.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { SECRET, SECRET_DIR } from "../modes";
import type { ClusterPlan } from "../plan/plan";
import { qualifiedName } from "../spec/cluster";
import { caIsUsable, createCa, createKey, issueLeaf, leafMisfit, type CertKey, type LeafRequest } from "./pki";

export type ClientName = "locksmith" | "operator";
export const CLIENTS: readonly ClientName[] = ["locksmith", "operator"];
/**
 * The scheduler's own etcd client, for nodes without an etcd member: fleet's. (Control nodes present
 * their member certificate to etcd, and k3s's servers run only there.)
 */
export type SchedulerClientName = "fleet";
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

export const secretsDir = (baseDir: string, environment: string) => join(baseDir, ".coreform", environment);

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
}

/** Every such file the plan needs: k3s's join token, service-account key and IPsec key. */
function wantedFiles(plan: ClusterPlan): WantedFile[] {
  if (!isKubernetes(plan)) return [];
  return [
    { id: K8S_TOKEN, create: async () => `${randomBytes(32).toString("hex")}\n` },
    { id: K8S_SERVICE_KEY, create: createKey },
    // As k3s makes it: 48 random bytes, hex (deps.go, genEncryptedNetworkInfo).
    { id: K8S_IPSEC_PSK, create: async () => `${randomBytes(48).toString("hex")}\n` },
  ];
}

const readSecretFile = (dir: string, id: string): string | undefined => {
  const file = join(dir, id);
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  return text.trim() ? text : undefined;
};

function readPair(dir: string, id: string): CertKey | undefined {
  const crt = join(dir, `${id}.crt`);
  const key = join(dir, `${id}.key`);
  if (!existsSync(crt) || !existsSync(key)) return undefined;
  return { cert: readFileSync(crt, "utf8"), key: readFileSync(key, "utf8") };
}

/** Writes `file` (0600) by rename; a file that must be new is linked instead, which fails if it exists. */
function writeSecretFile(file: string, contents: string, replace: boolean): void {
  mkdirSync(dirname(file), { recursive: true, mode: SECRET_DIR });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, contents, { mode: SECRET });
  chmodSync(tmp, SECRET);
  if (replace) return renameSync(tmp, file);
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new Error(`${file} appeared while this render ran (another coreform render?): run it again`);
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Secrets made in memory and not yet on disk: file below the environment's directory → contents.
 * `write` puts them there (files 0600, directories 0700): a new environment's directory appears
 * whole, by rename, or not at all. Only the files read and found stale are replaced; a new file that
 * another run wrote meanwhile is an error, never overwritten.
 */
class PendingSecrets {
  private readonly files = new Map<string, { contents: string; replace: boolean }>();
  /** The directory did not exist when the secrets were read. */
  private readonly fresh: boolean;

  constructor(private readonly dir: string) {
    this.fresh = !existsSync(dir);
  }

  /** A file there now (stale, or half of a pair) may be replaced; one that is not must still be new when written. */
  add(id: string, contents: string): void {
    this.files.set(id, { contents, replace: existsSync(join(this.dir, id)) });
  }

  addPair(id: string, pair: CertKey): void {
    this.add(`${id}.crt`, pair.cert);
    this.add(`${id}.key`, pair.key);
  }

  write(): void {
    if (this.files.size === 0) return;
    const target = this.fresh ? join(dirname(this.dir), `.${basename(this.dir)}.tmp-${process.pid}`) : this.dir;
    try {
      mkdirSync(target, { recursive: true, mode: SECRET_DIR });
      chmodSync(target, SECRET_DIR);
      for (const [id, { contents, replace }] of this.files) writeSecretFile(join(target, id), contents, replace);
      // Fails if another run made the directory meanwhile (rename(2) onto a non-empty directory).
      if (this.fresh) renameSync(target, this.dir);
    } catch (e) {
      if (this.fresh) rmSync(target, { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code === "ENOTEMPTY" || (e as NodeJS.ErrnoException).code === "EEXIST")
        throw new Error(`${this.dir} appeared while this render ran (another coreform render?): run it again`);
      throw e;
    }
  }
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

function loadCa(dir: string, id: string): CertKey | undefined {
  const ca = readPair(dir, id);
  const partial = !ca && (existsSync(join(dir, `${id}.crt`)) || existsSync(join(dir, `${id}.key`)));
  if (partial || (ca && !caIsUsable(ca)))
    throw new Error(
      `${join(dir, `${id}.crt`)} and ${id}.key are incomplete, expired or do not belong together: restore them from a backup, ` +
        `or remove ${dir} to start anew (running nodes will not trust new CAs)`,
    );
  return ca;
}

/** An environment's secrets, with what is new only in memory until `persist`. */
export interface PreparedSecrets {
  readonly secrets: EnvironmentSecrets;
  /**
   * Writes what was created or reissued, and says so through the `log` given to `prepareSecrets`;
   * `also` (id → contents) goes with them in the same step, 0600: the environment's record.
   */
  persist(also?: ReadonlyMap<string, string>): void;
}

/**
 * Loads the environment's secrets and makes what is missing, in memory: nothing is written until
 * `persist`, so a render that is refused later leaves no secrets behind. `log` hears what was
 * created or reissued, by name only, when it is written.
 */
export async function prepareSecrets(dir: string, plan: ClusterPlan, log: (line: string) => void = () => {}): Promise<PreparedSecrets> {
  const pending = new PendingSecrets(dir);
  const created: string[] = [];
  const reissued: string[] = [];
  const pairs = new Map<string, CertKey>();
  for (const { id, commonName } of wantedCas(plan)) {
    let ca = loadCa(dir, id);
    if (!ca) {
      ca = await createCa(commonName);
      pending.addPair(id, ca);
      created.push(id);
    }
    pairs.set(id, ca);
  }
  for (const { id, issuer, req } of wanted(plan)) {
    const ca = pairs.get(issuer) as CertKey;
    const existing = readPair(dir, id);
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
  for (const { id, create } of wantedFiles(plan)) {
    let text = readSecretFile(dir, id);
    if (text === undefined) {
      text = await create();
      pending.add(id, text);
      created.push(id);
    }
    texts.set(id, text);
  }
  const persist = (also: ReadonlyMap<string, string> = new Map()) => {
    for (const [id, contents] of also) pending.add(id, contents);
    pending.write();
    if (created[0] === ETCD_CA) log(`${plan.environment}: created the etcd CA and ${created.length - 1} more secrets in ${dir} (back it up)`);
    else if (created.length) log(`${plan.environment}: created ${created.join(", ")} in ${dir}`);
    if (reissued.length) log(`${plan.environment}: reissued ${reissued.join("; ")}`);
  };
  return { secrets: assemble(pairs, texts, plan), persist };
}

/** Loads the environment's secrets, creating and writing what is missing at once. */
export async function ensureSecrets(dir: string, plan: ClusterPlan, log: (line: string) => void = () => {}): Promise<EnvironmentSecrets> {
  const prepared = await prepareSecrets(dir, plan, log);
  prepared.persist();
  return prepared.secrets;
}

/** Loads the environment's secrets without creating anything; missing or stale ones are an error. */
export function readSecrets(dir: string, plan: ClusterPlan): EnvironmentSecrets {
  const hint = `run \`coreform render ${plan.environment}\` first: it creates them once, so that keys survive between deploys`;
  const pairs = new Map<string, CertKey>();
  for (const { id } of wantedCas(plan)) {
    const ca = loadCa(dir, id);
    if (!ca) throw new MissingSecretsError(`no ${id === ETCD_CA ? "secrets" : id} for environment ${plan.environment} in ${dir}: ${hint}`);
    pairs.set(id, ca);
  }
  for (const { id, issuer, req } of wanted(plan)) {
    const pair = readPair(dir, id);
    if (!pair) throw new MissingSecretsError(`certificate ${id} of ${plan.environment} is missing: ${hint}`);
    const misfit = leafMisfit(pairs.get(issuer) as CertKey, pair, req);
    if (misfit) throw new MissingSecretsError(`certificate ${id} of ${plan.environment} is out of date (${misfit}): ${hint}`);
    pairs.set(id, pair);
  }
  const texts = new Map<string, string>();
  for (const { id } of wantedFiles(plan)) {
    const text = readSecretFile(dir, id);
    if (text === undefined) throw new MissingSecretsError(`${id} of ${plan.environment} is missing: ${hint}`);
    texts.set(id, text);
  }
  return assemble(pairs, texts, plan);
}
