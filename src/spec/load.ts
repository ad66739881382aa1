// cluster.yaml → Spec: YAML parsing, schema validation and the semantic rules, every problem at once.
import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { fromZodIssues, hasErrors, messageForZodIssue, ROOT, type SpecIssue } from "./issues";
import { checkRules } from "./rules";
import { specSchema, type Spec } from "./schema";

export type LoadResult = { spec: Spec; issues: SpecIssue[] } | { spec: undefined; issues: SpecIssue[] };

const error = (path: string, message: string): SpecIssue => ({ severity: "error", path, message });

/** Validates a spec given as YAML text. `source` names it in YAML syntax errors. */
export function parseSpec(text: string, source = "cluster.yaml"): LoadResult {
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

  const parsed = specSchema.safeParse(doc, { error: messageForZodIssue });
  if (!parsed.success) return { spec: undefined, issues: fromZodIssues(parsed.error.issues) };
  const issues = checkRules(parsed.data);
  return hasErrors(issues) ? { spec: undefined, issues } : { spec: parsed.data, issues };
}

/** Reads and validates a spec file; a missing file is an issue too, not an exception. */
export function loadSpec(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found: create one with `coreform init`" : `cannot read the file (${code ?? String(e)})`;
    return { spec: undefined, issues: [error(file, why)] };
  }
  return parseSpec(text, file);
}
