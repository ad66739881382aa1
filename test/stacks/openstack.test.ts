// The OpenStack stack, synthesized with CDKTF's Testing API (no network, no terraform init, no cloud) from
// projects the real CLI rendered: the user data byte for byte as `coreform render` writes it, one port per
// node at its planned IP carrying the security group (whose ports invariants.test.ts checks), the image
// (imported or looked up), the network (created or existing), floating IPs, boot volumes, and every
// synthesized variant checked against the provider's schema (terraform-provider-openstack 3.4.0).
import "cdktf/lib/testing/adapters/jest";
import { nthNodeIp, parseCidr, parseIp } from "../../src/spec/ipv4";
import { planCluster } from "../../src/plan/plan";
import {
  ComputeInstanceV2,
  DataImagesImageV2,
  DataNetworkingNetworkV2,
  ImagesImageV2,
  NetworkingRouterInterfaceV2,
  NetworkingRouterV2,
  NetworkingSecgroupV2,
  NetworkingSubnetV2,
  OpenstackProvider,
} from "../../stacks/bindings/openstack";
import { openstackImage } from "../../src/platforms/openstack";
import { dhcpPool } from "../../stacks/openstack";
import { defaultStack, type Doc, loaded, renderedIgnition, resources, settingsOf, type Tf, unliteral } from "../helpers/stacks";
import { checkSchema, itWithSchemas } from "../helpers/tf-schema";
import { sshKey } from "../helpers/ssh-keys";

const instances = (tf: Tf) => resources(tf, "openstack_compute_instance_v2");
const rules = (tf: Tf) => resources(tf, "openstack_networking_secgroup_rule_v2").map(([, r]) => r);
const NETWORK_ID = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
const SUBNET_ID = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";

describe("the default cluster.yaml's openstack stack", () => {
  const stack = defaultStack("openstack");

  it("matches the reviewed snapshot (user data stands in by name: it holds fresh keys)", () => {
    const tf = JSON.parse(stack.result.synth) as Tf;
    for (const [name, instance] of instances(tf)) instance.user_data = `<out/openstack/ignition/${name}.json>`;
    expect(JSON.stringify(tf, null, 2)).toMatchSnapshot();
  });

  it("gives each node its Ignition config byte for byte as user_data, through the metadata service (no config drive)", () => {
    expect(instances(stack.result.tf).map(([name]) => name)).toEqual(["control-01", "control-02", "control-03", "worker-01", "worker-02"]);
    for (const [name, instance] of instances(stack.result.tf)) {
      expect(unliteral(instance.user_data)).toBe(renderedIgnition(stack.dir, "openstack", name));
      expect(instance.config_drive).toBe(false);
    }
  });

  it.each([
    ["control-01", "10.42.0.10", "control", "m1.medium"],
    ["control-03", "10.42.0.12", "control", "m1.medium"],
    ["worker-02", "10.42.0.14", "worker", "m1.large"],
  ])("puts %s on a port at its planned address %s with the security group, sized for its role, never replaced", (name, ip, role, flavor) => {
    const { synth, tf } = stack.result;
    expect(tf.resource.openstack_networking_port_v2![`${name}-port`]).toEqual({
      name: `demo-openstack-${name}`,
      network_id: "${openstack_networking_network_v2.network.id}",
      admin_state_up: true,
      fixed_ip: [{ subnet_id: "${openstack_networking_subnet_v2.subnet.id}", ip_address: ip }],
      security_group_ids: ["${openstack_networking_secgroup_v2.firewall.id}"],
    });
    expect(synth).toHaveResourceWithProperties(ComputeInstanceV2, {
      name: `demo-openstack-${name}`,
      flavor_name: flavor,
      image_id: "${openstack_images_image_v2.flatcar.id}",
      network: [{ port: `\${openstack_networking_port_v2.${name}-port.id}` }],
      metadata: { "coreform:cluster": "demo", "coreform:environment": "openstack", "coreform:role": role, "coreform:node": name },
      depends_on: ["openstack_networking_router_interface_v2.router-subnet"],
      lifecycle: { ignore_changes: ["image_id", "block_device", "user_data"] },
    });
    // the security group is on the port, not the instance; no key pair unless asked
    expect(tf.resource.openstack_compute_instance_v2![name]).not.toHaveProperty("security_groups");
    expect(tf.resource.openstack_compute_instance_v2![name]).not.toHaveProperty("key_pair");
  });

  it("creates a network and one subnet holding network.cidr, DHCP's pool kept below the planned addresses, routed to the external network", () => {
    const { synth } = stack.result;
    expect(synth).toHaveResourceWithProperties(NetworkingSubnetV2, {
      name: "demo-openstack",
      network_id: "${openstack_networking_network_v2.network.id}",
      cidr: "10.42.0.0/24",
      ip_version: 4,
      enable_dhcp: true,
      allocation_pool: [{ start: "10.42.0.2", end: "10.42.0.9" }],
    });
    expect(synth).toHaveDataSourceWithProperties(DataNetworkingNetworkV2, { name: "public", external: true });
    expect(synth).toHaveResourceWithProperties(NetworkingRouterV2, { name: "demo-openstack", external_network_id: "${data.openstack_networking_network_v2.external.id}" });
    expect(synth).toHaveResourceWithProperties(NetworkingRouterInterfaceV2, {
      router_id: "${openstack_networking_router_v2.router.id}",
      subnet_id: "${openstack_networking_subnet_v2.subnet.id}",
    });
  });

  it("writes the rules between the nodes against the group itself (ICMP without ports), and nothing by Neutron's defaults", () => {
    const { synth, tf } = stack.result;
    expect(synth).toHaveResourceWithProperties(NetworkingSecgroupV2, { name: "demo-openstack-nodes", delete_default_rules: true });
    const cluster = rules(tf).filter((r) => r.remote_group_id);
    expect(cluster.filter((r) => r.protocol === "icmp")).toEqual([expect.not.objectContaining({ port_range_min: expect.anything() })]);
    for (const r of cluster)
      expect(r).toMatchObject({ direction: "ingress", ethertype: "IPv4", security_group_id: "${openstack_networking_secgroup_v2.firewall.id}", remote_group_id: "${openstack_networking_secgroup_v2.firewall.id}" });
  });

  it("lets all IPv4 out, with the reason as the rule's description", () => {
    const { tf } = stack.result;
    const egress = rules(tf).filter((r) => r.direction === "egress");
    expect(egress).toEqual([{ security_group_id: "${openstack_networking_secgroup_v2.firewall.id}", direction: "egress", ethertype: "IPv4", remote_ip_prefix: "0.0.0.0/0", description: "images, updates and time" }]);
  });

  it("imports the channel's newest Flatcar OpenStack image as qcow2", () => {
    expect(stack.result.synth).toHaveResourceWithProperties(ImagesImageV2, {
      name: "demo-openstack-flatcar-stable-current",
      image_source_url: "https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_openstack_image.img",
      container_format: "bare",
      disk_format: "qcow2",
      properties: { hw_qemu_guest_agent: "yes" },
    });
    expect(stack.result.tf.data).not.toHaveProperty("openstack_images_image_v2");
  });

  it("takes the cloud from clouds.yaml or OS_* (nothing in the stack), and keeps local state with the secrets", () => {
    expect(stack.result.tf.provider.openstack).toEqual([{}]);
    expect(JSON.stringify(stack.result.tf.provider)).not.toMatch(/password|token|secret|auth_url/);
    expect(stack.result.tf.terraform.required_providers.openstack).toEqual({ source: "terraform-provider-openstack/openstack", version: "~> 3.4" });
    expect(stack.result.tf.terraform.backend).toEqual({ local: { path: "../../../.coreform/openstack/terraform.tfstate" } });
  });

  it("gives each node a floating IP from the external network on its port, once the subnet is routed, and outputs it", () => {
    const { tf } = stack.result;
    const addresses = resources(tf, "openstack_networking_floatingip_v2");
    expect(addresses.map(([id]) => id)).toEqual(["control-01-address", "control-02-address", "control-03-address", "worker-01-address", "worker-02-address"]);
    expect(tf.resource.openstack_networking_floatingip_v2!["worker-01-address"]).toEqual({
      pool: "public",
      port_id: "${openstack_networking_port_v2.worker-01-port.id}",
      description: "demo-openstack-worker-01",
      depends_on: ["openstack_networking_router_interface_v2.router-subnet"],
    });
    expect(tf.output.nodes.value["worker-01"]).toEqual({
      private_ip: "${openstack_compute_instance_v2.worker-01.access_ip_v4}",
      public_ip: "${openstack_networking_floatingip_v2.worker-01-address.address}",
      role: "worker",
    });
  });

  itWithSchemas()("passes the provider schema check", () => {
    expect(checkSchema(stack.result.synth, ["openstack"])).toMatchObject({ code: 0, problems: [] });
  });
});

describe("openstack settings", () => {
  /** Every spec below plans the same nodes as the fixture: they share its secrets. */
  const { base, variant, stackOf } = settingsOf("openstack");
  const VARIANTS: Record<string, { settings?: Doc; edit?: (d: Doc) => void }> = {
    imageName: { settings: { imageName: "flatcar-stable-4593.2.5" } },
    pinned: { edit: (d) => (d.os = { channel: "beta", version: "4593.1.0" }) },
    existingNetwork: { settings: { networkId: NETWORK_ID, subnetId: SUBNET_ID } },
    privateExisting: { settings: { networkId: NETWORK_ID, subnetId: SUBNET_ID, publicAddresses: false }, edit: (d) => delete d.environments.openstack.externalNetwork },
    noPublicAddresses: { settings: { publicAddresses: false } },
    bootVolume: { settings: { control: { flavor: "m1.medium", diskGiB: 30 }, keyPair: "operator" } },
    cloudAndBackend: { settings: { cloud: "mycloud", region: "RegionOne", backend: { type: "s3", bucket: "demo-state", region: "eu-central-1" } } },
    templateSequences: { edit: (d) => (d.ssh.authorizedKeys = [sshKey("ssh-ed25519", 0, "${USER}@%{host}")]) },
  };
  const dirs: Record<string, string> = {};
  beforeAll(async () => {
    for (const [name, { settings, edit }] of Object.entries(VARIANTS)) dirs[name] = await variant(settings, edit);
  });
  const tfOf = (name: string) => stackOf(dirs[name]!).tf;

  it("an existing image by name: looked up (the newest of that name), nothing imported", () => {
    const { synth, tf } = stackOf(dirs.imageName!);
    expect(synth).toHaveDataSourceWithProperties(DataImagesImageV2, { name: "flatcar-stable-4593.2.5", most_recent: true });
    expect(tf.resource).not.toHaveProperty("openstack_images_image_v2");
    for (const [, instance] of instances(tf)) expect(instance.image_id).toBe("${data.openstack_images_image_v2.flatcar.id}");
  });

  it("a pinned release of another channel: that release's image URL and name", () => {
    expect(stackOf(dirs.pinned!).synth).toHaveResourceWithProperties(ImagesImageV2, {
      name: "t-openstack-flatcar-beta-4593.1.0",
      image_source_url: "https://beta.release.flatcar-linux.net/amd64-usr/4593.1.0/flatcar_production_openstack_image.img",
    });
  });

  it.each([
    ["current of the spec's channel", {}, { import: expect.objectContaining({ url: "https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_openstack_image.img" }) }],
    ["an LTS release", { channel: "lts", version: "4081.3.6" }, { import: expect.objectContaining({ name: "t-openstack-flatcar-lts-4081.3.6", url: "https://lts.release.flatcar-linux.net/amd64-usr/4081.3.6/flatcar_production_openstack_image.img" }) }],
  ])("image choice: %s", (_what, os, expected) => {
    const spec = loaded(base());
    const plan = planCluster(spec, "openstack");
    expect(openstackImage({ ...plan, os: { ...plan.os, ...os } as typeof plan.os }, spec.environments.openstack as never)).toEqual(expected);
  });

  it("an existing network and subnet: the ports use them, the stack creates no network, subnet or router", () => {
    const tf = tfOf("existingNetwork");
    for (const type of ["openstack_networking_network_v2", "openstack_networking_subnet_v2", "openstack_networking_router_v2", "openstack_networking_router_interface_v2"]) expect(tf.resource).not.toHaveProperty(type);
    expect(tf.data ?? {}).not.toHaveProperty("openstack_networking_network_v2");
    for (const [, port] of resources(tf, "openstack_networking_port_v2")) {
      expect(port.network_id).toBe(NETWORK_ID);
      expect(port.fixed_ip).toEqual([{ subnet_id: SUBNET_ID, ip_address: expect.stringMatching(/^10\.42\.0\.1\d$/) }]);
    }
    for (const [, instance] of instances(tf)) expect(instance).not.toHaveProperty("depends_on");
    // `terraform plan` checks that the subnet holds the planned addresses and is in the given network
    expect(tf.data!.openstack_networking_subnet_v2!["existing-subnet"]).toEqual({
      subnet_id: SUBNET_ID,
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.cidr == "10.42.0.0/24" && self.network_id == "${NETWORK_ID}"}`,
            error_message: "environments.openstack: subnetId must be a subnet of networkId holding network.cidr 10.42.0.0/24, where the nodes' addresses are planned",
          },
        ],
      },
    });
    // floating IPs still come from the external network
    expect(resources(tf, "openstack_networking_floatingip_v2").map(([, f]) => f.pool)).toEqual(["public", "public", "public", "public"]);
  });

  it("an existing network without public addresses needs no external network at all", () => {
    const tf = tfOf("privateExisting");
    expect(tf.resource).not.toHaveProperty("openstack_networking_floatingip_v2");
    expect(tf.data).not.toHaveProperty("openstack_networking_network_v2");
    expect(JSON.stringify(tf)).not.toContain('"public"');
  });

  it("without public addresses: no floating IPs, public_ip null, still a router for the way out", () => {
    const tf = tfOf("noPublicAddresses");
    expect(tf.resource).not.toHaveProperty("openstack_networking_floatingip_v2");
    expect(tf.resource).toHaveProperty("openstack_networking_router_interface_v2");
    expect(tf.output.nodes.value["control-01"]).toEqual({ private_ip: "${openstack_compute_instance_v2.control-01.access_ip_v4}", public_ip: null, role: "control" });
  });

  it("diskGiB boots a role from a volume made of the image (and ignores that image), the other role from the flavor's disk; a key pair when given", () => {
    const byName = Object.fromEntries(instances(tfOf("bootVolume")));
    expect(byName["control-01"]).not.toHaveProperty("image_id");
    expect(byName["control-01"]).toMatchObject({
      key_pair: "operator",
      block_device: [{ uuid: "${openstack_images_image_v2.flatcar.id}", source_type: "image", destination_type: "volume", volume_size: 30, boot_index: 0, delete_on_termination: true }],
      lifecycle: { ignore_changes: ["image_id", "block_device", "user_data"] },
    });
    expect(byName["worker-01"]).not.toHaveProperty("block_device");
    expect(byName["worker-01"]).toMatchObject({ key_pair: "operator", image_id: "${openstack_images_image_v2.flatcar.id}", lifecycle: { ignore_changes: ["image_id", "block_device", "user_data"] } });
  });

  it("names the clouds.yaml entry and the region, and keeps state where the spec says", () => {
    const { synth, tf } = stackOf(dirs.cloudAndBackend!);
    expect(synth).toHaveProviderWithProperties(OpenstackProvider, { cloud: "mycloud", region: "RegionOne" });
    expect(tf.terraform.backend).toEqual({ s3: { bucket: "demo-state", key: "t/openstack/terraform.tfstate", region: "eu-central-1", encrypt: true, use_lockfile: true } });
  });

  it("names every resource after cluster, environment and node, each name once", () => {
    const tf = tfOf("noPublicAddresses");
    const named = ["openstack_compute_instance_v2", "openstack_networking_port_v2"].flatMap((t) => resources(tf, t).map(([, r]) => `${t}:${r.name}`));
    expect(named).toEqual(
      ["control-01", "control-02", "control-03", "worker-01"].map((n) => `openstack_compute_instance_v2:t-openstack-${n}`).concat(
        ["control-01", "control-02", "control-03", "worker-01"].map((n) => `openstack_networking_port_v2:t-openstack-${n}`),
      ),
    );
    for (const type of ["openstack_networking_network_v2", "openstack_networking_subnet_v2", "openstack_networking_router_v2"]) expect(resources(tf, type).map(([, r]) => r.name)).toEqual(["t-openstack"]);
    expect(resources(tf, "openstack_networking_secgroup_v2").map(([, r]) => r.name)).toEqual(["t-openstack-nodes"]);
  });

  it("escapes Terraform's template sequences in user_data and still delivers the rendered bytes", () => {
    const [, instance] = instances(tfOf("templateSequences"))[0]!;
    expect(instance.user_data).toContain("$${USER}@%%{host}");
    expect(unliteral(instance.user_data)).toBe(renderedIgnition(dirs.templateSequences!, "openstack", "control-01"));
  });

  it.each(["10.42.0.0/24", "10.42.0.0/28", "172.16.0.0/12", "192.168.56.0/27"])("DHCP's pool in %s lies between the gateway and the first planned node, off every address a node may get", (cidr) => {
    const spec = loaded(base());
    const pool = dhcpPool(cidr);
    const [start, end] = [parseIp(pool.start), parseIp(pool.end)];
    const base4 = parseIp(cidr.split("/")[0]!);
    expect(start).toBe(base4 + 2);
    expect(end).toBeGreaterThanOrEqual(start);
    // the plan's first node address (index 0): every planned node is at or above it
    expect(parseIp(nthNodeIp(parseCidr(cidr), 0))).toBe(end + 1);
    const plan = planCluster({ ...spec, network: { cidr } }, "openstack");
    for (const node of plan.nodes) expect(parseIp(node.ip)).toBeGreaterThan(end);
  });

  itWithSchemas()("passes the provider schema check: the default stack and every variant above", () => {
    const stacks = [["fixture", stackOf(base()).synth], ...Object.keys(VARIANTS).map((name) => [name, stackOf(dirs[name]!).synth])];
    for (const [name, synth] of stacks) expect({ name, ...checkSchema(synth!, ["openstack"]) }).toMatchObject({ name, code: 0, problems: [] });
  });
});
