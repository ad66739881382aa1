// `cdktf synth`: the CDKTF app alone (`node dist/stacks/main.js` with the variables the cdktf CLI gives
// it, read from @cdktf/cli-core's synth-stack.js) on the default spec (four stacks) and on a 1000-node
// environment of each cloud, the whole `cdktf synth` through the CLI, and the `npm run build` that the
// repository's cdktf.json runs before the app. Secrets are rendered first: the app never creates them.
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

const STACKS = ["openstack", "prod", "gce", "azure"] as const;
/** The platforms measured at 1000 nodes, by the default spec's environment that has them. */
const LARGE = { aws: "prod", gce: "gce", azure: "azure", openstack: "openstack" } as const;

export function synthSection(runs: number, heavyRuns: number): Section {
  // The default spec exactly as shipped, every environment rendered: the app writes openstack, prod, gce and azure.
  const dflt = rendered(defaultProject());
  const app = measure({ cmd: process.execPath, args: [APP], cwd: dflt, env: appEnv(dflt) }, runs);
  const defaultBytes = STACKS.reduce((sum, stack) => sum + stackBytes(dflt, stack), 0);

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

  // One 1000-node environment per cloud, each alone in its spec.
  const large = Object.entries(LARGE).map(([platform, env]) => {
    const dir = rendered(project({ nodes: 1000, environments: [env] }), env);
    return { platform, env, measured: measure({ cmd: process.execPath, args: [APP], cwd: dir, env: appEnv(dir) }, heavyRuns), bytes: stackBytes(dir, env) };
  });

  const row = (what: string, m: Measured | string, out?: number) =>
    typeof m === "string" ? [what, m, "", "", ""] : [what, ms(m.wallMs), ms(m.cpuMs), mib(m.rssKiB), out === undefined ? "" : bytes(out)];
  return {
    title: `cdktf synth (child processes; median of ${runs} runs for the app, ${heavyRuns} for the rest)`,
    header: ["what", "wall", "CPU", "peak RSS", "cdk.tf.json"],
    rows: [
      row(`app: default spec (all stacks: ${STACKS.join(", ")})`, app, defaultBytes),
      row("cdktf synth (CLI + app, default spec)", cli),
      row("npm run build (cdktf.json runs it first)", build),
      ...large.map((l) => row(`app: 1000-node ${l.platform} environment`, l.measured, l.bytes)),
    ],
    notes: [
      "app = node dist/stacks/main.js with CDKTF_OUTDIR, CDKTF_CONTEXT_JSON… as the cdktf CLI sets them;",
      "the repository's `npx cdktf synth` costs about build + CLI (the CLI line runs the built app directly).",
    ],
    data: {
      app,
      cli,
      build,
      ...Object.fromEntries(large.map((l) => [`${l.platform}1000`, l.measured])),
      stackBytes: { default: defaultBytes, ...Object.fromEntries(large.map((l) => [`${l.platform}1000`, l.bytes])) },
    },
    targets: [{ name: "synth of every default stack (app)", target: `< ${ms(TARGET_MS)}`, measured: ms(app.wallMs), met: app.wallMs < TARGET_MS }],
  };
}
