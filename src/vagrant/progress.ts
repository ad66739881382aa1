// Reading Vagrant's output. Vagrant prefixes every line about a machine with `==> <machine>: ` (details
// with spaces instead of `==>`), and the VirtualBox provider handles one machine after another, so the
// machine named changes exactly when the previous one is done. `--machine-readable` output is
// `timestamp,target,type,data…` with commas in data written as `%!(VAGRANT_COMMA)` (lib/vagrant/ui.rb).

const MACHINE_LINE = /^==> ([A-Za-z0-9._-]+): /;

/** One progress line per machine, printed when Vagrant has finished with it. */
export class MachineProgress {
  private current: string | undefined;
  private done = 0;

  /** `doneWord` completes `control-01 … (1/3)`: "up", "destroyed". */
  constructor(
    private readonly machines: readonly string[],
    private readonly doneWord: string,
  ) {}

  /** Takes one line of Vagrant's output; returns the progress lines it completes. */
  line(text: string): string[] {
    const name = MACHINE_LINE.exec(text)?.[1];
    if (name === undefined || name === this.current || !this.machines.includes(name)) return [];
    const out = this.finishCurrent();
    this.current = name;
    return out;
  }

  /** After Vagrant ended: the last machine's line when it succeeded. */
  end(succeeded: boolean): string[] {
    return succeeded ? this.finishCurrent() : [];
  }

  /** The machine Vagrant was working on (for a failure message). */
  get working(): string | undefined {
    return this.current;
  }

  private finishCurrent(): string[] {
    if (this.current === undefined) return [];
    this.done++;
    return [`${this.current} ${this.doneWord} (${this.done}/${this.machines.length})`];
  }
}

/** `vagrant status --machine-readable` → machine name → state id (`running`, `poweroff`, `not_created`…). */
export function parseStatus(text: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [, target, type, ...data] = line.trim().split(",");
    if (type === "state" && target) states.set(target, data.join(",").replaceAll("%!(VAGRANT_COMMA)", ","));
  }
  return states;
}
