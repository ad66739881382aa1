// An environment's record on disk, `.coreform/<env>/record.json` (0600, with the secrets): what its
// last render planned (src/plan/record.ts). render writes it with the secrets, in the same step;
// everything else that plans an environment (render --check, diff, the CDKTF app, the etcd commands)
// reads it here and plans the same nodes at the same addresses. An environment rendered by a coreform
// before records has none: its record is derived from that render's out/<env>/plan.json (what its
// nodes were given), else from the spec as that coreform planned it, so that nothing moves.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { planCluster, type ClusterPlan } from "../plan/plan";
import { digest, identityOf, parseRecord, RECORD_VERSION, type EnvironmentRecord } from "../plan/record";
import type { Spec } from "../spec/schema";
import { secretsDir } from "./store";

export const RECORD_FILE = "record.json";

/** Where an environment's placement came from: its record, an earlier coreform's plan.json, or nowhere (a new environment). */
export type RecordSource = "record" | "output" | "none";

export interface PlannedEnvironment {
  readonly plan: ClusterPlan;
  /** The record the plan kept to: read, or derived from an earlier coreform's output. */
  readonly previous?: EnvironmentRecord;
  readonly source: RecordSource;
  /** The record file's path. */
  readonly file: string;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** The environment's record, or undefined when it has none; a damaged one is an error. */
export function readRecord(file: string): EnvironmentRecord | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  const record = parseRecord(text);
  if (typeof record === "string")
    throw new Error(`${file} is damaged (${record}): restore it from your backup of .coreform/; it says where every node of the environment is`);
  return record;
}

/** A node of an earlier render's plan.json, as that coreform wrote it. */
interface OldNode {
  readonly name: string;
  readonly role: "control" | "worker";
  readonly group: string;
  readonly index: number;
  readonly ip: string;
}

const isOldNode = (n: unknown): n is OldNode => {
  const o = n as Partial<OldNode>;
  return (
    typeof o?.name === "string" &&
    (o.role === "control" || o.role === "worker") &&
    typeof o.group === "string" &&
    o.name.startsWith(`${o.group}-`) &&
    Number.isInteger(o.index) &&
    typeof o.ip === "string"
  );
};

/**
 * The record an earlier coreform's render implies: its plan.json's nodes (their slot is their index),
 * each group's width from its names, and each node's user data digest from the file `userData` names
 * (empty when unreadable). Undefined without a plan.json holding nodes.
 */
function derivedRecord(planFile: string, userData: (node: string) => string | undefined): EnvironmentRecord | undefined {
  let nodes: unknown;
  try {
    nodes = (JSON.parse(readText(planFile) ?? "null") as { nodes?: unknown } | null)?.nodes;
  } catch {
    return undefined;
  }
  if (!Array.isArray(nodes) || nodes.length === 0 || !nodes.every(isOldNode)) return undefined;
  const groups: Record<string, { width: number }> = {};
  for (const n of nodes) {
    const width = n.name.length - n.group.length - 1;
    groups[n.group] = { width: Math.min(width, groups[n.group]?.width ?? width) };
  }
  return {
    version: RECORD_VERSION,
    generation: 0,
    groups,
    nodes: [...nodes]
      .sort((a, b) => a.index - b.index)
      .map((n) => {
        const text = userData(n.name);
        return { ...identityOf(n), generation: 0 as const, userData: text === undefined ? "" : digest(text) };
      }),
    retired: [],
  };
}

/**
 * Plans environment `env` of `spec` as its record says (`projectDir` holds .coreform/), or as an
 * earlier coreform's render in `outDir` did, or anew. `userDataFile` names a node's rendered user data
 * below OUTDIR/<env>/, for the digests of a derived record (render's preview compares them).
 */
export function planEnvironment(
  spec: Spec,
  env: string,
  projectDir: string,
  outDir = join(projectDir, "out"),
  userDataFile?: (node: string) => string,
): PlannedEnvironment {
  const file = join(secretsDir(projectDir, env), RECORD_FILE);
  const recorded = readRecord(file);
  const previous = recorded ?? derivedRecord(join(outDir, env, "plan.json"), (node) => (userDataFile ? readText(join(outDir, env, userDataFile(node))) : undefined));
  const source: RecordSource = recorded ? "record" : previous ? "output" : "none";
  return { plan: planCluster(spec, env, previous), ...(previous ? { previous } : {}), source, file };
}
