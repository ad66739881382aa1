// Problems found in a spec, and every text that describes one: the messages live here, in one place.
import type { z } from "zod";

export type Severity = "error" | "warning";
export interface SpecIssue {
  readonly severity: Severity;
  /** Where in the spec: `environments.prod.region`, `nodes[1].count`; `(root)` for the whole document. */
  readonly path: string;
  readonly message: string;
}

export const ROOT = "(root)";

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? ROOT : out;
}

/** One line a problem, as the CLI prints it: `path: message`, warnings prefixed `warning:`. */
export function formatIssue(issue: SpecIssue): string {
  const line = `${issue.path}: ${issue.message}`;
  return issue.severity === "warning" ? `warning: ${line}` : line;
}

export const hasErrors = (issues: readonly SpecIssue[]) => issues.some((i) => i.severity === "error");

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

const expectedName: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  record: "a mapping",
};

const oneOf = (missing: boolean, values: readonly unknown[]) =>
  `${missing ? "required: one of" : "must be one of"} ${values.map((v) => String(v)).join(", ")}`;

/** zod's issue messages made short, lowercase and about the spec, not about JavaScript. */
export function messageForZodIssue(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case "invalid_type": {
      if (iss.input === undefined) return "required";
      const expected = expectedName[iss.expected] ?? iss.expected;
      // 1.5 for a count, or .inf / .nan: "not a number" would contradict "must be a number".
      if (typeof iss.input === "number" && (iss.expected === "number" || iss.expected === "int")) return `must be ${expected}, not ${String(iss.input)}`;
      return `must be ${expected}, not ${typeName(iss.input)}`;
    }
    case "too_small": {
      const min = String(iss.minimum);
      if (iss.origin === "array") return `needs at least ${min} ${Number(min) === 1 ? "entry" : "entries"}`;
      if (iss.origin === "string") return Number(min) === 1 ? "must not be empty" : `must be at least ${min} characters`;
      return `must be ≥ ${min}`;
    }
    case "too_big": {
      const max = String(iss.maximum);
      if (iss.origin === "array") return `has more than ${max} entries`;
      if (iss.origin === "string") return `must be at most ${max} characters`;
      return `must be ≤ ${max}`;
    }
    case "invalid_value":
      return oneOf(iss.input === undefined, iss.values);
    case "invalid_union": {
      // A discriminated union (an environment's `platform`) that matched no option.
      const options = (iss as { options?: readonly unknown[] }).options;
      if (!iss.discriminator || !options) return undefined;
      const input = iss.input as Record<string, unknown> | undefined;
      return oneOf(input?.[iss.discriminator] === undefined, options);
    }
    case "not_multiple_of":
      return `must be a multiple of ${String(iss.divisor)}`;
    default:
      return undefined;
  }
}

/** Turns zod's issues into spec issues; an unknown key becomes one issue naming that key. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const iss of issues) {
    if (iss.code === "unrecognized_keys") {
      for (const key of iss.keys) out.push({ severity: "error", path: formatPath([...iss.path, key]), message: "unknown key" });
    } else if (iss.code === "invalid_key") {
      out.push({ severity: "error", path: formatPath(iss.path), message: `name ${iss.issues[0]?.message ?? "is not valid"}` });
    } else {
      out.push({ severity: "error", path: formatPath(iss.path), message: iss.message });
    }
  }
  return out;
}
