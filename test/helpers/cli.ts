// Runs the real CLI in-process against a temporary project directory.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/cli/main";

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
  authorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKey test@host"]
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
