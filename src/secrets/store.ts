// The secrets of one environment under `.coreform/<env>/` (directories 0700, files 0600): created once,
// reused on every render, never printed. A certificate is issued again only when it no longer fits the
// plan (its node's address changed, or it expired); a CA is never replaced behind the user's back.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ClusterPlan } from "../plan/plan";
import { caIsUsable, createCa, issueLeaf, leafFits, type CertKey, type LeafRequest } from "./pki";

export type ClientName = "locksmith" | "operator";
export const CLIENTS: readonly ClientName[] = ["locksmith", "operator"];

export interface EnvironmentSecrets {
  readonly ca: CertKey;
  readonly clients: Readonly<Record<ClientName, CertKey>>;
  /** Per etcd member: its client-facing (server) and its peer certificate. */
  readonly members: Readonly<Record<string, { readonly server: CertKey; readonly peer: CertKey }>>;
}

/** Raised when secrets are needed but were never created (the CDKTF app never creates them). */
export class MissingSecretsError extends Error {}

export const secretsDir = (baseDir: string, environment: string) => join(baseDir, ".coreform", environment);

interface Wanted {
  /** Path below the environment's directory, without `.crt`/`.key`. */
  readonly id: string;
  readonly req: LeafRequest;
}

/** Every leaf certificate the plan needs. */
function wanted(plan: ClusterPlan): Wanted[] {
  const out: Wanted[] = CLIENTS.map((name) => ({ id: `clients/${name}`, req: { commonName: name, usage: "client" } }));
  for (const m of plan.etcd.members) {
    const names = { dnsNames: [m.name, "localhost"], ips: [m.ip, "127.0.0.1"] };
    out.push({ id: `members/${m.name}/server`, req: { commonName: m.name, usage: "server-and-client", ...names } });
    out.push({ id: `members/${m.name}/peer`, req: { commonName: m.name, usage: "server-and-client", ...names } });
  }
  return out;
}

function readPair(dir: string, id: string): CertKey | undefined {
  const crt = join(dir, `${id}.crt`);
  const key = join(dir, `${id}.key`);
  if (!existsSync(crt) || !existsSync(key)) return undefined;
  return { cert: readFileSync(crt, "utf8"), key: readFileSync(key, "utf8") };
}

function writeSecretFile(file: string, contents: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, contents, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function writePair(dir: string, id: string, pair: CertKey): void {
  writeSecretFile(join(dir, `${id}.crt`), pair.cert);
  writeSecretFile(join(dir, `${id}.key`), pair.key);
}

function assemble(ca: CertKey, leaves: Map<string, CertKey>, plan: ClusterPlan): EnvironmentSecrets {
  const get = (id: string) => leaves.get(id) as CertKey;
  return {
    ca,
    clients: { locksmith: get("clients/locksmith"), operator: get("clients/operator") },
    members: Object.fromEntries(
      plan.etcd.members.map((m) => [m.name, { server: get(`members/${m.name}/server`), peer: get(`members/${m.name}/peer`) }]),
    ),
  };
}

function loadCa(dir: string): CertKey | undefined {
  const ca = readPair(dir, "ca");
  const partial = !ca && (existsSync(join(dir, "ca.crt")) || existsSync(join(dir, "ca.key")));
  if (partial || (ca && !caIsUsable(ca)))
    throw new Error(
      `${join(dir, "ca.crt")} and ca.key are incomplete, expired or do not belong together: restore them from a backup, ` +
        `or remove ${dir} to start a new CA (running nodes will not trust it)`,
    );
  return ca;
}

/**
 * Loads the environment's secrets, creating what is missing. `log` hears what was created or
 * reissued, by name only.
 */
export async function ensureSecrets(dir: string, plan: ClusterPlan, log: (line: string) => void = () => {}): Promise<EnvironmentSecrets> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const created: string[] = [];
  const reissued: string[] = [];
  let ca = loadCa(dir);
  if (!ca) {
    ca = await createCa(`${plan.cluster}-${plan.environment} etcd CA`);
    writePair(dir, "ca", ca);
    created.push("ca");
  }
  const leaves = new Map<string, CertKey>();
  for (const { id, req } of wanted(plan)) {
    const existing = readPair(dir, id);
    if (existing && leafFits(ca, existing, req)) {
      leaves.set(id, existing);
      continue;
    }
    const pair = await issueLeaf(ca, req);
    writePair(dir, id, pair);
    leaves.set(id, pair);
    (existing ? reissued : created).push(id);
  }
  if (created[0] === "ca") log(`${plan.environment}: created the etcd CA and ${created.length - 1} certificates in ${dir} (back it up)`);
  else if (created.length) log(`${plan.environment}: created ${created.join(", ")} in ${dir}`);
  if (reissued.length) log(`${plan.environment}: reissued ${reissued.join(", ")} (addresses, CA or validity changed)`);
  return assemble(ca, leaves, plan);
}

/** Loads the environment's secrets without creating anything; missing or stale ones are an error. */
export function readSecrets(dir: string, plan: ClusterPlan): EnvironmentSecrets {
  const hint = `run \`coreform render ${plan.environment}\` first: it creates them once, so that keys survive between deploys`;
  const ca = loadCa(dir);
  if (!ca) throw new MissingSecretsError(`no secrets for environment ${plan.environment} in ${dir}: ${hint}`);
  const leaves = new Map<string, CertKey>();
  for (const { id, req } of wanted(plan)) {
    const pair = readPair(dir, id);
    if (!pair || !leafFits(ca, pair, req)) throw new MissingSecretsError(`certificate ${id} of ${plan.environment} is missing or out of date: ${hint}`);
    leaves.set(id, pair);
  }
  return assemble(ca, leaves, plan);
}
