// KVM through libvirt: Flatcar's QEMU image as one base volume in the pool, a copy-on-write disk per node
// layered on it, a NAT network of the environment's own whose DHCP server hands each node its planned
// address (and nothing else), and one domain per node that gets its Ignition config through QEMU fw_cfg
// under `opt/org.flatcar-linux/config`, as Flatcar's libvirt docs do
// (flatcar.org/docs/latest/installing/vms/libvirt/, "Terraform").
// Provider: dmacvicar/libvirt 0.9.7 through coreform's own bindings (stacks/bindings/libvirt.ts).
import { formatIp, parseCidr } from "../src/spec/ipv4";
import type { PlannedNode } from "../src/plan/plan";
import { stateBackend } from "./backend";
import { LibvirtDomain, LibvirtIgnition, LibvirtNetwork, LibvirtProvider, LibvirtVolume } from "./bindings/libvirt";
import { libvirtImage } from "../src/platforms/libvirt";
import { literal } from "./literal";
import { qualifiedName, nodeName } from "./naming";
import { clusterOutputs } from "./outputs";
import type { StackBuilder } from "./registry";

/** The fw_cfg item Flatcar's Ignition reads its config from on QEMU (flatcar.org docs, "Running on libvirt"). */
export const FW_CFG_IGNITION = "opt/org.flatcar-linux/config";

const GiB = 2 ** 30;

/**
 * A node's MAC address: QEMU's prefix 52:54:00 (the one libvirt gives its guests) and the low 24 bits
 * of the node's planned address. Deterministic, and unique within an environment by construction: every
 * network a spec may use is inside a /8 at most (rules.ts keeps them private), so the low 24 bits tell
 * any two of its addresses apart, and planned addresses are distinct. A hash of the node's name could
 * collide; this cannot. It changes only with the node's address, which its DHCP entry follows anyway.
 */
export function nodeMac(node: PlannedNode): string {
  const [, b, c, d] = node.ip.split(".").map(Number);
  return ["52", "54", "00", ...[b!, c!, d!].map((o) => o.toString(16).padStart(2, "0"))].join(":");
}

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
  // start at .10). DHCP has no range, only one host entry per node (libvirt.org/formatnetwork.html,
  // "Addressing"): an address for each planned node's MAC, and none for anything else.
  const block = parseCidr(plan.cidr);
  const network = new LibvirtNetwork(stack, "network", {
    name: prefix,
    autostart: true,
    forward: { mode: "nat" },
    ips: [{ address: formatIp(block.base + 1), prefix: block.prefix, dhcp: { hosts: nodes.map(({ node }) => ({ mac: nodeMac(node), ip: node.ip, name: node.name })) } }],
  });

  // firewall: none. A libvirt NAT network is its own boundary: libvirt lets the guests out through the
  // host's NAT and lets nothing from outside the host in (libvirt.org/firewall.html, "The default
  // virtual network"); no port is forwarded. Between the nodes everything flows, as on one switch;
  // SSH and the Kubernetes API are reached from the libvirt host itself, where adminCidrs would mean nothing.

  // machines: a copy-on-write disk, an Ignition file and a domain per node.
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
      // A new base image must never replace a running member's disk.
      lifecycle: { ignoreChanges: ["backing_store"] },
    });
    const ignition = new LibvirtIgnition(stack, `${node.name}-ignition`, {
      name: `${name}.ign`,
      content: literal(userData),
      // A re-render must not replace the file: its content forces a new one (RequiresReplace), at a new
      // path (a hash of the content), and the domain would follow. Ignition ran once, at first boot.
      lifecycle: { ignoreChanges: ["content"] },
    });
    new LibvirtDomain(stack, node.name, {
      name,
      type: "kvm",
      memory: size.memoryMiB,
      memoryUnit: "MiB",
      vcpu: size.cpus,
      // q35 with ACPI, which QEMU needs to hand UEFI firmware its fw_cfg items (Flatcar's libvirt docs).
      os: { type: "hvm", typeArch: "x86_64", typeMachine: "q35" },
      features: { acpi: true },
      // `value` is required by the schema and unused when `file` is given.
      sysInfo: [{ fwCfg: { entry: [{ name: FW_CFG_IGNITION, file: ignition.path, value: "" }] } }],
      devices: {
        disks: [{ source: { volume: { pool: disk.pool, volume: disk.name } }, target: { dev: "vda", bus: "virtio" }, driver: { name: "qemu", type: "qcow2" } }],
        interfaces: [{ source: { network: { network: network.name } }, mac: { address: nodeMac(node) }, model: { type: "virtio" } }],
        // ttyS0 as a pty (`virsh console <name>`); an empty path lets libvirt allocate one.
        serials: [{ source: { pty: { path: "" } }, target: { type: "isa-serial", port: 0 } }],
      },
      running: true,
      // A domain update stops the running guest and redefines it (internal/provider/domain_resource.go,
      // Update): never for a new Ignition file, read at first boot only, nor for the pty libvirt filled in.
      lifecycle: { ignoreChanges: ["sys_info", "devices.serials[0].source.pty.path"] },
    });
  }

  // outputs: the planned addresses, which the network's DHCP hands out; nothing reaches in from outside.
  clusterOutputs(stack, plan, nodes.map((n) => n.node), (i) => ({ privateIp: nodes[i]!.node.ip, publicIp: null }));
};
