// A booted environment: its project (cluster.yaml rendered by the real CLI), the kvm stack synthesized
// by the CDKTF app in-process, and one VM per domain of that stack. Commands reach the nodes over SSH as
// `core`, with the key the spec gives that user, and the cluster through the real CLI.
import { execFile, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { fromIgnition } from "../../cloud-config/ignition";
import type { NodeConfig } from "../../src/node/model";
import { synthesize } from "../../stacks/main";
import type { Accel, Image } from "./differences";
import type { Lab } from "./lab";
import { addressOf, bootPlan, type BootDomain, type BootPlan } from "./stack";

const exec = promisify(execFile);
export const REPO = resolve(__dirname, "../..");
/** The environment every boot-test spec names: the kvm environment, as in the default cluster.yaml. */
export const ENV = "kvm";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; never throws on a non-zero exit. */
export async function command(cmd: string, args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  try {
    const r = await exec(cmd, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, env: options.env, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof err.code === "number" ? err.code : 255, stdout: err.stdout ?? "", stderr: err.stderr ?? err.message };
  }
}

/** The real CLI, as built by `npm run build` (test:boot builds first). */
export const coreform = (dir: string, ...args: string[]) => command(process.execPath, [join(REPO, "bin/coreform.js"), ...args], { cwd: dir });

export class Node {
  process?: ChildProcess;
  boots = 0;
  readonly disk: string;
  readonly dataDisk?: string;
  readonly fwCfgFiles: string[];

  constructor(
    readonly env: Environment,
    readonly domain: BootDomain,
    readonly ip: string,
    readonly config: NodeConfig,
    readonly tap: string,
  ) {
    this.disk = join(env.work, `${domain.node}.qcow2`);
    if (domain.dataDisk) this.dataDisk = join(env.work, `${domain.node}.etcd.qcow2`);
    this.fwCfgFiles = domain.fwCfg.map((_, i) => join(env.work, `${domain.node}.fw_cfg.${i}`));
  }

  get name(): string {
    return this.domain.node;
  }

  /** QEMU runs. */
  get running(): boolean {
    return !!this.process && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The serial console of the latest boot. */
  get console(): string {
    return join(this.env.work, `${this.name}.boot${this.boots}.log`);
  }

  /**
   * Powers the VM on: a first boot creates its disk, an overlay on the image of the stack's size, and
   * etcd's data disk, blank, of the stack's size.
   */
  async powerOn(options: { journalOnConsole?: boolean } = {}): Promise<void> {
    const firstBoot = !existsSync(this.disk);
    const create = async (...args: string[]) => {
      const r = await command("qemu-img", ["create", "-q", "-f", "qcow2", ...args]);
      if (r.code) throw new Error(`qemu-img: ${r.stderr}`);
    };
    if (firstBoot) {
      await create("-b", join(this.env.image.dir, "root.qcow2"), "-F", "qcow2", this.disk, String(this.domain.diskBytes));
      this.domain.fwCfg.forEach((e, i) => writeFileSync(this.fwCfgFiles[i]!, e.content, { mode: 0o600 }));
    }
    if (this.dataDisk && this.domain.dataDisk && !existsSync(this.dataDisk)) await create(this.dataDisk, String(this.domain.dataDisk.bytes));
    this.boots++;
    this.process = this.env.lab.boot(this.domain, this.env.image, {
      accel: this.env.accel,
      firstBoot,
      needNet: this.config.downloads.length > 0,
      journalOnConsole: options.journalOnConsole,
      disk: this.disk,
      ...(this.dataDisk ? { dataDisk: this.dataDisk } : {}),
      tap: this.tap,
      console: this.console,
      fwCfgFiles: this.fwCfgFiles,
      standin: this.env.standin,
    });
  }

  /** Pulls the plug: QEMU is killed, the guest gets no shutdown. */
  async powerOff(): Promise<void> {
    const p = this.process;
    if (!p || !this.running) return;
    const exited = new Promise((done) => p.once("exit", done));
    p.kill("SIGKILL");
    if ((await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)])) === false)
      throw new Error(`${this.name}: QEMU (pid ${p.pid}) still runs 30 s after SIGKILL`);
  }

  /**
   * The machine made again with the same config, as Terraform does for one lost with its disks: powered
   * off, its root disk and etcd's data disk gone; the next powerOn makes a fresh overlay of the image
   * and a blank data disk and boots them as a first boot, with the same MAC and fw_cfg entries. With
   * `keepData`, etcd's data disk stays: the machine replaced as `coreform roll` replaces it on kvm (the
   * domain, its root volume and its Ignition, never the data volume: stacks/roll.ts).
   */
  async recreate(options: { keepData?: boolean } = {}): Promise<void> {
    await this.powerOff();
    const data = this.dataDisk && !options.keepData ? [this.dataDisk] : [];
    for (const f of [this.disk, ...data, ...this.fwCfgFiles]) rmSync(f, { force: true });
  }

  /**
   * What to read when a check of this node fails: the tail of its serial console, and, when it answers
   * within seconds, its journal for etcd and Docker (the work directory goes with the run).
   */
  async diagnose(): Promise<string> {
    const text = existsSync(this.console) ? readFileSync(this.console, "utf8") : "";
    const lines = text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\r/g, "").split("\n").filter((l) => l.trim());
    const running = this.running;
    const journal = running ? await this.ssh("sudo journalctl -b --no-pager -o short-monotonic -n 40 -u etcd-member -u coreform-etcd-standin -u docker", 20_000) : undefined;
    return [
      `${this.name} (${this.ip}): ${running ? "running" : "powered off"}, boot ${this.boots}; the last ${Math.min(40, lines.length)} lines of its serial console (${this.console}):`,
      ...lines.slice(-40).map((l) => `  | ${l}`),
      ...(journal?.code === 0 ? [`${this.name}'s journal (etcd-member, the etcd stand-in, docker):`, ...journal.stdout.trimEnd().split("\n").map((l) => `  | ${l}`)] : journal ? [`${this.name}'s journal: no SSH (${journal.stderr.trim().split("\n").pop()})`] : []),
    ].join("\n");
  }

  /** QEMU's resident memory now, MiB. */
  qemuRssMiB(): number | undefined {
    const pid = this.process?.pid;
    if (!pid) return undefined;
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  }

  /**
   * Runs `script` as core. A connection that fails before the script starts is tried again until
   * `timeoutMs`: under emulation a busy guest's sshd can take longer than any connect timeout to answer.
   */
  async ssh(script: string, timeoutMs = 60_000): Promise<CommandResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await command(
        "ssh",
        [
          ...["-i", this.env.sshKey, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"],
          ...["-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR", `core@${this.ip}`, script],
        ],
        { timeoutMs: Math.max(deadline - Date.now(), 5000) },
      );
      if (r.code !== 255 || !/during banner exchange|Connection refused|Connection timed out|No route to host/.test(r.stderr) || Date.now() > deadline - 5000) return r;
      await sleep(3000);
    }
  }

  /** Waits until core can log in with the spec's key, up to `timeoutMs`. */
  async waitForLogin(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.ssh("true", 20_000);
      if (r.code === 0) return;
      if (!this.running) throw new Error(`${this.name}: QEMU ended (${this.process?.exitCode ?? this.process?.signalCode}) before core could log in`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no login as core at ${this.ip} within ${timeoutMs / 1000} s (ssh: ${r.stderr.trim().split("\n").pop()})`);
      await sleep(5000);
    }
  }
}

/** One environment of a project, synthesized and ready to boot. */
export class Environment {
  readonly plan: BootPlan;
  readonly nodes: Node[];
  bridge = "";

  constructor(
    readonly dir: string,
    readonly work: string,
    readonly lab: Lab,
    readonly image: Image,
    readonly accel: Accel,
    readonly sshKey: string,
    readonly standin: string | undefined,
  ) {
    mkdirSync(work, { recursive: true });
    this.plan = bootPlan(JSON.parse(readFileSync(join(dir, "cdktf.out", "stacks", ENV, "cdk.tf.json"), "utf8")));
    this.nodes = this.plan.domains.map((d, i) => {
      const rendered = fromIgnition(readFileSync(join(dir, "out", ENV, "ignition", `${d.node}.json`), "utf8"));
      return new Node(this, d, addressOf(this.plan, d), rendered, `${work.split("/").pop()!.slice(0, 6)}${i}`);
    });
  }

  node(name: string): Node {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** The bridge, dnsmasq and a tap per node, from the stack's network. */
  wire(): void {
    this.bridge = this.lab.network(this.plan);
    for (const n of this.nodes) this.lab.tap(this.bridge, n.tap);
  }
}

/** Renders `spec` into `dir` with the real CLI, then synthesizes the kvm stack with the CDKTF app in-process. */
export async function renderProject(dir: string, spec: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cluster.yaml"), spec);
  const r = await coreform(dir, "render", ENV);
  if (r.code !== 0) throw new Error(`coreform render ${ENV}: exit ${r.code}\n${r.stderr}`);
  const lines: string[] = [];
  const code = synthesize({ cwd: dir, out: (l) => lines.push(l), err: (l) => lines.push(l) }, { outdir: join(dir, "cdktf.out") });
  if (code !== 0) throw new Error(`the CDKTF app: exit ${code}\n${lines.join("\n")}`);
}
