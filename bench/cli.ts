// `coreform --help`: starting the CLI, loading nothing a command does not need.
import { tmpdir } from "node:os";
import { projectFile } from "../src/project";
import { measure } from "./measure";
import { mib, ms, type Section } from "./report";

export const COREFORM = projectFile("bin/coreform.js");
const TARGET_MS = 300;

export function cliSection(runs: number): Section {
  const help = measure({ cmd: process.execPath, args: [COREFORM, "--help"], cwd: tmpdir() }, runs);
  const bare = measure({ cmd: process.execPath, args: ["-e", "0"], cwd: tmpdir() }, runs);
  return {
    title: `CLI start-up (median of ${runs} runs)`,
    header: ["command", "wall", "CPU", "peak RSS"],
    rows: [
      ["coreform --help", ms(help.wallMs), ms(help.cpuMs), mib(help.rssKiB)],
      ["node -e 0 (Node's own start)", ms(bare.wallMs), ms(bare.cpuMs), mib(bare.rssKiB)],
    ],
    data: { help, node: bare },
    targets: [{ name: "coreform --help cold start", target: `< ${TARGET_MS} ms`, measured: ms(help.wallMs), met: help.wallMs < TARGET_MS }],
  };
}
