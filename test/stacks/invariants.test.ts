// What every stack promises, checked the same way on every platform that has one: one row per
// platform reads its synthesized resources into the same terms (machines, inbound rules), and every
// assertion below runs on every row. A new platform's stack adds a row, nothing else.
import { STACKS } from "../../stacks/registry";
import type { ClusterPort } from "../../src/plan/plan";
import { readSecrets, secretsDir } from "../../src/secrets/store";
import type { Platform } from "../../src/spec/schema";
import { ADMIN_CIDRS, CLOUD_ENVIRONMENTS, cloudSpec, type Doc, renderedIgnition, renderedProject, resources, synthesize, type Tf, unliteral } from "../helpers/stacks";

/** A planned node's machine as the stack places it. */
interface Machine {
  readonly name: string;
  readonly privateIp: string;
  /** The user data as the machine receives it (Terraform's escapes and any encoding undone). */
  readonly userData: string;
  readonly ignoreChanges: readonly string[];
}

/** An inbound allow rule: protocol, port range (none for ICMP), and where from. */
interface Inbound {
  readonly protocol: ClusterPort["protocol"];
  readonly from?: number;
  readonly to?: number;
  /** "nodes": the environment's own nodes; else a CIDR. */
  readonly source: string;
}

interface Row {
  readonly platform: Platform;
  machines(tf: Tf): Machine[];
  /**
   * What the stack lets in; `deniesTheRest`: traffic no rule allows is dropped, between nodes too. Or,
   * for a platform without firewall resources, its boundary: whether nothing from outside can reach in.
   */
  readonly inbound: ((tf: Tf, cidr: string) => { allows: Inbound[]; deniesTheRest: boolean }) | { boundary(tf: Tf): boolean };
  /** The attributes holding the image and the user data (ignore_changes must name both). */
  readonly immutable: readonly [image: string, userData: string];
}

const portRange = (range: string): { from?: number; to?: number } => {
  if (range === "*") return {};
  const [from, to = from] = range.split("-").map(Number);
  return { from, to };
};
const protocol = (p: string) => p.toLowerCase() as ClusterPort["protocol"];

const ROWS: readonly Row[] = [
  {
    platform: "aws",
    machines: (tf) =>
      resources(tf, "aws_instance").map(([name, i]) => ({ name, privateIp: i.private_ip, userData: unliteral(i.user_data), ignoreChanges: i.lifecycle.ignore_changes })),
    inbound: (tf) => ({
      allows: resources(tf, "aws_vpc_security_group_ingress_rule").map(([, r]) => ({
        protocol: protocol(r.ip_protocol),
        ...(r.ip_protocol === "icmp" ? {} : { from: r.from_port, to: r.to_port }),
        source: r.referenced_security_group_id ? "nodes" : r.cidr_ipv4,
      })),
      // A security group lets in nothing it has no rule for; the nodes have one group, with no inline rules.
      deniesTheRest: resources(tf, "aws_security_group").length === 1 && resources(tf, "aws_security_group").every(([, g]) => !g.ingress),
    }),
    immutable: ["ami", "user_data"],
  },
  {
    platform: "gce",
    machines: (tf) =>
      resources(tf, "google_compute_instance").map(([name, i]) => ({
        name,
        privateIp: i.network_interface[0].network_ip,
        userData: unliteral(i.metadata["user-data"]),
        ignoreChanges: i.lifecycle.ignore_changes,
      })),
    inbound: (tf) => {
      const ingress = resources(tf, "google_compute_firewall").filter(([, r]) => r.direction === "INGRESS");
      return {
        allows: ingress.flatMap(([, r]) =>
          (r.allow as Doc[]).flatMap((a) =>
            (r.source_tags ? ["nodes"] : (r.source_ranges as string[])).map((source) => ({ protocol: protocol(a.protocol), ...(a.ports ? portRange(a.ports[0]) : {}), source })),
          ),
        ),
        // A network of the stack's own, without automatic subnetworks: only GCE's implied deny-all
        // ingress, and no rule denies or lets in anything the rows above do not show.
        deniesTheRest:
          resources(tf, "google_compute_network").every(([, n]) => n.auto_create_subnetworks === false) && ingress.every(([, r]) => !r.deny && (r.allow as Doc[]).length === 1),
      };
    },
    immutable: ["boot_disk[0].initialize_params", 'metadata["user-data"]'],
  },
  {
    platform: "azure",
    machines: (tf) => {
      const nics = Object.fromEntries(resources(tf, "azurerm_network_interface"));
      return resources(tf, "azurerm_linux_virtual_machine").map(([name, vm]) => {
        const nic = nics[/^\$\{azurerm_network_interface\.(.+)\.id\}$/.exec(vm.network_interface_ids[0])![1]!]!;
        return { name, privateIp: nic.ip_configuration[0].private_ip_address, userData: Buffer.from(vm.custom_data, "base64").toString("utf8"), ignoreChanges: vm.lifecycle.ignore_changes };
      });
    },
    inbound: (tf, cidr) => {
      const rules = resources(tf, "azurerm_network_security_rule").map(([, r]) => r);
      const allows = rules.filter((r) => r.direction === "Inbound" && r.access === "Allow");
      const denyVnet = rules.find((r) => r.access === "Deny" && r.source_address_prefix === "VirtualNetwork" && r.protocol === "*" && r.destination_port_range === "*");
      return {
        // An admin rule holds every admin network (source_address_prefixes), a cluster rule the subnet's.
        allows: allows.flatMap((r) =>
          ((r.source_address_prefixes as string[] | undefined) ?? [r.source_address_prefix as string]).map((source) => ({
            protocol: protocol(r.protocol),
            ...portRange(r.destination_port_range),
            source: source === cidr ? "nodes" : source,
          })),
        ),
        // Azure's own rules let the virtual network in and the internet not: a deny after every allow closes the first.
        deniesTheRest: !!denyVnet && allows.every((r) => r.priority < denyVnet.priority),
      };
    },
    immutable: ["source_image_reference", "custom_data"],
  },
  {
    platform: "openstack",
    machines: (tf) => {
      const ports = Object.fromEntries(resources(tf, "openstack_networking_port_v2"));
      return resources(tf, "openstack_compute_instance_v2").map(([name, i]) => {
        const port = ports[/^\$\{openstack_networking_port_v2\.(.+)\.id\}$/.exec(i.network[0].port)![1]!]!;
        return { name, privateIp: port.fixed_ip[0].ip_address, userData: unliteral(i.user_data), ignoreChanges: i.lifecycle.ignore_changes };
      });
    },
    inbound: (tf) => {
      const groups = resources(tf, "openstack_networking_secgroup_v2");
      const self = `\${openstack_networking_secgroup_v2.${groups[0]?.[0]}.id}`;
      const ingress = resources(tf, "openstack_networking_secgroup_rule_v2").map(([, r]) => r).filter((r) => r.direction === "ingress");
      return {
        allows: ingress.map((r) => ({
          protocol: protocol(r.protocol),
          ...(r.protocol === "icmp" ? {} : { from: r.port_range_min, to: r.port_range_max }),
          source: r.remote_group_id === self ? "nodes" : r.remote_ip_prefix,
        })),
        // One group, without Neutron's default rules, on every port (port security on): a security group lets in only what a rule allows.
        deniesTheRest:
          groups.length === 1 &&
          groups[0]![1].delete_default_rules === true &&
          ingress.every((r) => r.security_group_id === self) &&
          resources(tf, "openstack_networking_port_v2").every(([, p]) => JSON.stringify(p.security_group_ids) === JSON.stringify([self]) && p.port_security_enabled !== false),
      };
    },
    immutable: ["image_id", "user_data"],
  },
  {
    platform: "libvirt",
    // A machine is four resources: its domain, the disk it boots, the volume its fw_cfg names and the
    // Ignition file that volume is uploaded from; ignore_changes is theirs together, each attribute
    // prefixed by its resource type.
    machines: (tf) => {
      const hosts: Doc[] = Object.values(tf.resource.libvirt_network ?? {}).flatMap((n) => n.ips[0].dhcp.hosts);
      const ref = (expression: string) => /^\$\{(libvirt_\w+)\.([^.]+)\.\w+\}$/.exec(expression)!.slice(1) as [string, string];
      return resources(tf, "libvirt_domain").map(([name, d]) => {
        const files = new Set<string>(d.sys_info[0].fw_cfg.entry.map((e: Doc) => e.file));
        expect(files.size).toBe(1);
        const [, configId] = ref([...files][0]!);
        const config = tf.resource.libvirt_volume![configId]!;
        const [, ignitionId] = ref(config.create.content.url);
        const [, diskId] = ref(d.devices.disks[0].source.volume.volume);
        const ignition = tf.resource.libvirt_ignition![ignitionId]!;
        const disk = tf.resource.libvirt_volume![diskId]!;
        return {
          name,
          privateIp: hosts.find((h) => h.mac === d.devices.interfaces[0].mac.address)!.ip,
          userData: unliteral(ignition.content),
          ignoreChanges: [
            ...d.lifecycle.ignore_changes.map((a: string) => `libvirt_domain.${a}`),
            ...disk.lifecycle.ignore_changes.map((a: string) => `libvirt_volume.${a}`),
            ...config.lifecycle.ignore_changes.map((a: string) => `libvirt_volume.${a}`),
            ...ignition.lifecycle.ignore_changes.map((a: string) => `libvirt_ignition.${a}`),
          ],
        };
      });
    },
    // No firewall resources: the NAT network is the boundary. libvirt lets guests out through the host's
    // NAT and nothing in, unless a port is forwarded (libvirt.org/formatnetwork.html, "Port forwarding").
    inbound: {
      boundary: (tf) =>
        resources(tf, "libvirt_network").length === 1 &&
        resources(tf, "libvirt_network").every(([, n]) => n.forward?.mode === "nat" && !n.forward.nat?.ports) &&
        resources(tf, "libvirt_domain").every(([, d]) => d.devices.interfaces.every((i: Doc) => !i.port_forward && i.source.network)),
    },
    immutable: ["libvirt_volume.backing_store", "libvirt_ignition.content"],
  },
];

/** Nodes by name: synthesized resources and outputs come sorted so (the plan's are in slot order: on AWS, zone by zone). */
const byName = <N extends { readonly name: string }>(nodes: readonly N[]) => [...nodes].sort((a, b) => (a.name < b.name ? -1 : 1));

const key = (r: Inbound) => JSON.stringify([r.protocol, r.from ?? null, r.to ?? null, r.source]);
const asInbound = (p: ClusterPort, source: string): Inbound => ({ protocol: p.protocol, ...(p.protocol === "icmp" ? {} : { from: p.from, to: p.to }), source });

describe("every platform's stack", () => {
  let dir: string;
  let world: string;
  beforeAll(async () => {
    dir = await renderedProject(cloudSpec());
    const firewalled = Object.entries(CLOUD_ENVIRONMENTS).filter(([, env]) => "adminCidrs" in env);
    const open = Object.fromEntries(firewalled.map(([env]) => [env, { adminCidrs: [...ADMIN_CIDRS, "0.0.0.0/0"], allowWorldAccess: true }]));
    // Another scheduler than the fixture's kubernetes too, so that the ports below are the plan's whatever it lists.
    world = await renderedProject(cloudSpec(open, (d) => (d.scheduler = { kind: "none" })), { secretsFrom: dir });
  });

  it("has a row here: every platform with a stack, and every fixture environment", () => {
    const withStacks = Object.entries(STACKS).filter(([, s]) => typeof s === "function").map(([p]) => p);
    expect(ROWS.map((r) => r.platform).sort()).toEqual(withStacks.sort());
    expect(Object.keys(CLOUD_ENVIRONMENTS).sort()).toEqual(withStacks.sort());
  });

  describe.each(ROWS)("$platform", (row) => {
    const stack = () => synthesize(dir, row.platform);

    it("hands every node the user data `coreform render` wrote, byte for byte", () => {
      const { tf, input } = stack();
      const machines = row.machines(tf);
      expect(machines.map((m) => m.name)).toEqual(byName(input.plan.nodes).map((n) => n.name));
      for (const m of machines) expect(m.userData).toBe(renderedIgnition(dir, row.platform, m.name));
    });

    it("puts every node at its planned IP", () => {
      const { tf, input } = stack();
      expect(row.machines(tf).map((m) => [m.name, m.privateIp])).toEqual(byName(input.plan.nodes).map((n) => [n.name, n.ip]));
    });

    const { inbound } = row;
    if ("boundary" in inbound) {
      it("has no firewall resources: its NAT network lets nothing in, and forwards no port", () => {
        const { tf } = stack();
        expect(Object.keys(tf.resource).filter((type) => /firewall|secgroup|security|nsg/.test(type))).toEqual([]);
        expect(inbound.boundary(tf)).toBe(true);
      });
    } else {
      it("opens between the nodes the plan's ports and nothing else, with kubernetes and without a scheduler", () => {
        const [withKubernetes, without] = [stack(), synthesize(world, row.platform)];
        expect(without.input.plan.ports.length).toBeLessThan(withKubernetes.input.plan.ports.length);
        for (const { tf, input } of [withKubernetes, without]) {
          const { allows, deniesTheRest } = inbound(tf, input.plan.cidr);
          expect(allows.filter((r) => r.source === "nodes").map(key).sort()).toEqual(input.plan.ports.map((p) => key(asInbound(p, "nodes"))).sort());
          expect(deniesTheRest).toBe(true);
        }
      });

      it("opens the admin ports from adminCidrs only, and nothing to the world", () => {
        const { tf, input } = stack();
        const fromCidrs = inbound(tf, input.plan.cidr).allows.filter((r) => r.source !== "nodes");
        const expected = input.plan.adminPorts.flatMap((p) => ADMIN_CIDRS.map((cidr) => key(asInbound(p, cidr))));
        expect(fromCidrs.map(key).sort()).toEqual(expected.sort());
        expect(fromCidrs.filter((r) => r.source === "0.0.0.0/0")).toEqual([]);
      });

      it("opens the admin ports, and only them, to 0.0.0.0/0 when allowWorldAccess says so (without a scheduler: SSH alone)", () => {
        const { tf, input } = synthesize(world, row.platform);
        const toWorld = inbound(tf, input.plan.cidr).allows.filter((r) => r.source === "0.0.0.0/0");
        expect(toWorld.map(key).sort()).toEqual(input.plan.adminPorts.map((p) => key(asInbound(p, "0.0.0.0/0"))).sort());
      });
    }

    it("never replaces a machine for a new image or new user data", () => {
      for (const m of row.machines(stack().tf)) expect(m.ignoreChanges).toEqual(expect.arrayContaining([...row.immutable]));
    });

    it("outputs the same keys as every other platform: nodes (private IP, public IP, role) and etcd_endpoints", () => {
      const { tf, input } = stack();
      expect(Object.keys(tf.output).sort()).toEqual(["etcd_endpoints", "nodes"]);
      expect(Object.keys(tf.output.nodes.value).sort()).toEqual(byName(input.plan.nodes).map((n) => n.name));
      for (const node of input.plan.nodes) {
        expect(Object.keys(tf.output.nodes.value[node.name]).sort()).toEqual(["private_ip", "public_ip", "role"]);
        expect(tf.output.nodes.value[node.name].role).toBe(node.role);
      }
      expect(tf.output.etcd_endpoints.value).toEqual(input.plan.etcd.clientUrls);
    });

    it("puts no secret in any output: no private key, no join token, no reference to user data", () => {
      const { tf, input } = stack();
      const outputs = JSON.stringify(tf.output);
      const secrets = readSecrets(secretsDir(dir, row.platform), input.plan);
      expect(outputs).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
      expect(outputs).not.toContain(secrets.kubernetes!.token);
      const keyBody = secrets.ca.key.split("\n")[1]!;
      expect(outputs).not.toContain(keyBody);
      expect(outputs).not.toMatch(/user_data|user-data|custom_data|metadata/);
    });
  });

  // A new AWS environment's nodes have addresses in their zones' subnets (test/plan/zones.test.ts): its etcd members' URLs differ.
  it("gives node N the same user data on every platform that places it at the same address (the environments share their secrets)", () => {
    const [first, ...others] = ROWS.filter((row) => row.platform !== "aws").map((row) => row.machines(synthesize(dir, row.platform).tf).map((m) => [m.name, m.userData]));
    for (const other of others) expect(other).toEqual(first);
  });
});
