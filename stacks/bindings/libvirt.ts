// Bindings for dmacvicar/libvirt 0.9.7, written by hand (stacks/bindings/base.ts says why): the provider
// and the four resource types the KVM stack uses, with exactly the attributes it sets.
// The 0.9 line is a rewrite on the Plugin Framework whose schema mirrors libvirt's XML: everything nested
// is a nested *attribute* (an object, or an array of objects, in Terraform JSON; never a block), and
// sizes are value/unit pairs. Names and shapes: github.com/dmacvicar/terraform-provider-libvirt v0.9.7,
// docs/resources/{domain,volume,network,ignition}.md and internal/provider/*_resource.go. Pinned exactly:
// 0.9.x is pre-1.0 and has renamed attributes between patch releases (0.9.2's os `arch`/`machine` are
// 0.9.7's `type_arch`/`type_machine`).
import { BoundProvider, BoundResource, type ProviderInfo } from "./base";

const LIBVIRT: ProviderInfo = { name: "libvirt", source: "dmacvicar/libvirt", version: "0.9.7" };

interface LibvirtProviderProps {
  /** A libvirt connection URI, like qemu:///system. */
  readonly uri: string;
}

export class LibvirtProvider extends BoundProvider<LibvirtProviderProps> {
  static readonly tfResourceType = LIBVIRT.name;
  static readonly providerInfo = LIBVIRT;
}

/** The provider's resource types: each states its type (and maps of the user's keys); the base builds it (BoundType). */
abstract class LibvirtResource<P extends object> extends BoundResource<P> {
  static readonly providerInfo = LIBVIRT;
  /** Every libvirt object has its name (a volume's, a network's, a domain's): what others refer to it by. */
  get name(): string {
    return this.getStringAttribute("name");
  }
}

/** `<format type='qcow2'/>` of a volume or its backing store (libvirt.org/formatstorage.html). */
interface VolumeFormat {
  readonly format: { readonly type: "qcow2" | "raw" };
}

interface LibvirtVolumeProps {
  readonly name: string;
  readonly pool: string;
  /** With `capacityUnit` (libvirt.org/formatstorage.html, "capacity": B/bytes, KiB, MiB, GiB…; libvirt reports bytes). */
  readonly capacity?: number;
  readonly capacityUnit?: "bytes";
  /** The volume's format and, optionally, its file's mode (`<permissions><mode>0600</mode>`, libvirt.org/formatstorage.html). */
  readonly target?: VolumeFormat & { readonly permissions?: { readonly mode: string } };
  /** Copy-on-write: the volume is an overlay on this image, which it never writes to. */
  readonly backingStore?: { readonly path: string } & VolumeFormat;
  /** Content uploaded once, at creation: `url` is https://, file://, or an absolute path where Terraform runs (internal/provider/volume_upload.go). */
  readonly create?: { readonly content: { readonly url: string } };
}

export class LibvirtVolume extends LibvirtResource<LibvirtVolumeProps> {
  static readonly tfResourceType = "libvirt_volume";
  /** Where the volume is on the libvirt host (computed). */
  get path(): string {
    return this.getStringAttribute("path");
  }
  get pool(): string {
    return this.getStringAttribute("pool");
  }
}

/** One `<host mac=… ip=… name=…/>` of a network's DHCP server (libvirt.org/formatnetwork.html, "Addressing"). */
interface DhcpHost {
  readonly mac: string;
  readonly ip: string;
  /** Optional: without one, dnsmasq names the host as its DHCP request does (Flatcar sends its hostname). */
  readonly name?: string;
}

interface LibvirtNetworkProps {
  readonly name: string;
  /** Started with the host. */
  readonly autostart: boolean;
  /** `<forward mode='nat'/>`: guests reach out through the host's NAT, nothing reaches in. */
  readonly forward: { readonly mode: "nat" };
  /** The host's address on the network (its bridge), and DHCP handing out only these hosts' addresses. */
  readonly ips: readonly { readonly address: string; readonly prefix: number; readonly dhcp: { readonly hosts: readonly DhcpHost[] } }[];
}

export class LibvirtNetwork extends LibvirtResource<LibvirtNetworkProps> {
  static readonly tfResourceType = "libvirt_network";
}

interface LibvirtIgnitionProps {
  readonly name: string;
  /** The Ignition config, written to a file where Terraform runs (internal/provider/ignition_resource.go). */
  readonly content: string;
}

export class LibvirtIgnition extends LibvirtResource<LibvirtIgnitionProps> {
  static readonly tfResourceType = "libvirt_ignition";
  /** The file holding `content` (computed). */
  get path(): string {
    return this.getStringAttribute("path");
  }
}

interface LibvirtDomainProps {
  readonly name: string;
  /** The hypervisor: `<domain type='kvm'>`. */
  readonly type: "kvm";
  /** With `memoryUnit` (libvirt.org/formatdomain.html, "Memory Allocation": KiB by default; MiB, GiB…). */
  readonly memory: number;
  readonly memoryUnit: "MiB";
  readonly vcpu: number;
  /** `<os><type arch=… machine=…>hvm</type></os>`. */
  readonly os: { readonly type: "hvm"; readonly typeArch: "x86_64"; readonly typeMachine: "q35" };
  readonly features: { readonly acpi: boolean };
  /** `<sysinfo type='fwcfg'><entry name=… file=…/></sysinfo>`: QEMU fw_cfg items the guest firmware reads. */
  readonly sysInfo: readonly { readonly fwCfg: { readonly entry: readonly { readonly name: string; readonly file: string; readonly value: string }[] } }[];
  readonly devices: {
    readonly disks: readonly {
      readonly source: { readonly volume: { readonly pool: string; readonly volume: string } };
      readonly target: { readonly dev: string; readonly bus: "virtio" };
      readonly driver: { readonly name: "qemu"; readonly type: "qcow2" };
      /** The disk's serial (`/dev/disk/by-id/virtio-<serial>` in the guest). */
      readonly serial?: string;
    }[];
    readonly interfaces: readonly {
      readonly source: { readonly network: { readonly network: string } };
      readonly mac: { readonly address: string };
      readonly model: { readonly type: "virtio" };
    }[];
    /** `<serial type='pty'><target type='isa-serial' port='0'/></serial>`: libvirt allocates the pty. */
    readonly serials: readonly { readonly source: { readonly pty: { readonly path: string } }; readonly target: { readonly type: "isa-serial"; readonly port: number } }[];
  };
  /** Started once defined (and kept running by Terraform). */
  readonly running: boolean;
  /** Started with the host (`virsh autostart`). */
  readonly autostart?: boolean;
  /** How an update stops the running domain: ACPI, then forced off after `timeout` seconds (internal/provider/domain_resource.go, default 30). */
  readonly update?: { readonly shutdown: { readonly timeout: number } };
}

export class LibvirtDomain extends LibvirtResource<LibvirtDomainProps> {
  static readonly tfResourceType = "libvirt_domain";
}
