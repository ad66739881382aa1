// The etcd-member script's data disk step (`disk`, which `prepare` runs before etcd starts), as rendered,
// run for real as root on loop devices, each case in a private mount namespace of its own (unshare -m):
// what it formats, mounts and grows, and what it never touches. DISKS limits it to the case's devices.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildNodeConfig } from "../../src/node/build";
import { planCluster } from "../../src/plan/plan";
import { ensureSecrets } from "../../src/secrets/store";
import { smallSpec, tempDir } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";
import { describeWithTools } from "../helpers/tools";

const run = promisify(execFile);
const TOOLS = ["unshare", "losetup", "lsblk", "blkid", "mkfs.ext4", "resize2fs", "dumpe2fs", "sfdisk", "findmnt", "mountpoint", "truncate"];
const asRoot = process.getuid?.() === 0;
if (!asRoot) process.stderr.write("\n*** SKIPPING the data disk tests: they need root (CI runs as root) ***\n\n");
const describeDisk = asRoot ? describeWithTools(TOOLS) : describe.skip;

describeDisk("a control node's data disk (etcd-member disk), on loop devices", () => {
  let dir: string;
  let script: string;
  const loops: string[] = [];

  beforeAll(async () => {
    dir = tempDir();
    const spec = specFrom(smallSpec({ control: 1, worker: 0 }));
    const plan = planCluster(spec, "test");
    const config = buildNodeConfig({ spec, plan, node: plan.nodes[0]!, secrets: await ensureSecrets(tempDir(), plan) });
    script = join(dir, "etcd-member");
    writeFileSync(script, config.files.find((f) => f.path === "/opt/coreform/etcd-member")!.contents);
    writeFileSync(join(dir, "etcd.env"), `ETCD_NAME=control-01\nETCD_DATA_DIR=${dir}/data\n`);
  });

  afterEach(async () => {
    for (const loop of loops.splice(0)) await run("losetup", ["-d", loop]).catch(() => undefined);
  });

  /** A loop device over a sparse file of `gib` GiB, prepared by `setup` (a shell command on $DEV). */
  async function loop(gib: number, setup = ""): Promise<string> {
    const file = join(tempDir(), "disk.img");
    await run("truncate", ["-s", `${gib}G`, file]);
    const dev = (await run("losetup", ["-f", "--show", file])).stdout.trim();
    loops.push(dev);
    if (setup) await run("bash", ["-euc", setup], { env: { ...process.env, DEV: dev } });
    return dev;
  }

  /** Runs `steps` (bash, with `disk` = the script's step) in a mount namespace of its own; mounts end with it. */
  async function inNamespace(disks: readonly string[], steps: string) {
    const env = { ...process.env, DISKS: disks.join(" "), DISK_SECONDS: "2", RETRY_SECONDS: "1", DATA: `${dir}/data`,
      ETCD_ENV_FILE: join(dir, "etcd.env"), STATE_FILE: join(dir, "run", "cluster.env") };
    const shell = `set -u; disk() { bash ${script} disk; }; ${steps}`;
    return run("unshare", ["-m", "--propagation", "private", "bash", "-c", shell], { env }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
    );
  }
  const probe = async (dev: string) => (await run("blkid", ["-p", "-o", "export", dev]).catch(() => ({ stdout: "" }))).stdout;

  test("a blank disk of etcd.diskGiB is formatted, labelled and mounted; mounted again later, never formatted again", async () => {
    const dev = await loop(10);
    const r = await inNamespace([dev], `disk && findmnt -no SOURCE,FSTYPE "$DATA" && echo kept >"$DATA/mark" && umount "$DATA" && disk && cat "$DATA/mark" && disk`);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toContain(`etcd-member: formatting ${dev}`);
    expect(r.out.match(/formatting/g)).toHaveLength(1);
    expect(r.out).toContain(`${dev} ext4`);
    expect(r.out).toContain("kept");
    expect(await probe(dev)).toMatch(/^LABEL=coreform-etcd$/m);
  });

  test("the disk labelled coreform-etcd is mounted whatever its size (a grown one); its filesystem grows to the disk before it is mounted", async () => {
    const dev = await loop(10, 'mkfs.ext4 -q -L coreform-etcd "$DEV"');
    const file = (await run("losetup", ["-nO", "BACK-FILE", dev])).stdout.trim();
    await run("truncate", ["-s", "12G", file]);
    await run("losetup", ["-c", dev]);
    const r = await inNamespace([dev], `disk && df -B1 --output=size "$DATA" | tail -1`);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).not.toContain("formatting");
    expect(Number(r.out.trim().split("\n").pop())).toBeGreaterThan(11 * 2 ** 30);
  });

  test.each([
    ["a filesystem of its own (ext4 without the label)", 'mkfs.ext4 -q -L other "$DEV"', /TYPE=ext4/],
    ["a partition table", 'echo "label: gpt" | sfdisk -q "$DEV"', /PTTYPE=gpt/],
  ])("a disk of exactly that size holding %s is never touched: etcd stays down, the disk named", async (_n, setup, kept) => {
    const dev = await loop(10, setup);
    const before = await probe(dev);
    const r = await inNamespace([dev], "disk");
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`no disk labelled coreform-etcd, nor a blank one of 10 GiB (${dev} hold data: not touched) after 2 s`);
    expect(await probe(dev)).toBe(before);
    expect(before).toMatch(kept);
  });

  test("no disk within the bound: a clear failure, nothing mounted", async () => {
    const dev = await loop(5);
    const r = await inNamespace([dev], 'disk; echo "exit $?"; mountpoint -q "$DATA" || echo "not mounted"');
    expect(r.out).toContain("exit 1");
    expect(r.out).toContain("not mounted");
    expect(r.err).toContain("etcd-member: no disk labelled coreform-etcd, nor a blank one of 10 GiB after 2 s");
    expect(await probe(dev)).toBe("");
  });

  test("two blank disks of that size: neither is formatted, the fix named", async () => {
    const [a, b] = [await loop(10), await loop(10)];
    const r = await inNamespace([a, b], "disk");
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`${a} ${b}: which is this member's? Label it coreform-etcd`);
    expect([await probe(a), await probe(b)]).toEqual(["", ""]);
  });
});
