// The boot test's report: each step printed as it starts and ends, with the seconds since the run
// began; on a failure, what each node the step concerns shows. The figures (bench/boot.ts) collect here.
import { loadavg } from "node:os";
import type { Node } from "./cluster";

export class Report {
  passed = 0;
  failed = 0;
  readonly figures: Record<string, unknown> = {};
  private ended = false;
  private readonly sampler: NodeJS.Timeout;

  /**
   * `start`: when the run began, the image's build included; `load`: the host's 1-minute load average,
   * sampled every 30 s since then (the figures depend on what else shares the cores).
   */
  constructor(
    private readonly start: number,
    private readonly load: number[],
  ) {
    this.sampler = setInterval(() => this.load.push(loadavg()[0]!), 30_000).unref();
  }

  seconds(): number {
    return (Date.now() - this.start) / 1000;
  }

  /** The run's wall time, and the load average's lowest, mean and highest sample over it. */
  end(): void {
    this.ended = true;
    clearInterval(this.sampler);
    this.figures.wallSeconds = Math.round(this.seconds());
    const l = this.load;
    this.figures.loadAverage = { min: Math.min(...l), mean: Number((l.reduce((a, b) => a + b, 0) / l.length).toFixed(2)), max: Math.max(...l), samples: l.length };
  }

  print(line: string) {
    process.stdout.write(`[${((Date.now() - this.start) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  }

  /**
   * Runs a step and prints its result; on failure, what each node it concerns shows (its console's tail
   * and its journal: the work directory goes with the run, in CI too).
   */
  async step<T>(name: string, fn: () => Promise<T>, options: { detail?: (t: T) => string; nodes?: () => readonly Node[] } = {}): Promise<T> {
    const { detail = (t: T) => (typeof t === "string" ? t : ""), nodes = () => [] } = options;
    this.print(`… ${name}`);
    const t0 = Date.now();
    try {
      const result = await fn();
      if (this.ended) return result; // a step still running when the run ended: not counted
      this.passed++;
      const d = detail(result);
      this.print(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)${d ? `\n         ${d.split("\n").join("\n         ")}` : ""}`);
      return result;
    } catch (e) {
      if (this.ended) throw e;
      this.failed++;
      this.print(`✗ ${name} (after ${((Date.now() - t0) / 1000).toFixed(0)} s): ${(e as Error).message}`);
      for (const n of nodes()) this.print(await n.diagnose().catch((d: Error) => `${n.name}: no diagnosis (${d.message})`));
      throw e;
    }
  }
}

/** Runs steps at once and waits for all of them (each prints its result); rethrows the first failure. */
export async function together(...steps: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
