// The KVM stack, synthesized with CDKTF's Testing API (no libvirt, no terraform init) from projects the
// real CLI rendered: each node's Ignition config byte for byte in its libvirt_ignition, uploaded to a
// 0600 volume in the pool and handed to the domain through fw_cfg, the base image (channel, pinned release or a local file), a copy-on-write disk per
// node sized for its role, the NAT network's DHCP entries (planned address for a MAC that never collides),
// memory and vCPUs per role, names, ignore_changes, what only machines made by this coreform get
// (autostart; a network with an entry for every address); and every stack against the provider's real schema.
import "cdktf/lib/testing/adapters/jest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { planCluster } from "../../src/plan/plan";
import { nodeCapacity, nthNodeIp, parseCidr } from "../../src/spec/ipv4";
import { LibvirtNetwork, LibvirtProvider } from "../../stacks/bindings/libvirt";
import { libvirtImage, nodeMac } from "../../src/platforms/libvirt";
import { RECORD_FILE } from "../../src/secrets/record-file";
import { FW_CFG_IGNITION, SHUTDOWN_SECONDS } from "../../stacks/libvirt";
import { checkSchema, itWithSchemas } from "../helpers/tf-schema";
import { defaultStack, type Doc, loaded, renderedIgnition, resources, settingsOf, type Tf, unliteral } from "../helpers/stacks";
import { sshKey } from "../helpers/ssh-keys";

const domains = (tf: Tf) => resources(tf, "libvirt_domain");
/** The volume a domain's fw_cfg entry points at, and the libvirt_ignition it was uploaded from. */
const ignitionOf = (tf: Tf, domain: Doc): { volume: Doc; ignition: Doc } => {
  const [entry] = domain.sys_info[0].fw_cfg.entry;
  const volume = tf.resource.libvirt_volume![/^\$\{libvirt_volume\.(.+)\.path\}$/.exec(entry.file)![1]!]!;
  return { volume, ignition: tf.resource.libvirt_ignition![/^\$\{libvirt_ignition\.(.+)\.path\}$/.exec(volume.create.content.url)![1]!]! };
};

describe("the default cluster.yaml's kvm stack", () => {
  const stack = defaultStack("kvm");

  it("matches the reviewed snapshot (user data stands in by name: it holds fresh keys)", () => {
    const tf = JSON.parse(stack.result.synth) as Tf;
    for (const [name, ignition] of resources(tf, "libvirt_ignition")) ignition.content = `<out/kvm/ignition/${name.replace(/-ignition$/, "")}.json>`;
    // One DHCP entry per address of the network: the test of the network below checks each.
    const { dhcp } = tf.resource.libvirt_network!.network!.ips[0];
    dhcp.hosts = `<${dhcp.hosts.length} entries, ${dhcp.hosts[0].ip} to ${dhcp.hosts.at(-1).ip}>`;
    expect(JSON.stringify(tf, null, 2)).toMatchSnapshot();
  });

  it("hands each node its Ignition config byte for byte, from a volume of the pool only its owner reads, through fw_cfg under both names Ignition reads", () => {
    const { tf } = stack.result;
    expect(domains(tf).map(([name]) => name)).toEqual(["control-01", "control-02", "control-03", "worker-01", "worker-02"]);
    for (const [name, domain] of domains(tf)) {
      const file = `\${libvirt_volume.${name}-config.path}`;
      expect(domain.sys_info).toEqual([{ fw_cfg: { entry: FW_CFG_IGNITION.map((n) => ({ name: n, file, value: "" })) } }]);
      expect(FW_CFG_IGNITION).toEqual(["opt/com.coreos/config", "opt/org.flatcar-linux/config"]);
      const { volume, ignition } = ignitionOf(tf, domain);
      expect(volume).toEqual({
        name: `demo-kvm-${name}.ign`,
        pool: "default",
        target: { format: { type: "raw" }, permissions: { mode: "0600" } },
        create: { content: { url: `\${libvirt_ignition.${name}-ignition.path}` } },
        lifecycle: { ignore_changes: ["create"] },
      });
      expect(unliteral(ignition.content)).toBe(renderedIgnition(stack.dir, "kvm", name));
      expect(ignition.name).toBe(`demo-kvm-${name}.ign`);
    }
  });

  it.each([
    ["control-01", 2048, 2, 20],
    ["control-03", 2048, 2, 20],
    ["worker-02", 4096, 2, 40],
  ])("runs %s as a q35 KVM guest with ACPI, %i MiB and %i vCPUs, on a %i GiB copy-on-write disk", (name, memory, vcpu, disk) => {
    const { tf } = stack.result;
    expect(tf.resource.libvirt_domain![name]).toMatchObject({
      name: `demo-kvm-${name}`,
      type: "kvm",
      memory,
      memory_unit: "MiB",
      vcpu,
      os: { type: "hvm", type_arch: "x86_64", type_machine: "q35" },
      features: { acpi: true },
      running: true,
      devices: {
        // and a control node's data disk, second (test/stacks/data-disks.test.ts)
        disks: [
          { source: { volume: { pool: `\${libvirt_volume.${name}-disk.pool}`, volume: `\${libvirt_volume.${name}-disk.name}` } }, target: { dev: "vda", bus: "virtio" }, driver: { name: "qemu", type: "qcow2" } },
          ...(name.startsWith("control") ? [{ target: { dev: "vdb", bus: "virtio" }, serial: "coreform-etcd" }] : []),
        ],
        interfaces: [{ source: { network: { network: "${libvirt_network.network.name}" } }, model: { type: "virtio" } }],
        serials: [{ source: { pty: { path: "" } }, target: { type: "isa-serial", port: 0 } }],
      },
    });
    expect(tf.resource.libvirt_volume![`${name}-disk`]).toEqual({
      name: `demo-kvm-${name}.qcow2`,
      pool: "default",
      capacity: disk * 2 ** 30,
      capacity_unit: "bytes",
      target: { format: { type: "qcow2" } },
      backing_store: { path: "${libvirt_volume.flatcar.path}", format: { type: "qcow2" } },
      lifecycle: { ignore_changes: ["backing_store", "capacity"] },
    });
  });

  it("downloads the channel's newest QEMU image once into the pool, as the base every disk is layered on", () => {
    expect(stack.result.tf.resource.libvirt_volume!.flatcar).toEqual({
      name: "demo-kvm-flatcar.qcow2",
      pool: "default",
      target: { format: { type: "qcow2" } },
      create: { content: { url: "https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_qemu_image.img" } },
      lifecycle: { ignore_changes: ["create"] },
    });
    expect(resources(stack.result.tf, "libvirt_volume")).toHaveLength(1 + 5 + 5 + 3);
  });

  it("never stops or replaces a member for a re-render or a new image; starts with the host, with two minutes to shut down when an update stops it", () => {
    const { tf } = stack.result;
    for (const [, domain] of domains(tf)) {
      expect(domain.lifecycle.ignore_changes).toEqual(["sys_info", "devices.serials[0].source.pty.path"]);
      expect([domain.autostart, domain.update]).toEqual([true, { shutdown: { timeout: SHUTDOWN_SECONDS } }]);
      expect(ignitionOf(tf, domain).ignition.lifecycle).toEqual({ ignore_changes: ["content"] });
    }
  });

  it("puts the nodes on a NAT network of their own, whose DHCP hands each node address's MAC that address, for every address the network holds", () => {
    const { tf, input } = stack.result;
    const block = parseCidr("10.43.0.0/24");
    expect(stack.result.synth).toHaveResourceWithProperties(LibvirtNetwork, {
      name: "demo-kvm",
      autostart: true,
      forward: { mode: "nat" },
      ips: [{ address: "10.43.0.1", prefix: 24, dhcp: { hosts: Array.from({ length: nodeCapacity(block) }, (_, i) => ({ mac: nodeMac(nthNodeIp(block, i)), ip: nthNodeIp(block, i) })) } }],
      // The provider never updates them (network_resource.go): a plan would only say it did.
      lifecycle: { ignore_changes: ["ips"] },
    });
    expect(tf.resource.libvirt_network!.network!.ips[0].dhcp.hosts.at(-1)).toEqual({ mac: "52:54:00:2b:00:fd", ip: "10.43.0.253" });
    expect(tf.resource.libvirt_network!.network!.ips[0].dhcp.ranges).toBeUndefined();
    expect(input.plan.nodes.map((n) => [n.name, n.ip, nodeMac(n.ip)])).toEqual([
      ["control-01", "10.43.0.10", "52:54:00:2b:00:0a"],
      ["control-02", "10.43.0.11", "52:54:00:2b:00:0b"],
      ["control-03", "10.43.0.12", "52:54:00:2b:00:0c"],
      ["worker-01", "10.43.0.13", "52:54:00:2b:00:0d"],
      ["worker-02", "10.43.0.14", "52:54:00:2b:00:0e"],
    ]);
    for (const [name, domain] of domains(tf)) expect(domain.devices.interfaces[0].mac).toEqual({ address: nodeMac(input.plan.nodes.find((n) => n.name === name)!.ip) });
  });

  it("connects to the environment's libvirt, keeps state with its secrets, and pins the provider exactly", () => {
    expect(stack.result.synth).toHaveProviderWithProperties(LibvirtProvider, { uri: "qemu:///system" });
    expect(stack.result.tf.terraform.backend).toEqual({ local: { path: "../../../.coreform/kvm/terraform.tfstate" } });
    expect(stack.result.tf.terraform.required_providers.libvirt).toEqual({ source: "dmacvicar/libvirt", version: "0.9.7" });
  });

  it("outputs each node's planned address and no public one", () => {
    expect(stack.result.tf.output.nodes.value["worker-01"]).toEqual({ private_ip: "10.43.0.13", public_ip: null, role: "worker" });
  });

  itWithSchemas()("passes the provider's schema check", () => {
    expect(checkSchema(stack.result.synth, ["libvirt"])).toMatchObject({ code: 0, problems: [] });
  });
});

describe("MAC addresses", () => {
  it("are locally unique unicast addresses in QEMU's 52:54:00 block, from the planned address", () => {
    expect(nodeMac("10.42.0.10")).toBe("52:54:00:2a:00:0a");
    expect(nodeMac("192.168.255.254")).toBe("52:54:00:a8:ff:fe");
    expect(nodeMac("172.31.1.2")).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
  });

  it.each(["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16"])("never collide within the largest environment a spec allows, at either end of %s", (cidr) => {
    const block = parseCidr(cidr);
    for (const first of [0, block.size - 12 - 5000]) {
      const ips = Array.from({ length: 5000 }, (_, i) => nthNodeIp(block, first + i));
      expect(new Set(ips.map((ip) => nodeMac(ip))).size).toBe(5000);
    }
  });

  it("differ between environments in different /16s of 10.0.0.0/8 too (all 24 low bits count)", () => {
    expect(nodeMac("10.1.0.10")).not.toBe(nodeMac("10.2.0.10"));
  });
});

describe("kvm settings", () => {
  /** Every spec below plans the same nodes as the fixture: they share its secrets. */
  const settings = settingsOf("libvirt");
  const { base, variant } = settings;
  /** Every variant's synthesized stack, for the schema check at the end. */
  const synthesized: string[] = [];
  const stackOf = (dir: string) => {
    const result = settings.stackOf(dir);
    synthesized.push(result.synth);
    return result;
  };

  it.each([
    ["the newest of the channel", { channel: "beta", version: "current" }, {}, { url: "https://beta.release.flatcar-linux.net/amd64-usr/current/flatcar_production_qemu_image.img" }],
    ["a pinned release", { channel: "stable", version: "4593.2.5" }, {}, { url: "https://stable.release.flatcar-linux.net/amd64-usr/4593.2.5/flatcar_production_qemu_image.img" }],
    ["an LTS release", { channel: "lts", version: "4081.3.6" }, {}, { url: "https://lts.release.flatcar-linux.net/amd64-usr/4081.3.6/flatcar_production_qemu_image.img" }],
    ["a downloaded image", { channel: "stable", version: "current" }, { imagePath: "/srv/images/flatcar_production_qemu_image.img" }, { path: "/srv/images/flatcar_production_qemu_image.img" }],
  ])("image: %s", (_what, os, settings, expected) => {
    const spec = loaded(base());
    const plan = planCluster(spec, "libvirt");
    expect(libvirtImage({ ...plan, os: os as typeof plan.os }, { ...spec.environments.libvirt, ...settings } as never)).toEqual(expected);
  });

  it("a pinned release downloads that release; a downloaded image is uploaded from its path", async () => {
    const pinned = stackOf(await variant({}, (d) => (d.os = { version: "4593.2.5" })));
    expect(pinned.tf.resource.libvirt_volume!.flatcar!.create).toEqual({ content: { url: "https://stable.release.flatcar-linux.net/amd64-usr/4593.2.5/flatcar_production_qemu_image.img" } });
    const local = stackOf(await variant({ imagePath: "/var/lib/libvirt/images/flatcar_production_qemu_image.img" }));
    expect(local.tf.resource.libvirt_volume!.flatcar!.create).toEqual({ content: { url: "/var/lib/libvirt/images/flatcar_production_qemu_image.img" } });
  });

  it("sizes per role, in another pool, on another local libvirt", async () => {
    const { tf, synth } = stackOf(
      await variant({ uri: "qemu+unix:///system?socket=/run/libvirt/libvirt-sock", pool: "fast", control: { memoryMiB: 3072, cpus: 3, diskGiB: 12 }, worker: { memoryMiB: 8192, cpus: 6, diskGiB: 100 } }),
    );
    expect(synth).toHaveProviderWithProperties(LibvirtProvider, { uri: "qemu+unix:///system?socket=/run/libvirt/libvirt-sock" });
    const byName = Object.fromEntries(domains(tf));
    expect(byName["control-02"]).toMatchObject({ memory: 3072, vcpu: 3 });
    expect(byName["worker-01"]).toMatchObject({ memory: 8192, vcpu: 6 });
    expect(tf.resource.libvirt_volume!["control-02-disk"]).toMatchObject({ pool: "fast", capacity: 12 * 2 ** 30 });
    expect(tf.resource.libvirt_volume!["worker-01-disk"]).toMatchObject({ pool: "fast", capacity: 100 * 2 ** 30 });
    expect(tf.resource.libvirt_volume!.flatcar).toMatchObject({ pool: "fast" });
  });

  it("escapes Terraform's template sequences in the Ignition content and still delivers the rendered bytes", async () => {
    const key = sshKey("ssh-ed25519", 0, "${USER}@%{host}");
    const dir = await variant({}, (d) => (d.ssh.authorizedKeys = [key]));
    const ignition = stackOf(dir).tf.resource.libvirt_ignition!["control-01-ignition"]!;
    expect(ignition.content).toContain("$${USER}@%%{host}");
    expect(unliteral(ignition.content)).toBe(renderedIgnition(dir, "libvirt", "control-01"));
  });

  it("a network and domains made by an earlier coreform (no record) get nothing that would restart a domain, and keep their DHCP entries", async () => {
    const dir = await variant();
    rmSync(join(dir, ".coreform", "libvirt", RECORD_FILE));
    const { tf, warnings } = stackOf(dir);
    expect(warnings.filter((w) => w.includes("environments.libvirt"))).toEqual([expect.stringMatching(/^warning: environments\.libvirt: rendered by an earlier coreform: run `coreform render libvirt` once/)]);
    for (const [, domain] of domains(tf)) {
      expect([domain.autostart, domain.update]).toEqual([undefined, undefined]);
      // `virsh autostart` by hand would otherwise read back as a change, and the update restart it.
      expect(domain.lifecycle.ignore_changes).toEqual(["sys_info", "devices.serials[0].source.pty.path", "autostart", "update"]);
    }
    expect(tf.resource.libvirt_network!.network!.ips[0].dhcp.hosts.map((h: Doc) => h.name)).toEqual(["control-01", "control-02", "control-03", "worker-01"]);
  });

  itWithSchemas()("every variant above passes the provider's schema check", () => {
    expect(synthesized).toHaveLength(5);
    for (const synth of [...synthesized, settings.stackOf(base()).synth]) expect(checkSchema(synth, ["libvirt"])).toMatchObject({ code: 0, problems: [] });
  });
});
