// An environment's record on disk, `.coreform/<env>/record.json` (0600, with the secrets): what its
// last render planned (src/plan/record.ts). render writes it with the secrets, in the same step;
// everything else that plans an environment (render --check, diff, the CDKTF app, the etcd commands)
// reads it here and plans the same nodes at the same addresses. An environment rendered by a coreform
// before records has secrets and no record: its record is derived from what that coreform placed, so
// that nothing moves: its render's out/<env>/plan.json (what its nodes were given), else the spec as
// that coreform planned it (each node at its position in `nodes`), checked against the addresses in
// the etcd members' certificates.
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { InputError } from "../errors";
import { EARLIER_PLACEMENT, planCluster, type ClusterPlan, type PlannedNode } from "../plan/plan";
import { digest, identityOf, parseRecord, RECORD_VERSION, type EnvironmentRecord } from "../plan/record";
import type { Spec } from "../spec/schema";
import { holdsFiles, readText, renderedBefore } from "./disk";
import { certificateIps } from "./pki";
import { secretsDir } from "./store";

export const RECORD_FILE = "record.json";

/**
 * Where an environment's placement came from: its record; an earlier coreform's plan.json; an earlier
 * coreform's secrets, without its output (the spec as that coreform placed it); or nowhere (a new environment).
 */
export type RecordSource = "record" | "output" | "secrets" | "none";

interface PlannedEnvironment {
  readonly plan: ClusterPlan;
  /** The record the plan kept to: read, or derived from what an earlier coreform left. */
  readonly previous?: EnvironmentRecord;
  readonly source: RecordSource;
  /** The record file's path. */
  readonly file: string;
}

/** The record in `dir`, or undefined when it has none; a damaged (or emptied) one is an error. */
function readRecord(dir: string): EnvironmentRecord | undefined {
  const file = join(dir, RECORD_FILE);
  const text = readText(dir, RECORD_FILE);
  if (text === undefined && !existsSync(file)) return undefined;
  const record = text === undefined ? "empty" : parseRecord(text);
  if (typeof record === "string")
    throw new Error(`${file} is damaged (${record}): restore it from your backup of .coreform/; it says where every node of the environment is`);
  return record;
}

/** A node as a coreform before records planned it (plan.json's nodes, or planCluster without a record). */
type OldNode = Pick<PlannedNode, "name" | "role" | "group" | "index" | "ip">;

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
 * The record of nodes an earlier coreform placed: each one's slot is its index, each group's width what
 * its names have, and each node's user data digest that of `userData(node)` (empty when unknown).
 */
function derivedRecord(nodes: readonly OldNode[], userData: (node: string) => string | undefined): EnvironmentRecord {
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
 * The nodes a coreform before records gave an environment whose output is gone: the spec's, each at its
 * position in `nodes`, as that coreform placed them, if the spec is still as it was rendered. Its etcd
 * members' certificates say where that coreform put the control nodes: a control node without one, or
 * with one made for another address, means the spec changed since, and placing by it could move a
 * node (an error naming the fix).
 */
function placedBySpec(spec: Spec, env: string, dir: string, projectDir: string): readonly OldNode[] {
  const nodes = planCluster(spec, env, EARLIER_PLACEMENT).nodes;
  const changed = nodes.flatMap((n) => {
    if (n.role !== "control") return [];
    const cert = readText(dir, `members/${n.name}.crt`);
    if (cert === undefined) return [`${n.name} has no certificate (${relative(projectDir, join(dir, "members"))}/): it was added since`];
    const ips = certificateIps(cert).filter((ip) => ip !== "127.0.0.1");
    return ips.includes(n.ip) ? [] : [`the spec puts ${n.name} at ${n.ip}, but its certificate was made for ${ips.join(", ") || "no address"}`];
  });
  if (changed.length)
    throw new InputError(
      `environments.${env}: rendered by a coreform before records, and its out/${env}/plan.json is gone: the spec changed since: ${changed.join("; ")}: ` +
        `put the spec back as it was last rendered (or restore out/${env}/ of that render), render once, then change it`,
    );
  return nodes;
}

/**
 * Plans environment `env` of `spec` as its record says (`projectDir` holds .coreform/), or as an
 * earlier coreform placed it (its render in `outDir`, else its secrets and the spec), or anew.
 * `userDataFile` names a node's rendered user data below OUTDIR/<env>/, for the digests of a record
 * derived from output (render's preview compares them).
 */
export function planEnvironment(
  spec: Spec,
  env: string,
  projectDir: string,
  outDir = join(projectDir, "out"),
  userDataFile?: (node: string) => string,
): PlannedEnvironment {
  const dir = secretsDir(projectDir, env);
  const file = join(dir, RECORD_FILE);
  const recorded = readRecord(dir);
  if (recorded) return { plan: planCluster(spec, env, recorded), previous: recorded, source: "record", file };
  const output = renderedBefore(outDir, env)?.plan?.nodes;
  if (Array.isArray(output) && output.length && output.every(isOldNode)) {
    const previous = derivedRecord(output, (node) => (userDataFile ? readText(join(outDir, env), userDataFile(node)) : undefined));
    return { plan: planCluster(spec, env, previous), previous, source: "output", file };
  }
  if (holdsFiles(dir)) {
    const previous = derivedRecord(placedBySpec(spec, env, dir, projectDir), () => undefined);
    return { plan: planCluster(spec, env, previous), previous, source: "secrets", file };
  }
  return { plan: planCluster(spec, env), source: "none", file };
}
