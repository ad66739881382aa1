// Members spread over failure domains (issue 26), in the synthesized stacks: a new environment puts
// its nodes in zones (AWS: a subnet per zone; GCE, Azure: the machine's zone; Azure without zones: an
// availability set; OpenStack: a server group a role); an environment a coreform before zones rendered
// keeps every node as it was made: no attribute of a running machine changes.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { cli, tempDir } from "../helpers/cli";
import { cloudSpec, DEFAULT_SPEC, olderProject, renderedProject, resources, synthesize, type Doc, type Tf } from "../helpers/stacks";
import { checkSchema, itWithSchemas } from "../helpers/tf-schema";

const ENVS = ["aws", "gce", "azure", "openstack", "libvirt"];
const ZONES = ["control-01 0", "control-02 1", "control-03 2", "worker-01 0"];
/** Each node's zone as its environment's record keeps it, by name. */
const zonesOf = (dir: string, env: string) =>
  JSON.parse(readFileSync(join(dir, ".coreform", env, "record.json"), "utf8"))
    .nodes.map((n: Doc) => `${n.name} ${n.zone}`)
    .sort();

describe("a new environment", () => {
  let dir = "";
  const tf = (env: string) => synthesize(dir, env).tf;
  beforeAll(async () => {
    dir = await renderedProject(cloudSpec());
  });

  it("keeps each node's zone in its record (AWS and GCE and Azure; OpenStack and KVM have none)", () => {
    for (const env of ["aws", "gce", "azure"]) expect([env, zonesOf(dir, env)]).toEqual([env, ZONES]);
    for (const env of ["openstack", "libvirt"]) expect([env, zonesOf(dir, env)]).toEqual([env, ZONES.map((z) => z.replace(/\d$/, "undefined"))]);
  });

  it("AWS: a subnet per zone cut from the network, in the region's zones as the provider lists them, each node in its zone's at an address of it", () => {
    const t = tf("aws");
    expect(t.resource.aws_subnet).toEqual(
      Object.fromEntries(
        ["10.42.0.0/26", "10.42.0.64/26", "10.42.0.128/26"].map((cidr, i) => [
          `subnet-zone-${i + 1}`,
          {
            vpc_id: "${aws_vpc.vpc.id}",
            cidr_block: cidr,
            availability_zone: `\${element(data.aws_availability_zones.zones.names, ${i})}`,
            tags: { Name: `t-aws-zone-${i + 1}` },
            lifecycle: { ignore_changes: ["availability_zone"] },
          },
        ]),
      ),
    );
    expect(t.data!.aws_availability_zones).toEqual({ zones: { filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] } });
    const at = Object.fromEntries(resources(t, "aws_instance").map(([name, i]) => [name, `${i.subnet_id} ${i.private_ip}`]));
    expect(at).toEqual({
      "control-01": "${aws_subnet.subnet-zone-1.id} 10.42.0.10",
      "control-02": "${aws_subnet.subnet-zone-2.id} 10.42.0.74",
      "control-03": "${aws_subnet.subnet-zone-3.id} 10.42.0.138",
      "worker-01": "${aws_subnet.subnet-zone-1.id} 10.42.0.11",
    });
    for (const [, i] of resources(t, "aws_instance"))
      expect(i.depends_on).toEqual(["aws_route.default-route", ...[1, 2, 3].map((z) => `aws_route_table_association.subnet-zone-${z}-routes`)]);
  });

  it("GCE: each node in its zone of the region, which a zone list read differently later never moves", () => {
    const t = tf("gce");
    expect(t.data!.google_compute_zones).toEqual({ zones: { region: "europe-west1" } });
    for (const [name, i] of resources(t, "google_compute_instance")) {
      const zone = ZONES.find((z) => z.startsWith(`${name} `))!.split(" ")[1];
      expect([name, i.zone]).toEqual([name, `\${element(data.google_compute_zones.zones.names, ${zone})}`]);
      expect(i.lifecycle.ignore_changes).toContain("zone");
    }
  });

  it("Azure: each VM in its availability zone; no availability set", () => {
    const t = tf("azure");
    expect(Object.fromEntries(resources(t, "azurerm_linux_virtual_machine").map(([name, vm]) => [name, vm.zone]))).toEqual({ "control-01": "1", "control-02": "2", "control-03": "3", "worker-01": "1" });
    for (const [, vm] of resources(t, "azurerm_linux_virtual_machine")) expect(vm.lifecycle.ignore_changes).toContain("zone");
    expect(resources(t, "azurerm_availability_set")).toEqual([]);
  });

  it("OpenStack: a server group a role, control nodes strictly on different hosts, workers as far as hosts allow", () => {
    const t = tf("openstack");
    expect(t.resource.openstack_compute_servergroup_v2).toEqual({
      "control-group": { name: "t-openstack-control", policies: ["anti-affinity"], lifecycle: { ignore_changes: ["name"] } },
      "worker-group": { name: "t-openstack-worker", policies: ["soft-anti-affinity"], lifecycle: { ignore_changes: ["name"] } },
    });
    for (const [name, i] of resources(t, "openstack_compute_instance_v2"))
      expect([name, i.scheduler_hints]).toEqual([name, [{ group: `\${openstack_compute_servergroup_v2.${name.split("-")[0]}-group.id}` }]]);
  });

  itWithSchemas()("OpenStack: the server groups and scheduler hints pass the provider's schema (the server group's from its source)", () => {
    expect(checkSchema(synthesize(dir, "openstack").synth, ["openstack"])).toMatchObject({ code: 0, problems: [] });
  });

  it("the spec's zones name them: no lookup; Azure without zones puts its VMs in one availability set", async () => {
    const listed = await renderedProject(
      cloudSpec({ aws: { zones: ["eu-central-1b", "eu-central-1c"] }, gce: { zones: ["europe-west1-c", "europe-west1-d"] }, azure: { zones: [] } }, (d) => {
        d.environments = { aws: d.environments.aws, gce: d.environments.gce, azure: d.environments.azure };
      }),
    );
    const aws = synthesize(listed, "aws").tf;
    expect(aws.data!.aws_availability_zones).toBeUndefined();
    expect(resources(aws, "aws_subnet").map(([name, s]) => `${name} ${s.cidr_block} ${s.availability_zone}`)).toEqual([
      "subnet-zone-1 10.42.0.0/25 eu-central-1b",
      "subnet-zone-2 10.42.0.128/25 eu-central-1c",
    ]);
    const gce = synthesize(listed, "gce").tf;
    expect(gce.data?.google_compute_zones).toBeUndefined();
    expect(resources(gce, "google_compute_instance").map(([name, i]) => `${name} ${i.zone}`)).toEqual([
      "control-01 europe-west1-c",
      "control-02 europe-west1-d",
      "control-03 europe-west1-c",
      "worker-01 europe-west1-c",
    ]);
    const azure = synthesize(listed, "azure").tf;
    expect(azure.resource.azurerm_availability_set).toEqual({
      "availability-set": { name: "t-azure-nodes", location: "westeurope", resource_group_name: "${azurerm_resource_group.group.name}", tags: expect.any(Object), managed: true },
    });
    for (const [, vm] of resources(azure, "azurerm_linux_virtual_machine")) {
      expect(vm.availability_set_id).toBe("${azurerm_availability_set.availability-set.id}");
      expect(vm).not.toHaveProperty("zone");
    }
  });
});

describe("an environment rendered before zones (generation 1)", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await olderProject(cloudSpec(), ENVS);
  });

  /** What spreading would add to a machine, or change of its placement. */
  const SPREAD: Record<string, (tf: Tf) => unknown> = {
    aws: (tf) => [Object.keys(tf.resource.aws_subnet), tf.data?.aws_availability_zones, resources(tf, "aws_instance").map(([n, i]) => `${n} ${i.subnet_id} ${i.private_ip}`)],
    gce: (tf) => [tf.data?.google_compute_zones, resources(tf, "google_compute_instance").map(([n, i]) => `${n} ${i.zone} ${i.lifecycle.ignore_changes.includes("zone")}`)],
    azure: (tf) => [tf.resource.azurerm_availability_set, resources(tf, "azurerm_linux_virtual_machine").map(([n, vm]) => `${n} ${vm.zone} ${vm.availability_set_id}`)],
    openstack: (tf) => [tf.resource.openstack_compute_servergroup_v2, resources(tf, "openstack_compute_instance_v2").map(([n, i]) => `${n} ${i.scheduler_hints}`)],
  };

  it("keeps every node where it was made: one AWS subnet and its addresses, GCE's one zone, no Azure zone or set, no server group", () => {
    const ips = ["10.42.0.10", "10.42.0.11", "10.42.0.12", "10.42.0.13"];
    const names = ["control-01", "control-02", "control-03", "worker-01"];
    expect(SPREAD.aws!(synthesize(dir, "aws").tf)).toEqual([["subnet"], undefined, names.map((n, i) => `${n} \${aws_subnet.subnet.id} ${ips[i]}`)]);
    expect(SPREAD.gce!(synthesize(dir, "gce").tf)).toEqual([undefined, names.map((n) => `${n} europe-west1-b false`)]);
    expect(SPREAD.azure!(synthesize(dir, "azure").tf)).toEqual([undefined, names.map((n) => `${n} undefined undefined`)]);
    expect(SPREAD.openstack!(synthesize(dir, "openstack").tf)).toEqual([undefined, names.map((n) => `${n} undefined`)]);
    for (const env of ENVS) expect([env, zonesOf(dir, env)]).toEqual([env, names.map((n) => `${n} undefined`)]);
  });

  it("nodes added to it are spread where that moves nobody (GCE, Azure zones; OpenStack's group), and stay in AWS's one subnet", async () => {
    const more = tempDir("coreform-zones-");
    cpSync(dir, more, { recursive: true });
    const doc = yaml.load(readFileSync(join(more, "cluster.yaml"), "utf8")) as Doc;
    doc.nodes[0].count = 5;
    writeFileSync(join(more, "cluster.yaml"), yaml.dump(doc));
    const r = await cli(more, "render", ...ENVS);
    expect([r.stderr, r.code]).toEqual([r.stderr, 0]);
    const [aws, gce, azure, openstack] = ["aws", "gce", "azure", "openstack"].map((e) => synthesize(more, e).tf);
    expect((SPREAD.aws!(aws!) as unknown[])[2]).toContain("control-05 ${aws_subnet.subnet.id} 10.42.0.15");
    expect((SPREAD.gce!(gce!) as unknown[])[1]).toEqual(expect.arrayContaining(["control-01 europe-west1-b false", "control-04 ${element(data.google_compute_zones.zones.names, 0)} true"]));
    expect((SPREAD.azure!(azure!) as unknown[])[1]).toEqual(expect.arrayContaining(["control-01 undefined undefined", "control-05 2 undefined"]));
    expect(Object.keys(openstack!.resource.openstack_compute_servergroup_v2)).toEqual(["control-group"]);
    expect(openstack!.resource.openstack_compute_instance_v2["control-01"]).not.toHaveProperty("scheduler_hints");
    expect(openstack!.resource.openstack_compute_instance_v2["control-04"].scheduler_hints).toEqual([{ group: "${openstack_compute_servergroup_v2.control-group.id}" }]);
  });
});

describe("the default cluster.yaml's stacks, rendered before zones", () => {
  // User data stands in by name as in each platform's own snapshot test: when written, these snapshots
  // were those tests' snapshots before issue 26 (the stacks of main then), value for value.
  const USER_DATA: Record<string, [type: string, set: (r: Doc, name: string) => void]> = {
    prod: ["aws_instance", (r, n) => (r.user_data = `<out/prod/ignition/${n}.json>`)],
    gce: ["google_compute_instance", (r, n) => (r.metadata["user-data"] = `<out/gce/ignition/${n}.json>`)],
    azure: ["azurerm_linux_virtual_machine", (r, n) => (r.custom_data = `<base64 of out/azure/ignition/${n}.json>`)],
    openstack: ["openstack_compute_instance_v2", (r, n) => (r.user_data = `<out/openstack/ignition/${n}.json>`)],
  };
  let dir = "";
  beforeAll(async () => {
    dir = await olderProject(DEFAULT_SPEC, Object.keys(USER_DATA));
  });

  it.each(Object.keys(USER_DATA))("%s: every resource as it was before zones", (env) => {
    const tf = JSON.parse(synthesize(dir, env).synth) as Tf;
    const [type, set] = USER_DATA[env]!;
    for (const [name, r] of resources(tf, type)) set(r, name);
    expect(JSON.stringify(tf, null, 2)).toMatchSnapshot();
  });
});
