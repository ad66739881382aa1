// The GCE stack, synthesized with CDKTF's Testing API (no network, no terraform init) from projects the
// real CLI rendered: the user-data metadata byte for byte as `coreform render` writes it, the planned
// addresses, firewall rules on the nodes' tag, the image, the service account, shielded VM settings,
// private nodes behind a NAT, and names within GCE's limits (invariants.test.ts checks the ports).
import "cdktf/lib/testing/adapters/jest";
import { ComputeInstance } from "@cdktf/provider-google/lib/compute-instance";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { DataGoogleComputeImage } from "@cdktf/provider-google/lib/data-google-compute-image";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { planCluster } from "../../src/plan/plan";
import { gceImage } from "../../src/platforms/gce";
import { NODE_SCOPES } from "../../stacks/gce";
import { cloudSpec, defaultStack, loaded, renderedIgnition, renderedProject, resources, settingsOf, synthesize, type Tf, unliteral } from "../helpers/stacks";
import { sshKey } from "../helpers/ssh-keys";

const firewalls = (tf: Tf) => resources(tf, "google_compute_firewall").map(([, r]) => r);
const instances = (tf: Tf) => resources(tf, "google_compute_instance");

describe("the default cluster.yaml's gce stack", () => {
  const stack = defaultStack("gce");

  it("matches the reviewed snapshot (user data stands in by name: it holds fresh keys)", () => {
    const tf = JSON.parse(stack.result.synth) as Tf;
    for (const [name, instance] of instances(tf)) instance.metadata["user-data"] = `<out/gce/ignition/${name}.json>`;
    expect(JSON.stringify(tf, null, 2)).toMatchSnapshot();
  });

  it("gives each node its Ignition config byte for byte as the user-data metadata value", () => {
    expect(instances(stack.result.tf).map(([name]) => name)).toEqual(["control-01", "control-02", "control-03", "worker-01", "worker-02"]);
    for (const [name, instance] of instances(stack.result.tf)) expect(unliteral(instance.metadata["user-data"])).toBe(renderedIgnition(stack.dir, "gce", name));
  });

  it.each([
    ["control-01", "10.42.0.10", "control", "e2-standard-2", 0],
    ["control-03", "10.42.0.12", "control", "e2-standard-2", 2],
    ["worker-02", "10.42.0.14", "worker", "e2-standard-4", 1],
  ])("puts %s at its planned address %s in its zone, sized for its role, shielded and never replaced", (name, ip, role, type, zone) => {
    expect(stack.result.synth).toHaveResourceWithProperties(ComputeInstance, {
      name: `demo-gce-${name}`,
      machine_type: type,
      zone: `\${element(data.google_compute_zones.zones.names, ${zone})}`,
      network_interface: [{ subnetwork: "${google_compute_subnetwork.subnet.id}", network_ip: ip, access_config: [{}] }],
      boot_disk: { initialize_params: { image: "${data.google_compute_image.flatcar.self_link}", size: 30, type: "pd-balanced" } },
      shielded_instance_config: { enable_secure_boot: false, enable_vtpm: true, enable_integrity_monitoring: true },
      lifecycle: { ignore_changes: ["boot_disk[0].initialize_params", 'metadata["user-data"]', "zone"] },
      // A machine type or shielded-VM change stops the instance instead of failing mid-apply.
      allow_stopping_for_update: true,
      labels: { coreform_role: role, coreform_node: name },
      tags: ["demo-gce-node"],
    });
  });

  it("lets no project-wide SSH key in, and runs the nodes as a service account of their own with logging and monitoring only", () => {
    for (const [, instance] of instances(stack.result.tf)) {
      expect(instance.metadata["block-project-ssh-keys"]).toBe("true");
      expect(instance.service_account).toEqual({ email: "${google_service_account.node-account.email}", scopes: NODE_SCOPES });
    }
    expect(NODE_SCOPES.join(" ")).not.toMatch(/cloud-platform|compute|devstorage/);
    expect(stack.result.synth).toHaveResourceWithProperties(ServiceAccount, { account_id: "demo-gce-nodes" });
  });

  it("creates a VPC network without automatic subnetworks and one subnetwork holding network.cidr", () => {
    expect(stack.result.synth).toHaveResourceWithProperties(ComputeNetwork, { name: "demo-gce", auto_create_subnetworks: false });
    expect(stack.result.synth).toHaveResourceWithProperties(ComputeSubnetwork, { ip_cidr_range: "10.42.0.0/24", region: "europe-west1", network: "${google_compute_network.network.id}" });
    expect(resources(stack.result.tf, "google_compute_router_nat")).toEqual([]);
  });

  it("writes the rules between the nodes from the nodes' tag to the nodes' tag, one port range a rule (ICMP without ports)", () => {
    const cluster = firewalls(stack.result.tf).filter((r) => r.source_tags);
    for (const r of cluster) expect(r).toMatchObject({ direction: "INGRESS", source_tags: ["demo-gce-node"], target_tags: ["demo-gce-node"], allow: [expect.anything()] });
    expect(cluster.filter((r) => r.allow[0].protocol === "icmp").map((r) => r.allow)).toEqual([[{ protocol: "icmp" }]]);
  });

  it("names each admin rule by port and network, for the nodes' tag, and lets everything out", () => {
    const fromCidrs = firewalls(stack.result.tf).filter((r) => r.source_ranges);
    expect(fromCidrs.map((r) => r.name).sort()).toEqual(["demo-gce-admin-kubernetes-api-203-0-113-0-24", "demo-gce-admin-ssh-203-0-113-0-24"]);
    for (const r of fromCidrs) expect(r.target_tags).toEqual(["demo-gce-node"]);
    expect(stack.result.tf.resource.google_compute_firewall!.egress).toMatchObject({ direction: "EGRESS", destination_ranges: ["0.0.0.0/0"], allow: [{ protocol: "all" }] });
  });

  it("looks up the newest Flatcar image of the channel's family in kinvolk-public", () => {
    expect(stack.result.synth).toHaveDataSourceWithProperties(DataGoogleComputeImage, { project: "kinvolk-public", family: "flatcar-stable" });
  });

  it("names project, region and zone and labels everything with cluster and environment", () => {
    expect(stack.result.synth).toHaveProviderWithProperties(GoogleProvider, {
      project: "coreform-demo",
      region: "europe-west1",
      zone: "europe-west1-b",
      default_labels: { coreform_cluster: "demo", coreform_environment: "gce" },
    });
    expect(stack.result.tf.terraform.backend).toEqual({ local: { path: "../../../.coreform/gce/terraform.tfstate" } });
  });

  it("outputs each node's addresses and role", () => {
    expect(stack.result.tf.output.nodes.value["worker-01"]).toEqual({
      private_ip: "${google_compute_instance.worker-01.network_interface[0].network_ip}",
      public_ip: "${google_compute_instance.worker-01.network_interface[0].access_config[0].nat_ip}",
      role: "worker",
    });
  });
});

describe("gce settings", () => {
  /** Every spec below plans the same nodes as the fixture: they share its secrets. */
  const { base, variant, stackOf } = settingsOf("gce");

  it("without public addresses: no external IPs, a Cloud NAT for the way out before any node boots, public_ip null", async () => {
    const { tf } = stackOf(await variant({ publicAddresses: false }));
    for (const [, instance] of instances(tf)) {
      expect(instance.network_interface).toEqual([{ subnetwork: "${google_compute_subnetwork.subnet.id}", network_ip: expect.stringMatching(/^10\.42\.0\.\d+$/) }]);
      expect(instance.depends_on).toEqual(["google_compute_router_nat.nat"]);
    }
    expect(tf.resource.google_compute_router_nat!.nat).toMatchObject({
      router: "${google_compute_router.router.name}",
      region: "europe-west1",
      nat_ip_allocate_option: "AUTO_ONLY",
      source_subnetwork_ip_ranges_to_nat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
    });
    expect(tf.resource.google_compute_router!.router).toMatchObject({ network: "${google_compute_network.network.id}" });
    expect(tf.output.nodes.value["control-01"]).toEqual({ private_ip: expect.stringContaining("network_ip"), public_ip: null, role: "control" });
  });

  it.each([
    ["the newest of a channel", { os: { channel: "beta" } }, { lookup: { project: "kinvolk-public", family: "flatcar-beta" } }],
    ["a pinned release, by name (dots become dashes)", { os: { version: "4593.2.5" } }, { lookup: { project: "kinvolk-public", name: "flatcar-stable-4593-2-5" } }],
    ["an LTS release", { os: { channel: "lts", version: "4081.3.6" } }, { lookup: { project: "kinvolk-public", name: "flatcar-lts-4081-3-6" } }],
  ])("image: %s", (_what, os, expected) => {
    const spec = loaded(base());
    const plan = planCluster(spec, "gce");
    expect(gceImage({ ...plan, os: { ...plan.os, ...os.os } as typeof plan.os }, spec.environments.gce as never)).toEqual(expected);
  });

  it("a pinned release looks its image up by name; an image of one's own is used as it is, with no lookup", async () => {
    const pinned = stackOf(await variant({}, (d) => (d.os = { version: "4593.2.5" })));
    expect(pinned.synth).toHaveDataSourceWithProperties(DataGoogleComputeImage, { project: "kinvolk-public", name: "flatcar-stable-4593-2-5" });
    const own = stackOf(await variant({ image: "projects/my-project/global/images/family/my-flatcar" }));
    expect(own.tf.data?.google_compute_image).toBeUndefined();
    for (const [, instance] of instances(own.tf)) expect(instance.boot_disk.initialize_params.image).toBe("projects/my-project/global/images/family/my-flatcar");
  });

  it("Secure Boot when asked, sizes per role", async () => {
    const { tf } = stackOf(await variant({ secureBoot: true, control: { machineType: "n2-standard-2", diskGiB: 20 }, worker: { machineType: "e2-highmem-4", diskGiB: 100 } }));
    const byName = Object.fromEntries(instances(tf));
    expect(byName["control-01"]).toMatchObject({ machine_type: "n2-standard-2", boot_disk: { initialize_params: { size: 20 } }, shielded_instance_config: { enable_secure_boot: true } });
    expect(byName["worker-01"]).toMatchObject({ machine_type: "e2-highmem-4", boot_disk: { initialize_params: { size: 100 } } });
  });

  it("keeps every name within GCE's limits, and long names apart", async () => {
    const env = `g${"e".repeat(23)}`;
    const project = await renderedProject(
      cloudSpec({}, (d) => {
        d.name = "a".repeat(32);
        d.environments = { [env]: d.environments.gce };
      }),
    );
    const { tf } = synthesize(project, env);
    const names = [...resources(tf, "google_compute_instance"), ...resources(tf, "google_compute_firewall"), ...resources(tf, "google_compute_network")].map(([, r]) => r.name as string);
    for (const name of names) expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(new Set(names).size).toBe(names.length);
    const account = Object.values(tf.resource.google_service_account!)[0]!.account_id as string;
    expect(account.length).toBeLessThanOrEqual(30);
    expect(account).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
  });

  it("state in GCS, prefixed by cluster and environment", async () => {
    expect(stackOf(await variant({ backend: { type: "gcs", bucket: "demo-state" } })).tf.terraform.backend).toEqual({ gcs: { bucket: "demo-state", prefix: "t/gce" } });
  });

  it("escapes Terraform's template sequences in the metadata and still delivers the rendered bytes", async () => {
    const key = sshKey("ssh-ed25519", 0, "${USER}@%{host}");
    const dir = await variant({}, (d) => (d.ssh.authorizedKeys = [key]));
    const [, instance] = instances(stackOf(dir).tf)[0]!;
    expect(instance.metadata["user-data"]).toContain("$${USER}@%%{host}");
    expect(unliteral(instance.metadata["user-data"])).toBe(renderedIgnition(dir, "gce", "control-01"));
  });
});
