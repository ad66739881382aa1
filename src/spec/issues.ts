// Problems found in a spec: their shape, how they print, and the texts for zod's own kinds of issue.
// A rule's messages stand beside its check in rules.ts, and a field's own in schema.ts: each text next
// to what it explains.
import type { z } from "zod";

export type Severity = "error" | "warning";
export interface SpecIssue {
  readonly severity: Severity;
  /** Where in the spec: `environments.prod.region`, `nodes[1].count`; `(root)` for the whole document. */
  readonly path: string;
  readonly message: string;
  /** How many problems this line stands for (a summary of repeated ones). @default 1 */
  readonly count?: number;
}

export const ROOT = "(root)";

/** Longer keys are shortened in paths: a path is for finding the place, not for echoing input. */
const MAX_KEY_CHARS = 64;
/** Longer lines are cut: a message quotes values from the spec, and the spec may be hostile. */
const MAX_LINE_CHARS = 400;

/** A key as a path segment: as it is, unless it holds spaces, quotes, dots, brackets or non-ASCII (then quoted like a JSON string). */
function segment(key: string): string {
  const short = key.length > MAX_KEY_CHARS ? `${key.slice(0, MAX_KEY_CHARS)}…` : key;
  return /^[!#-\-/-Z^-~]+$/.test(short) ? short : JSON.stringify(short);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? segment(String(key)) : `.${segment(String(key))}`;
  }
  return out === "" ? ROOT : out;
}

// Control characters (ANSI escapes, carriage returns…) from the spec must not reach the terminal.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const visible = (text: string) => text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** One line a problem, as the CLI prints it: `path: message`, warnings prefixed `warning:`. */
export function formatIssue(issue: SpecIssue): string {
  let line = visible(`${issue.path}: ${issue.message}`);
  if (line.length > MAX_LINE_CHARS) line = `${line.slice(0, MAX_LINE_CHARS)}… (${line.length.toLocaleString("en-US")} characters)`;
  return issue.severity === "warning" ? `warning: ${line}` : line;
}

/** An error at `path`. */
export const errorAt = (path: string, message: string): SpecIssue => ({ severity: "error", path, message });

export const hasErrors = (issues: readonly SpecIssue[]) => issues.some((i) => i.severity === "error");

/** How many errors the issues stand for, summaries counted in full. */
export const errorCount = (issues: readonly SpecIssue[]) => issues.reduce((n, i) => n + (i.severity === "error" ? (i.count ?? 1) : 0), 0);

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

interface ShapeLike {
  readonly shape?: Record<string, unknown>;
  readonly options?: readonly { readonly shape: Record<string, { readonly value?: unknown }> }[];
  readonly _zod?: { readonly def?: { readonly discriminator?: string } };
}

/**
 * What a mapping is expected to look like, from the schema that wanted it: a discriminated section
 * by its first choice (`{kind: kubernetes}`, or the value the user wrote if it is one), a plain
 * one by its keys. A scalar where a section belongs then says which shape to write.
 */
function mappingShape(inst: unknown, input: unknown): string {
  const schema = inst as ShapeLike | undefined;
  const discriminator = schema?._zod?.def?.discriminator;
  if (discriminator && schema?.options) {
    const values = schema.options.map((o) => o.shape[discriminator]?.value);
    const example = values.includes(input) ? input : values[0];
    return `a mapping like {${discriminator}: ${String(example)}}`;
  }
  if (schema?.shape) return `a mapping (${Object.keys(schema.shape).join(", ")})`;
  return "a mapping";
}

/** zod's issue messages made short, lowercase and about the spec, not about JavaScript. */
export function messageForZodIssue(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case "invalid_type": {
      if (iss.input === undefined) return "required";
      const expected = iss.expected === "object" ? mappingShape(iss.inst, iss.input) : (expectedName[iss.expected] ?? iss.expected);
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

/**
 * A schema's own message, for input that is there: a missing value keeps the general "required"
 * (`network: {}` → `network.cidr: required`, not "must be an IPv4 CIDR").
 */
export const unlessMissing = (message: string) => (iss: { readonly input?: unknown }) => (iss.input === undefined ? undefined : message);

/** Bounds zod adds on its own (a whole number must be a safe integer): noise next to the field's own. */
const isImplicitBound = (iss: z.core.$ZodIssue) =>
  (iss.code === "too_big" || iss.code === "too_small") && Math.abs(Number(iss.code === "too_big" ? iss.maximum : iss.minimum)) === Number.MAX_SAFE_INTEGER;

/** Issues of one severity at one place become one line, their messages joined: `name: must be at most 32 characters; must be DNS-safe…`. */
export function onePerPlace(issues: readonly SpecIssue[]): SpecIssue[] {
  const byPlace = new Map<string, { severity: Severity; path: string; messages: string[] }>();
  for (const { severity, path, message } of issues) {
    const key = `${severity} ${path}`;
    const place = byPlace.get(key);
    if (!place) byPlace.set(key, { severity, path, messages: [message] });
    else if (!place.messages.includes(message)) place.messages.push(message);
  }
  return [...byPlace.values()].map(({ severity, path, messages }) => ({ severity, path, message: messages.join("; ") }));
}

/** Turns zod's issues into spec issues: an unknown key names that key. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): SpecIssue[] {
  const bounded = new Set(issues.filter((i) => (i.code === "too_big" || i.code === "too_small") && !isImplicitBound(i)).map((i) => formatPath(i.path)));
  return issues.flatMap((iss) => {
    if (iss.code === "unrecognized_keys") return iss.keys.map((key) => errorAt(formatPath([...iss.path, key]), "unknown key"));
    if (iss.code === "invalid_key") return [errorAt(formatPath(iss.path), `name ${iss.issues[0]?.message ?? "is not valid"}`)];
    if (isImplicitBound(iss) && bounded.has(formatPath(iss.path))) return [];
    return [errorAt(formatPath(iss.path), iss.message)];
  });
}

/** The same message more often than this is summed up in one line. */
const MAX_REPEATS = 10;

/** The deepest place that holds every one of `paths` (`environments.prod` for its unknown keys). */
function commonPlace(paths: readonly string[]): string {
  let place = paths[0] ?? "";
  for (const p of paths) while (!p.startsWith(place)) place = place.slice(0, -1);
  const boundary = (p: string) => p.length === place.length || p[place.length] === "." || p[place.length] === "[";
  while (place !== "" && !paths.every(boundary)) place = place.slice(0, Math.max(place.lastIndexOf("."), place.lastIndexOf("["), 0));
  return place === "" ? ROOT : place;
}

/**
 * Keeps the first MAX_REPEATS issues of each severity and message and sums up the rest in one line
 * (`(root): … and 99,990 more: unknown key`): a thousand lines of the same help nobody.
 */
export function capRepeats(issues: readonly SpecIssue[]): SpecIssue[] {
  const shown = new Map<string, number>();
  const rest = new Map<string, SpecIssue[]>();
  // A summary takes the place of the first issue it stands for.
  const out: (SpecIssue | string)[] = [];
  for (const i of issues) {
    const key = `${i.severity} ${i.message}`;
    const n = shown.get(key) ?? 0;
    if (n < MAX_REPEATS) {
      shown.set(key, n + 1);
      out.push(i);
      continue;
    }
    const more = rest.get(key);
    if (more) more.push(i);
    else (rest.set(key, [i]), out.push(key));
  }
  return out.map((entry) => {
    if (typeof entry !== "string") return entry;
    const more = rest.get(entry) as [SpecIssue, ...SpecIssue[]];
    if (more.length === 1) return more[0];
    const count = more.reduce((n, r) => n + (r.count ?? 1), 0);
    return { severity: more[0].severity, path: commonPlace(more.map((r) => r.path)), message: `… and ${count.toLocaleString("en-US")} more: ${more[0].message}`, count };
  });
}
