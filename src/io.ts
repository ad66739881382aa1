/** Where a command writes: the process's streams, or a test's buffers. */
export interface Io {
  readonly cwd: string;
  out(line: string): void;
  err(line: string): void;
  /** Progress for a person watching: present only when stderr is a terminal. */
  progress?(line: string): void;
}

/**
 * A stream whose reader went away (`coreform pin | head -1`) takes no more lines, without a word: the
 * command still runs to its end and exits with its own code. Node emits the EPIPE asynchronously, as
 * an 'error' event; unhandled, it would be a stack trace.
 */
function lines(stream: NodeJS.WriteStream): (line: string) => void {
  let closed = false;
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    closed = true;
  });
  return (line) => {
    if (!closed && !stream.destroyed) stream.write(`${line}\n`);
  };
}

export const processIo = (): Io => ({
  cwd: process.cwd(),
  out: lines(process.stdout),
  err: lines(process.stderr),
  ...(process.stderr.isTTY ? { progress: (line: string) => process.stderr.write(`${line}\n`) } : {}),
});

/** A path or word as a POSIX shell reads it back: quoted when it holds anything but safe characters. */
export const shellQuote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
