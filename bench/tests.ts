// `npm test` wall time, in its parts: the type check, the unit tests (in process), the suite that runs
// the CLI in child processes, and the real-tool tests (test/integration/). One run each: the suites take
// minutes and the 2 cores are shared, so the load average is printed with them.
import { loadavg } from "node:os";
import { projectFile } from "../src/project";
import { measure, type Measured } from "./measure";
import { mib, ms, type Section } from "./report";

const TARGET_MS = 3 * 60 * 1000;
const JEST = projectFile("node_modules/jest/bin/jest.js");
const TSC = projectFile("node_modules/typescript/bin/tsc");
const CHILD_CLI = "test/vagrant/up.test.ts";

interface Part {
  readonly name: string;
  readonly measured: Measured;
  /** jest's "Tests:" line. */
  readonly tests?: string;
  readonly load: readonly number[];
}

function part(name: string, cmd: string, args: string[]): Part {
  let summary: string | undefined;
  const load = loadavg().map((l) => Number(l.toFixed(2)));
  const measured = measure({ cmd: process.execPath, args: [cmd, ...args], cwd: projectFile("."), okCodes: [1], onOutput: (o) => (summary = /^Tests:\s+(.*)$/m.exec(o)?.[1]) }, 1, false);
  return { name, measured, ...(summary ? { tests: summary } : {}), load };
}

export function testsSection(): Section {
  const parts = [
    part("tsc --noEmit", TSC, ["--noEmit", "-p", "."]),
    part("unit (in process)", JEST, ["--testPathIgnorePatterns", "/test/integration/", CHILD_CLI.replace(/\./g, "\\.")]),
    part(`CLI in child processes (${CHILD_CLI})`, JEST, [CHILD_CLI]),
    part("integration (test/integration/, real tools)", JEST, ["test/integration/"]),
  ];
  const total = parts.reduce((s, p) => s + p.measured.wallMs, 0);
  return {
    title: "npm test, part by part (one run each)",
    header: ["part", "wall", "CPU", "peak RSS", "tests", "load average (1/5/15 min) before"],
    rows: [
      ...parts.map((p) => [p.name, ms(p.measured.wallMs), ms(p.measured.cpuMs), mib(p.measured.rssKiB), p.tests ?? "", p.load.join(" ")]),
      ["npm test (sum)", ms(total), ms(parts.reduce((s, p) => s + p.measured.cpuMs, 0)), "", "", ""],
    ],
    notes: ["one jest worker per core (jest.config.js); peak RSS is that of the largest single process; failing tests show in the tests column."],
    data: { parts, totalMs: total },
    targets: [{ name: "npm test", target: "< 3 min", measured: ms(total), met: total < TARGET_MS }],
  };
}
