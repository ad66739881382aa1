// The boot test's figures (`npm run bench -- --only boot`, as root; not in the default sections: it
// boots VMs for 10 minutes or more). Runs `npm run test:boot` once and prints what it measured: the
// image (built or cached), time to a login on each node and to a healthy etcd cluster after power-on,
// a power-cut node's rejoin, a node replaced over its data disk, a node re-created on empty disks
// voting again, the offline kubernetes boot's failure, memory per VM, and the host's load average
// meanwhile. Figures, not pass/fail: a failed boot test is printed with the figures it got to. With
// BENCH_BOOT_FIGURES=FILE, the figures of a run already made (`npm run test:boot -- --figures FILE`)
// are printed instead.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectFile } from "../src/project";
import type { Section } from "./report";

interface Figures {
  imageSeconds?: number;
  imageBuilt?: boolean;
  accel?: string;
  loginSeconds?: Record<string, number>;
  healthySeconds?: number;
  rejoinSeconds?: number;
  replaceSeconds?: number;
  recreateSeconds?: number;
  offlineFailSeconds?: number;
  memory?: Record<string, { memoryMiB: number; qemuRssMiB?: number; guestUsedMiB: number }>;
  /** The whole run, and whether every step passed (main.ts writes both). */
  wallSeconds?: number;
  passed?: boolean;
  /** The host's 1-minute load average over the run, sampled every 30 s. */
  loadAverage?: { min: number; mean: number; max: number };
}

const s = (v: number | undefined) => (v === undefined ? "—" : `${v.toFixed(0)} s`);

function run(): { f: Figures; wallSeconds?: number; passed?: boolean } {
  const given = process.env.BENCH_BOOT_FIGURES;
  if (given) return { f: JSON.parse(readFileSync(given, "utf8")) };
  const dir = mkdtempSync(join(tmpdir(), "coreform-bench-boot-"));
  const file = join(dir, "figures.json");
  const t0 = Date.now();
  let passed = true;
  try {
    execFileSync("npm", ["run", "--silent", "test:boot", "--", "--figures", file], { cwd: projectFile("."), stdio: ["ignore", "inherit", "inherit"] });
  } catch {
    passed = false;
  }
  const f: Figures = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  rmSync(dir, { recursive: true, force: true });
  return { f, wallSeconds: (Date.now() - t0) / 1000, passed };
}

export function bootSection(): Section {
  const { f, wallSeconds, passed } = run();
  const rows = [
    ["the stand-in image", `${s(f.imageSeconds)} (${f.imageBuilt ? "built" : "from the cache"})`],
    ["emulation", f.accel ?? "—"],
    ...Object.entries(f.loginSeconds ?? {}).map(([n, v]) => [`login as core on ${n}, after power-on`, s(v)]),
    ["healthy etcd cluster (coreform status), after power-on", s(f.healthySeconds)],
    ["a power-cut control node back in the cluster, after power-on", s(f.rejoinSeconds)],
    ["a control node replaced over its data disk, the same member healthy again, after power-on", s(f.replaceSeconds)],
    ["a control node re-created on empty disks voting again, after power-on", s(f.recreateSeconds)],
    ["the offline kubernetes boot fails, after power-on", s(f.offlineFailSeconds)],
    ["npm run test:boot, whole", `${s(f.wallSeconds ?? wallSeconds)}${(f.passed ?? passed) === false ? " (FAILED)" : ""}`],
    ["the host's load average meanwhile (1 min, every 30 s)", f.loadAverage ? `${f.loadAverage.min}–${f.loadAverage.max}, mean ${f.loadAverage.mean}` : "—"],
  ];
  return {
    title: "boot test: the kvm stack's nodes as VMs (one run)",
    header: ["what", "time"],
    rows,
    more: [
      {
        title: "memory per VM, with the cluster healthy",
        header: ["node", "memory (the stack's)", "QEMU resident", "guest in use (MemTotal − MemAvailable)"],
        rows: Object.entries(f.memory ?? {}).map(([n, m]) => [n, `${m.memoryMiB} MiB`, m.qemuRssMiB === undefined ? "—" : `${m.qemuRssMiB} MiB`, `${m.guestUsedMiB} MiB`]),
      },
    ],
    notes: [
      "TCG emulation on this machine's 2 shared cores: each VM has 1 vCPU (test/boot/differences.ts).",
      "The worker and the offline node boot beside the power-cut node (test/boot/main.ts): those times overlap.",
    ],
    data: { ...f, wallSeconds: f.wallSeconds ?? wallSeconds, passed: f.passed ?? passed },
  };
}
