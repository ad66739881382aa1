import { copyFileSync, constants, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { projectFile } from "../project";
import { EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { DEFAULT_SPEC } from "../spec/file";
import { SCHEMA_FILE } from "../spec/json-schema";

/**
 * Copies the embedded, commented default spec, which names its JSON Schema in its first line, and the
 * schema next to it, so that editors check the spec without network. Never overwrites the spec; the
 * schema is coreform's own file, replaced by the one of this version (alone with `schema`).
 */
export function init(io: Io, positionals: string[], options: { readonly schema?: boolean }): number {
  if (positionals.length > 1) throw new InputError("takes at most one directory");
  const dir = resolve(io.cwd, positionals[0] ?? ".");
  const spec = join(dir, DEFAULT_SPEC);
  const schema = join(dir, SCHEMA_FILE);
  mkdirSync(dir, { recursive: true });
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
  return EXIT_OK;
}
