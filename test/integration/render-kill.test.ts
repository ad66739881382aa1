// A render killed with SIGKILL at many points, on a full disk and on a read-only one, through the real
// CLI in a child process. strace injects the kill at the Nth call of a system call render makes while
// it writes (`-e inject=rename:signal=KILL:when=N`); tmpfs mounts in a mount namespace of the test's
// own (`unshare -m`, as root, as CI runs) make the full and read-only disks. After each fault: every
// environment's out/<env>/ is all old or all new, or a committed journal says which swap to finish;
// the next render finishes or removes what the killed one left, and Vagrant's files stay.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { isTemporary } from "../../src/files";
import { JOURNAL } from "../../src/cli/emit";
import { RECORD_FILE } from "../../src/secrets/record-file";
import { CLI_ENTRY, cli, project, tempDir, tree } from "../helpers/cli";
import { TEST_KEY } from "../helpers/ssh-keys";
import { describeWithTools, findTool } from "../helpers/tools";

const SPEC = (workers: number, control = 3) => `apiVersion: coreform/v1
name: t
ssh:
  authorizedKeys: [${JSON.stringify(TEST_KEY)}]
network:
  cidr: 10.42.0.0/24
nodes:
  - { name: control, role: control, count: ${control} }
  - { name: worker, role: worker, count: ${workers} }
scheduler: { kind: none }
environments:
  a:
    platform: libvirt
  b:
    platform: vagrant
    network: { cidr: 192.168.56.0/24 }
`;

/** Files coreform does not own, which no render may touch. */
const USER_FILES: Record<string, string> = {
  "out/b/.vagrant/machines/control-01/virtualbox/id": "4f1c2e9a\n",
  "out/b/config.rb": '$forwarded_ports = { "control-01" => { 2379 => 12379 } }\n',
  "out/a/notes.txt": "mine\n",
};

/** A project rendered with `workers` workers, with the user's own files in out/. */
async function renderedProject(workers: number): Promise<string> {
  const dir = project(SPEC(workers));
  expect((await cli(dir, "render")).code).toBe(0);
  for (const [path, text] of Object.entries(USER_FILES)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Every file below `dir`/`sub` (mode and hash), leftovers of interrupted runs apart. */
function files(dir: string, sub: string): Record<string, string> {
  if (!existsSync(join(dir, sub))) return {};
  return Object.fromEntries(Object.entries(tree(join(dir, sub))).filter(([path]) => !path.split("/").some(isTemporary)));
}

/** Every leftover of an interrupted run below `dir`, and the journal and the lock. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((p) => p.split("/").some(isTemporary) || p.endsWith(JOURNAL) || p === ".coreform/lock");
}

/** `render` in `dir`, killed by strace at the `n`th call of `syscall`: the exit status (0 when it got through). */
function killedRender(dir: string, syscall: string, n: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn("strace", ["-f", "-qq", "-o", "/dev/null", "-e", `trace=${syscall}`, "-e", `inject=${syscall}:signal=KILL:when=${n}`, process.execPath, CLI_ENTRY, "render"], {
      cwd: dir,
      stdio: "ignore",
    });
    child.on("close", (code, signal) => resolve(signal ? 128 : code));
  });
}

/** Runs `jobs` at most `width` at a time. */
async function inBatches<T>(jobs: readonly (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += width) results.push(...(await Promise.all(jobs.slice(i, i + width).map((j) => j()))));
  return results;
}

/**
 * Where to kill render (strace kills on entry, before the call runs): before every rename (the swap in
 * both environments), both links (the lock, then the journal: the commit point), and some of the
 * directories made (staging), files written and modes set (before the commit), and files and
 * directories removed (after it). Counted from this spec's render: 14 renames, 2 links.
 */
const POINTS: readonly [string, number][] = [
  ...Array.from({ length: 14 }, (_, i) => ["rename", i + 1] as [string, number]),
  ["link", 1],
  ["link", 2],
  ...[1, 3, 5, 7].map((n) => ["mkdir", n] as [string, number]),
  ...[1, 6, 11, 16].map((n) => ["fchmod", n] as [string, number]),
  ...[2, 8, 14, 20].map((n) => ["write", n] as [string, number]),
  ...[1, 4, 10, 16].map((n) => ["unlink", n] as [string, number]),
  ...[1, 8].map((n) => ["rmdir", n] as [string, number]),
];

const describeKills = describeWithTools(["strace"]);

describeKills("kill -9 at many points of a render (strace)", () => {
  let before: string;
  let expectedNew: Record<string, string>;
  beforeAll(async () => {
    before = await renderedProject(1);
    const after = tempDir();
    cpSync(before, after, { recursive: true });
    writeFileSync(join(after, "cluster.yaml"), SPEC(2));
    expect((await cli(after, "render")).code).toBe(0);
    expectedNew = tree(join(after, "out"));
  }, 60_000);

  test(`at ${POINTS.length} points: each environment all old or all new (or a committed journal); the next render finishes it and removes every leftover`, async () => {
    const old = files(before, "out");
    const side = (tree: Record<string, string>, env: string) =>
      Object.fromEntries(Object.entries(tree).filter(([p]) => p.startsWith(`${env}/`)));
    const outcomes = await inBatches(
      POINTS.map(([syscall, n]) => async () => {
        const dir = tempDir();
        cpSync(before, dir, { recursive: true });
        writeFileSync(join(dir, "cluster.yaml"), SPEC(2));
        const status = await killedRender(dir, syscall, n);
        const now = files(dir, "out");
        const journal = existsSync(join(dir, "out", JOURNAL));
        const states = ["a", "b"].map((env) => {
          const mine = side(now, env);
          return JSON.stringify(mine) === JSON.stringify(side(old, env)) ? "old" : JSON.stringify(mine) === JSON.stringify(side(expectedNew, env)) ? "new" : "torn";
        });
        // Without a journal every environment is on the same side; with one, the next run completes it.
        const consistent = journal || states.every((s) => s === states[0] && s !== "torn");
        // Each leftover as check names it: the temporary file or directory itself, not what is inside it.
        const left = [
          ...new Set(
            leftovers(dir)
              .map((p) => p.split("/"))
              .filter((parts) => parts.some(isTemporary))
              .map((parts) => parts.slice(0, parts.findIndex(isTemporary) + 1).join("/")),
          ),
        ];
        const check = journal || left.length ? (await cli(dir, "render", "--check")).stdout : "";
        const again = await cli(dir, "render");
        return {
          point: `${syscall}#${n}`,
          killed: status !== 0,
          states: states.join("/"),
          consistent,
          journal,
          checkSaysInterrupted: !journal || check.includes("was interrupted while it replaced"),
          // Every temporary copy (some hold keys) is reported until the next render removes it.
          checkNamesLeftovers: left.every((p) => check.includes(`${p}: left by an interrupted run (render removes it)`)),
          completedAfter: again.code === 0 && JSON.stringify(tree(join(dir, "out"))) === JSON.stringify(expectedNew),
          saysCompleted: !journal || again.stderr.includes("completed the render that pid"),
          leftovers: leftovers(dir),
        };
      }),
      3,
    );
    if (process.env.SHOW_OUTCOMES) process.stderr.write(outcomes.map((o) => `${o.point} killed=${o.killed} ${o.states} journal=${o.journal}`).join("\n") + "\n");
    for (const o of outcomes) expect(o).toEqual({ ...o, consistent: true, checkSaysInterrupted: true, checkNamesLeftovers: true, completedAfter: true, saysCompleted: true, leftovers: [] });
    // The points reach every stage: killed before anything changed, in the middle of the swap, after it.
    const killed = outcomes.filter((o) => o.killed);
    expect([killed.some((o) => o.states === "old/old" && !o.journal), killed.some((o) => o.journal), killed.some((o) => o.states === "new/new" && !o.journal)]).toEqual([true, true, true]);
  }, 600_000);

  test("killed while new secrets are written (a fourth control node): the next render finishes them, and out/ matches them", async () => {
    const points: [string, number][] = [["link", 2], ["link", 3], ["fsync", 1], ["fsync", 2], ["fsync", 3], ["unlink", 2], ["unlink", 3]];
    const outcomes = await inBatches(
      points.map(([syscall, n]) => async () => {
        const dir = tempDir();
        cpSync(before, dir, { recursive: true });
        writeFileSync(join(dir, "cluster.yaml"), SPEC(1, 4));
        await killedRender(dir, syscall, n);
        const out = files(dir, "out");
        const journal = existsSync(join(dir, "out", JOURNAL));
        const again = await cli(dir, "render");
        const check = await cli(dir, "render", "--check");
        return {
          point: `${syscall}#${n}`,
          // Secrets are written before out/ is touched: a run killed then left out/ as it was.
          outUntouched: !journal && JSON.stringify(out) === JSON.stringify(files(before, "out")),
          again: again.code,
          check: check.code,
          pair: existsSync(join(dir, ".coreform/a/members/control-04.crt")) && existsSync(join(dir, ".coreform/a/members/control-04.key")),
          leftovers: leftovers(dir),
        };
      }),
      3,
    );
    for (const o of outcomes) expect(o).toEqual({ ...o, outUntouched: true, again: 0, check: 0, pair: true, leftovers: [] });
  }, 300_000);
});

/** Runs `script` (sh) in a mount namespace of its own, as root; its output. */
function inMountNamespace(script: string): { code: number; stdout: string } {
  try {
    return { code: 0, stdout: execFileSync("unshare", ["-m", "--", "sh", "-ec", script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: `${err.stdout}\n${err.stderr}` };
  }
}

const root = process.getuid?.() === 0;
if (!root && process.env.CI) throw new Error("the disk fault tests mount tmpfs in a mount namespace: run them as root (CI does)");
const describeDisks = root && findTool("unshare") ? describe : describe.skip;
if (!root) process.stderr.write("\n*** SKIPPING full and read-only disk tests: they need root (unshare -m, mount) ***\n\n");

describeDisks("a full disk and a read-only one (tmpfs in a mount namespace)", () => {
  const node = process.execPath;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

  test("no space left while render stages: exit 1 saying so, earlier output as it was, no partial file left", async () => {
    const before = await renderedProject(1);
    const mnt = tempDir("coreform-mnt-");
    const result = tempDir("coreform-result-");
    // The project on a 1 MiB tmpfs, filled up to a few KiB, then a render that needs more.
    const r = inMountNamespace(`
      mount -t tmpfs -o size=1m tmpfs ${q(mnt)}
      cp -a ${q(before)}/. ${q(mnt)}/
      printf '%s' ${q(SPEC(3))} > ${q(mnt)}/cluster.yaml
      dd if=/dev/zero of=${q(mnt)}/filler bs=1k count=2000 2>/dev/null || true
      truncate -s -24K ${q(mnt)}/filler
      cd ${q(mnt)} && ${q(node)} ${q(CLI_ENTRY)} render 2>&1 || echo "exit $?"
      rm -f ${q(mnt)}/filler
      cp -a ${q(mnt)}/. ${q(result)}/`);
    expect(r.stdout).toMatch(new RegExp(`coreform render: cannot write ${mnt}/out/[ab]/\\S+: no space left on device \\(ENOSPC\\)`));
    expect(r.stdout).not.toMatch(/coreform-tmp/);
    expect(r.stdout).toContain("exit 1");
    expect(files(result, "out")).toEqual(files(before, "out"));
    // The records go with the secrets, before any output: each says what this render accepted.
    const secrets = (dir: string) => Object.fromEntries(Object.entries(tree(join(dir, ".coreform"))).filter(([p]) => !p.endsWith(`/${RECORD_FILE}`)));
    expect(secrets(result)).toEqual(secrets(before));
    expect(leftovers(result)).toEqual([]);
  });

  test("no space left for the first secrets: no half-made secrets directory, no 0-byte key", () => {
    const mnt = tempDir("coreform-mnt-");
    const result = tempDir("coreform-result-");
    const r = inMountNamespace(`
      mount -t tmpfs -o size=64k tmpfs ${q(mnt)}
      printf '%s' ${q(SPEC(1))} > ${q(mnt)}/cluster.yaml
      dd if=/dev/zero of=${q(mnt)}/filler bs=1k count=200 2>/dev/null || true
      truncate -s -8K ${q(mnt)}/filler
      cd ${q(mnt)} && ${q(node)} ${q(CLI_ENTRY)} render 2>&1 || echo "exit $?"
      rm -f ${q(mnt)}/filler
      cp -a ${q(mnt)}/. ${q(result)}/`);
    expect(r.stdout).toMatch(/no space left on device \(ENOSPC\)/);
    expect(r.stdout).toContain("exit 1");
    expect(readdirSync(result).sort()).toEqual(["cluster.yaml"]);
  });

  test("a read-only project, and a read-only -o: said as such, naming the path", () => {
    const dir = project(SPEC(1));
    const ro = tempDir("coreform-ro-");
    const r = inMountNamespace(`
      mount --bind ${q(dir)} ${q(dir)} && mount -o remount,ro,bind ${q(dir)}
      cd ${q(dir)} && ${q(node)} ${q(CLI_ENTRY)} render 2>&1 || echo "exit $?"
      mount -t tmpfs -o size=64k,ro tmpfs ${q(ro)}
      mount -o remount,rw,bind ${q(dir)}
      cd ${q(dir)} && ${q(node)} ${q(CLI_ENTRY)} render -o ${q(ro)} 2>&1 || echo "exit $?"`);
    expect(r.stdout).toContain(`coreform render: cannot write ${join(dir, ".coreform")}: read-only file system (EROFS)`);
    expect(r.stdout).toContain(`coreform render: cannot write ${join(ro, "a")}: read-only file system (EROFS)`);
    expect(r.stdout).not.toMatch(/ENOENT/);
    expect(r.stdout.match(/exit 1/g)).toHaveLength(2);
  });
});
