// `coreform render --check`: the spec and the existing secrets, rendered in memory, against out/.
// Through the real CLI on temporary projects; every case also checks that nothing was written.
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, editSpec, project, smallSpec, tempDir, tree, type CliResult } from "../helpers/cli";

const DEFAULT_SPEC = join(__dirname, "../../cluster.yaml");

/** A project rendered once, its spec from `spec`. */
async function rendered(spec: string): Promise<string> {
  const dir = project(spec);
  const r = await cli(dir, "render");
  expect(r.code).toBe(0);
  return dir;
}

/** Runs the check and asserts it changed neither secrets nor output (nor made either). */
async function check(dir: string, ...args: string[]): Promise<CliResult & { lines: string[] }> {
  const snapshot = (d: string) => (existsSync(join(dir, d)) ? tree(join(dir, d)) : undefined);
  const before = { secrets: snapshot(".coreform"), out: snapshot("out"), top: readdirSync(dir).sort() };
  const r = await cli(dir, "render", "--check", ...args);
  expect({ secrets: snapshot(".coreform"), out: snapshot("out"), top: readdirSync(dir).sort() }).toEqual(before);
  expect(r.stderr).not.toMatch(/created|reissued|wrote/);
  return { ...r, lines: r.stdout.split("\n").filter(Boolean) };
}

/** The difference lines (all but the summary), which must come sorted. */
function differences(r: { lines: string[] }): string[] {
  const lines = r.lines.slice(0, -1);
  expect([...lines].sort()).toEqual(lines);
  return lines;
}

const NODES = ["control-01", "control-02", "control-03", "worker-01"];
/** The line of an environment whose record render would write anew. */
const RECORD_DIFFERS = ".coreform/test/record.json: differs (coreform diff test shows what the spec changes)";

describe("coreform render --check", () => {
  test("an untouched tree matches: exit 0, one summary line", async () => {
    const dir = await rendered(smallSpec());
    const r = await check(dir);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(["out/ matches cluster.yaml: 6 files in 1 environment"]);
    expect(r.stderr).toBe("");
  });

  test("the default cluster.yaml, rendered, matches: every file render wrote is checked", async () => {
    const dir = tempDir();
    copyFileSync(DEFAULT_SPEC, join(dir, "cluster.yaml"));
    expect((await cli(dir, "render")).code).toBe(0);
    const r = await check(dir);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([`out/ matches cluster.yaml: ${Object.keys(tree(join(dir, "out"))).length} files in 6 environments`]);
  });

  test("one more node: its file is missing, plan.json and the drawing differ", async () => {
    const dir = await rendered(smallSpec());
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ worker: 2 }));
    const r = await check(dir);
    expect(r.code).toBe(1);
    // The record says where every node was: the new one is not in it.
    expect(differences(r)).toEqual([RECORD_DIFFERS, "out/test/ignition/worker-02.json: missing", "out/test/plan.json: differs", "out/test/topology.svg: differs"]);
    expect(r.lines.at(-1)).toBe("out/ does not match cluster.yaml: 4 differences in 1 of 1 environment");
  });

  test("fewer nodes: the removed node's file is stale", async () => {
    const dir = await rendered(smallSpec({ worker: 2 }));
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ worker: 1 }));
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(differences(r)).toEqual([RECORD_DIFFERS, "out/test/ignition/worker-02.json: not rendered by this spec (stale)", "out/test/plan.json: differs", "out/test/topology.svg: differs"]);
  });

  test("a file left in a format's directory this platform does not take is stale too; other directories are not coreform's", async () => {
    const dir = await rendered(smallSpec());
    mkdirSync(join(dir, "out/test/cloud-config/sub"), { recursive: true });
    writeFileSync(join(dir, "out/test/cloud-config/sub/control-01.yaml"), "#cloud-config\n");
    mkdirSync(join(dir, "out/test/notes"));
    writeFileSync(join(dir, "out/test/notes/todo.txt"), "mine");
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(differences(r)).toEqual(["out/test/cloud-config/sub/control-01.yaml: not rendered by this spec (stale)"]);
  });

  test("other secrets (another project's, all valid): every node file differs, plan.json does not", async () => {
    const dir = await rendered(smallSpec());
    const other = await rendered(smallSpec());
    rmSync(join(dir, ".coreform/test"), { recursive: true });
    cpSync(join(other, ".coreform/test"), join(dir, ".coreform/test"), { recursive: true });
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(differences(r)).toEqual(NODES.map((n) => `out/test/ignition/${n}.json: differs`));
  });

  test("one replaced secret (k3s's join token) changes the nodes that carry it", async () => {
    const spec = smallSpec({ scheduler: "kubernetes" });
    const dir = await rendered(spec);
    writeFileSync(join(dir, ".coreform/test/kubernetes/token"), `${"ab".repeat(32)}\n`, { mode: 0o600 });
    const r = await check(dir);
    expect(r.code).toBe(1);
    // The record keeps a digest of each node's files: the token's changed.
    expect(differences(r)).toEqual([RECORD_DIFFERS, ...NODES.map((n) => `out/test/ignition/${n}.json: differs`)]);
  });

  test("a file edited by hand differs, and nothing of either file is printed", async () => {
    const dir = await rendered(smallSpec());
    const node = join(dir, "out/test/ignition/control-01.json");
    writeFileSync(node, readFileSync(node, "utf8").replace("control-01", "control-99"));
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(differences(r)).toEqual(["out/test/ignition/control-01.json: differs"]);
    const printed = `${r.stdout}\n${r.stderr}`;
    expect(printed).not.toMatch(/PRIVATE KEY|BEGIN/);
    // A line of the CA's key, and of a member's: neither may appear anywhere in what was printed.
    for (const secret of ["ca.key", "members/control-01.key"]) {
      const line = readFileSync(join(dir, ".coreform/test", secret), "utf8").split("\n")[1]!;
      expect(line.length).toBeGreaterThan(20);
      expect(printed).not.toContain(line);
    }
    expect(printed).not.toContain("control-99");
  });

  test("a file holding keys made world-readable: the mode line", async () => {
    const dir = await rendered(smallSpec());
    chmodSync(join(dir, "out/test/ignition/worker-01.json"), 0o644);
    chmodSync(join(dir, "out/test/plan.json"), 0o600);
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(differences(r)).toEqual(["out/test/ignition/worker-01.json: mode 0644, expected 0600", "out/test/plan.json: mode 0600, expected 0644"]);
  });

  test("no out/ at all: every file render would write is missing", async () => {
    const dir = await rendered(smallSpec());
    const files = Object.keys(tree(join(dir, "out"))).sort();
    rmSync(join(dir, "out"), { recursive: true });
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(differences(r)).toEqual(files.map((f) => `out/${f}: missing`));
    expect(r.lines.at(-1)).toBe(`out/ does not match cluster.yaml: ${files.length} differences in 1 of 1 environment`);
  });

  test("no secrets yet: one line, and neither .coreform/ nor out/ is created", async () => {
    const dir = project(smallSpec());
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual(["test: no secrets in .coreform/test/: run coreform render test", "out/ does not match cluster.yaml: 1 difference in 1 of 1 environment"]);
    expect(readdirSync(dir)).toEqual(["cluster.yaml"]);
  });

  test.each([
    ["a new control node (a member certificate to create)", smallSpec({ control: 4 })],
    ["new addresses (certificates to reissue)", smallSpec({ cidr: "10.99.0.0/24" })],
  ])("%s: the secrets line, and no secret is made or changed", async (_name, changed) => {
    const dir = await rendered(smallSpec());
    writeFileSync(join(dir, "cluster.yaml"), changed);
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(differences(r)).toEqual(["test: secrets in .coreform/test/ are incomplete or out of date (render would create or renew some): run coreform render test"]);
  });

  test("Vagrant's .vagrant/, a config.rb and other top-level files in out/<env>/ are ignored", async () => {
    const dir = await rendered(editSpec((d) => (d.environments.test = { platform: "vagrant" })));
    mkdirSync(join(dir, "out/test/.vagrant/machines/control-01"), { recursive: true });
    writeFileSync(join(dir, "out/test/.vagrant/machines/control-01/id"), "1234");
    writeFileSync(join(dir, "out/test/config.rb"), "# mine\n");
    writeFileSync(join(dir, "out/test/notes.txt"), "mine\n");
    const r = await check(dir);
    expect(r.code).toBe(0);
    // cloud-config per node, plan.json and the Vagrantfile.
    expect(r.lines).toEqual([`out/ matches cluster.yaml: ${NODES.length + 3} files in 1 environment`]);
  });

  test("an environment gone from the spec: its rendered directory is stale; other directories in out/ are not coreform's", async () => {
    const dir = await rendered(editSpec((d) => (d.environments.other = { platform: "libvirt", network: { cidr: "10.43.0.0/24" } })));
    writeFileSync(join(dir, "cluster.yaml"), smallSpec());
    mkdirSync(join(dir, "out/notes"));
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(differences(r)).toEqual(["out/other/: not an environment of this spec (stale)"]);
    expect(r.lines.at(-1)).toBe("out/ does not match cluster.yaml: 1 difference in 0 of 1 environment, and 1 environment it no longer has");
    // naming environments checks those alone
    expect((await check(dir, "test")).lines).toEqual(["out/ matches cluster.yaml: 6 files in 1 environment"]);
  });

  test("--check ENV checks only ENV", async () => {
    const dir = await rendered(editSpec((d) => (d.environments.other = { platform: "libvirt", network: { cidr: "10.43.0.0/24" } })));
    writeFileSync(join(dir, "out/other/plan.json"), "{}\n");
    expect((await check(dir, "test")).lines).toEqual(["out/ matches cluster.yaml: 6 files in 1 environment"]);
    const other = await check(dir, "other");
    expect(other.code).toBe(1);
    expect(differences(other)).toEqual(["out/other/plan.json: differs"]);
    const all = await check(dir);
    expect(all.code).toBe(1);
    expect(all.lines.at(-1)).toBe("out/ does not match cluster.yaml: 1 difference in 1 of 2 environments");
  });

  test("-f and -o: the spec and the tree to check, paths shown below the current directory", async () => {
    const dir = project(smallSpec());
    const elsewhere = tempDir();
    expect((await cli(elsewhere, "render", "-f", join(dir, "cluster.yaml"), "-o", "rendered")).code).toBe(0);
    rmSync(join(elsewhere, "rendered/test/plan.json"));
    const r = await check(elsewhere, "-f", join(dir, "cluster.yaml"), "-o", "rendered");
    expect(r.code).toBe(1);
    expect(r.lines).toEqual(["rendered/test/plan.json: missing", `rendered/ does not match ${join(dir, "cluster.yaml")}: 1 difference in 1 of 1 environment`]);
  });

  test("an invalid spec or an unknown environment is invalid input (exit 2), as for render", async () => {
    const dir = await rendered(smallSpec());
    const unknown = await check(dir, "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no environment nope");
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ control: 0 }));
    const invalid = await check(dir);
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toBe("");
  });
});
