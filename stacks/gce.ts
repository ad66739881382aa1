// Google Compute Engine: a VPC network of its own with one subnetwork holding the planned addresses,
// firewall rules on the nodes' network tag opening exactly the plan's ports, one instance per planned
// node at its planned IP with its Ignition config as the `user-data` metadata value (what Ignition reads
// on GCE: coreos/ignition docs/supported-platforms.md).
// Attribute names: registry.terraform.io/providers/hashicorp/google/6.50.0/docs (the version
// @cdktf/provider-google 16.12.1 pins). Deep imports only: the package root loads every resource.
import { ComputeDisk } from "@cdktf/provider-google/lib/compute-disk";
import { ComputeFirewall } from "@cdktf/provider-google/lib/compute-firewall";
import { ComputeInstance } from "@cdktf/provider-google/lib/compute-instance";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router";
import { ComputeRouterNat } from "@cdktf/provider-google/lib/compute-router-nat";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { DataGoogleComputeImage } from "@cdktf/provider-google/lib/data-google-compute-image";
import { DataGoogleComputeZones } from "@cdktf/provider-google/lib/data-google-compute-zones";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { Fn, type ITerraformDependable } from "cdktf";
import { dataDiskOf, type ClusterPort } from "../src/plan/plan";
import { stateBackend } from "./backend";
import { EGRESS_DESCRIPTION, firewallRules } from "./firewall";
import { gceImage } from "../src/platforms/gce";
import { literal } from "./literal";
import { environmentLabels, fitName, gceLabels, qualifiedName, nodeLabels, nodeName } from "./naming";
import { clusterOutputs } from "./outputs";
import { replacedWith } from "./roll";
import type { StackBuilder } from "./registry";

/** GCE resource names: lowercase letters, digits and '-', at most 63 characters (RFC 1035). */
const NAME_MAX = 63;
/** Service account ids: 6 to 30 characters. */
const ACCOUNT_ID_MAX = 30;

/**
 * Nothing beyond writing logs and metrics: never the default compute service account with the
 * cloud-platform scope, which would hand every container on a node the project.
 */
export const NODE_SCOPES = ["https://www.googleapis.com/auth/logging.write", "https://www.googleapis.com/auth/monitoring.write"];

/** A port the plan lists, as a GCE firewall `allow` block (ICMP has no ports). */
const allow = (p: ClusterPort) => (p.protocol === "icmp" ? { protocol: "icmp" } : { protocol: p.protocol, ports: [p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`] });

export const gceStack: StackBuilder<"gce"> = (stack, input) => {
  const { plan, env, nodes } = input;
  const prefix = qualifiedName(plan);
  const name = (suffix: string) => fitName(`${prefix}-${suffix}`, NAME_MAX);

  // provider and backend
  new GoogleProvider(stack, "google", { project: env.project, region: env.region, zone: env.zone, defaultLabels: gceLabels(environmentLabels(plan)) });
  stateBackend(stack, input, env.backend);

  // image: the user's own, or Flatcar's newest of the channel (or the pinned release) from kinvolk-public
  const choice = gceImage(plan, env);
  const image = "image" in choice ? choice.image : new DataGoogleComputeImage(stack, "flatcar", choice.lookup).selfLink;

  // network: a VPC network of its own (no automatic subnetworks) and one subnetwork holding the planned
  // addresses; without public addresses, a Cloud NAT is the nodes' way out (first boot pulls images)
  const network = new ComputeNetwork(stack, "network", { name: fitName(prefix, NAME_MAX), autoCreateSubnetworks: false, description: `coreform ${prefix}` });
  const subnet = new ComputeSubnetwork(stack, "subnet", {
    name: fitName(prefix, NAME_MAX),
    network: network.id,
    region: env.region,
    ipCidrRange: plan.cidr,
    privateIpGoogleAccess: true,
  });
  let internet: ITerraformDependable[] = [];
  if (!env.publicAddresses) {
    const router = new ComputeRouter(stack, "router", { name: fitName(prefix, NAME_MAX), network: network.id, region: env.region });
    internet = [
      new ComputeRouterNat(stack, "nat", {
        name: fitName(prefix, NAME_MAX),
        router: router.name,
        region: env.region,
        natIpAllocateOption: "AUTO_ONLY",
        // the network is the environment's own: its one subnetwork is all there is
        sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
      }),
    ];
  }

  // firewall: rules on the nodes' network tag. A new network denies all ingress and allows all egress
  // (its implied rules, cloud.google.com/firewall/docs/firewalls#default_firewall_rules); egress is
  // still stated so that the stack reads like the others.
  const tag = name("node");
  for (const rule of firewallRules(plan, env)) {
    new ComputeFirewall(stack, rule.id, {
      name: name(rule.id),
      network: network.id,
      direction: "INGRESS",
      description: rule.description,
      allow: [allow(rule.port)],
      ...("cidr" in rule.source ? { sourceRanges: [rule.source.cidr] } : { sourceTags: [tag] }),
      targetTags: [tag],
    });
  }
  new ComputeFirewall(stack, "egress", {
    name: name("egress"),
    network: network.id,
    direction: "EGRESS",
    description: EGRESS_DESCRIPTION,
    allow: [{ protocol: "all" }],
    destinationRanges: ["0.0.0.0/0"],
    targetTags: [tag],
  });

  // machines: one per planned node, run as a service account of their own, in its zone (nodes made
  // before zones: in `zone`). Zone i is the spec's i-th, else the region's i-th as the provider lists
  // them (`element` wraps); a list read differently later moves no running machine (zone is ignored).
  const listed = plan.spread?.kind === "zones" ? plan.spread.names : undefined;
  const regionZones = !listed && nodes.some((n) => n.node.zone !== undefined) ? new DataGoogleComputeZones(stack, "zones", { region: env.region }).names : undefined;
  const zoneOf = (zone: number | undefined) => (zone === undefined ? env.zone : listed ? listed[zone]! : Fn.element(regionZones!, zone));
  const account = new ServiceAccount(stack, "node-account", {
    accountId: fitName(`${prefix}-nodes`, ACCOUNT_ID_MAX),
    displayName: `coreform ${prefix} nodes`,
    description: "Runs the cluster's nodes: logs and metrics only",
  });
  const instances = nodes.map(({ node, userData }) => {
    const size = env[node.role];
    const zone = zoneOf(node.zone);
    // etcd's data disk, in the instance's zone, attached at creation (present at first boot); the disk is
    // kept when the instance goes. Its size grows in place (resource_compute_disk.go@v6.50.0, size). Its
    // zone is ignored like the instance's: a zone list read differently later must not replace it.
    const diskGiB = dataDiskOf(plan, node);
    const disk =
      diskGiB &&
      new ComputeDisk(stack, `${node.name}-etcd`, { name: fitName(`${nodeName(plan, node)}-etcd`, NAME_MAX), zone, size: diskGiB, type: "pd-balanced", labels: gceLabels(nodeLabels(node)), lifecycle: { preventDestroy: true, ...(node.zone !== undefined ? { ignoreChanges: ["zone"] } : {}) } });
    return new ComputeInstance(stack, node.name, {
      name: fitName(nodeName(plan, node), NAME_MAX),
      machineType: size.machineType,
      zone,
      tags: [tag],
      labels: gceLabels(nodeLabels(node)),
      bootDisk: { initializeParams: { image, size: size.diskGiB, type: "pd-balanced" } },
      ...(disk ? { attachedDisk: [{ source: disk.id, deviceName: "etcd", mode: "READ_WRITE" }] } : {}),
      networkInterface: [{ subnetwork: subnet.id, networkIp: node.ip, ...(env.publicAddresses ? { accessConfig: [{}] } : {}) }],
      // The spec's keys (in the Ignition config) are the way in, not keys of the whole project.
      metadata: { "user-data": literal(userData), "block-project-ssh-keys": "true" },
      serviceAccount: { email: account.email, scopes: NODE_SCOPES },
      // Flatcar's GCE images are UEFI-compatible (flatcar/mantle platform/api/gcloud/image.go) but not
      // signed for Secure Boot yet: vTPM and integrity monitoring on, Secure Boot only when asked.
      shieldedInstanceConfig: { enableSecureBoot: env.secureBoot, enableVtpm: true, enableIntegrityMonitoring: true },
      // A machine type, service account or shielded-VM change needs the instance stopped: without this the
      // provider fails mid-apply (resource_compute_instance.go@v6.50.0:2703, 2748-2752). The flag sends nothing
      // itself; render refuses what would stop every control node at once (src/platforms/changes.ts).
      allowStoppingForUpdate: true,
      ...(internet.length ? { dependsOn: internet } : {}),
      // A new image or a re-render must never replace a running etcd member: Flatcar updates itself in place.
      // The boot disk's size and type would replace the instance too (initialize_params, ForceNew:
      // resource_compute_instance.go@v6.50.0:327-352): new nodes get them, running ones keep theirs (as Typhoon's
      // google-cloud controllers do).
      lifecycle: { ignoreChanges: ["boot_disk[0].initialize_params", 'metadata["user-data"]', ...(node.zone !== undefined ? ["zone"] : [])] },
    });
  });
  instances.forEach((instance, i) => replacedWith(nodes[i]!.node, instance));

  // outputs
  clusterOutputs(stack, plan, nodes.map((n) => n.node), (i) => {
    const nic = instances[i]!.networkInterface.get(0);
    return { privateIp: nic.networkIp, publicIp: env.publicAddresses ? nic.accessConfig.get(0).natIp : null };
  });
};
