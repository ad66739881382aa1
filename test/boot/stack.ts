// What the kvm stack describes, read off its synthesized Terraform JSON: the network (the host's address
// and the DHCP hosts) and each domain's MAC, memory, vCPUs, disk size and fw_cfg entries with the file
// each names (the libvirt_ignition's content). The boot test starts QEMU from exactly this.
import { unliteral } from "../helpers/literal";

// Terraform JSON is read loosely: its shape is the provider's, not a TypeScript type.
type Doc = Record<string, any>;

export interface DhcpHost {
  readonly mac: string;
  readonly ip: string;
  readonly name: string;
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
  /** Each fw_cfg entry with the content of the file it names. */
  readonly fwCfg: readonly { readonly name: string; readonly content: string }[];
}

export interface BootPlan {
  readonly network: BootNetwork;
  readonly domains: readonly BootDomain[];
}

const REF = /^\$\{(libvirt_\w+)\.([^.}]+)\.(\w+)\}$/;

/** The resource a `${type.id.attribute}` reference names. */
function referenced(tf: Doc, expression: string, type: string): Doc {
  const m = REF.exec(expression);
  if (!m || m[1] !== type) throw new Error(`expected a reference to a ${type}, found ${JSON.stringify(expression)}`);
  const found = tf.resource?.[type]?.[m[2]!];
  if (!found) throw new Error(`${expression} names no resource`);
  return found;
}

/** Memory as libvirt reads `memory` with `memory_unit` (KiB by default). */
function mebibytes(value: number, unit: string | undefined): number {
  const factor: Record<string, number> = { KiB: 1 / 1024, MiB: 1, GiB: 1024 };
  const f = factor[unit ?? "KiB"];
  if (f === undefined) throw new Error(`memory unit ${unit} not read by the boot test`);
  return value * f;
}

export function bootPlan(tf: Doc): BootPlan {
  const networks = Object.values(tf.resource?.libvirt_network ?? {}) as Doc[];
  if (networks.length !== 1) throw new Error(`expected one libvirt_network, found ${networks.length}`);
  const [net] = networks as [Doc];
  const [ip] = net.ips as [Doc];
  const network: BootNetwork = { name: net.name, address: ip.address, prefix: ip.prefix, hosts: ip.dhcp.hosts.map((h: Doc) => ({ mac: h.mac, ip: h.ip, name: h.name })) };

  const domains = Object.entries((tf.resource?.libvirt_domain ?? {}) as Record<string, Doc>).map(([node, d]: [string, Doc]): BootDomain => {
    const [iface] = d.devices.interfaces as [Doc];
    if (referenced(tf, iface.source.network.network, "libvirt_network") !== net) throw new Error(`${node}: its interface is on another network`);
    const disk = referenced(tf, d.devices.disks[0].source.volume.volume, "libvirt_volume");
    if (disk.capacity_unit !== "bytes") throw new Error(`${node}: disk capacity unit ${disk.capacity_unit} not read by the boot test`);
    return {
      name: d.name,
      node,
      mac: iface.mac.address,
      memoryMiB: mebibytes(d.memory, d.memory_unit),
      vcpu: d.vcpu,
      diskBytes: disk.capacity,
      fwCfg: d.sys_info.flatMap((s: Doc) => s.fw_cfg.entry).map((e: Doc) => ({ name: e.name, content: unliteral(referenced(tf, e.file, "libvirt_ignition").content) })),
    };
  });
  return { network, domains };
}

/** The planned address of a domain: the DHCP host entry of its MAC. */
export function addressOf(plan: BootPlan, domain: BootDomain): string {
  const host = plan.network.hosts.find((h) => h.mac === domain.mac);
  if (!host) throw new Error(`${domain.node}: no DHCP host for ${domain.mac}`);
  return host.ip;
}
