// cluster.yaml → Spec: YAML parsing, schema validation and the semantic rules, every problem at once.
import { closeSync, openSync, readSync } from "node:fs";
import yaml from "js-yaml";
import { capRepeats, errorAt as error, fromZodIssues, formatPath, hasErrors, messageForZodIssue, onePerPlace, ROOT, type SpecIssue } from "./issues";
import { salvage } from "./partial";
import { checkRules } from "./rules";
import { specSchema, type Spec } from "./schema";

type LoadResult = { spec: Spec; issues: SpecIssue[] } | { spec: undefined; issues: SpecIssue[] };

/** A spec is a few KiB (the commented default is 5); anything near this is not a spec, and is refused unread. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** No setting needs more: the largest OpenSSH public key (RSA, 16384 bits) is about 2.8 KB. */
const MAX_TEXT_CHARS = 4096;

const count = (n: number) => n.toLocaleString("en-US");
const TOO_LARGE = "is larger than 1 MiB: a spec is a few KiB (is this the right file?)";

/**
 * What no schema sees, reported once each and taken out before the schema looks: YAML merge keys
 * (YAML 1.1 only; the CORE schema reads `<<` as a plain key, so the merge would silently not
 * happen), `__proto__` (which JavaScript objects and zod's maps drop without a word) and overlong
 * text. Aliases share objects, so each object is looked at once.
 */
function checkDocument(doc: object): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const seen = new WeakSet<object>();
  const walk = (value: unknown, path: PropertyKey[]): void => {
    if (typeof value === "string") {
      if (value.length > MAX_TEXT_CHARS) issues.push(error(formatPath(path), `is ${count(value.length)} characters long: no setting needs more than ${count(MAX_TEXT_CHARS)}`));
      return;
    }
    if (value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) return value.forEach((item, i) => walk(item, [...path, i]));
    const map = value as Record<string, unknown>;
    for (const key of Object.keys(map)) {
      const at = formatPath([...path, key]);
      if (key === "<<") issues.push(error(at, "YAML merge keys are not supported: write the keys out (an alias of a whole value, *name, works)"));
      else if (key === "__proto__") issues.push(error(at, "__proto__ is reserved in JavaScript: use another name"));
      else if (key.length > MAX_TEXT_CHARS) issues.push(error(at, `a key of ${count(key.length)} characters: no setting has a name that long`));
      else {
        walk(map[key], [...path, key]);
        continue;
      }
      delete map[key];
    }
  };
  walk(doc, []);
  return issues;
}

/** Validates a spec given as YAML text. `source` names it in YAML syntax errors. */
export function parseSpec(text: string, source = "cluster.yaml"): LoadResult {
  if (Buffer.byteLength(text) > MAX_SPEC_BYTES) return { spec: undefined, issues: [error(source, TOO_LARGE)] };
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: source, schema: yaml.CORE_SCHEMA });
  } catch (e) {
    const mark = (e as yaml.YAMLException).mark;
    const where = mark ? `${source}:${mark.line + 1}:${mark.column + 1}` : source;
    return { spec: undefined, issues: [error(where, `YAML syntax error: ${(e as yaml.YAMLException).reason}`)] };
  }
  if (doc === undefined || doc === null) return { spec: undefined, issues: [error(ROOT, "the spec is empty: start from `coreform init`")] };
  if (typeof doc !== "object" || Array.isArray(doc))
    return { spec: undefined, issues: [error(ROOT, "the spec must be a mapping (apiVersion, name, nodes, …)")] };

  const found = checkDocument(doc);
  const parsed = specSchema.safeParse(doc, { error: messageForZodIssue });
  if (parsed.success && found.length === 0) {
    // Prototype-free, so that no environment name (`constructor`…) ever meets Object's own properties.
    const spec = { ...parsed.data, environments: Object.assign(Object.create(null), parsed.data.environments) as Spec["environments"] };
    const issues = capRepeats(checkRules(spec));
    return hasErrors(issues) ? { spec: undefined, issues } : { spec, issues };
  }
  const issues = onePerPlace([...found, ...(parsed.success ? [] : fromZodIssues(parsed.error.issues))]);
  // The rules still see every part that parsed, so their problems come in the same run.
  const parts = salvage(specSchema, doc);
  if (parts.ok) issues.push(...checkRules(parts.value as Spec));
  return { spec: undefined, issues: capRepeats(issues) };
}

/** Reads at most MAX_SPEC_BYTES + 1 bytes: a huge file, or /dev/zero, is refused without reading it all. */
function readBounded(file: string): string | undefined {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(MAX_SPEC_BYTES + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    return length > MAX_SPEC_BYTES ? undefined : buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates a spec file; a missing file is an issue too, not an exception. */
export function loadSpec(file: string): LoadResult {
  let text: string | undefined;
  try {
    text = readBounded(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found: create one with `coreform init`" : `cannot read the file (${code ?? String(e)})`;
    return { spec: undefined, issues: [error(file, why)] };
  }
  if (text === undefined) return { spec: undefined, issues: [error(file, TOO_LARGE)] };
  return parseSpec(text, file);
}
