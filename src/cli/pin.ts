// `coreform pin [ENV…] [--write --version X.Y.Z | --write --release FILE]`: every input that still
// floats, one `PATH: floating (why)` line each (exit 1), or that nothing does (exit 0). `--write` first
// pins os.version in the spec file itself, changing only that value's characters.
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { writeAtomic } from "../files";
import { EXIT_FAILURE, EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { floatingInputs } from "../plan/floating";
import { setScalar } from "../spec/edit";
import { formatIssue } from "../spec/issues";
import { chooseEnvironments, loadSpecOrFail } from "../spec/file";
import { parseSpec } from "../spec/load";
import type { Spec } from "../spec/schema";
import { lockProject } from "./lock";
import { stateDir } from "./repairs";

const RELEASE = /^\d+\.\d+\.\d+$/;

/**
 * The release in a Flatcar `version.txt` (the release server's https://<channel>.release.flatcar-linux.net/amd64-usr/current/version.txt:
 * `FLATCAR_VERSION_ID=…`, as Flatcar's Terraform examples read it, else `FLATCAR_VERSION=…`), or in a
 * file holding just the release.
 */
function releaseOf(text: string, file: string): string {
  const keys = new Map([...text.matchAll(/^\s*(FLATCAR_VERSION(?:_ID)?)=["']?([^"'\s]*)["']?\s*$/gm)].map((m) => [m[1]!, m[2]!]));
  const version = keys.get("FLATCAR_VERSION_ID") ?? keys.get("FLATCAR_VERSION") ?? text.trim();
  if (!RELEASE.test(version)) throw new InputError(`${file}: no Flatcar release in it (expected FLATCAR_VERSION_ID=X.Y.Z as in version.txt, or just X.Y.Z)`);
  return version;
}

function readRelease(io: Io, file: string): string {
  try {
    return readFileSync(resolve(io.cwd, file), "utf8");
  } catch (e) {
    throw new InputError(`--release ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
}

interface PinOptions {
  readonly file?: string;
  readonly write?: boolean;
  readonly version?: string;
  readonly release?: string;
}

/**
 * Pins os.version in the spec file; the new text must load as the same spec but for that value. New
 * warnings (a release AWS may no longer have) are printed; the ones loading printed already are not.
 */
function writeVersion(io: Io, { spec, file: path, issues: loadedIssues }: ReturnType<typeof loadSpecOrFail>, version: string): Spec {
  const before = readFileSync(path, "utf8");
  const after = setScalar(before, ["os", "version"], version);
  const { spec: edited, issues } = parseSpec(after, path);
  const earlier = new Set(loadedIssues.map(formatIssue));
  for (const line of issues.map(formatIssue)) if (!earlier.has(line)) io.err(line);
  const same = edited && JSON.stringify({ ...edited, os: { ...edited.os, version: spec.os.version } }) === JSON.stringify(spec);
  if (!edited || !same || edited.os.version !== version)
    throw new Error(`pinning os.version would change more than os.version (${issues.map((i) => i.path).join(", ") || "the spec reads differently"}): ${path} is left as it was`);
  if (after !== before) writeAtomic(path, after, { mode: statSync(path).mode & 0o7777, existing: "replace", durable: true });
  io.out(`${path}: os.version ${version}${spec.os.version === version ? " (already)" : ` (was ${spec.os.version})`}`);
  return edited;
}

export function pin(io: Io, names: readonly string[], options: PinOptions): number {
  if (!options.write && (options.version || options.release)) throw new InputError("--version and --release go with --write");
  if (options.write && !options.version === !options.release) throw new InputError("--write needs one of --version X.Y.Z or --release FILE");
  if (options.version !== undefined && !RELEASE.test(options.version)) throw new InputError(`--version ${options.version}: must be a Flatcar release like 4593.2.5`);

  const loaded = loadSpecOrFail(io, options.file);
  const envs = chooseEnvironments(loaded.spec, loaded.file, names);

  let spec = loaded.spec;
  if (options.write) {
    const version = options.version ?? releaseOf(readRelease(io, options.release!), options.release!);
    const release = lockProject(stateDir(loaded.file), "pin --write");
    try {
      spec = writeVersion(io, loaded, version);
    } finally {
      release();
    }
  }
  const floating = floatingInputs(spec, envs);
  for (const f of floating) io.out(`${f.path}: floating (${f.why})`);
  if (floating.length) {
    io.err(`coreform pin: ${floating.length} floating ${floating.length === 1 ? "input" : "inputs"} in ${envs.join(", ")}`);
    return EXIT_FAILURE;
  }
  io.out(`pinned: ${envs.join(", ")} boot Flatcar ${spec.os.channel} ${spec.os.version} with every image and release fixed`);
  return EXIT_OK;
}
