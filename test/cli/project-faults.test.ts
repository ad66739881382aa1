// The project as an operator leaves it: temporary copies of keys from old runs, two renders at once, a
// file where a directory belongs, a changed etcd membership, a command run from a subdirectory, a path
// with a space, a terminal or a closed pipe, a new project outside this repository. Through the real
// CLI, in-process or as a child process where a process is the point.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { cli, cliProcess, CLI_ENTRY, project, smallSpec, tempDir, tree } from "../helpers/cli";
import { findTool } from "../helpers/tools";

/** The pid of a process that ran and is gone: what a killed run leaves in its names. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

async function rendered(spec = smallSpec({ control: 3, worker: 1 })): Promise<string> {
  const dir = project(spec);
  expect((await cli(dir, "render")).code).toBe(0);
  return dir;
}

describe("what interrupted runs left (temporary copies holding keys)", () => {
  test("check names each one, render removes them all; a live process's are left alone", async () => {
    const dir = await rendered();
    const dead = deadPid();
    // Names coreform used before this version, and its own now.
    const left = [
      `out/test/.ignition.tmp-${dead}-1796600000000/control-01.json`,
      `out/test/ignition.old-${dead}-1796600000000/control-01.json`,
      `.coreform/.test.tmp-${dead}/ca.key`,
      `.coreform/test/ca.crt.tmp-${dead}`,
      `.coreform/test/members/.control-01.key.coreform-tmp-${dead}-3`,
      `out/test/.new.coreform-tmp-${dead}-1796600000000/plan.json`,
    ];
    for (const path of left) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), path.endsWith(".crt.tmp-" + dead) ? "" : "-----BEGIN PRIVATE KEY-----\n");
    }
    const live = `out/test/.plan.json.coreform-tmp-${process.pid}-1`;
    writeFileSync(join(dir, live), "{}");

    const check = await cli(dir, "render", "--check");
    expect(check.code).toBe(1);
    const tops = [`out/test/.ignition.tmp-${dead}-1796600000000`, `out/test/ignition.old-${dead}-1796600000000`, `.coreform/.test.tmp-${dead}`, `.coreform/test/ca.crt.tmp-${dead}`, `.coreform/test/members/.control-01.key.coreform-tmp-${dead}-3`, `out/test/.new.coreform-tmp-${dead}-1796600000000`];
    for (const path of tops) expect(check.stdout).toContain(`${path}: left by an interrupted run (render removes it)`);

    expect((await cli(dir, "render")).code).toBe(0);
    for (const path of tops) expect([path, existsSync(join(dir, path))]).toEqual([path, false]);
    expect(existsSync(join(dir, live))).toBe(true);
    rmSync(join(dir, live));
    expect((await cli(dir, "render", "--check")).code).toBe(0);
  });
});

describe("one render at a time per project", () => {
  test("a lock held by a running coreform: render, kubeconfig and pin --write exit 1 saying who holds it; check waits for it; nothing changes", async () => {
    const dir = await rendered();
    const holder = spawn("sleep", ["30"]);
    try {
      const since = "2026-12-07T10:00:00.000Z";
      writeFileSync(join(dir, ".coreform/lock"), `${JSON.stringify({ command: "render", pid: holder.pid, host: hostname(), since })}\n`);
      const before = { secrets: tree(join(dir, ".coreform")), out: tree(join(dir, "out")), spec: readFileSync(join(dir, "cluster.yaml"), "utf8") };
      const who = `coreform render (pid ${holder.pid} on ${hostname()}, since ${since})`;
      for (const argv of [["render"], ["kubeconfig", "test"], ["pin", "--write", "--version", "4593.2.5"]]) {
        const r = await cli(dir, ...argv);
        expect([argv, r.code]).toEqual([argv, 1]);
        expect(r.stderr).toContain(`${who} is writing this project (${join(dir, ".coreform/lock")}): wait for it to finish; if that process is gone, remove the file`);
      }
      const check = await cli(dir, "render", "--check");
      expect(check.code).toBe(1);
      expect(check.stderr).toContain(`${who} is writing this project: check again when it is done`);
      expect({ secrets: tree(join(dir, ".coreform")), out: tree(join(dir, "out")), spec: readFileSync(join(dir, "cluster.yaml"), "utf8") }).toEqual(before);
    } finally {
      holder.kill();
    }
  });

  test("a lock a killed run left is taken over, and said", async () => {
    const dir = await rendered();
    const dead = deadPid();
    writeFileSync(join(dir, ".coreform/lock"), `${JSON.stringify({ command: "render", pid: dead, host: hostname(), since: "2026-12-07T10:00:00.000Z" })}\n`);
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`coreform: took over ${join(dir, ".coreform/lock")} from coreform render (pid ${dead} on ${hostname()}, since 2026-12-07T10:00:00.000Z), which is no longer running`);
    expect(existsSync(join(dir, ".coreform/lock"))).toBe(false);
  });

  test("two renders at once on existing secrets, new members to make: each one either does it all or is refused; out/ matches .coreform/", async () => {
    for (let round = 0; round < 2; round++) {
      const dir = await rendered();
      writeFileSync(join(dir, "cluster.yaml"), smallSpec({ control: 5, worker: 1 }));
      const [a, b] = await Promise.all([cliProcess(dir, ["render"]), cliProcess(dir, ["render"])]);
      for (const r of [a, b]) {
        if (r.code !== 0) expect(r.stderr).toMatch(/coreform render \(pid \d+ on .*\) is writing this project|appeared while this render ran/);
        expect([0, 1]).toContain(r.code);
      }
      expect([a.code, b.code]).toContain(0);
      // Every certificate in out/ is the one in .coreform/, member certificates and keys of one run.
      const check = await cli(dir, "render", "--check");
      expect([round, check.stdout.split("\n").at(-1)]).toEqual([round, expect.stringContaining("out/ matches cluster.yaml")]);
      expect(existsSync(join(dir, ".coreform/lock"))).toBe(false);
    }
  }, 120_000);
});

describe("etcd membership changed on a rendered environment", () => {
  test("more control nodes are said with the members before and after; a renamed control group is refused, naming the kind to accept", async () => {
    const dir = await rendered();
    expect((await cli(dir, "render")).stderr).toBe("");
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ control: 5, worker: 1 }));
    const more = await cli(dir, "render");
    expect(more.code).toBe(0);
    expect(more.stderr).toContain("test: added control-04, control-05; 4 nodes changed; etcd 3 members (quorum 2) → 5 members (quorum 3) (coreform diff test shows each)");
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ control: 5, worker: 1 }).replace("name: control, role: control", "name: etcd, role: control"));
    const before = tree(dir);
    const renamed = await cli(dir, "render");
    expect(renamed.code).toBe(2);
    expect(renamed.stderr).toContain("test: refused: group control: its nodes go and group etcd's come: renamed, its control nodes would be replaced by new ones");
    expect(renamed.stderr).toContain("to render it anyway: coreform render test --accept rename");
    expect(tree(dir)).toEqual(before);
  });
});

describe("paths in the way", () => {
  test.each([
    [".coreform/test is a file", ".coreform/test", "cannot read {dir}/.coreform/test: a file is where a directory belongs (ENOTDIR)"],
    [".coreform is a file", ".coreform", "cannot write {dir}/.coreform: a file is where a directory belongs (ENOTDIR)"],
    ["out/test is a file", "out/test", "cannot write {dir}/out/test: a file is where a directory belongs (ENOTDIR)"],
  ])("%s: exit 1 naming it", async (_name, path, message) => {
    const dir = project(smallSpec());
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), "in the way\n");
    const r = await cli(dir, "render");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`coreform render: ${message.replace("{dir}", dir)}`);
    expect(r.stderr).not.toMatch(/appeared while this render ran|ENOENT/);
  });
});

describe("where the spec is", () => {
  test("from a subdirectory of a project, the project's cluster.yaml is used, as git finds .git", async () => {
    const dir = await rendered();
    const sub = join(dir, "out", "test");
    const v = await cli(sub, "validate");
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`${join(dir, "cluster.yaml")}: valid`);
    const r = await cli(sub, "render", "--check");
    expect(r.stdout).toContain("matches");
    expect(existsSync(join(sub, "out"))).toBe(false);
  });

  test("with none here or above: says where it looked and how to make one", async () => {
    const dir = tempDir();
    const r = await cli(dir, "validate");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, "cluster.yaml")}: not found, nor in any directory above: create one with \`coreform init\`, or name one with -f`);
  });
});

describe("printed hints", () => {
  test("a path with a space is quoted in the export line: pasted into a shell it gives the file", async () => {
    const dir = join(tempDir(), "my dir");
    mkdirSync(dir);
    writeFileSync(join(dir, "cluster.yaml"), smallSpec());
    expect((await cli(dir, "render")).code).toBe(0);
    const r = await cli(dir, "kubeconfig", "test");
    const line = r.stdout.split("\n").find((l) => l.startsWith("use it: "))!.slice("use it: ".length);
    expect(line).toBe(`export KUBECONFIG='${join(dir, ".coreform/test/kubeconfig")}'`);
    expect(execFileSync("sh", ["-c", `${line}; printf %s "$KUBECONFIG"`], { encoding: "utf8" })).toBe(join(dir, ".coreform/test/kubeconfig"));
  });
});

describe("output streams", () => {
  const big = smallSpec({ control: 3, worker: 397 }).replace("environments:\n", "environments:\n  other:\n    platform: libvirt\n    network: { cidr: 10.43.0.0/16 }\n").replace("cidr: 10.42.0.0/24", "cidr: 10.42.0.0/16");

  (findTool("script") ? test : test.skip)("a large render shows one progress line per environment on a terminal, and none into a pipe", async () => {
    const dir = project(big);
    // `script` gives the command a terminal (util-linux).
    const tty = spawnSync("script", ["-qec", `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_ENTRY)} render`, "/dev/null"], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toContain("coreform: rendering other (1 of 2): 400 nodes…");
    expect(tty.stdout).toContain("coreform: rendering test (2 of 2): 400 nodes…");
    const piped = await cliProcess(dir, ["render"]);
    expect(piped.code).toBe(0);
    expect(piped.stdout + piped.stderr).not.toContain("rendering");
  }, 180_000);

  test("a closed pipe (coreform pin | head -1, render --check | true): no stack trace, the command's own exit code", async () => {
    const dir = await rendered();
    for (const [args, code] of [[["pin"], 1], [["render", "--check"], 0]] as const) {
      const child = spawn(process.execPath, [CLI_ENTRY, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.destroy(); // the reader is gone before the first line
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      const exit = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
      expect([args, exit]).toEqual([args, code]);
      expect(stderr).not.toMatch(/EPIPE|Error:|\n\s+at /);
    }
  });
});

describe("a project made by coreform init, outside this repository", () => {
  test("gets a .gitignore (git add -A stages no secret) that an existing one gains lines in, never loses", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".gitignore"), "node_modules/\n/out\n");
    expect((await cli(dir, "init")).code).toBe(0);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe(
      "node_modules/\n/out\n\n# coreform: secrets, rendered node configs, synthesized stacks and Terraform state (they hold TLS keys)\n.coreform/\ncdktf.out/\n*.tfstate\n*.tfstate.*\n",
    );
    const fresh = tempDir();
    expect((await cli(fresh, "init")).stdout).toContain(`wrote ${join(fresh, ".gitignore")}`);
    expect((await cli(fresh, "render")).code).toBe(0);
    if (!findTool("git")) {
      if (process.env.CI) throw new Error("git is a test tool: scripts/install-test-tools.sh installs it");
      return;
    }
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: fresh, encoding: "utf8" });
    // Terraform state holds every node's user data: a local backend's path may put it beside the spec.
    mkdirSync(join(fresh, "state"));
    for (const f of ["prod.tfstate", "prod.tfstate.backup"]) writeFileSync(join(fresh, "state", f), "{}\n");
    git("init", "-q");
    git("add", "-A");
    expect(git("diff", "--cached", "--name-only").split("\n").filter(Boolean).sort()).toEqual([".gitignore", "cdktf.json", "cluster.schema.json", "cluster.yaml"]);
  });

  test("gets a cdktf.json whose app, run as cdktf runs it in the project, synthesizes the project's stacks", async () => {
    const dir = tempDir();
    expect((await cli(dir, "init")).code).toBe(0);
    writeFileSync(join(dir, "cluster.yaml"), readFileSync(join(dir, "cluster.yaml"), "utf8"));
    expect((await cli(dir, "render", "prod")).code).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, "cdktf.json"), "utf8")) as { app: string; output: string };
    const main = join(__dirname, "../../dist/stacks/main.js");
    expect(config).toMatchObject({ app: `node ${JSON.stringify(main)}`, output: "cdktf.out" });
    if (!existsSync(main)) {
      // `npm ci` builds dist/ (prepare), as CI does; a checkout without it cannot run the app.
      if (process.env.CI) throw new Error(`${main} is missing: npm ci builds it`);
      return;
    }
    // cdktf runs `app` through a shell in the directory of cdktf.json, with CDKTF_OUTDIR set.
    const out = execFileSync("sh", ["-c", config.app], { cwd: dir, env: { ...process.env, CDKTF_OUTDIR: join(dir, config.output) }, encoding: "utf8" });
    expect(out).toContain("coreform: synthesized prod");
    expect(readdirSync(join(dir, "cdktf.out", "stacks"))).toEqual(["prod"]);
    const stack = JSON.parse(readFileSync(join(dir, "cdktf.out/stacks/prod/cdk.tf.json"), "utf8"));
    expect(stack.terraform.backend.local.path).toBe("../../../.coreform/prod/terraform.tfstate");
    // A second init never overwrites it.
    writeFileSync(join(dir, "cdktf.json"), "{}\n");
    rmSync(join(dir, "cluster.yaml"));
    expect((await cli(dir, "init")).code).toBe(0);
    expect(readFileSync(join(dir, "cdktf.json"), "utf8")).toBe("{}\n");
  }, 120_000);
});
