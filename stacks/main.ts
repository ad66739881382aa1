// The CDKTF app (`cdktf.json` runs it): one stack per environment that has a stack builder, from the
// spec in `cluster.yaml` (or the file in COREFORM_SPEC) through the same pipeline as `coreform render`.
// It never creates secrets: `coreform render <env>` does, once, so that keys survive between deploys.
import { chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { EXIT_FAILURE, EXIT_INVALID, EXIT_OK, InputError } from "../src/errors";
import { processIo, type Io } from "../src/io";
import { loadSpecOrFail } from "../src/spec/file";
import { SECRET, SECRET_DIR } from "../src/modes";
import { prepareStacks, StackInputError } from "./registry";

interface AppOptions {
  /** The spec, relative to `io.cwd`. @default "cluster.yaml" */
  readonly specFile?: string;
  /** @default CDKTF_OUTDIR (set by the cdktf CLI), else "cdktf.out" */
  readonly outdir?: string;
}

/**
 * Builds and synthesizes the app; failures go to `io.err`, one line each. Returns the exit code.
 * Skipped environments and the summary go to `io.out`: the cdktf CLI prints an app's stdout as it comes
 * and shows its stderr only when the app fails (each line marked [ERROR]).
 */
export function synthesize(io: Io, options: AppOptions = {}): number {
  try {
    const { spec, file } = loadSpecOrFail(io, options.specFile);
    const prepared = prepareStacks(spec, dirname(file), (line) => io.out(line));
    const app = new App(options.outdir ? { outdir: options.outdir } : {});
    // Synthesized stacks hold user data, TLS keys included: only the owner may read them.
    chmodSync(app.outdir, SECRET_DIR);
    for (const { name, build, input } of prepared) build(new TerraformStack(app, name), input);
    app.synth();
    for (const { name } of prepared) chmodSync(join(app.outdir, "stacks", name, "cdk.tf.json"), SECRET);
    io.out(`coreform: synthesized ${prepared.length ? prepared.map((p) => p.name).join(", ") : "no stacks"}`);
    return EXIT_OK;
  } catch (e) {
    for (const line of (e as Error).message.split("\n")) io.err(`coreform: ${line}`);
    if (e instanceof InputError || e instanceof StackInputError) return EXIT_INVALID;
    if (process.env.COREFORM_DEBUG) io.err(String((e as Error).stack));
    return EXIT_FAILURE;
  }
}

if (require.main === module) process.exitCode = synthesize(processIo(), { specFile: process.env.COREFORM_SPEC });
