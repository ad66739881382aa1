// flannel on Vagrant: the k3s drop-in, exactly as the laptop environment's cloud-config carries it, run
// in a network namespace shaped like a VirtualBox VM: the default route on a NAT interface with
// 10.0.2.15, the planned address on a second one. It must name the second one, which k3s would not
// (flannel takes the default route's interface unless flannel-iface names one). Only the output
// directory is moved to a temporary one.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fromCloudConfig } from "../../cloud-config/coreos-cloudinit";
import { tempDir } from "../helpers/cli";
import { renderEnv, specFrom } from "../helpers/nodes";
import { describeWithTools } from "../helpers/tools";

const CONFIG_DROPIN_DIR = "/etc/rancher/k3s/config.yaml.d";

/** Creating a network namespace needs root (CAP_SYS_ADMIN): required in CI, skipped loudly elsewhere. */
function describeWithNetns(): jest.Describe {
  const d = describeWithTools(["unshare", "ip"]);
  if (d !== describe || spawnSync("unshare", ["--net", "true"]).status === 0) return d;
  if (process.env.CI) throw new Error("integration tests need `unshare --net` (root) in CI");
  process.stderr.write("\n*** SKIPPING flannel interface test: `unshare --net` needs root ***\n\n");
  return describe.skip;
}

/** The drop-in's commands as the shell gets them from systemd ($$ and %% unescaped), writing into `out`. */
function commandsOf(dropin: string, out: string): string[] {
  return dropin
    .split("\n")
    .filter((l) => l.startsWith("ExecStartPre="))
    .map((l) => l.slice("ExecStartPre=".length).replaceAll("$$", "$").replaceAll("%%", "%").replaceAll(CONFIG_DROPIN_DIR, out));
}

/** Runs the commands in a fresh network namespace with a NAT interface holding the default route. */
function inVirtualBoxLikeNetns(plannedIp: string | undefined, commands: string[]): { status: number | null; stderr: string; defaultRoute: string } {
  const setup = [
    "set -e",
    "for i in nat0 eth1; do ip link add $i type bridge; ip link set $i up; done",
    "ip addr add 10.0.2.15/24 dev nat0",
    "ip route add default via 10.0.2.2 dev nat0",
    ...(plannedIp ? [`ip addr add ${plannedIp}/24 dev eth1`] : []),
    "ip route show default >&2",
    "set +e",
  ];
  const quoted = (c: string) => `'${c.replaceAll("'", "'\\''")}'`;
  const script = [...setup, ...commands.map((c) => `sh -c ${quoted(c)} || exit $?`)].join("\n");
  const r = spawnSync("unshare", ["--net", "sh", "-c", script], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr, defaultRoute: r.stderr.split("\n")[0]! };
}

describeWithNetns()("flannel's interface on a VirtualBox-like VM, found by the rendered drop-in", () => {
  let dropins: { node: string; ip: string; text: string }[];

  beforeAll(async () => {
    const { nodes } = await renderEnv(specFrom(readFileSync(join(__dirname, "../../cluster.yaml"), "utf8")), "laptop");
    dropins = nodes.map((n) => {
      const config = fromCloudConfig(n.userData);
      const unit = config.units.find((u) => u.name === (n.node.role === "control" ? "k3s.service" : "k3s-agent.service"))!;
      return { node: n.node.name, ip: n.node.ip, text: unit.dropins!.find((d) => d.name === "coreform-flannel-iface.conf")!.contents };
    });
    expect(dropins.map((d) => d.node)).toEqual(["control-01", "control-02", "control-03", "worker-01", "worker-02"]);
  });

  test("each node names the interface holding its planned address, not the default route's", () => {
    for (const d of dropins) {
      const out = tempDir("coreform-k3s-config-");
      const r = inVirtualBoxLikeNetns(d.ip, commandsOf(d.text, join(out, "config.yaml.d")));
      expect({ node: d.node, status: r.status, stderr: r.stderr.split("\n").slice(1).join("") }).toEqual({ node: d.node, status: 0, stderr: "" });
      // What k3s would take without the drop-in:
      expect(r.defaultRoute).toBe("default via 10.0.2.2 dev nat0 ");
      expect(readFileSync(join(out, "config.yaml.d/50-coreform-flannel-iface.yaml"), "utf8")).toBe("flannel-iface: eth1\n");
    }
  });

  test("before the planned address is up (Vagrant sets it after boot), the start fails and writes nothing", () => {
    const out = tempDir("coreform-k3s-config-");
    const r = inVirtualBoxLikeNetns(undefined, commandsOf(dropins[0]!.text, join(out, "config.yaml.d")));
    expect(r.status).not.toBe(0);
    expect(existsSync(join(out, "config.yaml.d/50-coreform-flannel-iface.yaml"))).toBe(false);
    expect(existsSync(join(out, "config.yaml.d"))).toBe(true); // the first command ran
    // Only the output place was moved: nothing under the real /etc is touched.
    expect(commandsOf(dropins[0]!.text, "/x").join(" ")).not.toContain("/etc/rancher");
  });
});
