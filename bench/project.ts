// Temporary projects for the bench: the repository's default cluster.yaml, resized to N nodes
// (3 control nodes unless said, the rest workers) with every environment kept, networks widened to hold them.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { nodeCapacity, parseCidr } from "../src/spec/ipv4";
import { projectFile } from "../src/project";
import type { Spec, SpecInput } from "../src/spec/schema";

const CONTROL = 3;

/** The smallest prefix of `cidr`'s network that holds `nodes` (never narrower than the original). */
function widen(cidr: string, nodes: number): string {
  const { prefix } = parseCidr(cidr);
  const [address] = cidr.split("/");
  for (let p = prefix; p >= 8; p--) {
    const wider = `${address}/${p}`;
    const block = parseCidr(wider);
    // The address must stay the network's own address (10.43.0.0/22, not 10.43.1.0/22).
    if (block.base !== block.address) break;
    if (nodeCapacity(block) >= nodes) return wider;
  }
  throw new Error(`no network around ${cidr} holds ${nodes} nodes`);
}

export interface SpecOptions {
  /** @default the default spec's nodes */
  readonly nodes?: number;
  /** Control nodes among `nodes`. @default 3 */
  readonly control?: number;
  /** Keep only these environments. @default all of the default spec's */
  readonly environments?: readonly string[];
  /** @default the default spec's kind */
  readonly scheduler?: Spec["scheduler"]["kind"];
}

/** cluster.yaml as written (coreform's schema checks the result when it reads it). */
const defaultSpec = () => yaml.load(readFileSync(projectFile("cluster.yaml"), "utf8")) as SpecInput;

/** The default spec's environments, by name. */
export const defaultEnvironments = (): string[] => Object.keys(defaultSpec().environments);

/** The default cluster.yaml, resized as asked, as YAML text (comments dropped). */
export function specText(o: SpecOptions): string {
  const spec = defaultSpec();
  if (o.environments) spec.environments = Object.fromEntries(o.environments.map((e) => [e, spec.environments[e]!]));
  if (o.nodes !== undefined) {
    const control = o.control ?? CONTROL;
    if (o.nodes < control) throw new Error(`at least ${control} nodes`);
    spec.nodes = [
      { name: "control", role: "control", count: control },
      ...(o.nodes > control ? [{ name: "worker", role: "worker" as const, count: o.nodes - control }] : []),
    ];
    spec.network.cidr = widen(spec.network.cidr, o.nodes);
    for (const env of Object.values(spec.environments))
      if (env.network) env.network.cidr = widen(env.network.cidr, o.nodes);
  }
  // Another kind than the spec's: its defaults. (The scheduler's input type is open: `kind` may be left out.)
  if (o.scheduler && (spec.scheduler as { kind?: string } | undefined)?.kind !== o.scheduler) spec.scheduler = { kind: o.scheduler };
  return yaml.dump(spec, { lineWidth: -1 });
}

const made: string[] = [];

/** A fresh temporary project directory holding cluster.yaml; removed by `removeProjects`. */
export function project(o: SpecOptions): string {
  const dir = mkdtempSync(join(tmpdir(), `coreform-bench-${o.nodes ?? "default"}-`));
  made.push(dir);
  writeFileSync(join(dir, "cluster.yaml"), specText(o));
  return dir;
}

/** A fresh temporary project holding the repository's cluster.yaml as it is. */
export function defaultProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "coreform-bench-default-"));
  made.push(dir);
  copyFileSync(projectFile("cluster.yaml"), join(dir, "cluster.yaml"));
  return dir;
}

export function removeProjects(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Bytes and number of the files below `dir`. */
export function tree(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += statSync(join(entry.parentPath, entry.name)).size;
    files++;
  }
  return { bytes, files };
}

export const emptyDir = (dir: string) => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
};
