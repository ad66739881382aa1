// The KVM stack's settings as libvirt's XML, through Debian's real libvirt client (9.0): no daemon runs
// here, but `virt-xml-validate` checks the XML against libvirt's own RNG schemas and virsh's built-in
// test driver (test:///default, in-process) parses it with libvirt's domain, network and storage parsers,
// defines and starts it. dmacvicar/libvirt 0.9.7 turns its attributes into this XML mechanically (its
// schema is generated from libvirt.org/go/libvirtxml: one attribute per XML attribute or element, value
// and unit as `<memory unit=…>`), so the XML is written here from the synthesized attributes, element by
// element, with the computed paths standing in.
// What this checks: libvirt accepts a NAT network whose DHCP has host entries (one for every address,
// without names) and no range, volumes of `capacity_unit` bytes with a qcow2 backing store, a raw volume
// of mode 0600 (the Ignition config's), a q35 domain with ACPI, the fw_cfg entry with `file` (that
// volume's path) and an empty value (as Flatcar's docs write it), a volume disk, an interface on the
// network with its MAC, a pty serial port without a path, autostart. Not checked: the provider's own
// translation, QEMU, booting Flatcar.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultStack, resources, type Doc } from "../helpers/stacks";
import { tempDir } from "../helpers/cli";
import { describeWithTools } from "../helpers/tools";

const run = (cmd: string, args: string[]): Promise<{ code: number; output: string }> =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000, encoding: "utf8" }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, output: `${stdout}${stderr}` }),
    );
  });

const esc = (v: unknown) => String(v).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/'/g, "&apos;");
/** `<name a='…'>text</name>`, attributes and children skipped when undefined. */
const el = (name: string, attrs: Record<string, unknown> = {}, ...children: (string | undefined)[]) => {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}='${esc(v)}'`)
    .join("");
  const body = children.filter((c) => c !== undefined).join("");
  return body ? `<${name}${a}>${body}</${name}>` : `<${name}${a}/>`;
};

describeWithTools(["virsh", "virt-xml-validate"])("the kvm stack as libvirt XML (Debian's libvirt client, test driver)", () => {
  const stack = defaultStack("kvm");
  let dir: string;
  beforeAll(() => {
    dir = tempDir("coreform-libvirt-xml-");
  });

  /** `${libvirt_volume.x.name}` → the referenced attribute; computed paths → where libvirt and the provider would put them. */
  const resolve = (value: string): string => {
    const ref = /^\$\{(libvirt_\w+)\.([^.]+)\.(\w+)\}$/.exec(value);
    if (!ref) return value;
    const [, type, id, attr] = ref as unknown as [string, string, string, string];
    const r = stack.result.tf.resource[type]![id]!;
    if (attr !== "path") return r[attr];
    const file = join(dir, type === "libvirt_ignition" ? `${id}.ign` : r.name);
    writeFileSync(file, type === "libvirt_ignition" ? r.content : "");
    return file;
  };

  const networkXml = (n: Doc) =>
    el(
      "network",
      {},
      el("name", {}, esc(n.name)),
      el("forward", { mode: n.forward.mode }),
      ...n.ips.map((ip: Doc) => el("ip", { address: ip.address, prefix: ip.prefix }, el("dhcp", {}, ...ip.dhcp.hosts.map((h: Doc) => el("host", { mac: h.mac, name: h.name, ip: h.ip }))))),
    );

  const volumeXml = (v: Doc) =>
    el(
      "volume",
      {},
      el("name", {}, esc(v.name)),
      // The base image's capacity is the download's size: the provider takes it from Content-Length
      // (internal/provider/volume_resource.go, Create). 1 GiB stands in.
      el("capacity", { unit: v.capacity_unit ?? "bytes" }, String(v.capacity ?? 2 ** 30)),
      el(
        "target",
        {},
        el("format", { type: v.target.format.type }),
        v.target.permissions ? el("permissions", {}, el("mode", {}, esc(v.target.permissions.mode))) : undefined,
      ),
      v.backing_store ? el("backingStore", {}, el("path", {}, esc(resolve(v.backing_store.path))), el("format", { type: v.backing_store.format.type })) : undefined,
    );

  const domainXml = (d: Doc) =>
    el(
      "domain",
      { type: d.type },
      el("name", {}, esc(d.name)),
      el("memory", { unit: d.memory_unit }, String(d.memory)),
      el("vcpu", {}, String(d.vcpu)),
      ...d.sys_info.map((s: Doc) => el("sysinfo", { type: "fwcfg" }, ...s.fw_cfg.entry.map((e: Doc) => `<entry name='${esc(e.name)}' file='${esc(resolve(e.file))}'>${esc(e.value)}</entry>`))),
      el("os", {}, el("type", { arch: d.os.type_arch, machine: d.os.type_machine }, d.os.type)),
      el("features", {}, d.features.acpi ? el("acpi") : undefined),
      el(
        "devices",
        {},
        ...d.devices.disks.map((k: Doc) =>
          el("disk", { type: "volume", device: "disk" }, el("driver", k.driver), el("source", { pool: resolve(k.source.volume.pool), volume: resolve(k.source.volume.volume) }), el("target", k.target), k.serial ? el("serial", {}, esc(k.serial)) : undefined),
        ),
        ...d.devices.interfaces.map((i: Doc) =>
          el("interface", { type: "network" }, el("mac", { address: i.mac.address }), el("source", { network: resolve(i.source.network.network) }), el("model", { type: i.model.type })),
        ),
        ...d.devices.serials.map((s: Doc) => el("serial", { type: "pty" }, s.source.pty.path ? el("source", { path: s.source.pty.path }) : undefined, el("target", s.target))),
      ),
    );

  const write = (name: string, xml: string) => {
    const file = join(dir, name);
    writeFileSync(file, `${xml}\n`);
    return file;
  };

  it("passes libvirt's RNG schemas: the network, every volume, every domain", async () => {
    const { tf } = stack.result;
    const files = [
      ...resources(tf, "libvirt_network").map(([id, n]) => write(`network-${id}.xml`, networkXml(n))),
      ...resources(tf, "libvirt_volume").map(([id, v]) => write(`volume-${id}.xml`, volumeXml(v))),
      ...resources(tf, "libvirt_domain").map(([id, d]) => write(`domain-${id}.xml`, domainXml(d))),
    ];
    // the base image, per node its disk and its Ignition config's volume, per control node its etcd data volume
    expect(files).toHaveLength(1 + 11 + 5 + 3);
    for (const file of files) expect(await run("virt-xml-validate", [file])).toMatchObject({ code: 0, output: expect.stringContaining("validates") });
  });

  it("is parsed, defined and started by libvirt's test driver, with every DHCP entry and fw_cfg entry kept", async () => {
    const { tf } = stack.result;
    const [[netId, network]] = resources(tf, "libvirt_network") as [[string, Doc]];
    const commands = [
      `net-define ${write(`network-${netId}.xml`, networkXml(network))}`,
      `net-start ${network.name}`,
      `net-dumpxml ${network.name}`,
      // the test driver's pools hold 100 GiB each: one pool a volume, the base image first
      ...resources(tf, "libvirt_volume")
        .sort(([a]) => (a === "flatcar" ? -1 : 1))
        .flatMap(([id, v]) => [`pool-create-as pool-${id} dir --target ${join(dir, id)}`, `vol-create pool-${id} ${write(`volume-${id}.xml`, volumeXml(v))}`]),
      ...resources(tf, "libvirt_domain").flatMap(([id, d]) => [
        `define ${write(`domain-${id}.xml`, domainXml(d))}`,
        ...(d.autostart ? [`autostart ${d.name}`] : []),
        `start ${d.name}`,
        `dumpxml ${d.name}`,
        `dominfo ${d.name}`,
      ]),
      ...resources(tf, "libvirt_volume")
        .filter(([, v]) => v.target.permissions)
        .map(([id, v]) => `vol-dumpxml --pool pool-${id} ${v.name}`),
    ];
    const r = await run("virsh", ["-c", "test:///default", commands.join("; ")]);
    expect(r.output).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(network.ips[0].dhcp.hosts).toHaveLength(244);
    for (const host of network.ips[0].dhcp.hosts) expect(r.output).toContain(`<host mac='${host.mac}' ip='${host.ip}'/>`);
    expect(r.output).not.toContain("<range");
    for (const [id, d] of resources(tf, "libvirt_domain")) {
      expect(r.output).toContain(`Domain '${d.name}' started`);
      for (const name of ["opt/com.coreos/config", "opt/org.flatcar-linux/config"])
        expect(r.output).toContain(`<entry name='${name}' file='${join(dir, `demo-kvm-${id}.ign`)}'/>`);
      expect(r.output).toContain(`<mac address='${d.devices.interfaces[0].mac.address}'/>`);
    }
    expect(r.output.match(/^Autostart: +enable$/gm)).toHaveLength(5);
    expect(r.output.match(/<mode>0600<\/mode>/g)).toHaveLength(5);
    expect(r.output).toContain("<type arch='x86_64' machine='q35'>hvm</type>");
    expect(r.output).toContain(`<memory unit='KiB'>${2048 * 1024}</memory>`);
    expect(r.output).toContain(`<memory unit='KiB'>${4096 * 1024}</memory>`);
  });
});
