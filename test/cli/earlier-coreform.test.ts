// An environment rendered by the coreform before records (PREVIOUS: that commit's own sources, run by
// its own CLI in a child process) and rendered again by this one: out/<env>/ byte for byte what it
// was, no secret made again, and a record that keeps the names and addresses that coreform gave, with
// its output there, and with only its secrets kept (.coreform/ backed up, out/ made again). The spec
// lists a worker group first, so that position in `nodes`, not the role, decides every address.
//
// PREVIOUS is main when records came. Since then, control nodes' etcd-member script changed (etcd's data
// disk step, which a node made before data disks skips): their configs differ in that file alone, every
// other file of out/ is byte for byte what it was; names, addresses and secrets are what this is about.
// plan.json is compared without `spread` (issue 26: how the platform spreads nodes; the nodes are as they were).
// Every Ignition config that downloads something (k3s, on each node here) has gained
// `ignition.timeouts.httpTotal` (issue 24): it is compared without it, and those nodes count as changed
// (their new user data reaches a running node only by `coreform roll`, as any other change does).
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromCloudConfig } from "../../cloud-config/coreos-cloudinit";
import { fromIgnition } from "../../cloud-config/ignition";
import { cli, tempDir, tree } from "../helpers/cli";
import { cloudSpec, type Doc } from "../helpers/stacks";

const PREVIOUS = "9291d7944d5f8ca9bc02c46713d203771cde145a";
const ROOT = join(__dirname, "../..");

/**
 * The commit is in this clone's history; a clone without it (a shallow one) skips with a notice rather
 * than failing, in CI too: CI's checkout is not ours to choose, and a fetch needs a network CI lacks.
 */
function havePrevious(): boolean {
  const found = spawnSync("git", ["-C", ROOT, "cat-file", "-e", `${PREVIOUS}^{commit}`]).status === 0;
  if (found) return true;
  const message = `git history without ${PREVIOUS} (the coreform before records): fetch it (git fetch --unshallow)`;
  process.stderr.write(`\n*** SKIPPING the upgrade test: ${message} ***\n\n`);
  return false;
}

const NODES = [
  { name: "edge", role: "worker", count: 2 },
  { name: "control", role: "control", count: 3 },
  { name: "worker", role: "worker", count: 10 },
];
const specOf = (nodes: readonly Doc[]) =>
  cloudSpec({}, (d) => {
    d.nodes = nodes;
    d.environments.laptop = { platform: "vagrant", network: { cidr: "192.168.56.0/24" } };
  });
const SPEC = specOf(NODES);
/** The edge workers listed last: planned anew, control-01 would be at .10. */
const REORDERED = specOf([...NODES.slice(1), NODES[0]!]);
const ENVS = ["aws", "gce", "azure", "openstack", "libvirt", "laptop"];

const planNodes = (dir: string, env: string): Doc[] => JSON.parse(readFileSync(join(dir, "out", env, "plan.json"), "utf8")).nodes;
const placement = (nodes: readonly Doc[]) => nodes.map((n) => `${n.name} ${n.ip}`);
/**
 * out/ (or out/<env>/) without control nodes' user data, which outOfControl compares; each plan.json as
 * its JSON without `spread`.
 */
const outOf = (dir: string) =>
  Object.fromEntries(
    Object.entries(tree(dir))
      .filter(([p]) => !/(ignition|cloud-config)\/control-\d+\./.test(p))
      .map(([path, hash]) => {
        if (path.endsWith("plan.json")) {
          const { spread: _spread, ...plan } = JSON.parse(readFileSync(join(dir, path), "utf8"));
          return [path, JSON.stringify(plan)];
        }
        if (/(^|\/)ignition\/[^/]+\.json$/.test(path)) {
          const config = JSON.parse(readFileSync(join(dir, path), "utf8"));
          delete config.ignition.timeouts;
          return [path, `${hash.split(" ")[0]} ${JSON.stringify(config)}`];
        }
        return [path, hash];
      }),
  );
/** Each control node's files but the etcd-member script, in both formats, as the user data of `dir` (out/) has them. */
function outOfControl(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of Object.keys(tree(dir)).filter((p) => /(ignition|cloud-config)\/control-\d+\./.test(p))) {
    const text = readFileSync(join(dir, p), "utf8");
    const config = p.includes("/ignition/") || p.startsWith("ignition/") ? fromIgnition(text) : fromCloudConfig(text);
    out[p] = { ...config, files: config.files.filter((f) => f.path !== "/opt/coreform/etcd-member") };
  }
  return out;
}
/** Every file below .coreform/<env>/ but the record (and Terraform's state, which no render writes). */
const secretsOf = (dir: string, env: string) => Object.fromEntries(Object.entries(tree(join(dir, ".coreform", env))).filter(([p]) => p !== "record.json"));

(havePrevious() ? describe : describe.skip)("an environment rendered by the coreform before records", () => {
  /** The project as PREVIOUS rendered it: never changed, each test works on a copy. */
  let earlier: string;

  beforeAll(() => {
    const sources = tempDir("coreform-previous-");
    execFileSync("sh", ["-c", `git -C "$1" archive "$2" package.json src cloud-config templates Vagrantfile.hbs | tar -x -C "$3"`, "sh", ROOT, PREVIOUS, sources]);
    symlinkSync(join(ROOT, "node_modules"), join(sources, "node_modules"));
    writeFileSync(
      join(sources, "run.js"),
      `require(${JSON.stringify(join(__dirname, "../helpers/register-ts.js"))});\nrequire("./src/cli/main.ts").run(process.argv.slice(2)).then((code) => (process.exitCode = code));\n`,
    );
    earlier = tempDir();
    writeFileSync(join(earlier, "cluster.yaml"), SPEC);
    const r = spawnSync(process.execPath, [join(sources, "run.js"), "render"], { cwd: earlier, encoding: "utf8" });
    expect({ code: r.status, stderr: r.stderr.replace(/.*created the etcd CA.*\n/g, "") }).toEqual({ code: 0, stderr: "" });
    // The position in `nodes` decided: the control nodes come after the two edge workers.
    expect(placement(planNodes(earlier, "aws")).slice(0, 3)).toEqual(["edge-01 10.42.0.10", "edge-02 10.42.0.11", "control-01 10.42.0.12"]);
  }, 120_000);

  const copy = () => {
    const dir = tempDir();
    cpSync(earlier, dir, { recursive: true });
    return dir;
  };

  test("renders unchanged: out/ byte for byte, no secret made again, and a record of every node where it was", async () => {
    const dir = copy();
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n").filter((l) => !l.startsWith("  next: ")).sort()).toEqual(
      ENVS.flatMap((env) => [
        `${env}: rendered by a coreform before records: every node stays where it put it (as out/${env}/plan.json says); .coreform/${env}/record.json keeps them from now on: back it up with the secrets`,
        `${env}: ${env === "laptop" ? 3 : NODES.reduce((n, g) => n + g.count, 0)} nodes changed (coreform diff ${env} shows each)`,
      ]).sort(),
    );
    expect(outOf(join(dir, "out"))).toEqual(outOf(join(earlier, "out")));
    expect(outOfControl(join(dir, "out"))).toEqual(outOfControl(join(earlier, "out")));
    for (const env of ENVS) {
      expect(secretsOf(dir, env)).toEqual(secretsOf(earlier, env));
      const record = JSON.parse(readFileSync(join(dir, ".coreform", env, "record.json"), "utf8"));
      expect(placement(record.nodes)).toEqual(placement(planNodes(earlier, env)));
      expect(record.nodes.every((n: Doc) => n.generation === 0)).toBe(true);
    }
    expect((await cli(dir, "render", "--check")).code).toBe(0);
    // Its groups reordered afterwards: the record keeps every node where it is, user data and all.
    writeFileSync(join(dir, "cluster.yaml"), REORDERED);
    expect((await cli(dir, "render", "aws")).code).toBe(0);
    expect(placement(planNodes(dir, "aws"))).toEqual(placement(planNodes(earlier, "aws")));
    expect(outOf(join(dir, "out/aws"))).toEqual(outOf(join(earlier, "out/aws")));
    expect(outOfControl(join(dir, "out/aws"))).toEqual(outOfControl(join(earlier, "out/aws")));
  });

  test("its groups reordered before the upgrade: every node stays where out/<env>/plan.json says, its user data too", async () => {
    const dir = copy();
    writeFileSync(join(dir, "cluster.yaml"), REORDERED);
    const r = await cli(dir, "render", "aws");
    expect(r.code).toBe(0);
    expect(placement(planNodes(dir, "aws"))).toEqual(placement(planNodes(earlier, "aws")));
    expect(outOf(join(dir, "out/aws"))).toEqual(outOf(join(earlier, "out/aws")));
    expect(outOfControl(join(dir, "out/aws"))).toEqual(outOfControl(join(earlier, "out/aws")));
    expect(secretsOf(dir, "aws")).toEqual(secretsOf(earlier, "aws"));
  });

  test("with only its secrets kept (out/ gone): out/ made again byte for byte, each node where that coreform put it", async () => {
    const dir = copy();
    rmSync(join(dir, "out"), { recursive: true });
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`laptop: rendered by a coreform before records: every node stays where it put it (in the spec's order, as it placed them)`);
    expect(outOf(join(dir, "out"))).toEqual(outOf(join(earlier, "out")));
    expect(outOfControl(join(dir, "out"))).toEqual(outOfControl(join(earlier, "out")));
    for (const env of ENVS) {
      expect(secretsOf(dir, env)).toEqual(secretsOf(earlier, env));
      expect(placement(JSON.parse(readFileSync(join(dir, ".coreform", env, "record.json"), "utf8")).nodes)).toEqual(placement(planNodes(earlier, env)));
    }
  });

  test.each([
    [
      "the spec reordered since: refused, naming each member its certificate places elsewhere",
      "aws",
      REORDERED,
      "environments.aws: rendered by a coreform before records, and its out/aws/plan.json is gone: the spec changed since: the spec puts control-01 at 10.42.0.10, " +
        "but its certificate was made for 10.42.0.12; the spec puts control-02 at 10.42.0.11, but its certificate was made for 10.42.0.13; " +
        "the spec puts control-03 at 10.42.0.12, but its certificate was made for 10.42.0.14: put the spec back as it was last rendered (or restore out/aws/ of that render), render once, then change it",
    ],
    [
      "a control node more since: refused, naming it",
      "gce",
      specOf(NODES.map((g) => (g.role === "control" ? { ...g, count: 4 } : g))),
      "environments.gce: rendered by a coreform before records, and its out/gce/plan.json is gone: the spec changed since: control-04 has no certificate (.coreform/gce/members/): it was added since: put the spec back",
    ],
  ])("with only its secrets kept and %s; nothing written", async (_name, env, spec, message) => {
    const dir = copy();
    rmSync(join(dir, "out"), { recursive: true });
    writeFileSync(join(dir, "cluster.yaml"), spec);
    const before = tree(dir);
    const r = await cli(dir, "render", env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(tree(dir)).toEqual(before);
    expect(existsSync(join(dir, ".coreform", env, "record.json"))).toBe(false);
  });
});
