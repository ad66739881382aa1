// The Azure stack, synthesized with CDKTF's Testing API (no network, no terraform init) from projects
// the real CLI rendered: custom data that decodes to the rendered Ignition config byte for byte, static
// private IPs at the planned addresses, the network security group (stable priorities, the rest of the
// virtual network denied), the Marketplace image and its options, the admin user's keys, private nodes
// behind a NAT gateway, and the resource group (invariants.test.ts checks the ports themselves).
import "cdktf/lib/testing/adapters/jest";
import { LinuxVirtualMachine } from "@cdktf/provider-azurerm/lib/linux-virtual-machine";
import { NetworkInterface } from "@cdktf/provider-azurerm/lib/network-interface";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { SubnetNetworkSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/subnet-network-security-group-association";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { ADMIN_USER, LAST_PRIORITY, priorityOf } from "../../stacks/azure";
import { cloudSpec, defaultStack, loaded, renderedIgnition, renderedProject, resources, settingsOf, synthesize, type Doc, type Tf } from "../helpers/stacks";
import { sshKey } from "../helpers/ssh-keys";

const vms = (tf: Tf) => resources(tf, "azurerm_linux_virtual_machine");
const nsgRules = (tf: Tf) => resources(tf, "azurerm_network_security_rule").map(([, r]) => r);
const decoded = (vm: Doc) => Buffer.from(vm.custom_data, "base64").toString("utf8");

describe("the default cluster.yaml's azure stack", () => {
  const stack = defaultStack("azure");

  it("matches the reviewed snapshot (custom data stands in by name: it holds fresh keys)", () => {
    const tf = JSON.parse(stack.result.synth) as Tf;
    for (const [name, vm] of vms(tf)) vm.custom_data = `<base64 of out/azure/ignition/${name}.json>`;
    expect(JSON.stringify(tf, null, 2)).toMatchSnapshot();
  });

  it("gives each node its Ignition config as custom data, which decodes to the rendered file byte for byte", () => {
    expect(vms(stack.result.tf).map(([name]) => name)).toEqual(["control-01", "control-02", "control-03", "worker-01", "worker-02"]);
    for (const [name, vm] of vms(stack.result.tf)) {
      expect(vm.custom_data).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(decoded(vm)).toBe(renderedIgnition(stack.dir, "azure", name));
    }
  });

  it.each([
    ["control-01", "10.42.0.10", "control", "Standard_B2s", "1"],
    ["control-03", "10.42.0.12", "control", "Standard_B2s", "3"],
    ["worker-02", "10.42.0.14", "worker", "Standard_B2ms", "2"],
  ])("puts %s on a NIC with the static address %s and a static public IP, sized for its role, in its zone, never replaced", (name, ip, role, size, zone) => {
    expect(stack.result.synth).toHaveResourceWithProperties(NetworkInterface, {
      name: `demo-azure-${name}`,
      ip_configuration: [
        {
          name: "primary",
          subnet_id: "${azurerm_subnet.subnet.id}",
          private_ip_address_allocation: "Static",
          private_ip_address: ip,
          public_ip_address_id: `\${azurerm_public_ip.${name}-ip.id}`,
        },
      ],
    });
    expect(stack.result.synth).toHaveResourceWithProperties(PublicIp, { name: `demo-azure-${name}`, sku: "Standard", allocation_method: "Static" });
    expect(stack.result.synth).toHaveResourceWithProperties(LinuxVirtualMachine, {
      name: `demo-azure-${name}`,
      computer_name: name,
      size,
      network_interface_ids: [`\${azurerm_network_interface.${name}-nic.id}`],
      admin_username: "core",
      disable_password_authentication: true,
      os_disk: { caching: "ReadWrite", storage_account_type: "StandardSSD_LRS", disk_size_gb: 30 },
      zone,
      lifecycle: { ignore_changes: ["source_image_reference", "source_image_id", "plan", "custom_data", "admin_ssh_key", "zone"] },
      tags: { "coreform:cluster": "demo", "coreform:environment": "azure", "coreform:role": role, "coreform:node": name },
    });
  });

  it("boots Flatcar's CoreVM image of the channel: no Marketplace terms, no plan", () => {
    for (const [, vm] of vms(stack.result.tf)) {
      expect(vm.source_image_reference).toEqual({ publisher: "kinvolk", offer: "flatcar-container-linux-corevm-amd64", sku: "stable-gen2", version: "latest" });
      expect(vm).not.toHaveProperty("plan");
      expect(vm).not.toHaveProperty("source_image_id");
    }
  });

  it("lets the spec's key in for core, and no password", () => {
    for (const [, vm] of vms(stack.result.tf)) expect(vm.admin_ssh_key).toEqual([{ username: ADMIN_USER, public_key: loaded(stack.dir).ssh.authorizedKeys[0] }]);
  });

  it("creates a resource group, a virtual network and one subnet holding network.cidr, with no implicit way out", () => {
    expect(stack.result.synth).toHaveResourceWithProperties(ResourceGroup, { name: "demo-azure", location: "westeurope" });
    expect(stack.result.synth).toHaveResourceWithProperties(VirtualNetwork, { address_space: ["10.42.0.0/24"], resource_group_name: "${azurerm_resource_group.group.name}" });
    expect(stack.result.synth).toHaveResourceWithProperties(Subnet, { address_prefixes: ["10.42.0.0/24"], default_outbound_access_enabled: false });
    expect(resources(stack.result.tf, "azurerm_nat_gateway")).toEqual([]);
  });

  it("writes the rules between the nodes from the subnet's network, ICMP on every port, and denies the rest of the virtual network", () => {
    const cluster = nsgRules(stack.result.tf).filter((r) => r.access === "Allow" && r.source_address_prefix === "10.42.0.0/24");
    expect(cluster.filter((r) => r.protocol === "Icmp").map((r) => r.destination_port_range)).toEqual(["*"]);
    expect(stack.result.tf.resource.azurerm_network_security_rule!["deny-vnet"]).toMatchObject({
      access: "Deny",
      priority: LAST_PRIORITY,
      source_address_prefix: "VirtualNetwork",
      protocol: "*",
      destination_port_range: "*",
    });
    expect(stack.result.synth).toHaveResourceWithProperties(SubnetNetworkSecurityGroupAssociation, {
      subnet_id: "${azurerm_subnet.subnet.id}",
      network_security_group_id: "${azurerm_network_security_group.firewall.id}",
    });
    for (const [, vm] of vms(stack.result.tf)) expect(vm.depends_on).toEqual(["azurerm_subnet_network_security_group_association.subnet-firewall"]);
  });

  it("gives each rule the priority of its port (cluster rules from 1100, admin rules from 1200), each priority once, above every priority of the rules coreform made before", () => {
    const rules = nsgRules(stack.result.tf);
    expect(rules.map((r) => [r.name, r.destination_port_range, r.priority])).toEqual([
      ["admin-kubernetes-api", "6443", 1210],
      ["admin-ssh", "22", 1250],
      ["cluster-etcd", "2379-2380", 1100],
      ["cluster-flannel-vxlan", "8472", 1120],
      ["cluster-icmp", "*", 1140],
      ["cluster-kubelet", "10250", 1130],
      ["cluster-kubernetes-api", "6443", 1110],
      ["deny-vnet", "*", LAST_PRIORITY],
    ]);
    expect(priorityOf("admin", "ssh")).toBe(1250);
    // An NSG holds at most 1000 rules: those made by coreform before (from 100 in list order) stayed below 1100.
    expect(Math.min(...rules.map((r) => r.priority))).toBeGreaterThanOrEqual(100 + 1000);
  });

  it("configures the provider's features block, and keeps state locally with the secrets", () => {
    expect(stack.result.synth).toHaveProviderWithProperties(AzurermProvider, { features: [{}] });
    expect(stack.result.tf.provider.azurerm[0]).not.toHaveProperty("subscription_id");
    expect(stack.result.tf.terraform.backend).toEqual({ local: { path: "../../../.coreform/azure/terraform.tfstate" } });
  });

  it("outputs each node's addresses and role", () => {
    expect(stack.result.tf.output.nodes.value["worker-01"]).toEqual({
      private_ip: "${azurerm_network_interface.worker-01-nic.private_ip_address}",
      public_ip: "${azurerm_public_ip.worker-01-ip.ip_address}",
      role: "worker",
    });
  });
});

describe("azure settings", () => {
  /** Every spec below plans the same nodes as the fixture: they share its secrets. */
  const { variant, stackOf } = settingsOf("azure");

  it("without public addresses: no public IPs on the nodes, a NAT gateway for the way out before any node boots, public_ip null", async () => {
    const { tf } = stackOf(await variant({ publicAddresses: false }));
    expect(resources(tf, "azurerm_public_ip").map(([name]) => name)).toEqual(["nat-ip"]);
    for (const [, nic] of resources(tf, "azurerm_network_interface")) expect(nic.ip_configuration[0]).not.toHaveProperty("public_ip_address_id");
    expect(tf.resource.azurerm_nat_gateway!.nat).toMatchObject({ sku_name: "Standard" });
    expect(tf.resource.azurerm_subnet_nat_gateway_association!["subnet-nat"]).toEqual(expect.objectContaining({ subnet_id: "${azurerm_subnet.subnet.id}", nat_gateway_id: "${azurerm_nat_gateway.nat.id}" }));
    for (const [, vm] of vms(tf))
      expect(vm.depends_on).toEqual([
        "azurerm_subnet_network_security_group_association.subnet-firewall",
        "azurerm_nat_gateway_public_ip_association.nat-ip-association",
        "azurerm_subnet_nat_gateway_association.subnet-nat",
      ]);
    expect(tf.output.nodes.value["control-01"]).toEqual({ private_ip: expect.stringContaining("private_ip_address"), public_ip: null, role: "control" });
  });

  it.each([
    ["a pinned release", {}, { os: { version: "4593.2.5" } }, { offer: "flatcar-container-linux-corevm-amd64", sku: "stable-gen2", version: "4593.2.5" }, undefined],
    ["the beta channel", {}, { os: { channel: "beta" } }, { offer: "flatcar-container-linux-corevm-amd64", sku: "beta-gen2", version: "latest" }, undefined],
    ["Arm sizes (CoreVM's arm64 offer, Generation 2 only)", { control: { vmSize: "Standard_D2ps_v5" }, worker: { vmSize: "Standard_D4ps_v5" } }, {}, { offer: "flatcar-container-linux-corevm", sku: "stable", version: "latest" }, undefined],
    ["an LTS stream", { sku: "lts2024-gen2" }, { os: { channel: "lts" } }, { offer: "flatcar-container-linux-corevm-amd64", sku: "lts2024-gen2", version: "latest" }, undefined],
    [
      "the free offer, with its plan",
      { offer: "free" },
      {},
      { offer: "flatcar-container-linux-free", sku: "stable-gen2", version: "latest" },
      { name: "stable-gen2", product: "flatcar-container-linux-free", publisher: "kinvolk" },
    ],
  ])("image: %s", async (_what, env, top, reference, plan) => {
    const { tf } = stackOf(await variant(env, (d) => Object.assign(d, top)));
    for (const [, vm] of vms(tf)) {
      expect(vm.source_image_reference).toEqual({ publisher: "kinvolk", ...reference });
      if (plan) expect(vm.plan).toEqual(plan);
      else expect(vm).not.toHaveProperty("plan");
    }
  });

  it("an image of one's own replaces the Marketplace reference", async () => {
    const id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/images/flatcar";
    for (const [, vm] of vms(stackOf(await variant({ image: id })).tf)) {
      expect(vm.source_image_id).toBe(id);
      expect(vm).not.toHaveProperty("source_image_reference");
    }
  });

  it("an existing resource group holds everything, and none is created", async () => {
    const { synth, tf } = stackOf(await variant({ resourceGroup: "my-group" }));
    expect(resources(tf, "azurerm_resource_group")).toEqual([]);
    expect(tf.data!.azurerm_resource_group!.group).toMatchObject({ name: "my-group" });
    expect(synth).toHaveResourceWithProperties(LinuxVirtualMachine, { resource_group_name: "${data.azurerm_resource_group.group.name}" });
  });

  it("the subscription may be pinned in the spec", async () => {
    const { synth } = stackOf(await variant({ subscriptionId: "12345678-1234-1234-1234-123456789abc" }));
    expect(synth).toHaveProviderWithProperties(AzurermProvider, { subscription_id: "12345678-1234-1234-1234-123456789abc" });
  });

  it("hands Azure only the key types it accepts; Ignition still writes every key", async () => {
    const ecdsa = sshKey("ecdsa-sha2-nistp256", 1, "ops@host");
    const short = sshKey("ssh-rsa", 2, "ops@host", 1024);
    const rsa = sshKey("ssh-rsa", 3, "ops@host");
    const dir = await variant({}, (d) => (d.ssh.authorizedKeys = [ecdsa, short, rsa]));
    const [[, vm]] = vms(stackOf(dir).tf) as [[string, Doc]];
    expect(vm.admin_ssh_key).toEqual([{ username: "core", public_key: rsa }]);
    expect(JSON.parse(decoded(vm)).passwd.users[0].sshAuthorizedKeys).toEqual([ecdsa, short, rsa]);
  });

  it("keeps every rule and its priority when admin networks are added, removed or reordered: their prefixes change in place", async () => {
    const at = async (adminCidrs: string[]) =>
      Object.fromEntries(resources(stackOf(await variant({ adminCidrs })).tf, "azurerm_network_security_rule").map(([name, r]) => [name, [r.priority, r.source_address_prefix ?? r.source_address_prefixes]]));
    const one = await at(["203.0.113.0/24"]);
    const two = await at(["198.51.100.0/24", "203.0.113.0/24"]);
    expect(Object.keys(two)).toEqual(Object.keys(one));
    for (const name of Object.keys(one)) expect(two[name]![0]).toBe(one[name]![0]);
    expect(two["admin-ssh"]).toEqual([1250, ["198.51.100.0/24", "203.0.113.0/24"]]);
    expect(await at(["203.0.113.0/24", "198.51.100.0/24"])).toEqual(two);
    expect(Object.keys(one)).toHaveLength(5 + 2 + 1);
  });

  it("state in Azure Storage, keyed by cluster and environment", async () => {
    const { tf } = stackOf(await variant({ backend: { type: "azurerm", storageAccount: "demostate", container: "tfstate", resourceGroup: "state" } }));
    expect(tf.terraform.backend).toEqual({ azurerm: { storage_account_name: "demostate", container_name: "tfstate", key: "t/azure/terraform.tfstate", resource_group_name: "state" } });
  });

  it("keeps VM names within Azure's 64 characters, and long names apart", async () => {
    const env = `a${"z".repeat(23)}`;
    const project = await renderedProject(
      cloudSpec({}, (d) => {
        d.name = "c".repeat(32);
        d.nodes[1] = { name: "w".repeat(20), role: "worker", count: 2 };
        d.environments = { [env]: d.environments.azure };
      }),
    );
    const names = vms(synthesize(project, env).tf).map(([, vm]) => vm.name as string);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(64);
    expect(new Set(names).size).toBe(names.length);
  });
});
