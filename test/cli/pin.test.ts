// `coreform pin`: what still floats in a spec, and pinning os.version in the file the user wrote, through
// the real CLI on temporary projects.
import { chmodSync, copyFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, editSpec, project, smallSpec, tempDir, type Doc } from "../helpers/cli";

const DEFAULT_SPEC = join(__dirname, "../../cluster.yaml");
const DIGEST = `sha256:${"0a".repeat(32)}`;

function defaultProject(): string {
  const dir = tempDir();
  copyFileSync(DEFAULT_SPEC, join(dir, "cluster.yaml"));
  return dir;
}
const specOf = (dir: string) => readFileSync(join(dir, "cluster.yaml"), "utf8");
const paths = (stdout: string) => stdout.split("\n").filter((l) => l.includes(": floating (")).map((l) => l.slice(0, l.indexOf(":")));

/** smallSpec with every input pinned (a libvirt environment), changed by `edit`. */
const pinned = (edit: (d: Doc) => void = () => {}) =>
  editSpec((d) => {
    d.os = { version: "4593.2.5" };
    d.etcd = { digest: DIGEST };
    d.scheduler = { kind: "kubernetes", sysupdate: false };
    d.updates.rebootStrategy = "off";
    delete d.updates.window;
    edit(d);
  });

describe("coreform pin reports what floats", () => {
  test("the default cluster.yaml: the release, etcd's tag, k3s's sysupdate and the updater, exit 1", async () => {
    const r = await cli(defaultProject(), "pin");
    expect(r.code).toBe(1);
    expect(paths(r.stdout)).toEqual(["os.version", "etcd.digest", "scheduler.sysupdate", "updates.server"]);
    expect(r.stdout).toContain("os.version: floating (current: laptop, kvm, openstack, prod, gce, azure boot the newest stable release on the day each node is created");
    expect(r.stdout).toContain("etcd.digest: floating (the tag quay.io/coreos/etcd:v3.5.33 can be pushed again");
    expect(r.stdout).toContain("updates.server: floating (update_engine installs new stable releases from https://public.update.flatcar-linux.net/v1/update/");
    expect(r.stderr).toBe("coreform pin: 4 floating inputs in laptop, kvm, openstack, prod, gce, azure");
  });

  test("a spec with every input pinned: exit 0, nothing floating", async () => {
    const r = await cli(project(pinned()), "pin");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("pinned: test boot Flatcar stable 4593.2.5 with every image and release fixed");
    expect(r.code).toBe(0);
  });

  test.each<[string, (d: Doc) => void, string[]]>([
    ["the channel's newest release", (d) => (d.os = { version: "current" }), ["os.version"]],
    ["etcd by tag", (d) => (d.etcd = {}), ["etcd.digest"]],
    ["k3s following its minor", (d) => (d.scheduler.sysupdate = true), ["scheduler.sysupdate"]],
    ["fleet by tag", (d) => ((d.scheduler = { kind: "fleet" }), (d.updates.rebootStrategy = "off")), ["scheduler.image"]],
    ["fleet by digest", (d) => (d.scheduler = { kind: "fleet", image: `quay.io/coreos/fleet:v1.0.0@${DIGEST}` }), []],
    ["no scheduler", (d) => (d.scheduler = { kind: "none" }), []],
    ["updates that reboot", (d) => (d.updates.rebootStrategy = "reboot"), ["updates.server"]],
    ["updates that reboot, from no server", (d) => ((d.updates.rebootStrategy = "reboot"), (d.updates.server = "disabled")), []],
    [
      "a GCE image family",
      (d) => (d.environments.test = { platform: "gce", project: "coreform-test", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ["203.0.113.0/24"], image: "projects/coreform-test/global/images/family/flatcar" }),
      ["environments.test.image"],
    ],
    ["an AMI of one's own, whatever os.version says", (d) => ((d.os = { version: "current" }), (d.environments.test = { platform: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"], ami: "ami-0123456789abcdef0" })), []],
  ])("%s", async (_name, edit, expected) => {
    const r = await cli(project(pinned(edit)), "pin");
    expect(paths(r.stdout)).toEqual(expected);
    expect(r.code).toBe(expected.length ? 1 : 0);
  });

  test("ENV… narrows the report to those environments", async () => {
    const text = pinned((d) => {
      d.os = { version: "current" };
      d.environments = { a: { platform: "libvirt" }, b: { platform: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"], ami: "ami-0123456789abcdef0" } };
    });
    const dir = project(text);
    expect((await cli(dir, "pin", "b")).code).toBe(0);
    const a = await cli(dir, "pin", "a");
    expect(a.stdout).toMatch(/^os\.version: floating \(current: a boots the newest/);
    expect((await cli(dir, "pin", "nope")).code).toBe(2);
  });

  test("a bad spec: exit 2 with its problems, as validate", async () => {
    const r = await cli(project(smallSpec().replace("cidr: 10.42.0.0/24", "cidr: nonsense")), "pin");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^network\.cidr: must be an IPv4 CIDR/m);
  });
});

describe("coreform pin --write", () => {
  test("pins os.version in the default cluster.yaml changing that one value: every comment and line else stays", async () => {
    const dir = defaultProject();
    const before = specOf(dir);
    const r = await cli(dir, "pin", "--write", "--version", "4593.2.5");
    expect(r.stdout.split("\n")[0]).toBe(`${join(dir, "cluster.yaml")}: os.version 4593.2.5 (was current)`);
    const after = specOf(dir);
    expect(after).toBe(before.replace(/^  version: current$/m, "  version: 4593.2.5"));
    expect(after).not.toBe(before);
    // what is left floating is reported as before, minus the release
    expect(paths(r.stdout)).toEqual(["etcd.digest", "scheduler.sysupdate", "updates.server"]);
    expect(r.code).toBe(1);
  });

  test("keeps an inline comment, the quoting and the file's mode; a second run changes nothing", async () => {
    const text = smallSpec().replace("ssh:", 'os:\n  channel: stable   # the channel\n  version: "current"   # pin for demos\nssh:');
    const dir = project(text);
    chmodSync(join(dir, "cluster.yaml"), 0o640);
    await cli(dir, "pin", "--write", "--version", "4593.2.5");
    expect(specOf(dir)).toBe(text.replace('version: "current"', 'version: "4593.2.5"'));
    expect(statSync(join(dir, "cluster.yaml")).mode & 0o777).toBe(0o640);
    const again = await cli(dir, "pin", "--write", "--version", "4593.2.5");
    expect(again.stdout.split("\n")[0]).toContain("os.version 4593.2.5 (already)");
    expect(specOf(dir)).toBe(text.replace('version: "current"', 'version: "4593.2.5"'));
  });

  test("adds os.version to a spec without an os section, keeping its comments", async () => {
    const text = `# my demo\n${smallSpec()}`;
    const dir = project(text);
    const r = await cli(dir, "pin", "--write", "--version", "4593.2.5");
    expect(r.code).toBe(1);
    const after = specOf(dir);
    expect(after.startsWith("# my demo\n")).toBe(true);
    expect(after).toMatch(/^os:\n {2}version: 4593\.2\.5$/m);
    expect((await cli(dir, "validate")).code).toBe(0);
  });

  test("reads the release from a Flatcar version.txt", async () => {
    const dir = project(pinned((d) => (d.os = { version: "current" })));
    const file = join(dir, "version.txt");
    writeFileSync(file, 'FLATCAR_BUILD=4593\nFLATCAR_BRANCH=2\nFLATCAR_PATCH=5\nFLATCAR_VERSION=4593.2.5\nFLATCAR_VERSION_ID=4593.2.5\nFLATCAR_BUILD_ID="2026-01-27-0000"\nFLATCAR_SDK_VERSION=4593.0.0\n');
    const r = await cli(dir, "pin", "--write", "--release", "version.txt");
    expect(r.code).toBe(0);
    expect(specOf(dir)).toMatch(/version: 4593\.2\.5/);
  });

  test.each([
    [["--write"], "--write needs one of --version X.Y.Z or --release FILE"],
    [["--write", "--version", "4593.2.5", "--release", "v.txt"], "--write needs one of"],
    [["--version", "4593.2.5"], "--version and --release go with --write"],
    [["--write", "--version", "stable"], "--version stable: must be a Flatcar release like 4593.2.5"],
    [["--write", "--release", "missing.txt"], "--release missing.txt: no such file"],
    [["--write", "--release", "cluster.yaml"], "cluster.yaml: no Flatcar release in it"],
  ])("%j: exit 2, the spec untouched", async (args, message) => {
    const dir = defaultProject();
    const before = specOf(dir);
    const r = await cli(dir, "pin", ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(specOf(dir)).toBe(before);
  });

  test("a release AWS may no longer have is written, with validate's warning", async () => {
    const dir = project(pinned((d) => (d.environments.test = { platform: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"] })));
    const r = await cli(dir, "pin", "--write", "--version", "3815.2.0");
    expect(r.stderr).toMatch(/^warning: os\.version: Flatcar 3815\.2\.0 is from 2023-12-11 or a little later/m);
    expect(specOf(dir)).toContain("version: 3815.2.0");
  });

  test("the default cluster.yaml pinned as README's Reproducible demos says: exit 0", async () => {
    const dir = defaultProject();
    await cli(dir, "pin", "--write", "--version", "4593.2.5");
    const text = specOf(dir)
      .replace(/^  version: v3\.5\.33$/m, `  version: v3.5.33\n  digest: ${DIGEST}`)
      .replace(/^  rebootStrategy: etcd-lock$/m, "  rebootStrategy: \"off\"")
      .replace(/^  version: v1\.32\.2\+k3s1(.*)$/m, "  version: v1.32.2+k3s1$1\n  sysupdate: false");
    writeFileSync(join(dir, "cluster.yaml"), text);
    const r = await cli(dir, "pin");
    expect(r.stdout).toBe("pinned: laptop, kvm, openstack, prod, gce, azure boot Flatcar stable 4593.2.5 with every image and release fixed");
    expect(r.code).toBe(0);
  });

  test("then every environment of the default spec renders its image pinned", async () => {
    const dir = defaultProject();
    await cli(dir, "pin", "--write", "--version", "4593.2.5");
    expect((await cli(dir, "render")).code).toBe(0);
    for (const env of ["laptop", "kvm", "openstack", "prod", "gce", "azure"]) {
      const plan = JSON.parse(readFileSync(join(dir, "out", env, "plan.json"), "utf8"));
      expect({ env, pinned: plan.image.pinned, from: plan.image.from }).toEqual({ env, pinned: true, from: "os.version" });
      expect(plan.image.reference).toMatch(/4593[.-]2[.-]5/);
    }
  });
});
