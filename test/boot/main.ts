// The boot test (`npm run test:boot`, root): boots what the kvm stack describes, from the configs the
// real CLI renders, and checks that Ignition applied them and that the control nodes form a healthy etcd
// cluster that survives a power cut, keeps a node replaced over its data disk as the same member, and
// takes back a node re-created on empty disks. Steps print as they go; the last line counts them. Exit 0 when all passed. `--figures FILE` writes the times and
// memory it measured (bench/boot.ts prints them).
//
// The image is built first, on the host's network (Debian's mirror), in a PID namespace of its own.
// Everything else runs in namespaces of its own (unshare: network, PID, mount): the VMs, dnsmasq and
// the CLI see only the test's bridges, nothing reaches the host's network, and when the test's first
// process ends, whatever way, the kernel ends every process in its PID namespace and the network goes
// with it.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fromIgnition } from "../../cloud-config/ignition";
import { DIFFERENCES, type Accel, type Image } from "./differences";
import { command, ENV, Environment, renderProject, REPO, type Node } from "./cluster";
import { etcdImageOf, writeEtcdArchive } from "./standin";
import { Lab } from "./lab";
import * as check from "./checks";
import { Report, together } from "./report";
import { bootSpec, KUBERNETES_OFFLINE } from "./specs";

const INSIDE = "COREFORM_BOOT_INSIDE";
/**
 * Power-on to a login as core. Measured here under TCG on 2 cores: 1 min for a node alone, 2–3.5 min for
 * three at once at load 4–12 (other work beside them); ample, yet a hung boot fails well within CI's time.
 */
const BOOT_MS = 10 * 60_000;
/** A login on every control node to a healthy etcd member (Docker, the etcd image, etcd): 2–3.5 min here. */
const JOIN_MS = 5 * 60_000;
/** The image build: 6 min here at load 3, 24 min at load 11 beside a boot test. */
const IMAGE_MS = 45 * 60_000;

/** What the outside hands the test inside: when the run began and the image it built or took. */
interface Handoff {
  readonly start: number;
  /** The host's load average during the build (Report samples it every 30 s). */
  readonly load: number[];
  readonly image: { readonly dir: string; readonly seconds: number; readonly built: boolean } | { readonly error: string };
}

/**
 * The stand-in image, built (or taken from its cache) before the namespaces: the build needs Debian's
 * mirror. In a PID namespace of its own, so that nothing of it outlives this process, however it ends.
 */
function buildImage(): Promise<Handoff["image"]> {
  const t0 = Date.now();
  const child = spawn("setpriv", ["--pdeathsig", "KILL", "unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "bash", join(REPO, "scripts/boot-image.sh")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const limit = setTimeout(() => child.kill("SIGKILL"), IMAGE_MS);
  const stop = (signal: NodeJS.Signals) => {
    child.kill("SIGKILL");
    process.stdout.write(`${signal}: the image build stopped\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", stop).on("SIGTERM", stop);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      clearTimeout(limit);
      process.off("SIGINT", stop).off("SIGTERM", stop);
      const dir = out.trim().split("\n").pop() ?? "";
      resolve(
        code === 0 && dir
          ? { dir, seconds: Math.round((Date.now() - t0) / 1000), built: /^I: /m.test(err) }
          : { error: `scripts/boot-image.sh: ${signal ? `${signal}${Date.now() - t0 >= IMAGE_MS ? ` after ${IMAGE_MS / 60_000} min` : ""}` : `exit ${code}`}\n${err.trim().split("\n").slice(-20).join("\n")}` },
      );
    });
  });
}

/** Outside: re-run this file as PID 1 of new network, PID and mount namespaces, passing signals in. */
function enterNamespaces(handoff: Handoff): void {
  // setpriv: should this process die, unshare gets SIGKILL, its child (the test) too, and with it every
  // process of the PID namespace.
  const command = ["unshare", "--net", "--pid", "--mount-proc", "--fork", "--kill-child", process.execPath, ...process.execArgv, __filename, ...process.argv.slice(2)];
  const child = spawn("setpriv", ["--pdeathsig", "KILL", ...command], {
    stdio: "inherit",
    env: { ...process.env, [INSIDE]: JSON.stringify(handoff) },
  });
  const forward = (signal: NodeJS.Signals) => {
    // unshare's child is the test: it cleans up, then exits.
    const inner = child.pid && readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim().split(" ")[0];
    if (inner) process.kill(Number(inner), signal);
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const since = (t0: number) => Math.round((Date.now() - t0) / 1000);

/** Powers each node on; each promise resolves on a login as core, with its seconds after power-on in `login`. */
async function powerOn(nodes: readonly Node[], login: Record<string, number>): Promise<Map<Node, Promise<void>>> {
  const logins = new Map<Node, Promise<void>>();
  for (const n of nodes) {
    const start = Date.now();
    await n.powerOn();
    const p = n.waitForLogin(BOOT_MS).then(() => void (login[n.name] = since(start)));
    p.catch(() => {}); // reported by the node's step
    logins.set(n, p);
  }
  return logins;
}

/** A node's first boot, checked as soon as core can log in. */
const ignitionStep = (report: Report, n: Node, loggedIn: Promise<void>, login: Record<string, number>) =>
  report.step(
    `${n.name}: first boot, login as core, Ignition applied`,
    async () => {
      await loggedIn;
      return `login ${login[n.name]} s after power-on; ${await check.ignitionApplied(n)}`;
    },
    { nodes: () => [n] },
  );

interface MemoryFigure {
  readonly memoryMiB: number;
  readonly qemuRssMiB?: number;
  readonly guestUsedMiB: number;
}

/** QEMU's resident memory and the guest's own use, per node, into `into`; a line each. */
async function measureMemory(nodes: readonly Node[], into: Record<string, MemoryFigure>): Promise<string> {
  await Promise.all(nodes.map(async (n) => (into[n.name] = { memoryMiB: n.domain.memoryMiB, qemuRssMiB: n.qemuRssMiB(), guestUsedMiB: await check.guestUsedMiB(n) })));
  return nodes.map((n) => `${n.name}: QEMU ${into[n.name]!.qemuRssMiB} MiB resident, guest uses ${into[n.name]!.guestUsedMiB} of ${n.domain.memoryMiB} MiB`).join("\n");
}

async function main(handoff: Handoff): Promise<number> {
  const args = process.argv.slice(2);
  const figuresFile = args.includes("--figures") ? args[args.indexOf("--figures") + 1] : undefined;
  const keep = args.includes("--keep");
  const report = new Report(handoff.start, handoff.load);
  const work = mkdtempSync(join(tmpdir(), "coreform-boot-"));
  const lab = new Lab(work);
  // One cleanup, whoever asks first (the end of the run or a signal); both wait for it.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= lab.stop().then(() => {
      if (!keep) rmSync(work, { recursive: true, force: true });
    }));
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      if (cleaning) return;
      report.print(`${signal}: stopping every VM and dnsmasq`);
      void cleanup().then(() => {
        report.print(`${report.passed} passed, ${report.failed + 1} failed (interrupted)`);
        process.exit(signal === "SIGINT" ? 130 : 143);
      });
    });

  try {
    await command("ip", ["link", "set", "lo", "up"]);
    report.print(`work directory ${work}${keep ? " (kept)" : ""}; where the VMs differ from the kvm stack, on purpose:`);
    for (const d of DIFFERENCES) report.print(`  - ${d.what}: ${d.why}`);

    const image: Image = await report.step(
      "the stand-in image (scripts/boot-image.sh, cached by its content; made before the namespaces: the build needs Debian's mirror)",
      async () => {
        const i = handoff.image;
        if ("error" in i) throw new Error(i.error);
        Object.assign(report.figures, { imageSeconds: i.seconds, imageBuilt: i.built });
        return i;
      },
      { detail: (i) => `${i.dir}: ${i.built ? "built" : "from its cache"} in ${i.seconds} s` },
    );
    const accel = await report.step("KVM probe (30 s), else TCG", () => lab.probeKvm(image), { detail: (a: Accel) => a });
    report.figures.accel = accel;

    const keyFile = join(work, "id_ed25519");
    await command("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "coreform-boot", "-f", keyFile]);
    const key = readFileSync(`${keyFile}.pub`, "utf8").trim();

    const project = join(work, "project");
    const env = await report.step(
      "render the kvm environment (3 control nodes, 1 worker) and synthesize its stack",
      async () => {
        await renderProject(project, bootSpec(key));
        const control = fromIgnition(readFileSync(join(project, "out/kvm/ignition/control-01.json"), "utf8"));
        const script = control.files.find((f) => /^IMAGE='/m.test(f.contents));
        if (!script) throw new Error("control-01 has no etcd-member script naming its IMAGE");
        const archive = join(work, "etcd-image.tar");
        const standin = writeEtcdArchive(etcdImageOf(script.contents), archive);
        report.figures.etcdImage = standin.reference;
        return new Environment(project, join(work, "vms"), lab, image, accel, keyFile, archive);
      },
      { detail: (e) => e.plan.domains.map((d) => `${d.node}: ${d.mac} → ${e.nodes.find((n) => n.domain === d)!.ip}, ${d.memoryMiB} MiB, fw_cfg ${d.fwCfg.map((f) => f.name).join(" + ")}`).join("\n") },
    );
    const controls = env.nodes.filter((n) => n.config.hostname.startsWith("control-"));
    const [c1, c2, c3] = controls as [Node, Node, Node];

    await report.step("the stack's network in the namespace: bridge, taps, dnsmasq with its DHCP hosts", async () => {
      env.wire();
      return `${env.bridge} ${env.plan.network.address}/${env.plan.network.prefix}, ${env.plan.network.hosts.length} DHCP hosts`;
    });

    const login: Record<string, number> = {};
    const memory: Record<string, MemoryFigure> = {};
    Object.assign(report.figures, { loginSeconds: login, memory });
    const bootStart = Date.now();
    const controlLogins = await powerOn(controls, login);
    report.print(`powered on ${controls.map((n) => n.name).join(", ")}: a first boot each, Ignition in the initramfs`);
    await together(
      ...controls.map((n) => ignitionStep(report, n, controlLogins.get(n)!, login)),
      report.step(
        "coreform status: 3 healthy members and quorum",
        async () => {
          await Promise.all(controlLogins.values());
          const detail = await check.waitForStatus(env, { healthy: 3, state: "healthy" }, JOIN_MS);
          report.figures.healthySeconds = since(bootStart);
          return `${detail}; ${report.figures.healthySeconds} s after power-on`;
        },
        { nodes: () => controls },
      ),
    );
    await report.step("memory per control node, the cluster healthy", () => measureMemory(controls, memory));

    // Each VM is one host thread, and the power cut and the rejoin boot one node at a time: the worker and
    // the offline kubernetes node boot beside them, on the other core.
    const worker = env.node("worker-01");
    const workerLogin = (await powerOn([worker], login)).get(worker)!;
    const workerSteps = (async () => {
      await ignitionStep(report, worker, workerLogin, login);
      await report.step(
        `coreform reboot-lock: ${worker.name} takes the lock as locksmithd does, the CLI shows it and releases it`,
        async () => {
          const id = await check.takeRebootLock(worker);
          const held = await check.lockStatus(env, new RegExp(`0 of 1 free, holders: ${id}`));
          const released = await check.unlock(env, id);
          const free = await check.lockStatus(env, /1 of 1 free, holders: none/);
          return `${held}\n${released}\n${free}`;
        },
        { nodes: () => [worker] },
      );
      await report.step(`memory of ${worker.name}`, () => measureMemory([worker], memory));
      // Nothing else needs it: its share of the cores goes to the control nodes' boots.
      await worker.powerOff();
      report.print(`${worker.name} powered off: the steps left need only the control nodes`);
    })();
    workerSteps.catch(() => {}); // awaited after the rejoin

    // The offline kubernetes node fails on its own time; that is awaited last.
    const offline = await report.step(
      "power on a kubernetes control node without a way out (checked last)",
      async () => {
        const dir = join(work, "kubernetes");
        await renderProject(dir, bootSpec(key, KUBERNETES_OFFLINE));
        const k8s = new Environment(dir, join(work, "vms-kubernetes"), lab, image, accel, keyFile, undefined);
        k8s.wire();
        const node = k8s.nodes[0]!;
        const total: number | undefined = JSON.parse(readFileSync(join(dir, "out/kvm/ignition", `${node.name}.json`), "utf8")).ignition.timeouts?.httpTotal;
        if (!total) throw new Error("its config sets no ignition.timeouts.httpTotal");
        await node.powerOn({ journalOnConsole: true });
        const start = Date.now();
        // Watched from now on, so that the time is the failure's, not the moment the step looks.
        const failed = (async () => {
          const message = await check.waitForConsole(node, /[^\n]*unable to fetch resource in time/, BOOT_MS + total * 1000);
          await check.waitForConsole(node, /Failed to start .*ignition-files\.service|ignition-files\.service: Failed/, 120_000);
          const seconds = since(start);
          await node.powerOff();
          return { message, seconds };
        })();
        failed.catch(() => {}); // awaited by the last step
        return { node, total, failed };
      },
      { detail: (o) => `${o.node.name} on ${o.node.env.bridge}, ${o.node.ip}; its config downloads ${o.node.config.downloads.length} files, httpTotal ${o.total} s` },
    );

    await report.step(
      `power cut on ${c3.name}: the other two keep quorum and take writes`,
      async () => {
        await check.put(env, [c1], "coreform-boot/before", "written with every member up");
        await c3.powerOff();
        const detail = await check.waitForStatus(env, { healthy: 2, state: "degraded" }, 2 * 60_000);
        await check.put(env, [c1], "coreform-boot/while-down", `written while ${c3.name} was off`);
        return detail;
      },
      { nodes: () => [c1, c2] },
    );

    await report.step(
      `${c3.name} powered on again rejoins with its data`,
      async () => {
        const t0 = Date.now();
        await c3.powerOn();
        await c3.waitForLogin(BOOT_MS);
        const detail = await check.waitForStatus(env, { healthy: 3, state: "healthy" }, JOIN_MS);
        report.figures.rejoinSeconds = since(t0);
        for (const [key, value] of [
          ["coreform-boot/before", "written with every member up"],
          ["coreform-boot/while-down", `written while ${c3.name} was off`],
        ] as const) {
          const local = await check.localValue(env, c3, key);
          if (local !== value) throw new Error(`${c3.name}'s own data has ${key} = ${local}, expected ${value}`);
        }
        const said = await check.journalSays(c3, "etcd-member", [/mounted \S+ on \S+/, /holds a member: starting it as it is/]);
        return [detail, ...said.map((l) => `${c3.name}: ${l}`), `${c3.name}'s own data (serializable reads) holds the key from before and the one written while it was off; ${report.figures.rejoinSeconds} s`].join("\n");
      },
      { nodes: () => controls },
    );

    await workerSteps;

    // Issue 26's data disk: the machine replaced as `coreform roll` does on kvm (a new root volume and
    // Ignition's first boot, the same data volume) is the same member with the same data: the node's
    // etcd-member script mounts the disk it finds formatted and starts the member on it as it is.
    await report.step(
      `${c3.name} replaced over its etcd data disk (a new root disk, Ignition's first boot) is the same member with its data`,
      async () => {
        const listed = await check.members(env);
        const old = listed.members?.find((m) => m.name === c3.name)?.id;
        if (!old) throw new Error(`coreform etcd members ${ENV} lists no ${c3.name}: ${listed.text}`);
        await check.put(env, [c1], "coreform-boot/before-replace", `written before ${c3.name} was replaced`);
        const t0 = Date.now();
        await c3.recreate({ keepData: true });
        await c3.powerOn();
        await c3.waitForLogin(BOOT_MS);
        const status = await check.waitForStatus(env, { healthy: 3, state: "healthy" }, JOIN_MS);
        report.figures.replaceSeconds = since(t0);
        const now = (await check.members(env)).members?.find((m) => m.name === c3.name);
        if (now?.id !== old || now.state !== "voting") throw new Error(`${c3.name} is ${now ? `member ${now.id} (${now.state})` : "no member"} now, was ${old}: not the same member`);
        const said = await check.journalSays(c3, "etcd-member", [/mounted \S+ on \S+/, /holds a member: starting it as it is/]);
        const formatted = await c3.ssh("sudo journalctl -b --no-pager -o cat -u etcd-member | grep -c formatting || true", 60_000);
        if (formatted.stdout.trim() !== "0") throw new Error(`${c3.name}: etcd-member formatted a disk on the replaced machine: ${formatted.stdout.trim()} line(s)`);
        const before = await check.localValue(env, c3, "coreform-boot/before-replace");
        if (before !== `written before ${c3.name} was replaced`) throw new Error(`${c3.name}'s own data has coreform-boot/before-replace = ${before}`);
        const keys = await check.sameData(env, c3, [c1, c2], 2 * 60_000);
        return [`${c3.name}: member ${old}, voting, as before`, ...said.map((l) => `${c3.name}: ${l}`), `${c3.name}'s own data holds all ${keys} keys of the cluster, the one written just before among them; ${status}; ${report.figures.replaceSeconds} s from power-on`].join("\n");
      },
      { nodes: () => controls },
    );

    // Issue 22's rejoin: the machine made again from the same config (a fresh overlay of the image, a
    // blank data disk, the same MAC and fw_cfg entries, Ignition's first boot) has an empty /var/lib/etcd; its etcd-member
    // script removes the stale member, adds it back as a learner and promotes it, with no hand on it.
    await report.step(
      `${c3.name} re-created on empty disks (root and etcd data) with the same config rejoins by itself`,
      async () => {
        const listed = await check.members(env);
        const old = listed.members?.find((m) => m.name === c3.name)?.id;
        if (!old) throw new Error(`coreform etcd members ${ENV} lists no ${c3.name}: ${listed.text}`);
        await check.put(env, [c1], "coreform-boot/before-recreate", `written before ${c3.name} was re-created`);
        const t0 = Date.now();
        await c3.recreate();
        await c3.powerOn();
        await c3.waitForLogin(BOOT_MS);
        const membersNow = await check.waitForMembers(env, controls.map((n) => n.name), { name: c3.name, id: old }, JOIN_MS);
        report.figures.recreateSeconds = since(t0);
        const said = await check.journalSays(c3, "etcd-member", [
          /formatting \S+/,
          /mounted \S+ on \S+/,
          new RegExp(`${c3.name} ran here before and \\S+ is empty: replacing its member`),
          new RegExp(`adding ${c3.name} as a learner`),
          /starting existing with /,
          new RegExp(`${c3.name} votes now`),
        ]);
        const keys = await check.sameData(env, c3, [c1, c2], 2 * 60_000);
        const before = await check.localValue(env, c3, "coreform-boot/before-recreate");
        if (before !== `written before ${c3.name} was re-created`) throw new Error(`${c3.name}'s own data has coreform-boot/before-recreate = ${before}`);
        const status = await check.waitForStatus(env, { healthy: 3, state: "healthy" }, 60_000);
        return [`members: ${membersNow} (${c3.name} was ${old})`, ...said.map((l) => `${c3.name}: ${l}`), `${c3.name}'s own data holds all ${keys} keys of the cluster with their values and revisions, the one written just before among them; ${status}; ${report.figures.recreateSeconds} s from the new disk to every member voting`].join("\n");
      },
      { nodes: () => controls },
    );

    for (const n of env.nodes) await n.powerOff();

    await report.step(
      "kubernetes scheduler, offline: the first boot fails within httpTotal, with Ignition's message",
      async () => {
        const { message, seconds } = await offline.failed;
        report.figures.offlineFailSeconds = seconds;
        return `"${message}", then ignition-files.service failed, ${seconds.toFixed(0)} s after power-on (httpTotal ${offline.total} s)`;
      },
      { nodes: () => [offline.node] },
    );
  } catch {
    // reported by its step
  } finally {
    report.end(); // before the VMs stop: a step still running then is not counted
    await cleanup();
    report.figures.passed = report.failed === 0;
    if (figuresFile) writeFileSync(figuresFile, `${JSON.stringify(report.figures, null, 2)}\n`);
    report.print(`${report.passed} passed, ${report.failed} failed`);
  }
  return report.failed === 0 && report.passed > 0 ? 0 : 1;
}

const inside = process.env[INSIDE];
if (inside) void main(JSON.parse(inside) as Handoff).then((code) => process.exit(code));
else if (process.getuid?.() !== 0) {
  process.stderr.write("test:boot: run as root (network namespaces, taps and QEMU); CI runs it from .ci/run\n");
  process.exit(1);
} else {
  for (const tool of ["unshare", "qemu-system-x86_64", "qemu-img", "dnsmasq", "mmdebstrap", "etcdctl", "ssh"])
    if (!process.env.PATH?.split(":").some((d) => existsSync(join(d, tool)))) {
      process.stderr.write(`test:boot: ${tool} missing: run scripts/install-boot-tools.sh\n`);
      process.exit(1);
    }
  mkdirSync(tmpdir(), { recursive: true });
  const start = Date.now();
  const load = [loadavg()[0]!];
  const sampler = setInterval(() => load.push(loadavg()[0]!), 30_000);
  void buildImage().then((image) => {
    clearInterval(sampler);
    enterNamespaces({ start, load, image });
  });
}
