// `npm run bench`: figures, not pass/fail. Builds first (package.json), then runs each section, prints
// its table and writes every figure to bench/results.json.
//   npm run bench [-- --only cli,render,synth,userdata,tests,boot] [--skip tests] [--runs 5] [--heavy-runs 3]
// `boot` (the boot test's figures, as root) runs only when named in --only.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { projectFile } from "../src/project";
import { bootSection } from "./boot";
import { cliSection } from "./cli";
import { rssMethod } from "./measure";
import { removeProjects } from "./project";
import { renderSection } from "./render";
import { printSection, table, type Section, type Target } from "./report";
import { synthSection } from "./synth";
import { testsSection } from "./tests";
import { userDataSection } from "./userdata";

const SECTIONS: Record<string, (runs: number, heavyRuns: number) => Section | Promise<Section>> = {
  cli: (runs) => cliSection(runs),
  render: renderSection,
  synth: synthSection,
  userdata: () => userDataSection(),
  tests: () => testsSection(),
  boot: () => bootSection(),
};
/** Sections that run only when --only names them. */
const OPT_IN = ["boot"];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { only: { type: "string" }, skip: { type: "string" }, runs: { type: "string" }, "heavy-runs": { type: "string" } },
  });
  const list = (v: string | undefined) => (v ? v.split(",").map((s) => s.trim()) : undefined);
  const only = list(values.only) ?? Object.keys(SECTIONS).filter((s) => !OPT_IN.includes(s));
  const skip = list(values.skip) ?? [];
  const unknown = [...only, ...skip].filter((s) => !(s in SECTIONS));
  if (unknown.length) {
    console.error(`bench: no section ${unknown.join(", ")} (sections: ${Object.keys(SECTIONS).join(", ")})`);
    return 2;
  }
  const runs = Number(values.runs ?? 5);
  const heavyRuns = Number(values["heavy-runs"] ?? 3);
  if (![runs, heavyRuns].every((n) => Number.isInteger(n) && n > 0)) {
    console.error("bench: --runs and --heavy-runs take a positive whole number");
    return 2;
  }

  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node: process.version,
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
  console.log(`coreform bench ${new Date().toISOString()}`);
  console.log(`machine: ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}`);
  console.log(`load average at start: ${machine.loadAverageAtStart.join(" ")} (the cores may be shared)`);
  console.log(`peak RSS: ${rssMethod}`);

  const sections: Record<string, Section> = {};
  const ran: Record<string, { date: string; loadAverage: number[]; runs: number; heavyRuns: number; targets: readonly Target[]; data: unknown }> = {};
  try {
    for (const name of only.filter((s) => !skip.includes(s))) {
      const section = await SECTIONS[name]!(runs, heavyRuns);
      sections[name] = section;
      ran[name] = {
        date: new Date().toISOString(),
        loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
        runs,
        heavyRuns,
        targets: section.targets ?? [],
        data: section.data,
      };
      printSection(section, (t) => console.log(t));
    }
  } finally {
    removeProjects();
  }
  const targets = Object.values(sections).flatMap((s) => s.targets ?? []);
  if (targets.length) {
    console.log("\n== Targets\n");
    console.log(table(["target", "wanted", "measured", "met"], targets.map((t) => [t.name, t.target, t.measured, t.met ? "yes" : "NO"])));
  }
  // Sections not run this time keep their figures from the last run that had them.
  const file = projectFile("bench/results.json");
  const earlier = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { sections?: Record<string, typeof ran[string]> }) : {};
  const all = { ...earlier.sections, ...ran };
  const results = {
    date: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))), rssMethod },
    targets: Object.values(all).flatMap((s) => s.targets ?? []),
    sections: all,
  };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nfigures written to ${file}`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(`bench: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  },
);
