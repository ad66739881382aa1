// A cluster planned on a loopback range and rendered by the real CLI, ready to run as real etcd
// processes: each member gets exactly the variables of its rendered /etc/etcd/etcd.env and the
// certificates its Ignition config writes. Only two things move: the data dir and the certificate
// directory (to temp dirs).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromIgnition } from "../../cloud-config/ignition";
import { cli, project, smallSpec, tempDir } from "./cli";
import { envWithoutEtcd, parseEnvFile, startEtcd, writeFiles, type ClientTls, type EtcdProcess } from "./etcd";

const ENV_FILE = "/etc/etcd/etcd.env";
const TLS_DIR = "/etc/etcd/tls";

export interface Member {
  readonly name: string;
  readonly ip: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** The environment etcd runs with. */
  readonly env: NodeJS.ProcessEnv;
}

export interface Rendered {
  /** The project directory (cluster.yaml, out/, .coreform/); environment `test`. */
  readonly dir: string;
  readonly members: readonly Member[];
  /** The operator's client certificate from the project's .coreform dir. */
  readonly operator: ClientTls;
}

/** What the plan promises: `control-NN` at `<prefix>.(10+i)`. */
const planned = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => {
    const ip = `${prefix}.${10 + i}`;
    return { name: `control-${String(i + 1).padStart(2, "0")}`, ip, clientUrl: `https://${ip}:2379`, peerUrl: `https://${ip}:2380` };
  });

/**
 * Renders a spec with `control` control nodes on `prefix.0/24` (scheduler none unless given) and
 * prepares each member's environment.
 */
export async function renderCluster(prefix: string, control: number, opts: { scheduler?: string; worker?: number } = {}): Promise<Rendered> {
  const dir = project(smallSpec({ cidr: `${prefix}.0/24`, control, worker: opts.worker ?? 0, scheduler: opts.scheduler ?? "none" }));
  const result = await cli(dir, "render");
  expect(result.code).toBe(0);
  const members = planned(prefix, control).map((p) => {
    const node = fromIgnition(readFileSync(join(dir, "out", "test", "ignition", `${p.name}.json`), "utf8"));
    expect(node.hostname).toBe(p.name);
    const envFile = node.files.find((f) => f.path === ENV_FILE);
    if (!envFile) throw new Error(`${p.name}: no ${ENV_FILE} in its Ignition config`);
    const tlsFiles = node.files.filter((f) => f.path.startsWith(`${TLS_DIR}/`));
    for (const f of tlsFiles) expect([f.path, f.mode]).toEqual([f.path, f.path.endsWith(".key") ? 0o600 : 0o644]);

    const vars = parseEnvFile(envFile.contents);
    expect(Object.keys(vars).filter((k) => !k.startsWith("ETCD_"))).toEqual([]);
    expect(vars.ETCD_DATA_DIR).toBe("/var/lib/etcd");
    const fileVars = Object.keys(vars).filter((k) => k.endsWith("_FILE"));
    expect(fileVars.length).toBeGreaterThan(0);
    // Every certificate the settings name is one the node's config writes.
    for (const k of fileVars) expect([k, tlsFiles.some((f) => f.path === vars[k])]).toEqual([k, true]);

    const nodeDir = tempDir(`coreform-etcd-${p.name}-`);
    const tlsDir = join(nodeDir, "tls");
    writeFiles(tlsDir, TLS_DIR, tlsFiles);
    const moved = Object.fromEntries(fileVars.map((k) => [k, tlsDir + (vars[k] as string).slice(TLS_DIR.length)]));
    const env = { ...envWithoutEtcd(), ...vars, ...moved, ETCD_DATA_DIR: join(nodeDir, "data") };
    return { ...p, env };
  });
  const secrets = join(dir, ".coreform", "test");
  const operator = { ca: join(secrets, "ca.crt"), cert: join(secrets, "clients", "operator.crt"), key: join(secrets, "clients", "operator.key") };
  return { dir, members, operator };
}

/** Starts one etcd process per member. */
export const startCluster = (members: readonly Member[]): EtcdProcess[] => members.map((m) => startEtcd(m.name, m.env));
