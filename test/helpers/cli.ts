// Runs the real CLI in-process against a temporary project directory, or as a user does, in a child process.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import yaml from "js-yaml";
import { run } from "../../src/cli/main";
import { TEST_KEY } from "./ssh-keys";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(cwd: string, ...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { cwd, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

export interface ProcessResult extends CliResult {
  readonly signal: NodeJS.Signals | null;
  /** From the command's start (coreform's modules loaded) to the process's exit: what a command's stated time bounds. */
  readonly ms: number;
}

/** The coreform CLI from the TypeScript sources, as `node …` arguments. */
export const CLI_ENTRY = join(__dirname, "coreform-from-sources.js");

/**
 * `coreform ARGS…` in a child process in `cwd`, as a user runs it: the result once the process has
 * exited (not merely answered). Killed after `killAfterMs`, so that a hang fails the test, not the suite.
 */
export function cliProcess(cwd: string, args: readonly string[], options: { killAfterMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    cwd,
    env: { ...(options.env ?? process.env), COREFORM_TEST_START_FD: "3" },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let started = Date.now();
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  (child.stdio[3] as NodeJS.ReadableStream).setEncoding("utf8").on("data", (c: string) => (started = Number(c.trim()) || started));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs ?? 60_000);
  return new Promise((resolve) => {
    child.on("exit", () => {
      const ms = Date.now() - started;
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, signal, stdout, stderr, ms });
      });
    });
  });
}

const dirs: string[] = [];
/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = "coreform-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary project holding `cluster.yaml` with the given text. */
export function project(specText: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, "cluster.yaml"), specText);
  return dir;
}

/** A small valid spec; `extra` YAML is appended (later keys must not repeat earlier ones). */
export function smallSpec(opts: { cidr?: string; control?: number; worker?: number; name?: string; scheduler?: string } = {}): string {
  const { cidr = "10.42.0.0/24", control = 3, worker = 1, name = "t", scheduler } = opts;
  return `apiVersion: coreform/v1
name: ${name}
ssh:
  authorizedKeys: [${JSON.stringify(TEST_KEY)}]
network:
  cidr: ${cidr}
nodes:
  - { name: control, role: control, count: ${control} }
${worker > 0 ? `  - { name: worker, role: worker, count: ${worker} }\n` : ""}${scheduler ? `scheduler: { kind: ${scheduler} }\n` : ""}updates:
  rebootStrategy: etcd-lock
  window: { start: "Thu 04:00", length: 1h }
environments:
  test:
    platform: libvirt
`;
}

// Specs in tests are written loosely typed: many tables put deliberately wrong values into them.
export type Doc = Record<string, any>;

/** `base` (smallSpec() unless given) as a document, changed by `edit`, back to YAML. */
export function editSpec(edit: (doc: Doc) => void, base = smallSpec()): string {
  const doc = yaml.load(base) as Doc;
  edit(doc);
  return yaml.dump(doc);
}

/** Every file below `dir` with its mode and a hash of its contents: two trees compare byte for byte. */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[relative(dir, p)] = `${(statSync(p).mode & 0o777).toString(8)} ${createHash("sha256").update(readFileSync(p)).digest("hex")}`;
  }
  return out;
}
