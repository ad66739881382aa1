// The AWS stack, synthesized with CDKTF's Testing API (no network, no terraform init) from projects the
// real CLI rendered: what is AWS's own (IMDSv2, encryption, security group rules, the AMI lookup, the
// state backend). What every stack promises (user data byte for byte, planned addresses, exactly the
// plan's ports, ignore_changes) is checked on every platform in invariants.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import "cdktf/lib/testing/adapters/jest";
import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { EARLIER_PLACEMENT, planCluster } from "../../src/plan/plan";
import { ensureSecrets, secretsDir } from "../../src/secrets/store";
import { awsInstanceArch, FLATCAR_AMI_OWNER } from "../../src/platforms/aws";
import { prepareStacks, StackInputError } from "../../stacks/registry";
import { project } from "../helpers/cli";
import { cloudSpec, defaultStack, type Doc, loaded, renderedIgnition, resources, settingsOf, type Tf, unliteral } from "../helpers/stacks";
import { sshKey } from "../helpers/ssh-keys";

/** The fixture with its aws environment alone, changed by `settings` and `edit`. */
const awsOnly = (settings: Doc = {}, edit: (doc: Doc) => void = () => {}) =>
  cloudSpec({ aws: settings }, (d) => {
    d.environments = { aws: d.environments.aws };
    edit(d);
  });

const ingressRules = (tf: Tf) => resources(tf, "aws_vpc_security_group_ingress_rule").map(([, r]) => r);

describe("the default cluster.yaml's prod stack", () => {
  const stack = defaultStack("prod");

  it("matches the reviewed snapshot (user data stands in by name: it holds fresh keys)", () => {
    const tf = JSON.parse(stack.result.synth) as Tf;
    for (const [name, instance] of resources(tf, "aws_instance")) instance.user_data = `<out/prod/ignition/${name}.json>`;
    expect(JSON.stringify(tf, null, 2)).toMatchSnapshot();
  });

  it("is one of the default spec's stacks: every environment but the vagrant one gets a stack, without a warning", () => {
    expect(stack.result.prepared.map((p) => p.name)).toEqual(["kvm", "openstack", "prod", "gce", "azure"]);
    expect(stack.result.warnings).toEqual([]);
  });

  it("gives each node its Ignition config byte for byte as `coreform render` wrote it", () => {
    const instances = resources(stack.result.tf, "aws_instance");
    expect(instances.map(([name]) => name)).toEqual(["control-01", "control-02", "control-03", "worker-01", "worker-02"]);
    for (const [name, instance] of instances) {
      const written = renderedIgnition(stack.dir, "prod", name);
      expect(unliteral(instance.user_data)).toBe(written);
      expect(JSON.parse(written).ignition.version).toBe("3.3.0");
    }
  });

  it.each([
    ["control-01", "10.42.0.10", "control", "t3.medium", 30],
    ["control-03", "10.42.0.138", "control", "t3.medium", 30],
    ["worker-02", "10.42.0.75", "worker", "t3.large", 50],
  ])("puts %s at its planned address %s (in its zone's subnet), sized for its role, hardened and never replaced", (name, ip, role, type, disk) => {
    expect(stack.result.synth).toHaveResourceWithProperties(Instance, {
      private_ip: ip,
      instance_type: type,
      associate_public_ip_address: true,
      metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
      root_block_device: { volume_type: "gp3", volume_size: disk, encrypted: true, delete_on_termination: true },
      lifecycle: { ignore_changes: ["ami", "user_data"] },
      tags: { Name: `demo-prod-${name}`, "coreform:role": role, "coreform:node": name },
      ami: "${data.aws_ami.flatcar-x86_64.id}",
    });
  });

  it("creates a VPC holding network.cidr and a subnet per zone cut from it (test/stacks/zones.test.ts), each routed to the internet", () => {
    expect(stack.result.synth).toHaveResourceWithProperties(Vpc, { cidr_block: "10.42.0.0/24" });
    for (const [i, cidr] of ["10.42.0.0/26", "10.42.0.64/26", "10.42.0.128/26"].entries()) {
      expect(stack.result.synth).toHaveResourceWithProperties(Subnet, { cidr_block: cidr, vpc_id: "${aws_vpc.vpc.id}" });
      expect(stack.result.synth).toHaveResourceWithProperties(RouteTableAssociation, { subnet_id: `\${aws_subnet.subnet-zone-${i + 1}.id}`, route_table_id: "${aws_route_table.routes.id}" });
    }
    expect(stack.result.tf.resource.aws_route).toEqual({
      "default-route": { route_table_id: "${aws_route_table.routes.id}", destination_cidr_block: "0.0.0.0/0", gateway_id: "${aws_internet_gateway.gateway.id}" },
    });
    expect(resources(stack.result.tf, "aws_nat_gateway")).toEqual([]);
    // first boot pulls images: no node starts before its route to the internet exists
    for (const [, instance] of resources(stack.result.tf, "aws_instance"))
      expect(instance.depends_on).toEqual(["aws_route.default-route", ...[1, 2, 3].map((z) => `aws_route_table_association.subnet-zone-${z}-routes`)]);
  });

  it("writes the rules between the nodes as rules of one security group in the VPC that reference the group itself, ICMP as type and code -1", () => {
    const rules = ingressRules(stack.result.tf);
    expect(stack.result.synth).toHaveResourceWithProperties(SecurityGroup, { name: "demo-prod-nodes", vpc_id: "${aws_vpc.vpc.id}" });
    for (const r of rules) expect(r.security_group_id).toBe("${aws_security_group.firewall.id}");
    const cluster = rules.filter((r) => r.referenced_security_group_id);
    for (const r of cluster) expect(r.referenced_security_group_id).toBe("${aws_security_group.firewall.id}");
    expect(cluster.filter((r) => r.ip_protocol === "icmp")).toEqual([expect.objectContaining({ from_port: -1, to_port: -1 })]);
  });

  it("looks up the newest Flatcar AMI of the channel from Flatcar's account", () => {
    expect(stack.result.synth).toHaveDataSourceWithProperties(DataAwsAmi, {
      owners: [FLATCAR_AMI_OWNER],
      most_recent: true,
      filter: [
        { name: "name", values: ["Flatcar-stable-*-hvm"] },
        { name: "architecture", values: ["x86_64"] },
        { name: "virtualization-type", values: ["hvm"] },
      ],
    });
  });

  it("keeps state locally with the secrets, by a path relative to the stack's directory", () => {
    expect(stack.result.tf.terraform.backend).toEqual({ local: { path: "../../../.coreform/prod/terraform.tfstate" } });
    expect(stack.result.synth).not.toContain(stack.dir);
  });

  it("names the region and tags everything with the cluster and environment", () => {
    expect(stack.result.synth).toHaveProviderWithProperties(AwsProvider, {
      region: "eu-central-1",
      default_tags: [{ tags: { "coreform:cluster": "demo", "coreform:environment": "prod" } }],
    });
  });

  it("outputs each node's addresses and role, and the etcd client endpoints", () => {
    expect(stack.result.tf.output.nodes.value["worker-01"]).toEqual({
      private_ip: "${aws_instance.worker-01.private_ip}",
      public_ip: "${aws_instance.worker-01.public_ip}",
      role: "worker",
    });
    expect(Object.keys(stack.result.tf.output.nodes.value)).toHaveLength(5);
    expect(stack.result.tf.output.etcd_endpoints.value).toEqual(["https://10.42.0.10:2379", "https://10.42.0.74:2379", "https://10.42.0.138:2379"]);
  });
});

describe("aws settings", () => {
  /** Every spec below plans the same nodes as the fixture: they share its secrets. */
  const { base, variant, stackOf } = settingsOf("aws");

  it("admin rules are named by port and CIDR: reordering adminCidrs changes no rule, a repeated CIDR gives one", async () => {
    const rules = async (adminCidrs: string[]) => {
      const tf = stackOf(await variant({ adminCidrs })).tf;
      return Object.fromEntries(resources(tf, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.cidr_ipv4));
    };
    const forward = await rules(["198.51.100.0/24", "203.0.113.7/32"]);
    expect(Object.keys(forward).sort()).toEqual([
      "admin-kubernetes-api-198-51-100-0-24",
      "admin-kubernetes-api-203-0-113-7-32",
      "admin-ssh-198-51-100-0-24",
      "admin-ssh-203-0-113-7-32",
    ]);
    expect(forward["admin-ssh-203-0-113-7-32"]).toMatchObject({ cidr_ipv4: "203.0.113.7/32", from_port: 22, description: "ssh from 203.0.113.7/32" });
    expect(await rules(["203.0.113.7/32", "198.51.100.0/24", "203.0.113.7/32"])).toEqual(forward);
  });

  it("the default takes the newest AMI of the channel", () => {
    const { tf } = stackOf(base());
    expect(tf.data!.aws_ami!["flatcar-x86_64"]).toMatchObject({
      most_recent: true,
      filter: [{ name: "name", values: ["Flatcar-stable-*-hvm"] }, { name: "architecture", values: ["x86_64"] }, { name: "virtualization-type", values: ["hvm"] }],
    });
  });

  it.each([
    ["x86_64", "t3.small", "Flatcar-stable-4593.2.5-hvm"],
    ["arm64", "t4g.small", "Flatcar-stable-4593.2.5-arm64-hvm"],
  ])("a pinned Flatcar release is the one AMI of its exact name (%s), never the newest of a pattern", async (arch, instanceType, name) => {
    const dir = await variant({ control: { instanceType }, worker: { instanceType } }, (d) => (d.os = { version: "4593.2.5" }));
    const { tf } = stackOf(dir);
    expect(tf.data!.aws_ami).toEqual({
      [`flatcar-${arch}`]: {
        owners: ["075585003325"],
        most_recent: false,
        filter: [{ name: "name", values: [name] }, { name: "architecture", values: [arch] }, { name: "virtualization-type", values: ["hvm"] }],
      },
    });
    const plan = JSON.parse(readFileSync(join(dir, "out", "aws", "plan.json"), "utf8"));
    expect(plan.image).toEqual({ reference: `075585003325/${name} (${arch})`, pinned: true, from: "os.version" });
  });

  it("Graviton types look up arm64 for every node", async () => {
    const dir = await variant({ control: { instanceType: "t4g.small" }, worker: { instanceType: "m7g.large" } }, (d) => (d.os = { version: "4593.2.5" }));
    const { synth, tf } = stackOf(dir);
    expect(Object.keys(tf.data!.aws_ami!)).toEqual(["flatcar-arm64"]);
    expect(synth).toHaveDataSourceWithProperties(DataAwsAmi, {
      filter: [
        { name: "name", values: ["Flatcar-stable-4593.2.5-arm64-hvm"] },
        { name: "architecture", values: ["arm64"] },
        { name: "virtualization-type", values: ["hvm"] },
      ],
    });
    expect(synth).toHaveResourceWithProperties(Instance, { instance_type: "t4g.small", ami: "${data.aws_ami.flatcar-arm64.id}" });
    expect(synth).toHaveResourceWithProperties(Instance, { instance_type: "m7g.large", ami: "${data.aws_ami.flatcar-arm64.id}" });
  });

  it.each([
    ["t3.small", "x86_64"],
    ["m7i-flex.large", "x86_64"],
    ["g4dn.xlarge", "x86_64"],
    ["t4g.nano", "arm64"],
    ["c7gn.large", "arm64"],
    ["r6gd.xlarge", "arm64"],
    ["im4gn.large", "arm64"],
    ["a1.medium", "arm64"],
    ["g5g.xlarge", "arm64"],
  ])("%s runs %s", (type, arch) => expect(awsInstanceArch(type)).toBe(arch));

  it("an explicit arch wins over the instance type", async () => {
    const dir = await variant({ arch: "arm64", control: { instanceType: "m8g.large" }, worker: { instanceType: "x9gz.large" } });
    expect(Object.keys(stackOf(dir).tf.data!.aws_ami!)).toEqual(["flatcar-arm64"]);
  });

  it("a pinned AMI replaces the lookup", async () => {
    const dir = await variant({ ami: "ami-0123456789abcdef0" });
    const { synth, tf } = stackOf(dir);
    expect(tf.data?.aws_ami).toBeUndefined();
    expect(resources(tf, "aws_instance").every(([, i]) => i.ami === "ami-0123456789abcdef0")).toBe(true);
    expect(synth).toHaveResourceWithProperties(Instance, { ami: "ami-0123456789abcdef0" });
  });

  it("an existing VPC and subnet are used, not created", async () => {
    const dir = await variant({ vpcId: "vpc-0abc1234", subnetId: "subnet-0def5678" });
    const { synth, tf } = stackOf(dir);
    for (const type of ["aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_route_table", "aws_route"]) expect(resources(tf, type)).toEqual([]);
    expect(synth).toHaveResourceWithProperties(SecurityGroup, { vpc_id: "vpc-0abc1234" });
    for (const [, instance] of resources(tf, "aws_instance")) {
      expect(instance.subnet_id).toBe("subnet-0def5678");
      expect(instance).not.toHaveProperty("associate_public_ip_address");
      expect(instance).not.toHaveProperty("depends_on");
    }
  });

  it("publicAddresses says whether nodes in an existing subnet get public IPs", async () => {
    const existing = { vpcId: "vpc-0abc1234", subnetId: "subnet-0def5678" };
    for (const publicAddresses of [true, false]) {
      const { tf } = stackOf(await variant({ ...existing, publicAddresses }));
      for (const [, instance] of resources(tf, "aws_instance")) expect(instance.associate_public_ip_address).toBe(publicAddresses);
    }
  });

  it("state in S3 is encrypted, locked, and keyed by cluster and environment", async () => {
    const dir = await variant({ backend: { type: "s3", bucket: "demo-state", region: "eu-west-1" } });
    expect(stackOf(dir).tf.terraform.backend).toEqual({
      s3: { bucket: "demo-state", key: "t/aws/terraform.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true },
    });
  });

  it.each([
    [{ type: "gcs", bucket: "demo-state" }, { gcs: { bucket: "demo-state", prefix: "t/aws" } }],
    [{ type: "gcs", bucket: "demo-state", prefix: "states/prod" }, { gcs: { bucket: "demo-state", prefix: "states/prod" } }],
    [
      { type: "azurerm", storageAccount: "demostate", container: "tfstate", resourceGroup: "state" },
      { azurerm: { storage_account_name: "demostate", container_name: "tfstate", key: "t/aws/terraform.tfstate", resource_group_name: "state" } },
    ],
    [
      { type: "azurerm", storageAccount: "demostate", container: "tfstate", resourceGroup: "state", key: "prod.tfstate", useAzureadAuth: true },
      { azurerm: { storage_account_name: "demostate", container_name: "tfstate", key: "prod.tfstate", resource_group_name: "state", use_azuread_auth: true } },
    ],
  ])("state in %j goes to that bucket or container, keyed by cluster and environment by default", async (backend, expected) => {
    const dir = await variant({ backend });
    expect(stackOf(dir).tf.terraform.backend).toEqual(expected);
  });

  it("local state goes where the spec says, relative to the project", async () => {
    const dir = await variant({ backend: { type: "local", path: "state/prod.tfstate" } });
    expect(stackOf(dir).tf.terraform.backend).toEqual({ local: { path: "../../../state/prod.tfstate" } });
  });

  it("escapes Terraform's template sequences in user data and still delivers the rendered bytes", async () => {
    const key = sshKey("ssh-ed25519", 0, "${USER}@%{host} $${x}");
    const dir = await variant({}, (d) => (d.ssh.authorizedKeys = [key]));
    const [, instance] = resources(stackOf(dir).tf, "aws_instance")[0]!;
    expect(instance.user_data).toContain("$${USER}@%%{host} $$${x}");
    expect(unliteral(instance.user_data)).toBe(renderedIgnition(dir, "aws", "control-01"));
  });
});

describe("what the app refuses", () => {
  it("fails in one line, naming `coreform render aws`, when the secrets were never rendered", () => {
    const dir = project(awsOnly());
    expect(() => prepareStacks(loaded(dir), dir, () => {})).toThrow(StackInputError);
    expect(() => prepareStacks(loaded(dir), dir, () => {})).toThrow(
      /^no secrets for environment aws in .*: run `coreform render aws` first: it creates them once, so that keys survive between deploys$/,
    );
  });

  it("fails naming the node, its size and the limit when user data exceeds EC2's 16 KiB", async () => {
    const keys = Array.from({ length: 24 }, (_, i) => sshKey("ssh-rsa", i, `key${i}@host`, 4096));
    const text = awsOnly({}, (d) => (d.ssh.authorizedKeys = keys));
    const dir = project(text);
    const spec = loaded(dir);
    // Secrets without a record: an environment a coreform before records rendered, placed as it placed nodes.
    await ensureSecrets(secretsDir(dir, "aws"), planCluster(spec, "aws", EARLIER_PLACEMENT));
    expect(() => prepareStacks(spec, dir, () => {})).toThrow(/^environments\.aws: node control-01: ignition config is \d{5} bytes, over the 16384-byte limit \(EC2 user data is at most 16 KiB\): fewer or shorter ssh\.authorizedKeys/m);
  });
});
