/** Where a command writes: the process's streams, or a test's buffers. */
export interface Io {
  readonly cwd: string;
  out(line: string): void;
  err(line: string): void;
}

export const processIo = (): Io => ({
  cwd: process.cwd(),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
