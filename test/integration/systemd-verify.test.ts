// systemd's own verifier (Debian's `systemd-analyze verify`) on every unit and drop-in a node gets, for
// each scheduler kind, as the real Ignition places them in a scratch root, with the one unit that only
// cloud-config carries (coreform-provision.service). Units the OS or an extension ships stand in below,
// so that dependencies resolve and drop-ins have their unit. The only message allowed is that a
// command is missing, for binaries that exist only on Flatcar.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { toCloudConfig } from "../../cloud-config/coreos-cloudinit";
import { renderNodes } from "../../cloud-config/user-data";
import { planCluster } from "../../src/plan/plan";
import { readSecrets, secretsDir } from "../../src/secrets/store";
import { cli, project, smallSpec } from "../helpers/cli";
import { applyIgnition } from "../helpers/ignition";
import { specFrom } from "../helpers/nodes";
import { describeWithTools, IGNITION_BIN } from "../helpers/tools";

/** Binaries that exist only on Flatcar or in its extensions, not on the Debian machine running this. */
const FLATCAR_ONLY = [
  "/usr/bin/docker", // Flatcar's docker extension
  "/usr/local/bin/k3s", // flatcar/sysext-bakery k3s.sysext
  "/usr/lib/systemd/systemd-sysupdate", // systemd's, built on Flatcar; Debian 12's systemd 252 leaves it out
];

/**
 * Units that Flatcar or an extension ships, as far as ours depend on them or extend them: the
 * settings that matter to a dependency or a drop-in, not full copies.
 */
const STAND_INS: Record<string, string> = {
  "usr/lib/systemd/system/docker.service": "[Unit]\nDescription=stand-in: Flatcar's docker.service\n[Service]\nType=notify\nExecStart=/usr/bin/docker\n",
  // systemd's units/systemd-sysupdate.service.in
  "usr/lib/systemd/system/systemd-sysupdate.service":
    "[Unit]\nDescription=stand-in: systemd-sysupdate.service\nWants=network-online.target\nAfter=network-online.target\n[Service]\nType=simple\nExecStart=/usr/lib/systemd/systemd-sysupdate update\n",
  // flatcar/sysext-bakery k3s.sysext/files/usr/local/lib/systemd/system/k3s{,-agent}.service
  ...Object.fromEntries(
    ["server", "agent"].map((mode) => [
      `usr/local/lib/systemd/system/${mode === "server" ? "k3s" : "k3s-agent"}.service`,
      `[Unit]\nDescription=stand-in: k3s ${mode} from the sysext-bakery\nWants=network-online.target\nAfter=network-online.target\n` +
        `[Install]\nWantedBy=multi-user.target\n[Service]\nType=notify\nEnvironmentFile=-/etc/default/%N\nKillMode=process\nDelegate=yes\n` +
        `Restart=always\nRestartSec=5s\nExecStart=/usr/local/bin/k3s ${mode}\n`,
    ]),
  ),
};

/** Which Flatcar-only binary each of the units verified here runs (ours, or the stand-in under our drop-in). */
const RUNS: Record<string, string> = {
  "etcd-member.service": "/usr/bin/docker",
  "fleet.service": "/usr/bin/docker",
  "k3s.service": "/usr/local/bin/k3s",
  "k3s-agent.service": "/usr/local/bin/k3s",
  "systemd-sysupdate.service": "/usr/lib/systemd/systemd-sysupdate",
};

/** The control nodes' snapshot timer and the service it starts (etcd.snapshots). */
const SNAPSHOTS = ["etcd-snapshot.service", "etcd-snapshot.timer"];

const NOT_EXECUTABLE = /^(\S+): Command (\S+) is not executable: No such file or directory$/;

/** The verifier's messages on the units, with the allowed ones taken out. */
async function verify(root: string, units: readonly string[]): Promise<{ code: number; refused: string[]; allowed: string[] }> {
  for (const [path, text] of Object.entries(STAND_INS)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const searchPath = ["etc/systemd/system", "usr/local/lib/systemd/system", "usr/lib/systemd/system"].map((d) => join(root, d));
  // A trailing ':' appends the machine's own unit directories (network-online.target, multi-user.target…).
  const env = { ...process.env, SYSTEMD_UNIT_PATH: `${searchPath.join(":")}:`, SYSTEMD_LOG_COLOR: "0" };
  const result = await promisify(execFile)("systemd-analyze", ["verify", "--man=no", ...units], { env }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
  const lines = result.stderr.split("\n").filter(Boolean);
  const isAllowed = (l: string) => FLATCAR_ONLY.includes(NOT_EXECUTABLE.exec(l)?.[2] ?? "");
  return { code: result.code, refused: lines.filter((l) => !isAllowed(l)), allowed: lines.filter(isAllowed) };
}

/**
 * A rendered node's units in a scratch root: as Ignition places them, plus the one only cloud-config
 * carries (coreform-provision.service, the Vagrant box's stand-in for Ignition's downloads and links).
 */
async function placedRoot(dir: string, node: string): Promise<{ root: string; units: string[] }> {
  const root = await applyIgnition(join(dir, "out/test/ignition", `${node}.json`));
  const spec = specFrom(readFileSync(join(dir, "cluster.yaml"), "utf8"));
  const plan = planCluster(spec, "test");
  const { config } = renderNodes(spec, plan, readSecrets(secretsDir(dir, "test"), plan)).find((n) => n.node.name === node)!;
  const ours = toCloudConfig(config).coreos.units.filter((u) => !u.mask && (u.content !== undefined || u.drop_ins?.length));
  for (const u of ours.filter((c) => !config.units.some((i) => i.name === c.name))) writeFileSync(join(root, "etc/systemd/system", u.name), u.content!);
  // Everything ours is there: each unit written, each drop-in next to the unit it changes.
  for (const u of ours) {
    if (u.content !== undefined) expect(readFileSync(join(root, "etc/systemd/system", u.name), "utf8")).toBe(u.content);
    for (const d of u.drop_ins ?? []) expect(readFileSync(join(root, "etc/systemd/system", `${u.name}.d`, d.name), "utf8")).toBe(d.content);
  }
  return { root, units: ours.map((u) => u.name) };
}

describeWithTools(["systemd-analyze", IGNITION_BIN])("systemd-analyze verify on every unit and drop-in a node gets", () => {
  describe.each([
    ["kubernetes", ["etcd-member.service", ...SNAPSHOTS, "k3s.service", "systemd-sysupdate.service", "coreform-provision.service"], ["k3s-agent.service", "systemd-sysupdate.service", "coreform-provision.service"]],
    ["fleet", ["etcd-member.service", ...SNAPSHOTS, "fleet.service"], ["fleet.service"]],
    ["none", ["etcd-member.service", ...SNAPSHOTS], []],
  ])("scheduler %s", (kind, controlUnits, workerUnits) => {
    let dir: string;
    beforeAll(async () => {
      dir = project(smallSpec({ control: 1, worker: 1, scheduler: kind }));
      expect((await cli(dir, "render")).code).toBe(0);
    });

    test.each([
      ["control-01", controlUnits],
      ["worker-01", workerUnits],
    ])("%s: no message but Flatcar-only commands", async (node, expected) => {
      const { root, units } = await placedRoot(dir, node);
      expect([...units].sort()).toEqual([...expected].sort());
      if (units.length === 0) return;
      const result = await verify(root, units);
      expect(result.refused).toEqual([]);
      // It looked at each unit: each one that runs a Flatcar-only binary is named with it, and only those.
      const named = [...new Set(result.allowed.map((l) => NOT_EXECUTABLE.exec(l)!.slice(1, 3).join(" ")))].sort();
      expect(named).toEqual(units.filter((u) => RUNS[u]).map((u) => `${u} ${RUNS[u]}`).sort());
      expect(result.code).toBe(named.length ? 1 : 0);
    });
  });

  test("the verifier speaks up: a wrong setting in a drop-in, an unknown unit, a missing command", async () => {
    const dir = project(smallSpec({ control: 1, worker: 0, scheduler: "none" }));
    expect((await cli(dir, "render")).code).toBe(0);
    const { root } = await placedRoot(dir, "control-01");
    mkdirSync(join(root, "etc/systemd/system/etcd-member.service.d"));
    // (systemd 252 checks the first command of each Exec*= list only: one our unit does not have.)
    writeFileSync(join(root, "etc/systemd/system/etcd-member.service.d/typo.conf"), "[Service]\nRestartSecs=5\nExecStopPost=/usr/bin/etcdctl-missing\n");
    writeFileSync(join(root, "etc/systemd/system/needs.service"), "[Unit]\nRequires=not-shipped.service\n[Service]\nExecStart=/usr/bin/true\n");
    const result = await verify(root, ["etcd-member.service", "needs.service"]);
    expect(result.refused).toEqual([
      expect.stringMatching(/typo\.conf:2: Unknown key 'RestartSecs' in section \[Service\], ignoring\.$/),
      "etcd-member.service: Command /usr/bin/etcdctl-missing is not executable: No such file or directory",
      expect.stringMatching(/^needs\.service: Failed to create needs\.service\/start: Unit not-shipped\.service not found\.$/),
    ]);
  });
});
