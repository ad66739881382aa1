// KVM through libvirt: Flatcar's QEMU image as one base volume in the pool, a copy-on-write disk per node
// layered on it, a NAT network of the environment's own whose DHCP server hands each node its planned
// address (and nothing else), and one domain per node that gets its Ignition config through QEMU fw_cfg
// (flatcar.org/docs/latest/installing/vms/libvirt/, "Terraform"), under both names Ignition reads, from a
// volume in the pool.
// Provider: dmacvicar/libvirt 0.9.7 through coreform's own bindings (stacks/bindings/libvirt.ts). That
// provider stops and defines a domain again for any change of it (internal/provider/domain_resource.go,
// Update), never changes a network's DHCP hosts and cannot change a volume: what a running
// environment may change is src/platforms/changes.ts's to say.
import { formatIp, nthNodeIp, parseCidr } from "../src/spec/ipv4";
import { dataDiskOf } from "../src/plan/plan";
import { generationOf } from "../src/plan/record";
import { stateBackend } from "./backend";
import { LibvirtDomain, LibvirtIgnition, LibvirtNetwork, LibvirtProvider, LibvirtVolume } from "./bindings/libvirt";
import { dhcpSlots, libvirtImage, nodeMac } from "../src/platforms/libvirt";
import { literal } from "./literal";
import { qualifiedName, nodeName } from "./naming";
import { clusterOutputs } from "./outputs";
import { replacedWith } from "./roll";
import type { StackBuilder } from "./registry";

/**
 * The fw_cfg items Ignition reads its config from on QEMU, each holding the same file. Upstream Ignition
 * reads only `opt/com.coreos/config` (coreos/ignition internal/providers/qemu); Flatcar's reads that one
 * and `opt/org.flatcar-linux/config`, the name its docs use (flatcar/scripts, sys-apps/ignition
 * files/0007-provider-qemu-apply-fw_cfg-patch.patch, since 2021: every release that takes spec 3.x).
 * With the Flatcar name alone, any other Ignition boots a node unconfigured, saying only "QEMU firmware
 * config was not found. Ignoring..."; with both, every Ignition finds it, and readers of Flatcar's docs
 * find the name they know. The provider takes a list of entries (sys_info[].fw_cfg.entry[]).
 */
export const FW_CFG_IGNITION = ["opt/com.coreos/config", "opt/org.flatcar-linux/config"] as const;

const GiB = 2 ** 30;

/** How long an update waits for a domain to shut down before forcing it off (the provider's default is 30 s). */
export const SHUTDOWN_SECONDS = 120;

export const libvirtStack: StackBuilder<"libvirt"> = (stack, input) => {
  const { plan, env, nodes } = input;
  const prefix = qualifiedName(plan);

  // provider and backend: the environment's `uri` (qemu:///system unless set). State is local, with the
  // environment's secrets: it holds every node's Ignition config.
  new LibvirtProvider(stack, "libvirt", { uri: env.uri });
  stateBackend(stack, input, undefined);

  // image: one base volume in the pool, Flatcar's QEMU image (qcow2), never written to: every node's disk
  // is an overlay on it. A new release (a pinned os.version moved on) must not replace it: the nodes'
  // disks are layered on this file, and Flatcar updates itself in place anyway. The 0.9.7 provider cannot
  // update a volume at all (internal/provider/volume_resource.go, Update): its creation settings are ignored.
  const image = libvirtImage(plan, env);
  const base = new LibvirtVolume(stack, "flatcar", {
    name: `${prefix}-flatcar.qcow2`,
    pool: env.pool,
    target: { format: { type: "qcow2" } },
    create: { content: { url: "url" in image ? image.url : image.path } },
    lifecycle: { ignoreChanges: ["create"] },
  });

  // network: NAT, holding the planned addresses; the host sits at the block's first address (the nodes
  // start at .10). DHCP has no range, only host entries (libvirt.org/formatnetwork.html, "Addressing"):
  // an address for each planned address's MAC, and none for anything else. The provider never changes
  // them once the network exists (network_resource.go, Update), so a network made by this coreform has
  // an entry for every node address from the start (dhcpSlots): a node added later finds its own. One
  // made before has its first nodes' (coreform diff says how to add a new node's by hand).
  const block = parseCidr(plan.cidr);
  const generation = generationOf(input.record);
  const slots = dhcpSlots(plan.cidr, generation);
  const hosts =
    slots > 0
      ? Array.from({ length: slots }, (_, slot) => ({ mac: nodeMac(nthNodeIp(block, slot)), ip: nthNodeIp(block, slot) }))
      : nodes.map(({ node }) => ({ mac: nodeMac(node.ip), ip: node.ip, name: node.name }));
  const network = new LibvirtNetwork(stack, "network", {
    name: prefix,
    autostart: true,
    forward: { mode: "nat" },
    ips: [{ address: formatIp(block.base + 1), prefix: block.prefix, dhcp: { hosts } }],
    lifecycle: { ignoreChanges: ["ips"] },
  });

  // firewall: none. A libvirt NAT network is its own boundary: libvirt lets the guests out through the
  // host's NAT and lets nothing from outside the host in (libvirt.org/firewall.html, "The default
  // virtual network"); no port is forwarded. Between the nodes everything flows, as on one switch;
  // SSH and the Kubernetes API are reached from the libvirt host itself, where adminCidrs would mean nothing.

  // machines: a copy-on-write disk, the Ignition config in a volume and a domain per node.
  for (const { node, userData } of nodes) {
    const size = env[node.role];
    const name = nodeName(plan, node);
    const disk = new LibvirtVolume(stack, `${node.name}-disk`, {
      name: `${name}.qcow2`,
      pool: env.pool,
      capacity: size.diskGiB * GiB,
      capacityUnit: "bytes",
      target: { format: { type: "qcow2" } },
      backingStore: { path: base.path, format: { type: "qcow2" } },
      // A new base image must never replace a running member's disk; a new size cannot be applied at all
      // (the provider's volume update always fails): new nodes get it.
      lifecycle: { ignoreChanges: ["backing_store", "capacity"] },
    });
    // The provider writes the config to a file where Terraform runs (its temp directory, readable by all,
    // gone with a tmp cleanup: internal/provider/ignition_resource.go), and the volume keeps it in the
    // pool, readable by its owner only, where the domain reads it at every start (libvirt hands the file
    // to QEMU's user then: src/security/security_dac.c, virSecurityDACSetSysinfoLabel). Its own docs
    // upload it so (docs/resources/ignition.md). A re-render must replace neither: Ignition ran once.
    const ignition = new LibvirtIgnition(stack, `${node.name}-ignition`, { name: `${name}.ign`, content: literal(userData), lifecycle: { ignoreChanges: ["content"] } });
    const config = new LibvirtVolume(stack, `${node.name}-config`, {
      name: `${name}.ign`,
      pool: env.pool,
      target: { format: { type: "raw" }, permissions: { mode: "0600" } },
      create: { content: { url: ignition.path } },
      lifecycle: { ignoreChanges: ["create"] },
    });
    // etcd's data disk: a volume of its own, kept when the domain and its root disk are replaced. Its size
    // cannot change (the provider's volume update always fails): render refuses a change of etcd.diskGiB.
    const diskGiB = dataDiskOf(plan, node);
    const data =
      diskGiB &&
      new LibvirtVolume(stack, `${node.name}-etcd`, { name: `${name}-etcd.qcow2`, pool: env.pool, capacity: diskGiB * GiB, capacityUnit: "bytes", target: { format: { type: "qcow2" } }, lifecycle: { preventDestroy: true } });
    // Any change of a domain stops it and defines it again: a domain made before gets neither autostart
    // nor the longer shutdown, which would restart every one at once (`virsh autostart` sets it by hand).
    const made = generationOf(input.record, node.name) >= 1;
    const domain = new LibvirtDomain(stack, node.name, {
      name,
      type: "kvm",
      memory: size.memoryMiB,
      memoryUnit: "MiB",
      vcpu: size.cpus,
      // q35 with ACPI, which QEMU needs to hand UEFI firmware its fw_cfg items (Flatcar's libvirt docs).
      os: { type: "hvm", typeArch: "x86_64", typeMachine: "q35" },
      features: { acpi: true },
      // `value` is required by the schema and unused when `file` is given.
      sysInfo: [{ fwCfg: { entry: FW_CFG_IGNITION.map((name) => ({ name, file: config.path, value: "" })) } }],
      devices: {
        disks: [
          { source: { volume: { pool: disk.pool, volume: disk.name } }, target: { dev: "vda", bus: "virtio" }, driver: { name: "qemu", type: "qcow2" } },
          ...(data ? [{ source: { volume: { pool: data.pool, volume: data.name } }, target: { dev: "vdb", bus: "virtio" as const }, driver: { name: "qemu", type: "qcow2" } as const, serial: "coreform-etcd" }] : []),
        ],
        interfaces: [{ source: { network: { network: network.name } }, mac: { address: nodeMac(node.ip) }, model: { type: "virtio" } }],
        // ttyS0 as a pty (`virsh console <name>`); an empty path lets libvirt allocate one.
        serials: [{ source: { pty: { path: "" } }, target: { type: "isa-serial", port: 0 } }],
      },
      running: true,
      ...(made ? { autostart: true, update: { shutdown: { timeout: SHUTDOWN_SECONDS } } } : {}),
      // Never for a new Ignition file, read at first boot only, nor for the pty libvirt filled in.
      lifecycle: { ignoreChanges: ["sys_info", "devices.serials[0].source.pty.path", ...(made ? [] : ["autostart", "update"])] },
    });
    // A new domain on the old root volume would boot the old system, Ignition long done; the old
    // Ignition files would hand it the old config (their content is ignored): all four go together.
    replacedWith(node, domain, disk, ignition, config);
  }

  // outputs: the planned addresses, which the network's DHCP hands out; nothing reaches in from outside.
  clusterOutputs(stack, plan, nodes.map((n) => n.node), (i) => ({ privateIp: nodes[i]!.node.ip, publicIp: null }));
};
