// A cluster planned on a loopback range and rendered by the real CLI, ready to run as real etcd
// processes the way a control node runs them: before each start the node's own rendered script
// (/opt/coreform/etcd-member, `prepare`) decides how etcd joins and writes ETCD_INITIAL_CLUSTER(_STATE);
// etcd then starts with exactly the variables of its rendered /etc/etcd/etcd.env plus those, and the
// script's `promote` runs beside it as the unit's ExecStartPost does. Only where files are moves (data
// and certificate directories to temp dirs) and how etcdctl runs (Debian's, not the image's in Docker).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromCloudConfig } from "../../cloud-config/coreos-cloudinit";
import { fromIgnition } from "../../cloud-config/ignition";
import { cli, project, smallSpec, tempDir, type CliResult } from "./cli";
import { envWithoutEtcd, parseEnvFile, startEtcd, stopEtcd, writeFiles, type ClientTls, type EtcdProcess } from "./etcd";
import { findTool } from "./tools";

const ENV_FILE = "/etc/etcd/etcd.env";
const TLS_DIR = "/etc/etcd/tls";
const SCRIPT = "/opt/coreform/etcd-member";

export interface Member {
  readonly name: string;
  readonly ip: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** The variables of its rendered etcd.env, paths moved (without ETCD_INITIAL_CLUSTER: the script's). */
  readonly env: NodeJS.ProcessEnv;
  /** That env file as the script reads it, paths moved. */
  readonly envFile: string;
  readonly dataDir: string;
  /** Where the script keeps this member's snapshots and what it writes before a start. */
  readonly snapshotDir: string;
  readonly stateFile: string;
  /** The node's rendered script (a node keeps the one it booted with when the spec changes later). */
  readonly script: string;
}

export interface Rendered {
  /** The project directory (cluster.yaml, out/, .coreform/); environment `test`. */
  readonly dir: string;
  readonly members: readonly Member[];
  /** The operator's client certificate from the project's .coreform dir. */
  readonly operator: ClientTls;
  readonly prefix: string;
}

/** What the plan promises: `control-NN` at `<prefix>.(10+i)`. */
const planned = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => {
    const ip = `${prefix}.${10 + i}`;
    return { name: `control-${String(i + 1).padStart(2, "0")}`, ip, clientUrl: `https://${ip}:2379`, peerUrl: `https://${ip}:2380` };
  });

/** A spec with `control` control nodes on `prefix.0/24` (scheduler none, platform libvirt unless given), rendered, each member prepared. */
export async function renderCluster(prefix: string, control: number, opts: { scheduler?: string; worker?: number; extra?: string; platform?: string } = {}): Promise<Rendered> {
  const spec = smallSpec({ cidr: `${prefix}.0/24`, control, worker: opts.worker ?? 0, scheduler: opts.scheduler ?? "none" });
  const text = opts.platform ? spec.replace("platform: libvirt", `platform: ${opts.platform}`) : spec;
  const dir = project(opts.extra ? text.replace("updates:", `${opts.extra}\nupdates:`) : text);
  const result = await cli(dir, "render");
  expect(result.code).toBe(0);
  const secrets = join(dir, ".coreform", "test");
  const operator = { ca: join(secrets, "ca.crt"), cert: join(secrets, "clients", "operator.crt"), key: join(secrets, "clients", "operator.key") };
  return { dir, operator, prefix, members: membersOf(dir, planned(prefix, control)) };
}

/**
 * The spec changed to `control` control nodes and rendered again: members that existed keep what
 * their nodes booted with (user data is not applied again), new ones get the new render's.
 */
export async function rerender(cluster: Rendered, control: number, ...renderArgs: string[]): Promise<Rendered> {
  const file = join(cluster.dir, "cluster.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace(/name: control, role: control, count: \d+/, `name: control, role: control, count: ${control}`));
  expect((await cli(cluster.dir, "render", ...renderArgs)).code).toBe(0);
  const all = planned(cluster.prefix, control);
  const fresh = membersOf(cluster.dir, all.filter((p) => !cluster.members.some((m) => m.name === p.name)));
  return { ...cluster, members: all.map((p) => cluster.members.find((m) => m.name === p.name) ?? fresh.find((m) => m.name === p.name)!) };
}

/** Each planned member as its rendered Ignition config makes it, its files moved to temp dirs. */
function membersOf(dir: string, nodes: readonly ReturnType<typeof planned>[number][]): Member[] {
  const scripts = new Set<string>();
  const members = nodes.map((p) => {
    // Ignition, or cloud-config where the platform takes it (vagrant).
    const ignition = join(dir, "out", "test", "ignition", `${p.name}.json`);
    const node = existsSync(ignition) ? fromIgnition(readFileSync(ignition, "utf8")) : fromCloudConfig(readFileSync(join(dir, "out", "test", "cloud-config", `${p.name}.yaml`), "utf8"));
    expect(node.hostname).toBe(p.name);
    const file = (path: string) => {
      const found = node.files.find((f) => f.path === path);
      if (!found) throw new Error(`${p.name}: no ${path} in its Ignition config`);
      return found;
    };
    const script = file(SCRIPT);
    expect(script.mode).toBe(0o755);
    scripts.add(script.contents);
    const tlsFiles = node.files.filter((f) => f.path.startsWith(`${TLS_DIR}/`));
    for (const f of tlsFiles) expect([f.path, f.mode]).toEqual([f.path, f.path.endsWith(".key") ? 0o600 : 0o644]);

    const envText = file(ENV_FILE).contents;
    const vars = parseEnvFile(envText);
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
    const dataDir = join(nodeDir, "data");
    const envFile = join(nodeDir, "etcd.env");
    writeFileSync(envFile, envText.replaceAll(`${TLS_DIR}/`, `${tlsDir}/`).replace("ETCD_DATA_DIR=/var/lib/etcd", `ETCD_DATA_DIR=${dataDir}`));
    const scriptFile = join(nodeDir, "etcd-member");
    writeFileSync(scriptFile, script.contents, { mode: 0o755 });
    const env = { ...envWithoutEtcd(), ...vars, ...moved, ETCD_DATA_DIR: dataDir };
    return { ...p, env, envFile, dataDir, snapshotDir: join(nodeDir, "snapshots"), stateFile: join(nodeDir, "run", "cluster.env"), script: scriptFile };
  });
  // One render: the same script on every control node.
  expect(scripts.size).toBeLessThanOrEqual(1);
  return members;
}

export interface ScriptRun {
  readonly child: ChildProcess;
  /** Settles when it ends: its exit code (null when killed) and everything it printed. */
  readonly done: Promise<{ code: number | null; output: string }>;
  /** What it printed so far. */
  output(): string;
}

const scripts = new Set<ScriptRun>();

/**
 * Runs the rendered script for `member` with its files moved and Debian's etcdctl for the image's
 * (etcdctl 3.4 restores too: it has no etcdutl). The node's `bash`, `curl` and `jq` are the machine's.
 */
export function runScript(member: Member, args: readonly string[]): ScriptRun {
  const etcdctl = findTool("etcdctl");
  if (!etcdctl) throw new Error("etcdctl is not installed");
  const env = {
    ...envWithoutEtcd(),
    ETCD_ENV_FILE: member.envFile,
    STATE_FILE: member.stateFile,
    SNAPSHOT_DIR: member.snapshotDir,
    ETCDCTL: etcdctl,
    ETCDUTL: etcdctl,
    RETRY_SECONDS: "1",
    // No data disk on this machine: test/integration/etcd-disk.test.ts runs that step on loop devices.
    DISK_GIB: "",
  };
  const child = spawn("bash", [member.script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const run: ScriptRun = {
    child,
    done: new Promise((resolve) => child.on("close", (code) => resolve({ code, output }))),
    output: () => output,
  };
  scripts.add(run);
  void run.done.then(() => scripts.delete(run));
  return run;
}

/** Ends every script still running (a `prepare` that waits, a `promote` beside a stopped member). */
export async function stopScripts(): Promise<void> {
  await Promise.all([...scripts].map((s) => (s.child.kill("SIGKILL"), s.done)));
}

export interface StartedMember {
  readonly etcd: EtcdProcess;
  /** What `prepare` printed. */
  readonly prepared: string;
  /** `promote`, running beside etcd. */
  readonly promote: ScriptRun;
}

/** Reads what `prepare` wrote: the two variables etcd starts with. */
export function stateOf(member: Member): Record<string, string> {
  return parseEnvFile(readFileSync(member.stateFile, "utf8"));
}

/** Starts etcd for a member whose `prepare` has ended, and `promote` beside it (the unit's order). */
export function startPrepared(member: Member, prepared: string): StartedMember {
  const etcd = startEtcd(member.name, { ...member.env, ...stateOf(member) });
  return { etcd, prepared, promote: runScript(member, ["promote"]) };
}

/** As etcd-member.service starts a member: `prepare` (waiting while it waits), etcd, then `promote`. */
export async function startMember(member: Member): Promise<StartedMember> {
  const prepare = runScript(member, ["prepare"]);
  const { code, output } = await prepare.done;
  if (code !== 0) throw new Error(`prepare of ${member.name} failed (${code}):\n${output}`);
  return startPrepared(member, output);
}

/** Starts every member at once, as a brand-new cluster's nodes boot. */
export async function startCluster(cluster: Rendered, members: readonly Member[] = cluster.members): Promise<EtcdProcess[]> {
  return (await Promise.all(members.map((m) => startMember(m)))).map((s) => s.etcd);
}

/** Stops a member and removes its data dir, as a replaced machine comes back with an empty disk. */
export async function wipe(member: Member, proc?: EtcdProcess): Promise<void> {
  if (proc) await stopEtcd(proc);
  rmSync(member.dataDir, { recursive: true, force: true });
}
afterAll(stopScripts);

/** The operator key's base64 lines: none of them may ever be printed. */
function keyMaterial(cluster: Rendered): string[] {
  const pem = readFileSync(cluster.operator.key as string, "utf8");
  return pem.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"));
}

/** The spec's own warning about the test network, on every command's stderr. */
const LOOPBACK_WARNING = /^warning: network\.cidr: \S+ is a loopback network: .*\n?/;

/**
 * Runs the CLI in the cluster's project and checks that no secret reached stdout or stderr; the
 * loopback warning is taken off stderr.
 */
export async function operatorCli(cluster: Rendered, ...argv: string[]): Promise<CliResult> {
  const result = await cli(cluster.dir, ...argv);
  const text = result.stdout + result.stderr;
  expect(text).not.toMatch(/-----BEGIN|PRIVATE KEY/);
  for (const line of keyMaterial(cluster)) expect(text).not.toContain(line);
  return { ...result, stderr: result.stderr.replace(LOOPBACK_WARNING, "") };
}
