// Driving Vagrant in an environment's directory: one command with its output streamed and a progress
// line per machine, and the machines' states. The commands themselves run through ./run.ts.
import { MachineProgress, parseStatus } from "./progress";
import { capture, stream } from "./run";

/** Where the driver's lines go: Vagrant's own output as it comes, and coreform's progress lines. */
interface VagrantOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Runs one vagrant command in `dir`, streaming its output with a line per machine it finishes. */
export async function runVagrant(output: VagrantOutput, dir: string, args: readonly string[], machines: readonly string[], doneWord: string): Promise<void> {
  const progress = new MachineProgress(machines, doneWord);
  const say = (lines: string[]) => lines.forEach((l) => output.out(`coreform: ${l}`));
  const r = await stream("vagrant", args, {
    cwd: dir,
    onStdout: (line) => {
      say(progress.line(line));
      output.out(line);
    },
    onStderr: (line) => output.err(line),
  });
  const ok = r.exitCode === 0;
  say(progress.end(ok));
  if (!ok) {
    const where = progress.working ? ` at ${progress.working}` : "";
    throw new Error(`vagrant ${args[0]} failed${where} (${r.exitCode !== undefined ? `exit ${r.exitCode}` : r.failure}); Vagrant's output above says why`);
  }
}

/** Every machine the Vagrantfile in `dir` defines, with its state (`running`, `poweroff`, `not_created`…). */
export async function machineStates(dir: string): Promise<Map<string, string>> {
  const r = await capture("vagrant", ["status", "--machine-readable"], dir);
  if (r.exitCode !== 0) throw new Error(`vagrant status failed (${r.failure}): ${r.stderr.trim().split("\n")[0] ?? ""}`);
  return parseStatus(r.stdout);
}
