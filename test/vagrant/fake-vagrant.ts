// `coreform up`/`down` as a user runs them: the real CLI in a child process, with recording stand-ins
// for `vagrant` and `VBoxManage` (fake/) as the only things on its PATH, so the real vagrant stays out
// of reach. This is the one place a fake is used: VirtualBox cannot run here.
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/cli";


export interface Host {
  /** The only directory on the child's PATH. */
  readonly bin: string;
  readonly log: string;
  readonly state: string;
  /** HOME of the child (tools may cache there). */
  readonly home: string;
  /** Extra environment for the stand-in: FAKE_VAGRANT_VERSION, FAKE_FAIL_AT. */
  env: Record<string, string>;
  /** The calls so far, as `<directory>|<arguments>`. */
  calls(): string[];
}

/** A PATH holding the stand-ins chosen: `vagrant`, `VBoxManage`, both or neither. */
export function fakeHost(tools: { vagrant?: boolean; virtualbox?: boolean } = { vagrant: true, virtualbox: true }): Host {
  const root = tempDir("coreform-host-");
  const bin = join(root, "bin");
  const state = join(root, "state");
  mkdirSync(bin);
  mkdirSync(state);
  const log = join(root, "calls.log");
  const install = (name: string) => {
    copyFileSync(join(__dirname, "fake", name), join(bin, name));
    chmodSync(join(bin, name), 0o755);
  };
  if (tools.vagrant) install("vagrant");
  if (tools.virtualbox) install("VBoxManage");
  return {
    bin,
    log,
    state,
    home: root,
    env: {},
    calls: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []),
  };
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const ENTRY = join(__dirname, "../helpers/coreform-from-sources.js");

/** Runs `coreform ARGS…` in `cwd` with only `host.bin` on PATH. */
export function coreform(host: Host, cwd: string, ...args: string[]): Promise<Run> {
  const env = { PATH: host.bin, HOME: host.home, FAKE_LOG: host.log, FAKE_STATE: host.state, ...host.env };
  return new Promise((resolve) => {
    execFile(process.execPath, [ENTRY, ...args], { cwd, env, timeout: 60_000, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
