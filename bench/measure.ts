// Runs a command in a child process several times and keeps the medians of its wall time and peak RSS.
//
// Wall time: process.hrtime around a synchronous spawn, so it includes starting the process (that is
// the point for a CLI). CPU time (user + system) is less sensitive than wall time to other work on a
// shared machine; with GNU time it includes the children the command waited for. Peak RSS ("maximum resident set size"), in this order of preference:
//   1. GNU time (`/usr/bin/time -f "%M %U %S"`, Debian package `time`): the kernel's ru_maxrss of the child
//      from wait4(), in KiB. For a tree of processes (npx cdktf synth starts the app through a shell)
//      the kernel reports the largest single process of the tree, not their sum.
//   2. Without it: every Node process of the tree loads maxrss-hook.js (NODE_OPTIONS=--require), which
//      appends process.resourceUsage().maxRSS (KiB) and its CPU time to a file at exit; the largest
//      RSS counts, as above, and the CPU times add up.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GNU_TIME = "/usr/bin/time";
const HOOK = join(__dirname, "maxrss-hook.js");

export const rssMethod = existsSync(GNU_TIME)
  ? "GNU time -f %M (wait4 ru_maxrss of the child: the largest process of a tree)"
  : "process.resourceUsage().maxRSS written at exit by every Node process of the tree (--require hook)";

export interface Run {
  readonly wallMs: number;
  /** User + system CPU time. */
  readonly cpuMs: number;
  readonly rssKiB: number;
}

export interface Measured {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly rssKiB: number;
  readonly runs: readonly Run[];
}

export interface Command {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Runs before each measured run, outside the timing (e.g. removing secrets for a first render). */
  readonly before?: () => void;
  /** Exit codes other than 0 that are accepted (failing tests are reported, not fatal). */
  readonly okCodes?: readonly number[];
  /** Hears the child's stdout and stderr of each run. */
  readonly onOutput?: (output: string) => void;
}

export const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function once(c: Command): Run {
  const dir = mkdtempSync(join(tmpdir(), "coreform-bench-rss-"));
  const rssFile = join(dir, "rss");
  try {
    const env = { ...process.env, ...c.env };
    let cmd = c.cmd;
    let args = [...c.args];
    if (existsSync(GNU_TIME)) {
      args = ["-f", "%M %U %S", "-o", rssFile, cmd, ...args];
      cmd = GNU_TIME;
    } else {
      env.BENCH_MAXRSS_FILE = rssFile;
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --require ${HOOK}`.trim();
    }
    c.before?.();
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd: c.cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.error) throw r.error;
    if (r.status !== 0 && !(c.okCodes ?? []).includes(r.status ?? -1))
      throw new Error(`${c.cmd} ${c.args.join(" ")} exited ${r.status ?? r.signal} in ${c.cwd}:\n${r.stderr}${r.stdout}`);
    c.onOutput?.(`${r.stdout}${r.stderr}`);
    // One line "RSS-KiB user-s system-s" per process (GNU time: one for the tree, after a "Command exited
    // with non-zero status N" line when the command failed).
    const lines = readFileSync(rssFile, "utf8")
      .split("\n")
      .map((l) => l.split(" ").map(Number))
      .filter((f) => f.length === 3 && f.every(Number.isFinite));
    if (!lines.length) throw new Error(`no resource usage recorded for ${c.cmd} ${c.args.join(" ")}`);
    return { wallMs, cpuMs: lines.reduce((s, [, u, sys]) => s + (u! + sys!) * 1000, 0), rssKiB: Math.max(...lines.map(([rss]) => rss!)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the command `runs` times (one warm-up run first unless `warmup` is false) and keeps the medians. */
export function measure(c: Command, runs: number, warmup = true): Measured {
  if (warmup) once(c);
  const all = Array.from({ length: runs }, () => once(c));
  return { wallMs: median(all.map((r) => r.wallMs)), cpuMs: median(all.map((r) => r.cpuMs)), rssKiB: median(all.map((r) => r.rssKiB)), runs: all };
}
