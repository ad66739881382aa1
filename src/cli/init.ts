// `coreform init [DIR]`: a project of its own, anywhere: the commented default spec and its schema, a
// .gitignore that keeps secrets and rendered keys out of git, and a cdktf.json that runs this
// coreform's CDKTF app on it (`cdktf deploy ENV` from DIR). Nothing that exists is overwritten; a
// .gitignore only gains the lines it lacks.
import { copyFileSync, constants, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeDir, writeAtomic } from "../files";
import { PUBLIC } from "../modes";
import { projectFile } from "../project";
import { EXIT_OK, InputError } from "../errors";
import { shellQuote, type Io } from "../io";
import { DEFAULT_SPEC } from "../spec/file";
import { SCHEMA_FILE } from "../spec/json-schema";

/**
 * What coreform writes next to the spec that git must never see: secrets, node configs (they hold keys),
 * stacks and Terraform state (they do too: a local backend's `path` may put the state anywhere).
 */
const IGNORED = [".coreform/", "out/", "cdktf.out/", "*.tfstate", "*.tfstate.*"];

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
};

/** The .gitignore with IGNORED in it: written when missing, else the lines it lacks appended (same meaning: `/x/`, `x`, `/x`). */
function gitignore(dir: string): string | undefined {
  const path = join(dir, ".gitignore");
  const text = read(path);
  const has = new Set((text ?? "").split("\n").map((l) => l.trim().replace(/^\//, "").replace(/\/$/, "")));
  const missing = IGNORED.filter((p) => !has.has(p.replace(/\/$/, "")));
  if (!missing.length) return undefined;
  const block = `# coreform: secrets, rendered node configs, synthesized stacks and Terraform state (they hold TLS keys)\n${missing.join("\n")}\n`;
  const body = text === undefined ? block : `${text}${text.endsWith("\n") || text === "" ? "" : "\n"}\n${block}`;
  writeAtomic(path, body, { mode: PUBLIC, existing: text === undefined ? "new" : "replace" });
  return text === undefined ? `wrote ${path}` : `added ${missing.join(", ")} to ${path}`;
}

/**
 * cdktf.json for the CDKTF app of this coreform installation: `cdktf` runs it in DIR, where it reads
 * DIR/cluster.yaml and the secrets next to it and writes DIR/cdktf.out/ (stacks/main.ts).
 */
function cdktfJson(dir: string): string | undefined {
  const path = join(dir, "cdktf.json");
  const app = `node ${JSON.stringify(projectFile("dist/stacks/main.js"))}`;
  const config = { language: "typescript", app, output: "cdktf.out", projectId: "coreform", sendCrashReports: "false", terraformProviders: [], terraformModules: [], context: {} };
  try {
    writeAtomic(path, `${JSON.stringify(config, null, 2)}\n`, { mode: PUBLIC, existing: "new" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw e;
  }
  return `wrote ${path} (\`npx --prefix ${shellQuote(projectFile("."))} cdktf deploy ENV\` here deploys an environment)`;
}

/**
 * Copies the embedded, commented default spec, which names its JSON Schema in its first line, and the
 * schema next to it, so that editors check the spec without network; then the .gitignore and the
 * cdktf.json. Never overwrites the spec; the schema is coreform's own file, replaced by the one of
 * this version (alone with `schema`).
 */
export function init(io: Io, positionals: string[], options: { readonly schema?: boolean }): number {
  if (positionals.length > 1) throw new InputError("takes at most one directory");
  const dir = resolve(io.cwd, positionals[0] ?? ".");
  const spec = join(dir, DEFAULT_SPEC);
  const schema = join(dir, SCHEMA_FILE);
  makeDir(dir, 0o777);
  if (!options.schema) {
    try {
      copyFileSync(projectFile(DEFAULT_SPEC), spec, constants.COPYFILE_EXCL);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new InputError(`${spec} exists already: not overwriting it (--schema writes only ${SCHEMA_FILE})`);
      throw e;
    }
  }
  copyFileSync(projectFile(SCHEMA_FILE), schema);
  io.out(options.schema ? `wrote ${schema}` : `wrote ${spec} and ${SCHEMA_FILE}: edit it, then run \`coreform validate\` and \`coreform render\``);
  if (!options.schema) for (const line of [gitignore(dir), cdktfJson(dir)]) if (line) io.out(line);
  return EXIT_OK;
}
