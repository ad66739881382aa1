// Loading the spec for a program (a command, the CDKTF app): every problem printed, invalid input
// raised as an InputError.
import { resolve } from "node:path";
import { errorCount, formatIssue, hasErrors, type SpecIssue } from "./issues";
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

export function loadSpecOrFail(io: Io, file: string | undefined): { spec: Spec; file: string; issues: readonly SpecIssue[] } {
  const path = resolve(io.cwd, file ?? DEFAULT_SPEC);
  const { spec, issues } = loadSpec(path);
  for (const issue of issues) io.err(formatIssue(issue));
  if (!spec || hasErrors(issues)) {
    const errors = errorCount(issues);
    throw new InputError(`${path}: ${errors} ${errors === 1 ? "problem" : "problems"}, nothing was written`);
  }
  return { spec, file: path, issues };
}
