// The one module that runs external commands (vagrant, VBoxManage; terraform and kubectl for `coreform roll`), through execa. execa is ESM-only:
// it is loaded on first use, so commands that never run anything (and `coreform --help`) never load it.

interface Finished {
  /** The exit code; undefined when the command could not start or was killed by a signal. */
  readonly exitCode?: number;
  /** The command was not found (ENOENT): the tool is not installed, or not on PATH. */
  readonly notFound: boolean;
  /** One line saying why it failed, when it did. */
  readonly failure?: string;
}

interface Captured extends Finished {
  readonly stdout: string;
  readonly stderr: string;
}

type Result = { exitCode?: number; code?: string; failed: boolean; shortMessage?: string };

const finished = (r: Result): Finished => ({
  ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
  notFound: r.code === "ENOENT",
  ...(r.failed ? { failure: r.shortMessage?.split("\n")[0] ?? "failed" } : {}),
});

/** Runs a command to its end and returns what it printed (for `--version`, `status --machine-readable`). */
export async function capture(command: string, args: readonly string[], cwd?: string): Promise<Captured> {
  const { execa } = await import("execa");
  const r = await execa(command, args, { cwd, reject: false, stdin: "ignore" });
  return { ...finished(r), stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs a command, handing over each line of its output as it comes. stdin is the user's, so a prompt
 * the command shows (such as sudo's for NFS exports) can still be answered.
 */
export async function stream(
  command: string,
  args: readonly string[],
  opts: { cwd: string; onStdout: (line: string) => void; onStderr: (line: string) => void },
): Promise<Finished> {
  const { execa } = await import("execa");
  const r = await execa(command, args, {
    cwd: opts.cwd,
    reject: false,
    buffer: false,
    stdin: "inherit",
    stdout: function* (line: unknown) {
      opts.onStdout(String(line));
    },
    stderr: function* (line: unknown) {
      opts.onStderr(String(line));
    },
  });
  return finished(r);
}
