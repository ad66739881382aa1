// Where the boot test's VMs differ from what the kvm stack describes, each on purpose, all in this one
// file. Everything else QEMU gets comes from the synthesized stack (stack.ts): each domain's MAC, memory
// and fw_cfg entries with their files, its disk's size, and the network's DHCP hosts.
import type { BootDomain } from "./stack";

export type Accel = "kvm" | "tcg";

/** Each difference, and why; printed by the test before it boots anything. */
export const DIFFERENCES: readonly { readonly what: string; readonly why: string }[] = [
  {
    what: "the image: Debian's kernel, an initramfs with Debian's Ignition 2.14, a Debian root (scripts/boot-image.sh)",
    why: "Flatcar's image cannot be downloaded here; every package comes from Debian",
  },
  {
    what: "direct kernel boot, with `ignition.firstboot` on the command line of a disk's first boot only",
    why: "the stand-in root has no bootloader; Flatcar's GRUB passes the same flag while its first-boot flag file exists",
  },
  {
    what: "`apparmor=0` on the kernel command line",
    why: "Debian's kernel turns AppArmor on, Flatcar's has none (it has SELinux); Docker then loads no profile",
  },
  {
    what: "`rd.neednet=1 ip=dhcp` on a first boot whose config downloads something",
    why: "Debian's Ignition module leaves bringing up the initramfs network to the distribution, as Flatcar's initramfs does when Ignition needs it",
  },
  { what: "1 vCPU per VM instead of the role's `cpus`", why: "under TCG each vCPU is a host thread: on 2 shared cores, more only contend" },
  {
    what: "under TCG, QEMU's `qemu64` CPU model (no AVX, no XSAVE), not `max`",
    why: "emulating AVX and its larger saved state costs more than it gains: a node's first boot to a loaded etcd image took 90–95 s with it, 109–119 s with `max`, alone on 2 cores",
  },
  {
    what: "TCG emulation when KVM fails a 30 s probe",
    why: "some hosts' /dev/kvm runs only paravirtualized guests (a stock kernel hangs after \"Probing EDD\"), others have none",
  },
  {
    what: "a second, read-only virtio disk (serial coreform-standin) holding the etcd image as a `docker save` archive",
    why: "Flatcar's Docker pulls quay.io/coreos/etcd; nothing can be pulled here (the image's loader unit is in boot-image.sh)",
  },
  {
    what: "a bridge and dnsmasq in the test's own network namespace, without NAT, and the serial console in a file",
    why: "libvirt's NAT network would reach the host's network; the DHCP hosts are the stack's, by MAC",
  },
];

/** Where the test's image is. */
export interface Image {
  readonly dir: string;
}

export interface BootOptions {
  readonly accel: Accel;
  /** The disk's first boot: Ignition runs. */
  readonly firstBoot: boolean;
  /** The first boot's config fetches remote resources: the initramfs needs a network. */
  readonly needNet: boolean;
  /** Forward the journal to the serial console (Ignition's messages), for a boot that is meant to fail. */
  readonly journalOnConsole?: boolean;
  readonly disk: string;
  /** etcd's data disk, where the domain has one. */
  readonly dataDisk?: string;
  readonly tap: string;
  readonly console: string;
  /** One file per fw_cfg entry, in the domain's order. */
  readonly fwCfgFiles: readonly string[];
  /** The etcd image archive, attached read-only. */
  readonly standin?: string;
}

/** The kernel command line of a boot. */
export function kernelCommandLine(o: Pick<BootOptions, "firstBoot" | "needNet" | "journalOnConsole">): string {
  return [
    "root=/dev/vda rw console=ttyS0 ignition.platform.id=qemu apparmor=0",
    ...(o.firstBoot ? ["ignition.firstboot=1"] : []),
    ...(o.firstBoot && o.needNet ? ["rd.neednet=1 ip=dhcp"] : []),
    ...(o.journalOnConsole ? ["systemd.journald.forward_to_console=1"] : []),
  ].join(" ");
}

/** QEMU's arguments for one boot of `domain`, as libvirt would start it (-nodefaults) but for DIFFERENCES. */
export function qemuArgs(domain: BootDomain, image: Image, o: BootOptions): string[] {
  if (o.fwCfgFiles.length !== domain.fwCfg.length) throw new Error(`${domain.node}: one file per fw_cfg entry`);
  if (!domain.dataDisk !== !o.dataDisk) throw new Error(`${domain.node}: a data disk file where the domain has a data disk`);
  return [
    ...["-name", domain.name, "-nodefaults", "-no-user-config", "-display", "none"],
    ...["-machine", `q35,accel=${o.accel}`, "-cpu", o.accel === "kvm" ? "host" : "qemu64", "-smp", "1"],
    ...["-m", `${domain.memoryMiB}M`],
    ...["-kernel", `${image.dir}/vmlinuz`, "-initrd", `${image.dir}/initrd.img`, "-append", kernelCommandLine(o)],
    ...["-drive", `file=${o.disk},if=none,id=vda,format=qcow2`, "-device", "virtio-blk-pci,drive=vda"],
    ...(domain.dataDisk ? ["-drive", `file=${o.dataDisk},if=none,id=vdb,format=qcow2`, "-device", `virtio-blk-pci,drive=vdb,serial=${domain.dataDisk.serial}`] : []),
    ...["-netdev", `tap,id=net0,ifname=${o.tap},script=no,downscript=no`, "-device", `virtio-net-pci,netdev=net0,mac=${domain.mac}`],
    ...domain.fwCfg.flatMap((e, i) => ["-fw_cfg", `name=${e.name},file=${o.fwCfgFiles[i]}`]),
    ...(o.standin ? ["-drive", `file=${o.standin},if=none,id=standin,format=raw,readonly=on`, "-device", "virtio-blk-pci,drive=standin,serial=coreform-standin"] : []),
    ...["-serial", `file:${o.console}`],
  ];
}
