// `cdktf synth`: the CDKTF app alone (`node dist/stacks/main.js` with the variables the cdktf CLI gives
// it, read from @cdktf/cli-core's synth-stack.js), the whole `cdktf synth` through the CLI, and the
// `npm run build` that the repository's cdktf.json runs before the app. Secrets are rendered first:
// the app never creates them.
import { spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectFile } from "../src/project";
import { COREFORM } from "./cli";
import { measure, type Measured } from "./measure";
import { defaultProject, project } from "./project";
import { bytes, mib, ms, type Section } from "./report";

const APP = projectFile("dist/stacks/main.js");
const CDKTF = projectFile("node_modules/.bin/cdktf");
const TARGET_MS = 3000;

/** What the cdktf CLI sets for the app (besides NODE_OPTIONS, which it only sets when unset). */
const appEnv = (dir: string) => ({
  CDKTF_OUTDIR: join(dir, "cdktf.out"),
  CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true",
  CDKTF_CONTEXT_JSON: JSON.stringify({ cdktfRelativeModules: [] }),
  SYNTH_HCL_OUTPUT: "false",
  NODE_OPTIONS: "--max-old-space-size=4096",
});

function rendered(dir: string, env?: string): string {
  const r = spawnSync(process.execPath, [COREFORM, "render", ...(env ? [env] : [])], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`coreform render in ${dir} failed:\n${r.stderr}`);
  return dir;
}

const stackBytes = (dir: string, stack: string) => statSync(join(dir, "cdktf.out", "stacks", stack, "cdk.tf.json")).size;

export function synthSection(runs: number, heavyRuns: number): Section {
  // The default spec exactly as shipped: every environment, only prod has a stack in this version.
  const dflt = rendered(defaultProject());
  const app = measure({ cmd: process.execPath, args: [APP], cwd: dflt, env: appEnv(dflt) }, runs);

  // The cdktf CLI on the same project, with an app command that skips the build (measured apart).
  writeFileSync(
    join(dflt, "cdktf.json"),
    JSON.stringify({ language: "typescript", app: `"${process.execPath}" "${APP}"`, output: "cdktf.out", projectId: "coreform-bench", sendCrashReports: "false" }),
  );
  const quiet = { CHECKPOINT_DISABLE: "1", CI: "1", FORCE_COLOR: "0" };
  let cli: Measured | string;
  try {
    cli = measure({ cmd: CDKTF, args: ["synth"], cwd: dflt, env: quiet }, heavyRuns);
  } catch (e) {
    cli = `failed: ${(e as Error).message.split("\n")[0]}`;
  }
  const build = measure({ cmd: "npm", args: ["run", "--silent", "build"], cwd: projectFile(".") }, heavyRuns, false);

  const big = rendered(project({ nodes: 1000, environments: ["prod"] }), "prod");
  const large = measure({ cmd: process.execPath, args: [APP], cwd: big, env: appEnv(big) }, heavyRuns);

  const row = (what: string, m: Measured | string, out?: number) =>
    typeof m === "string" ? [what, m, "", "", ""] : [what, ms(m.wallMs), ms(m.cpuMs), mib(m.rssKiB), out === undefined ? "" : bytes(out)];
  return {
    title: `cdktf synth (child processes; median of ${runs} runs for the app, ${heavyRuns} for the rest)`,
    header: ["what", "wall", "CPU", "peak RSS", "cdk.tf.json"],
    rows: [
      row("app: default spec (all stacks: prod)", app, stackBytes(dflt, "prod")),
      row("cdktf synth (CLI + app, default spec)", cli),
      row("npm run build (cdktf.json runs it first)", build),
      row("app: 1000-node aws environment", large, stackBytes(big, "prod")),
    ],
    notes: [
      "app = node dist/stacks/main.js with CDKTF_OUTDIR, CDKTF_CONTEXT_JSON… as the cdktf CLI sets them;",
      "the repository's `npx cdktf synth` costs about build + CLI (the CLI line runs the built app directly).",
    ],
    data: { app, cli, build, aws1000: large, stackBytes: { default: stackBytes(dflt, "prod"), aws1000: stackBytes(big, "prod") } },
    targets: [{ name: "synth of every default stack (app)", target: `< ${ms(TARGET_MS)}`, measured: ms(app.wallMs), met: app.wallMs < TARGET_MS }],
  };
}
