// Every rendered Ignition config passes Debian's ignition-validate, and the real Ignition binary
// applies it into a scratch root where the files, modes, units, masks and presets are as the node's
// config says (the expected config is read from the *cloud-config* output, so both formats are checked).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { copyFileSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromCloudConfig } from "../../cloud-config/coreos-cloudinit";
import { HTTP_TOTAL_SECONDS } from "../../cloud-config/ignition";
import { inBothFormats, renderNodes } from "../../cloud-config/user-data";
import { buildNodeConfig } from "../../src/node/build";
import { planCluster } from "../../src/plan/plan";
import { readSecrets, secretsDir } from "../../src/secrets/store";
import { cli, project, smallSpec, tempDir } from "../helpers/cli";
import { applyIgnition, servedBody } from "../helpers/ignition";
import { specFrom } from "../helpers/nodes";
import { sshKey } from "../helpers/ssh-keys";
import { describeWithTools, IGNITION_BIN } from "../helpers/tools";

const mode = (path: string) => lstatSync(path).mode & 0o777;

/**
 * The node's config as cloud-config text, rendered again in memory from the project's spec and
 * secrets, after checking that the same render gives the Ignition file on disk byte for byte: so the
 * files Ignition places are checked against the other format.
 */
function cloudConfigOf(project: string, env: string, node: string): string {
  const spec = specFrom(readFileSync(join(project, "cluster.yaml"), "utf8"));
  const plan = planCluster(spec, env);
  const rendered = renderNodes(spec, plan, readSecrets(secretsDir(project, env), plan)).find((n) => n.node.name === node)!;
  const both = inBothFormats(rendered.config);
  expect(both.ignition).toBe(readFileSync(join(project, "out", env, "ignition", `${node}.json`), "utf8"));
  return both.cloudConfig;
}

/**
 * The scratch root holds exactly what the node's cloud-config says (parsed back to a NodeConfig, so
 * both formats are checked): files, downloads, links, SSH keys, units, masks, drop-ins and presets.
 * Returns the preset lines.
 */
function expectApplied(root: string, node: string, cloudConfig: string): string[] {
  const expected = fromCloudConfig(cloudConfig);
  expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe(`${node}\n`);
  for (const f of expected.files) {
    const onDisk = join(root, f.path);
    expect({ path: f.path, contents: readFileSync(onDisk, "utf8"), mode: mode(onDisk) }).toEqual({ path: f.path, contents: f.contents, mode: f.mode });
  }
  for (const d of expected.downloads) {
    const onDisk = join(root, d.path);
    expect({ path: d.path, contents: readFileSync(onDisk, "utf8"), mode: mode(onDisk) }).toEqual({ path: d.path, contents: servedBody(d.source), mode: d.mode });
  }
  for (const l of expected.links) expect({ path: l.path, target: readlinkSync(join(root, l.path)) }).toEqual(l);
  const keys = readFileSync(join(root, "home/core/.ssh/authorized_keys.d/ignition"), "utf8");
  for (const k of expected.sshAuthorizedKeys) expect(keys).toContain(k);

  const preset = readFileSync(join(root, "etc/systemd/system-preset/20-ignition.preset"), "utf8").trim().split("\n").sort();
  const enabled = expected.units.filter((u) => u.enabled).map((u) => `enable ${u.name}`).sort();
  expect(preset).toEqual(enabled);
  for (const u of expected.units) {
    const unitFile = join(root, "etc/systemd/system", u.name);
    if (u.masked) expect(readlinkSync(unitFile)).toBe("/dev/null");
    else if (u.contents !== undefined) expect(readFileSync(unitFile, "utf8")).toBe(u.contents);
    for (const d of u.dropins ?? []) expect(readFileSync(join(root, "etc/systemd/system", `${u.name}.d`, d.name), "utf8")).toBe(d.contents);
  }
  return preset;
}

describeWithTools(["ignition-validate", IGNITION_BIN])("rendered Ignition configs and the real Ignition binary", () => {
  let dir: string;
  let configs: { env: string; node: string; ignition: string }[];

  beforeAll(async () => {
    dir = tempDir();
    copyFileSync(join(__dirname, "../../cluster.yaml"), join(dir, "cluster.yaml"));
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    // Every environment but the Vagrant one (which gets cloud-config) has Ignition configs.
    const envs = readdirSync(join(dir, "out")).filter((env) => existsSync(join(dir, "out", env, "ignition")));
    expect(envs.sort()).toEqual(["azure", "gce", "kvm", "openstack", "prod"]);
    expect(existsSync(join(dir, "out", "laptop", "cloud-config"))).toBe(true);
    configs = envs.flatMap((env) =>
      readdirSync(join(dir, "out", env, "ignition")).map((f) => ({ env, node: f.replace(/\.json$/, ""), ignition: join(dir, "out", env, "ignition", f) })),
    );
    expect(configs).toHaveLength(5 * 5);
  });

  test("ignition-validate accepts every config of the default spec", () => {
    for (const c of configs) execFileSync("ignition-validate", [c.ignition], { stdio: "pipe" });
  });

  test("ignition-validate rejects a broken config (the check can fail)", () => {
    const broken = join(tempDir(), "broken.json");
    const config = JSON.parse(readFileSync(configs[0].ignition, "utf8"));
    config.storage.files[0].mode = "rw-r--r--";
    writeFileSync(broken, JSON.stringify(config));
    expect(() => execFileSync("ignition-validate", [broken], { stdio: "pipe" })).toThrow();
  });

  test("Ignition writes exactly the node's files, downloads, links, units, masks and presets", async () => {
    for (const c of configs) {
      const root = await applyIgnition(c.ignition);
      const preset = expectApplied(root, c.node, cloudConfigOf(dir, c.env, c.node));

      // What the roles mean on disk.
      const control = c.node.startsWith("control-");
      expect(preset.includes("enable etcd-member.service")).toBe(control);
      if (control) expect(mode(join(root, "etc/etcd/tls/member.key"))).toBe(0o600);
      expect(readFileSync(join(root, "etc/flatcar/update.conf"), "utf8")).toMatch(/^REBOOT_STRATEGY=etcd-lock$/m);
      // locksmith's own key on workers; control nodes present their member's (etcdClientCert).
      expect(existsSync(join(root, "etc/flatcar/locksmith/client.key"))).toBe(!control);
      if (!control) expect(mode(join(root, "etc/flatcar/locksmith/client.key"))).toBe(0o600);
      // The default scheduler: k3s, server or agent by role.
      expect(readlinkSync(join(root, "etc/extensions/k3s.raw"))).toMatch(/^\/opt\/extensions\/k3s\/k3s-v1\.\d+\.\d+\+k3s\d+-x86-64\.raw$/);
      const unit = control ? "k3s.service" : "k3s-agent.service";
      expect(readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants", unit))).toBe(`/usr/local/lib/systemd/system/${unit}`);
      expect(mode(join(root, "etc/rancher/k3s/token"))).toBe(0o600);
      if (control) for (const key of ["server-ca", "client-ca", "request-header-ca", "etcd/server-ca", "service"]) expect(mode(join(root, `var/lib/rancher/k3s/server/tls/${key}.key`))).toBe(0o600);
      if (control) expect(readlinkSync(join(root, "var/lib/rancher/k3s/server/tls/etcd/peer-ca.key"))).toBe("/var/lib/rancher/k3s/server/tls/etcd/server-ca.key");
      expect(existsSync(join(root, "etc/fleet"))).toBe(false);
    }
  });

  test("a config over its budget (EC2, a kubernetes control node with an RSA-4096 key) is packed, and Ignition applies exactly the node's config from it", async () => {
    const p = project(
      smallSpec({ control: 1, worker: 0 })
        .replace(/authorizedKeys: .*/, `authorizedKeys: [${JSON.stringify(sshKey("ssh-rsa", 1, "ops", 4096))}]`)
        .replace("platform: libvirt", "platform: aws\n    region: eu-central-1\n    adminCidrs: [203.0.113.0/24]"),
    );
    expect((await cli(p, "render")).code).toBe(0);
    const file = join(p, "out/test/ignition/control-01.json");
    const sent = readFileSync(file, "utf8");
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(16384);
    expect(JSON.parse(sent).ignition.config.replace.compression).toBe("gzip");
    // What it packs is the plain config, over the budget, as render makes it for every other platform.
    const spec = specFrom(readFileSync(join(p, "cluster.yaml"), "utf8"));
    const plan = planCluster(spec, "test");
    const both = inBothFormats(buildNodeConfig({ spec, plan, node: plan.nodes[0]!, secrets: readSecrets(secretsDir(p, "test"), plan) }));
    expect(Buffer.byteLength(both.ignition)).toBeGreaterThan(16384);
    expect(gunzipSync(Buffer.from(JSON.parse(sent).ignition.config.replace.source.split(",")[1], "base64")).toString()).toBe(both.ignition);
    execFileSync("ignition-validate", [file], { stdio: "pipe" });
    expectApplied(await applyIgnition(file), "control-01", both.cloudConfig);
  });

  test("rebootStrategy off masks locksmithd and ships no locksmith certificate", async () => {
    const p = project(smallSpec({ control: 1, worker: 0 }).replace("rebootStrategy: etcd-lock", "rebootStrategy: off").replace(/  window:.*\n/, ""));
    expect((await cli(p, "render")).code).toBe(0);
    const root = await applyIgnition(join(p, "out/test/ignition/control-01.json"));
    expect(readlinkSync(join(root, "etc/systemd/system/locksmithd.service"))).toBe("/dev/null");
    expect(readFileSync(join(root, "etc/flatcar/update.conf"), "utf8")).toMatch(/^REBOOT_STRATEGY=off$/m);
    expect(existsSync(join(root, "etc/flatcar/locksmith"))).toBe(false);
  });

  test("with scheduler.sha256, Ignition takes the k3s image only when it has that hash", async () => {
    const image = "k3s-v1.32.2+k3s1-x86-64.raw";
    const served = createHash("sha256").update(servedBody(`https://extensions.flatcar.org/extensions/${image}`)).digest("hex");
    const render = async (sha256: string) => {
      const p = project(smallSpec({ control: 1, worker: 0 }).replace("updates:", `scheduler: { kind: kubernetes, sha256: { ${image}: "${sha256}" } }\nupdates:`));
      expect((await cli(p, "render")).code).toBe(0);
      const file = join(p, "out/test/ignition/control-01.json");
      execFileSync("ignition-validate", [file], { stdio: "pipe" });
      return file;
    };
    const good = await render(served);
    const config = JSON.parse(readFileSync(good, "utf8"));
    expect(config.ignition.timeouts).toEqual({ httpTotal: HTTP_TOTAL_SECONDS });
    expect(config.storage.files.find((f: { path: string }) => f.path.endsWith(image)).contents.verification).toEqual({ hash: `sha256-${served}` });
    const root = await applyIgnition(good);
    expect(readFileSync(join(root, "opt/extensions/k3s", image), "utf8")).toBe(servedBody(`https://extensions.flatcar.org/extensions/${image}`));
    await expect(applyIgnition(await render("0".repeat(64)))).rejects.toThrow(/files failed/);
  });

  describe.each([
    ["kubernetes", ["etc/rancher/k3s/config.yaml", "etc/extensions/k3s.raw", "etc/systemd/system/multi-user.target.wants/k3s.service"], ["etc/fleet"], ["enable systemd-sysupdate.timer"]],
    ["fleet", ["etc/fleet/fleet.env", "etc/systemd/system/fleet.service"], ["etc/rancher", "opt/extensions", "etc/extensions"], ["enable fleet.service"]],
    ["none", [], ["etc/rancher", "opt/extensions", "etc/extensions", "etc/fleet", "etc/sysupdate.d"], []],
  ])("scheduler %s", (kind, present, absent, presets) => {
    test("passes ignition-validate, and Ignition places exactly its node config: its parts, nothing of the other kinds", async () => {
      const p = project(smallSpec({ control: 1, worker: 1 }).replace("updates:", `scheduler: { kind: ${kind} }\nupdates:`));
      expect((await cli(p, "render")).code).toBe(0);
      for (const node of ["control-01", "worker-01"]) {
        const file = join(p, "out/test/ignition", `${node}.json`);
        execFileSync("ignition-validate", [file], { stdio: "pipe" });
        const root = await applyIgnition(file);
        const preset = expectApplied(root, node, cloudConfigOf(p, "test", node));
        for (const line of presets) expect(preset).toContain(line);
        for (const other of ["enable fleet.service", "enable systemd-sysupdate.timer"].filter((l) => !presets.includes(l))) expect(preset).not.toContain(other);
        const wanted = node === "control-01" ? present : present.map((x) => x.replace("k3s.service", "k3s-agent.service"));
        for (const path of wanted) expect({ path, there: existsSync(join(root, path)) || !!lstatSync(join(root, path), { throwIfNoEntry: false }) }).toEqual({ path, there: true });
        for (const path of absent) expect({ path, there: existsSync(join(root, path)) }).toEqual({ path, there: false });
        // fleet's own key on the worker; the control node's fleet presents the member's.
        if (kind === "fleet" && node === "worker-01") expect(mode(join(root, "etc/fleet/tls/client.key"))).toBe(0o600);
        if (kind === "fleet" && node === "control-01") expect(existsSync(join(root, "etc/fleet/tls"))).toBe(false);
      }
    });
  });
});
