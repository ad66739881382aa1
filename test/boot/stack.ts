// What the kvm stack describes, read off its synthesized Terraform JSON: the network (the host's address
// and the DHCP hosts) and each domain's MAC, memory, vCPUs, disk sizes (the root disk and etcd's data
// disk with its serial) and fw_cfg entries with the file each names (the config volume made from a
// libvirt_ignition's content). The boot test starts QEMU from exactly this.
//
// The reading is strict: every attribute of a resource is either read here or set aside below with the
// reason it does not change what boots, and anything else (a new attribute, a second disk, the config
// from another resource) fails with the resource and attribute named, in plan.test.ts already (npm test),
// rather than booting something the stack no longer describes.
import { unliteral } from "../helpers/literal";

// Terraform JSON is read loosely, then checked here: its shape is the provider's, not a TypeScript type.
type Doc = Record<string, any>;

export interface DhcpHost {
  readonly mac: string;
  readonly ip: string;
  /** Named only when the network has an entry for each planned node, none for spare addresses. */
  readonly name?: string;
}

export interface BootNetwork {
  readonly name: string;
  /** The host's (the bridge's) address and the prefix length. */
  readonly address: string;
  readonly prefix: number;
  readonly hosts: readonly DhcpHost[];
}

export interface BootDomain {
  /** The domain's name in libvirt (`<cluster>-<env>-<node>`). */
  readonly name: string;
  /** The node, as the resource id names it. */
  readonly node: string;
  readonly mac: string;
  readonly memoryMiB: number;
  readonly vcpu: number;
  readonly diskBytes: number;
  /** etcd's data disk, on control nodes: its size and the serial its guest sees. */
  readonly dataDisk?: { readonly bytes: number; readonly serial: string };
  /** Each fw_cfg entry with the content of the file it names. */
  readonly fwCfg: readonly { readonly name: string; readonly content: string }[];
}

export interface BootPlan {
  readonly network: BootNetwork;
  readonly domains: readonly BootDomain[];
}

/** Attributes the boot test does not read, per resource type, and why that is right. */
const ASIDE: Record<string, Record<string, string>> = {
  libvirt_network: {
    autostart: "libvirt's own start of the network with the host",
    forward: "NAT out of the host: the test's bridge has none on purpose (differences.ts)",
  },
  libvirt_domain: {
    type: "kvm: the test probes KVM and else uses TCG (differences.ts)",
    os: "hvm, x86_64, q35: the test's QEMU machine is q35 too; the kernel boots directly (differences.ts)",
    features: "ACPI, which q35 has",
    running: "the test powers every domain on itself",
    autostart: "libvirt's own start of the domain with the host",
    update: "how the provider shuts a domain down to change it",
  },
  libvirt_volume: {
    name: "a pool's file name; the test's overlay is in its work directory",
    pool: "the libvirt pool",
    target: "qcow2, as the test's disks (the config volume: raw, 0600, as the test's fw_cfg files)",
    backing_store: "the base image: the stand-in's here (differences.ts)",
    create: "the base image's download: the stand-in's here",
  },
  libvirt_ignition: { name: "the file's name where Terraform runs" },
};
/** Terraform's own, on every resource. */
const META = new Set(["//", "lifecycle", "depends_on", "provider", "count", "for_each"]);

const HINT = "test/boot/stack.ts reads the kvm stack for the boot test: teach it the new shape, or say there why it does not matter";

class ShapeError extends Error {
  constructor(where: string, what: string) {
    super(`the kvm stack's ${where}: ${what} (${HINT})`);
  }
}

/** One resource's attributes, read by path; `done()` fails on any attribute neither read nor set aside. */
class Resource {
  private readonly read = new Set<string>();
  constructor(
    readonly where: string,
    private readonly doc: Doc,
    private readonly type: string,
  ) {}

  /** The value at `path` (dots; numbers index lists), which must be of `kind`. */
  get(path: string, kind: "string" | "number" | "boolean" | "object" | "list"): any {
    this.read.add(path.split(".")[0]!);
    let value: any = this.doc;
    for (const part of path.split(".")) value = value === null || typeof value !== "object" ? undefined : value[part];
    const is = Array.isArray(value) ? "list" : value === null ? "null" : typeof value;
    if (is !== kind) throw new ShapeError(this.where, `${path} is ${value === undefined ? "missing" : `a ${is}`}, expected a ${kind}`);
    return value;
  }

  /** The value at `path` when there is one, then of `kind`. */
  optional(path: string, kind: "string" | "number"): any {
    let value: any = this.doc;
    for (const part of path.split(".")) value = value === null || typeof value !== "object" ? undefined : value[part];
    return value === undefined ? undefined : this.get(path, kind);
  }

  /** The list at `path`, which must hold `min` to `max` items (exactly `min` when `max` is not given). */
  list(path: string, min?: number, max = min): any[] {
    const l = this.get(path, "list") as any[];
    if (min !== undefined && (l.length < min || l.length > max!))
      throw new ShapeError(this.where, `${path} has ${l.length} items, the boot test reads ${min === max ? `exactly ${min}` : `${min} to ${max}`}`);
    return l;
  }

  /** The object at `path` may have only `keys`. */
  only(path: string, keys: readonly string[]): void {
    const extra = Object.keys(this.get(path, "object")).filter((k) => !keys.includes(k));
    if (extra.length) throw new ShapeError(this.where, `${path} has ${extra.join(", ")}, which the boot test does not read`);
  }

  done(): void {
    const aside = ASIDE[this.type] ?? {};
    const unknown = Object.keys(this.doc).filter((k) => !this.read.has(k) && !META.has(k) && !(k in aside));
    if (unknown.length) throw new ShapeError(this.where, `${unknown.join(", ")}: an attribute the boot test neither reads nor sets aside`);
  }
}

const REF = /^\$\{(libvirt_\w+)\.([^.}]+)\.(\w+)\}$/;

/** The resource a `${type.id.attribute}` reference at `path` names, checked to be that type and attribute. */
function referenced(tf: Doc, from: Resource, path: string, type: string, attribute: string): Resource {
  const expression = from.get(path, "string") as string;
  const m = REF.exec(expression);
  if (!m || m[1] !== type || m[3] !== attribute)
    throw new ShapeError(from.where, `${path} is ${JSON.stringify(expression)}, expected a reference to a ${type}'s ${attribute}`);
  const found = tf.resource?.[type]?.[m[2]!];
  if (!found) throw new ShapeError(from.where, `${path}: ${expression} names no resource`);
  return new Resource(`${type}.${m[2]}`, found, type);
}

/** Memory as libvirt reads `memory` with `memory_unit` (KiB by default). */
function mebibytes(r: Resource): number {
  const value = r.get("memory", "number") as number;
  const unit = r.get("memory_unit", "string") as string;
  const factor: Record<string, number> = { KiB: 1 / 1024, MiB: 1, GiB: 1024 };
  const f = factor[unit];
  if (f === undefined) throw new ShapeError(r.where, `memory_unit ${unit} is not one the boot test reads`);
  return value * f;
}

/** A disk volume's size in bytes. */
function bytesOf(volume: Resource): number {
  const unit = volume.get("capacity_unit", "string");
  if (unit !== "bytes") throw new ShapeError(volume.where, `capacity_unit ${unit} is not one the boot test reads`);
  const bytes = volume.get("capacity", "number") as number;
  volume.done();
  return bytes;
}

const READ_TYPES = ["libvirt_domain", "libvirt_ignition", "libvirt_network", "libvirt_volume"];

export function bootPlan(tf: Doc): BootPlan {
  const other = Object.keys(tf.resource ?? {}).filter((t) => !READ_TYPES.includes(t));
  if (other.length) throw new ShapeError("resources", `${other.join(", ")}: a resource type the boot test does not read`);
  const networks = Object.entries((tf.resource?.libvirt_network ?? {}) as Record<string, Doc>);
  if (networks.length !== 1) throw new ShapeError("resources", `${networks.length} libvirt_network resources, the boot test reads exactly one`);
  const [[netId, netDoc]] = networks as [[string, Doc]];
  const net = new Resource(`libvirt_network.${netId}`, netDoc, "libvirt_network");
  net.list("ips", 1);
  net.only("ips.0", ["address", "prefix", "dhcp"]);
  net.only("ips.0.dhcp", ["hosts"]);
  const hosts = net.list("ips.0.dhcp.hosts").map((_, i): DhcpHost => {
    net.only(`ips.0.dhcp.hosts.${i}`, ["mac", "ip", "name"]);
    const name: string | undefined = net.optional(`ips.0.dhcp.hosts.${i}.name`, "string");
    return { mac: net.get(`ips.0.dhcp.hosts.${i}.mac`, "string"), ip: net.get(`ips.0.dhcp.hosts.${i}.ip`, "string"), ...(name ? { name } : {}) };
  });
  const network: BootNetwork = { name: net.get("name", "string"), address: net.get("ips.0.address", "string"), prefix: net.get("ips.0.prefix", "number"), hosts };
  net.done();

  const domains = Object.entries((tf.resource?.libvirt_domain ?? {}) as Record<string, Doc>).map(([node, doc]): BootDomain => {
    const d = new Resource(`libvirt_domain.${node}`, doc, "libvirt_domain");
    // The serial port is a file of the test's (differences.ts); the root disk (vda), on control nodes
    // etcd's data disk (vdb, by its serial) and a NIC, all virtio.
    d.only("devices", ["disks", "interfaces", "serials"]);
    const disks = d.list("devices.disks", 1, 2);
    d.list("devices.interfaces", 1);
    d.only("devices.disks.0", ["source", "target", "driver"]);
    d.only("devices.interfaces.0", ["source", "mac", "model"]);
    const want: [string, string][] = [["devices.interfaces.0.model.type", "virtio"]];
    disks.forEach((_, i) => want.push([`devices.disks.${i}.target.bus`, "virtio"], [`devices.disks.${i}.driver.type`, "qcow2"], [`devices.disks.${i}.target.dev`, `vd${"ab"[i]}`]));
    for (const [path, value] of want) {
      const got = d.get(path, "string");
      if (got !== value) throw new ShapeError(d.where, `${path} is ${got}, the boot test's QEMU gives ${value}`);
    }
    if (referenced(tf, d, "devices.interfaces.0.source.network.network", "libvirt_network", "name").where !== net.where) throw new ShapeError(d.where, "its interface is on another network");
    const [diskBytes, dataBytes] = disks.map((_, i) => bytesOf(referenced(tf, d, `devices.disks.${i}.source.volume.volume`, "libvirt_volume", "name")));
    let dataDisk: BootDomain["dataDisk"];
    if (dataBytes !== undefined) {
      d.only("devices.disks.1", ["source", "target", "driver", "serial"]);
      dataDisk = { bytes: dataBytes, serial: d.get("devices.disks.1.serial", "string") };
    }
    d.list("sys_info", 1);
    d.only("sys_info.0", ["fw_cfg"]);
    const entries = d.list("sys_info.0.fw_cfg.entry");
    const fwCfg = entries.map((_, i) => {
      d.only(`sys_info.0.fw_cfg.entry.${i}`, ["name", "file", "value"]);
      // The file is a volume in the pool made from the libvirt_ignition's file.
      const config = referenced(tf, d, `sys_info.0.fw_cfg.entry.${i}.file`, "libvirt_volume", "path");
      config.only("create", ["content"]);
      config.only("create.content", ["url"]);
      const ignition = referenced(tf, config, "create.content.url", "libvirt_ignition", "path");
      const content = unliteral(ignition.get("content", "string"));
      ignition.done();
      config.done();
      return { name: d.get(`sys_info.0.fw_cfg.entry.${i}.name`, "string") as string, content };
    });
    const domain: BootDomain = {
      name: d.get("name", "string"),
      node,
      mac: d.get("devices.interfaces.0.mac.address", "string"),
      memoryMiB: mebibytes(d),
      vcpu: d.get("vcpu", "number"),
      diskBytes,
      ...(dataDisk ? { dataDisk } : {}),
      fwCfg,
    };
    d.done();
    return domain;
  });
  if (!domains.length) throw new ShapeError("resources", "no libvirt_domain");
  return { network, domains };
}

/** The planned address of a domain: the DHCP host entry of its MAC. */
export function addressOf(plan: BootPlan, domain: BootDomain): string {
  const host = plan.network.hosts.find((h) => h.mac === domain.mac);
  if (!host) throw new ShapeError(`libvirt_domain.${domain.node}`, `no DHCP host of the network has its MAC ${domain.mac}`);
  return host.ip;
}
