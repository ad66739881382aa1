// Loading the spec for a program (a command, the CDKTF app): every problem printed, invalid input
// raised as an InputError.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { errorAt, errorCount, formatIssue, hasErrors, type SpecIssue } from "./issues";
import { loadSpec } from "./load";
import type { Spec } from "./schema";
import { InputError } from "../errors";
import type { Io } from "../io";

export const DEFAULT_SPEC = "cluster.yaml";

/**
 * The environments `names` of `spec`, each once, in the order given, or every one when `names` is
 * empty; a name the spec does not have is invalid input.
 */
export function chooseEnvironments(spec: Spec, specFile: string, names: readonly string[]): string[] {
  const known = Object.keys(spec.environments);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw new InputError(`no environment ${unknown.join(", ")} in ${specFile} (it has: ${known.join(", ")})`);
  return names.length ? [...new Set(names)] : known;
}

/**
 * cluster.yaml in `cwd` or in the nearest directory above it, as git finds .git: a command run in
 * out/prod/ uses the project's spec (and its .coreform/ and out/), never asks for a second one.
 * Undefined when there is none up to the root.
 */
function findSpec(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, DEFAULT_SPEC))) return join(dir, DEFAULT_SPEC);
    if (dirname(dir) === dir) return undefined;
  }
}

export function loadSpecOrFail(io: Io, file: string | undefined): { spec: Spec; file: string; issues: readonly SpecIssue[] } {
  const found = file === undefined ? findSpec(io.cwd) : resolve(io.cwd, file);
  const path = found ?? resolve(io.cwd, DEFAULT_SPEC);
  const { spec, issues } = found
    ? loadSpec(path)
    : { spec: undefined, issues: [errorAt(path, "not found, nor in any directory above: create one with `coreform init`, or name one with -f")] };
  for (const issue of issues) io.err(formatIssue(issue));
  if (!spec || hasErrors(issues)) {
    const errors = errorCount(issues);
    throw new InputError(`${path}: ${errors} ${errors === 1 ? "problem" : "problems"}, nothing was written`);
  }
  return { spec, file: path, issues };
}
