// The boot test's own network and machines, inside the network namespace main.ts runs in: per booted
// stack a bridge holding the host's address of the stack's network and dnsmasq handing out the DHCP
// hosts by MAC, as libvirt's network does (without its NAT: nothing leaves the namespace); per VM a tap
// on that bridge, a qcow2 overlay on the image and QEMU. Every process started here is tracked, and
// `stop()` ends them all (main.ts calls it on success, failure, SIGINT and SIGTERM).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { kernelCommandLine, qemuArgs, type Accel, type Image } from "./differences";
import { formatIp, parseCidr } from "../../src/spec/ipv4";
import type { BootDomain, BootPlan } from "./stack";

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });

/** The network's address and netmask, as dnsmasq's dhcp-range takes them. */
function range(address: string, prefix: number): string {
  const c = parseCidr(`${address}/${prefix}`);
  return `${formatIp(c.base)},static,${formatIp(2 ** 32 - c.size)}`;
}

export class Lab {
  private readonly processes = new Set<ChildProcess>();
  private bridges = 0;
  private stopping = false;

  constructor(readonly work: string) {}

  /** Starts `cmd` in the background, tracked; its output goes to `log`. */
  private start(cmd: string, args: string[], log: string): ChildProcess {
    if (this.stopping) throw new Error(`stopping: ${cmd} not started`);
    const fd = openSync(log, "a");
    const child = spawn(cmd, args, { stdio: ["ignore", fd, fd] });
    this.processes.add(child);
    child.on("exit", () => this.processes.delete(child));
    return child;
  }

  /** A bridge for the stack's network, with the host's address on it, and dnsmasq for its DHCP hosts. */
  network(plan: BootPlan): string {
    const bridge = `br${this.bridges++}`;
    const { address, prefix, hosts } = plan.network;
    run("ip", ["link", "add", bridge, "type", "bridge"]);
    run("ip", ["addr", "add", `${address}/${prefix}`, "dev", bridge]);
    run("ip", ["link", "set", bridge, "up"]);
    const conf = join(this.work, `dnsmasq-${bridge}.conf`);
    // Only the DHCP hosts get an address (libvirt: static-only DHCP); DNS answers from no upstream.
    writeFileSync(
      conf,
      [
        `interface=${bridge}`,
        "bind-interfaces",
        "except-interface=lo",
        "no-resolv",
        "no-hosts",
        `dhcp-range=${range(address, prefix)}`,
        `dhcp-leasefile=${join(this.work, `leases-${bridge}`)}`,
        ...hosts.map((h) => `dhcp-host=${h.mac},${h.ip}${h.name ? `,${h.name}` : ""}`),
        "log-dhcp",
        "",
      ].join("\n"),
    );
    this.start("dnsmasq", ["--keep-in-foreground", `--conf-file=${conf}`, "--log-facility=-", `--pid-file=${join(this.work, `dnsmasq-${bridge}.pid`)}`], join(this.work, `dnsmasq-${bridge}.log`));
    return bridge;
  }

  /** Is KVM usable? A 30 s boot of the image's kernel must reach its initramfs. */
  async probeKvm(image: Image): Promise<Accel> {
    if (!existsSync("/dev/kvm")) return "tcg";
    const log = join(this.work, "kvm-probe.log");
    const child = this.start(
      "qemu-system-x86_64",
      ["-nodefaults", "-display", "none", "-machine", "q35,accel=kvm", "-m", "512M", "-kernel", `${image.dir}/vmlinuz`, "-append", "console=ttyS0 panic=-1", "-serial", `file:${log}`, "-no-reboot"],
      join(this.work, "kvm-probe.out"),
    );
    const deadline = Date.now() + 30_000;
    let ok = false;
    while (Date.now() < deadline && child.exitCode === null) {
      if (existsSync(log) && /Run \/init|Kernel panic|VFS: Unable to mount root/.test(readFileSync(log, "utf8"))) {
        ok = true;
        break;
      }
      await sleep(1000);
    }
    child.kill("SIGKILL");
    return ok ? "kvm" : "tcg";
  }

  /** A tap on `bridge`. */
  tap(bridge: string, name: string): string {
    run("ip", ["tuntap", "add", "dev", name, "mode", "tap"]);
    run("ip", ["link", "set", name, "master", bridge, "up"]);
    return name;
  }

  /** Boots `domain` once; resolves when QEMU started, returns its process. */
  boot(domain: BootDomain, image: Image, o: Parameters<typeof qemuArgs>[2]): ChildProcess {
    writeFileSync(`${o.console}.cmdline`, `${kernelCommandLine(o)}\n`);
    return this.start("qemu-system-x86_64", qemuArgs(domain, image, o), `${o.console}.qemu`);
  }

  /** Ends every process started here: QEMU (a power cut) and dnsmasq. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const p of this.processes) p.kill("SIGKILL");
    const deadline = Date.now() + 10_000;
    while (this.processes.size && Date.now() < deadline) await sleep(100);
  }

  get running(): number {
    return this.processes.size;
  }
}
