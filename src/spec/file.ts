// Loading the spec for a program (a command, the CDKTF app): every problem printed, invalid input
// raised as an InputError.
import { resolve } from "node:path";
import { errorCount, formatIssue, hasErrors } from "./issues";
import { loadSpec } from "./load";
import type { Spec } from "./schema";
import { InputError } from "../errors";
import type { Io } from "../io";

export const DEFAULT_SPEC = "cluster.yaml";

export function loadSpecOrFail(io: Io, file: string | undefined): { spec: Spec; file: string } {
  const path = resolve(io.cwd, file ?? DEFAULT_SPEC);
  const { spec, issues } = loadSpec(path);
  for (const issue of issues) io.err(formatIssue(issue));
  if (!spec || hasErrors(issues)) {
    const errors = errorCount(issues);
    throw new InputError(`${path}: ${errors} ${errors === 1 ? "problem" : "problems"}, nothing was written`);
  }
  return { spec, file: path };
}
