// `coreform render` of the default spec resized to 3, 100 and 1000 nodes, every environment (each
// platform of the default spec), in a child process: first render (secrets created) and re-render
// (secrets and earlier output exist). Plus one environment alone, the largest cluster the spec
// allows in one environment (its cost per node), and the disk's cost per file.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_CONTROL, MAX_NODES } from "../src/spec/rules";
import { COREFORM } from "./cli";
import { measure, median, type Measured } from "./measure";
import { defaultEnvironments, emptyDir, project, tree } from "./project";
import { bytes, mib, ms, type Section } from "./report";

const SIZES = [3, 100, 1000];
const ENVIRONMENTS = defaultEnvironments().length;
const TARGET = { wallMs: 1000, rssKiB: 300 * 1024 };

interface Case {
  readonly nodes: number;
  readonly environments: number;
  readonly first: Measured;
  readonly again: Measured;
  /** `render --check` of the same tree (nothing written: every file compared). */
  readonly check: Measured;
  readonly written: { bytes: number; files: number };
}

function renderCase(nodes: number, runs: number, only?: string, control?: number): Case {
  const dir = project({ nodes, control, ...(only ? { environments: [only] } : {}) });
  const cmd = { cmd: process.execPath, args: [COREFORM, "render"], cwd: dir };
  const first = measure({ ...cmd, before: () => ["out", ".coreform"].forEach((d) => rmSync(join(dir, d), { recursive: true, force: true })) }, runs);
  const again = measure(cmd, runs);
  const check = measure({ ...cmd, args: [COREFORM, "render", "--check"] }, runs);
  return { nodes, environments: only ? 1 : ENVIRONMENTS, first, again, check, written: tree(join(dir, "out")) };
}

/** Creating and writing one file of a rendered config's size on the disk out/ is on: the floor under render. */
function diskCostUs(): number {
  const dir = mkdtempSync(join(tmpdir(), "coreform-bench-disk-"));
  const body = "x".repeat(12 * 1024);
  const perFile = [1, 2, 3].map(() => {
    emptyDir(dir);
    const start = process.hrtime.bigint();
    for (let i = 0; i < 2000; i++) writeFileSync(join(dir, `f${i}.json`), body, { mode: 0o600 });
    return Number(process.hrtime.bigint() - start) / 1e3 / 2000;
  });
  rmSync(dir, { recursive: true, force: true });
  return median(perFile);
}

export function renderSection(runs: number, heavyRuns: number): Section {
  const cases = SIZES.map((n) => renderCase(n, n >= 1000 ? heavyRuns : runs));
  const one = renderCase(1000, heavyRuns, "prod");
  // The largest cluster validate lets through: every control node etcd allows, the rest workers.
  const largest = renderCase(MAX_NODES, heavyRuns, "prod", MAX_CONTROL);
  const [small, , large] = cases as [Case, Case, Case];
  // Marginal cost of one more node in one environment: the difference between the largest and the
  // smallest spec, so start-up and secrets cancel out.
  const perNode = (pick: (c: Case) => Measured) =>
    (pick(large).wallMs - pick(small).wallMs) / ((large.nodes - small.nodes) * ENVIRONMENTS);
  // Per node of the largest cluster: the whole run over its nodes, and the marginal cost against 1000
  // nodes; wall and CPU time (CPU is less sensitive to other work on a shared machine).
  const largestPerNode = (pick: (c: Case) => Measured) => ({
    wallMs: pick(largest).wallMs / largest.nodes,
    cpuMs: pick(largest).cpuMs / largest.nodes,
    marginalWallMs: (pick(largest).wallMs - pick(one).wallMs) / (largest.nodes - one.nodes),
    marginalCpuMs: (pick(largest).cpuMs - pick(one).cpuMs) / (largest.nodes - one.nodes),
  });
  const perLargest = (label: string, p: ReturnType<typeof largestPerNode>) =>
    `${label} ${p.wallMs.toFixed(2)} ms wall / ${p.cpuMs.toFixed(2)} ms CPU (marginal vs 1000 nodes: ${p.marginalWallMs.toFixed(2)} / ${p.marginalCpuMs.toFixed(2)} ms)`;
  const disk = diskCostUs();
  const row = (c: Case, label: string) => [
    label,
    ms(c.first.wallMs),
    ms(c.first.cpuMs),
    mib(c.first.rssKiB),
    ms(c.again.wallMs),
    ms(c.again.cpuMs),
    mib(c.again.rssKiB),
    ms(c.check.wallMs),
    bytes(c.written.bytes),
    String(c.written.files),
  ];
  return {
    title: `coreform render (child process; median of ${runs} runs, ${heavyRuns} for 1000 nodes)`,
    header: ["spec", "first: wall", "CPU", "peak RSS", "re-render: wall", "CPU", "peak RSS", "--check: wall", "written", "files"],
    rows: [
      ...cases.map((c) => row(c, `${c.nodes} nodes × ${c.environments} envs`)),
      row(one, `1000 nodes × 1 env (prod, aws)`),
      row(largest, `${MAX_NODES} nodes (${MAX_CONTROL} control) × 1 env (prod, aws): the largest allowed`),
    ],
    notes: [
      `first = no secrets yet (3 CAs and every certificate created); re-render = secrets and out/ exist; --check = render --check of that tree (reads, writes nothing).`,
      `per node and environment (marginal, 1000 vs 3 nodes): re-render ${perNode((c) => c.again).toFixed(3)} ms, first ${perNode((c) => c.first).toFixed(3)} ms.`,
      `largest allowed (${MAX_NODES} nodes, ${MAX_CONTROL} control, one aws environment), per node: ` +
        `${perLargest("first", largestPerNode((c) => c.first))}; ${perLargest("re-render", largestPerNode((c) => c.again))}; ` +
        `${bytes(largest.written.bytes)} in ${largest.written.files} files, peak RSS ${mib(Math.max(largest.first.rssKiB, largest.again.rssKiB))}.`,
      `disk floor: creating one 12 KiB file here costs ${disk.toFixed(0)} µs, so the ${large.written.files} files of 1000 nodes × ${ENVIRONMENTS} envs ` +
        `cost ≥ ${ms((disk * large.written.files) / 1000)} and the ${one.written.files} of one environment ≥ ${ms((disk * one.written.files) / 1000)}.`,
    ],
    data: {
      cases,
      oneEnvironment: one,
      largestAllowed: { ...largest, control: MAX_CONTROL, perNodeMs: { again: largestPerNode((c) => c.again), first: largestPerNode((c) => c.first) } },
      perNodeMs: { again: perNode((c) => c.again), first: perNode((c) => c.first) },
      diskUsPerFile: disk,
    },
    targets: [
      {
        name: "render 1000 nodes (1 env, re-render)",
        target: "< 1 s, < 300 MiB",
        measured: `${ms(one.again.wallMs)}, ${mib(one.again.rssKiB)}`,
        met: one.again.wallMs < TARGET.wallMs && one.again.rssKiB < TARGET.rssKiB,
      },
      {
        name: "render 1000 nodes (1 env, first)",
        target: "< 1 s, < 300 MiB",
        measured: `${ms(one.first.wallMs)}, ${mib(one.first.rssKiB)}`,
        met: one.first.wallMs < TARGET.wallMs && one.first.rssKiB < TARGET.rssKiB,
      },
      {
        name: `render 1000 nodes × ${ENVIRONMENTS} envs (re-render)`,
        target: "< 1 s, < 300 MiB",
        measured: `${ms(large.again.wallMs)}, ${mib(large.again.rssKiB)}`,
        met: large.again.wallMs < TARGET.wallMs && large.again.rssKiB < TARGET.rssKiB,
      },
    ],
  };
}
