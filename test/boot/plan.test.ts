// The boot test's reading of the kvm stack and the QEMU command line it makes of it: each domain's MAC,
// memory and fw_cfg entries (with the rendered Ignition config as their content) and the network's DHCP
// hosts, exactly as synthesized; the deliberate differences and nothing else. Also the etcd stand-in
// archive, as `docker load` reads it.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fromIgnition } from "../../cloud-config/ignition";
import { nodeMac } from "../../src/platforms/libvirt";
import { kernelCommandLine, qemuArgs } from "./differences";
import { bootSpec, CLUSTER, KUBERNETES_OFFLINE } from "./specs";
import { addressOf, bootPlan } from "./stack";
import { etcdImageOf, writeEtcdArchive } from "./standin";
import { renderedIgnition, renderedProject, synthesize } from "../helpers/stacks";
import { findTool } from "../helpers/tools";
import { tempDir } from "../helpers/cli";
import { sshKey } from "../helpers/ssh-keys";

const KEY = sshKey("ssh-ed25519", "boot", "boot@test");

describe("the boot test's plan, from the synthesized kvm stack", () => {
  let dir = "";
  let plan: ReturnType<typeof bootPlan>;
  beforeAll(async () => {
    dir = await renderedProject(bootSpec(KEY), { only: "kvm" });
    plan = bootPlan(synthesize(dir, "kvm").tf);
  });

  it("has the stack's network and every domain with its MAC, address, memory, disks and both fw_cfg entries", () => {
    expect(plan.network).toMatchObject({ address: "10.43.0.1", prefix: 24 });
    const data = { bytes: 10 * 2 ** 30, serial: "coreform-etcd" };
    expect(plan.domains.map((d) => [d.node, addressOf(plan, d), d.memoryMiB, d.vcpu, d.diskBytes, d.dataDisk])).toEqual([
      ["control-01", "10.43.0.10", 2048, 2, 20 * 2 ** 30, data],
      ["control-02", "10.43.0.11", 2048, 2, 20 * 2 ** 30, data],
      ["control-03", "10.43.0.12", 2048, 2, 20 * 2 ** 30, data],
      ["worker-01", "10.43.0.13", 2048, 2, 20 * 2 ** 30, undefined],
    ]);
    for (const d of plan.domains) {
      expect(d.mac).toBe(nodeMac(addressOf(plan, d)));
      expect(d.fwCfg.map((e) => e.name)).toEqual(["opt/com.coreos/config", "opt/org.flatcar-linux/config"]);
      for (const e of d.fwCfg) expect(e.content).toBe(renderedIgnition(dir, "kvm", d.node));
    }
    // An entry for each address a node may take (src/platforms/libvirt.ts, dhcpSlots), unnamed.
    expect(plan.network.hosts.length).toBeGreaterThan(plan.domains.length);
    expect(plan.network.hosts.slice(0, 4).map((h) => h.ip)).toEqual(["10.43.0.10", "10.43.0.11", "10.43.0.12", "10.43.0.13"]);
  });

  it("fails naming the resource and the attribute when the stack's shape changes, instead of booting something else", () => {
    const synthesized = synthesize(dir, "kvm").tf;
    const changed = (edit: (tf: Record<string, any>) => void) => {
      const tf = structuredClone(synthesized) as Record<string, any>;
      edit(tf);
      return () => bootPlan(tf);
    };
    const domain = (tf: Record<string, any>) => tf.resource.libvirt_domain["control-01"];
    const hint = /\(test\/boot\/stack\.ts reads the kvm stack/;
    expect(changed((tf) => (domain(tf).sys_info[0].fw_cfg.entry[0].file = "${libvirt_ignition.control-01-ignition.path}"))).toThrow(
      /libvirt_domain\.control-01: sys_info\.0\.fw_cfg\.entry\.0\.file is "\$\{libvirt_ignition\.control-01-ignition\.path\}", expected a reference to a libvirt_volume's path/,
    );
    expect(changed((tf) => (domain(tf).cpu = { mode: "host-passthrough" }))).toThrow(/libvirt_domain\.control-01: cpu: an attribute the boot test neither reads nor sets aside/);
    expect(changed((tf) => domain(tf).devices.disks.push(domain(tf).devices.disks[0]))).toThrow(/devices\.disks has 3 items, the boot test reads 1 to 2/);
    expect(changed((tf) => (domain(tf).devices.disks[1].target.dev = "vdc"))).toThrow(/devices\.disks\.1\.target\.dev is vdc, the boot test's QEMU gives vdb/);
    expect(changed((tf) => (domain(tf).devices.interfaces[0].model.type = "e1000"))).toThrow(/model\.type is e1000, the boot test's QEMU gives virtio/);
    expect(changed((tf) => delete tf.resource.libvirt_network.network.ips[0].dhcp.hosts[1].ip)).toThrow(/libvirt_network\.network: ips\.0\.dhcp\.hosts\.1\.ip is missing, expected a string/);
    expect(changed((tf) => (tf.resource.libvirt_volume["control-01-config"].create.content.url = "https://example.com/x.ign"))).toThrow(
      /libvirt_volume\.control-01-config: create\.content\.url is "https:\/\/example\.com\/x\.ign", expected a reference to a libvirt_ignition's path/,
    );
    expect(changed((tf) => (tf.resource.libvirt_volume["control-01-disk"].capacity_unit = "G"))).toThrow(/libvirt_volume\.control-01-disk: capacity_unit G/);
    expect(changed((tf) => (tf.resource.libvirt_pool = { images: {} }))).toThrow(/libvirt_pool: a resource type the boot test does not read/);
    expect(changed((tf) => (domain(tf).memory_unit = "TiB"))).toThrow(hint);
  });

  it("starts QEMU with the stack's MAC, memory and fw_cfg entries, and only DIFFERENCES besides", () => {
    const d = plan.domains[0]!;
    const o = { accel: "tcg", firstBoot: true, needNet: false, disk: "/w/d.qcow2", dataDisk: "/w/e.qcow2", tap: "tap0", console: "/w/c.log", fwCfgFiles: ["/w/0", "/w/1"], standin: "/w/etcd.tar" } as const;
    const args = qemuArgs(d, { dir: "/img" }, o);
    const text = args.join(" ");
    // The root disk first (vda, root=/dev/vda), then etcd's data disk with the stack's serial, then the stand-in's.
    const order = ["drive=vda", "drive=vdb,serial=coreform-etcd", "drive=standin"].map((p) => text.indexOf(p));
    expect(order.every((at, i) => at > (order[i - 1] ?? -1))).toBe(true);
    expect(() => qemuArgs(d, { dir: "/img" }, { ...o, dataDisk: undefined })).toThrow(/a data disk file where the domain has a data disk/);
    expect(text).toContain(`-m ${d.memoryMiB}M`);
    expect(text).toContain(`virtio-net-pci,netdev=net0,mac=${d.mac}`);
    expect(text).toContain("-fw_cfg name=opt/com.coreos/config,file=/w/0 -fw_cfg name=opt/org.flatcar-linux/config,file=/w/1");
    expect(text).toContain("-machine q35,accel=tcg");
    expect(text).toContain("-cpu qemu64");
    expect(text).toContain("-smp 1");
    expect(text).toContain("format=raw,readonly=on");
    expect(() => qemuArgs(d, { dir: "/img" }, { accel: "tcg", firstBoot: true, needNet: false, disk: "", tap: "", console: "", fwCfgFiles: ["/w/0"] })).toThrow(/one file per fw_cfg entry/);
  });

  it("the control nodes' etcd-member script names the image the stand-in is made under", () => {
    const script = fromIgnition(renderedIgnition(dir, "kvm", "control-01")).files.find((f) => /^IMAGE='/m.test(f.contents))!.contents;
    expect(etcdImageOf(script)).toMatch(/^quay\.io\/coreos\/etcd:v3\.5\.\d+$/);
  });

  it("runs Ignition on a first boot only, with a network in the initramfs only when the config downloads", () => {
    expect(kernelCommandLine({ firstBoot: true, needNet: false })).toBe("root=/dev/vda rw console=ttyS0 ignition.platform.id=qemu apparmor=0 ignition.firstboot=1");
    expect(kernelCommandLine({ firstBoot: true, needNet: true })).toContain("ignition.firstboot=1 rd.neednet=1 ip=dhcp");
    expect(kernelCommandLine({ firstBoot: false, needNet: true })).toBe("root=/dev/vda rw console=ttyS0 ignition.platform.id=qemu apparmor=0");
  });

  it("the offline variant is one control node with the kubernetes scheduler, on a network of its own", async () => {
    const k8s = await renderedProject(bootSpec(KEY, KUBERNETES_OFFLINE), { only: "kvm" });
    const p = bootPlan(synthesize(k8s, "kvm").tf);
    expect(p.domains.map((d) => d.node)).toEqual(["control-01"]);
    expect(p.network.address).not.toBe("10.43.0.1");
    expect(JSON.parse(renderedIgnition(k8s, "kvm", "control-01")).storage.files.some((f: { contents: { source: string } }) => f.contents.source.startsWith("https://"))).toBe(true);
    expect(CLUSTER.scheduler).toContain("none");
  });
});

describe("the etcd stand-in image", () => {
  it("reads the image from a script's IMAGE line, and refuses a digest it cannot carry", () => {
    expect(etcdImageOf("set -eu\nIMAGE='quay.io/coreos/etcd:v3.5.33' TLS_DIR='/etc/etcd/tls'\n")).toBe("quay.io/coreos/etcd:v3.5.33");
    expect(() => etcdImageOf("ExecStart=/usr/bin/docker run quay.io/coreos/etcd:v3.5.33 /usr/local/bin/etcd\n")).toThrow(/no IMAGE/);
    expect(() => etcdImageOf(`IMAGE='quay.io/coreos/etcd:v3.5.33@sha256:${"a".repeat(64)}' TLS_DIR='/etc/etcd/tls'\n`)).toThrow(/digest/);
  });

  (findTool("etcd") && findTool("tar") ? it : it.skip)("is a docker save archive: manifest, config with the layer's diff id, etcd and etcdctl in /usr/local/bin, no shell", () => {
    const out = join(tempDir("coreform-standin-"), "etcd.tar");
    writeEtcdArchive("quay.io/coreos/etcd:v3.5.16", out);
    const tar = (...a: string[]) => execFileSync("tar", ["-xOf", out, ...a], { maxBuffer: 1 << 30 });
    const [manifest] = JSON.parse(tar("manifest.json").toString());
    expect(manifest.RepoTags).toEqual(["quay.io/coreos/etcd:v3.5.16"]);
    const config = JSON.parse(tar(manifest.Config).toString());
    const layer = tar(manifest.Layers[0]);
    expect(config.rootfs.diff_ids).toEqual([`sha256:${createHash("sha256").update(layer).digest("hex")}`]);
    expect(config.config.Cmd).toEqual(["/usr/local/bin/etcd"]);
    const files = execFileSync("sh", ["-c", `tar -xOf ${out} ${manifest.Layers[0]} | tar -t`], { maxBuffer: 1 << 26 }).toString().split("\n");
    expect(files).toEqual(expect.arrayContaining(["./usr/local/bin/etcd", "./usr/local/bin/etcdctl", "./var/lib/etcd/"]));
    expect(files.some((f) => /(^|\/)(bin\/sh|bash)$/.test(f))).toBe(false);
  });
});
