// What a change of the spec does to a running cluster, per platform, in one place:
// - PROVIDERS: per Terraform provider (at the version the stacks pin), the attributes coreform sets that
//   replace a resource, re-address it, stop its machine or cannot be applied, each with the provider
//   source line that says so. The edit table (test/stacks/edits.test.ts) checks that no edit touches one
//   of them on a control node unless render refuses it; README's "Changing a running cluster" is made
//   from this file (npm run schema).
// - SETTING_CHANGES: per platform, what a change of each setting does: applied in place, ignored by the
//   stack (running machines keep what they have, new ones get the new value), refused by render unless
//   accepted (`--accept KIND`), or impossible.
// - ACCEPT: each kind of refusal, why, and what to do today instead. The one place a refusal is
//   explained: `coreform roll` (issue 26) will be the way to carry most of them out.
import { contains, parseCidr } from "../spec/ipv4";
import { awsInstanceArch } from "./aws";
import type { EnvOf, Platform } from "./table";

/** How an attribute reacts to a new value. Anything but `in-place` must never happen to a running etcd member unasked. */
type OnChange = "replace" | "readdress" | "stop" | "fails" | "in-place";

interface AttributeFact {
  /** The Terraform resource type. */
  readonly resource: string;
  /** Its path in the resource's synthesized JSON, dots between names (lists are walked). */
  readonly attribute: string;
  readonly onChange: OnChange;
  /** Where the provider's source says so, at the pinned version. */
  readonly source: string;
  readonly note?: string;
  /** The provider applies the change in place after all when this holds of the old and new value (its CustomizeDiff). */
  readonly inPlaceIf?: (from: unknown, to: unknown) => boolean;
}

interface ProviderFacts {
  /** Registry address and the version the stack pins. */
  readonly provider: string;
  /** How the source was read (a caveat when not at the pinned tag). */
  readonly read: string;
  /** The resource type of a node's machine, named by the node (`aws_instance.control-01`). */
  readonly machine: string;
  readonly attributes: readonly AttributeFact[];
}

export type StackPlatform = Exclude<Platform, "vagrant">;

const each = (resource: string, onChange: OnChange, source: string, attributes: string[], note?: string): AttributeFact[] =>
  attributes.map((attribute) => ({ resource, attribute, onChange, source, ...(note ? { note } : {}) }));

const AWS_INSTANCE = "internal/service/ec2/ec2_instance.go";
const GCE_INSTANCE = "google/services/compute/resource_compute_instance.go";
const AZURE_VM = "internal/services/compute/linux_virtual_machine_resource.go";
const AZURE_VM_SHARED = "internal/services/compute/virtual_machine.go";
const OS_INSTANCE = "openstack/resource_openstack_compute_instance_v2.go";
const LIBVIRT_DOMAIN = "internal/provider/domain_resource.go";
const LIBVIRT_VOLUME = "internal/provider/volume_resource.go";

export const PROVIDERS: { readonly [P in StackPlatform]: ProviderFacts } = {
  aws: {
    provider: "hashicorp/aws 6.25.0",
    read:
      "hashicorp/terraform-provider-aws, read in a v5.x copy of ec2_instance.go (before 6.10), not at the v6.25.0 tag (the repository is too large to fetch here); " +
      "the 6.x release notes read (6.10, 6.14, 6.20, 6.26) change nothing coreform sets on aws_instance",
    machine: "aws_instance",
    attributes: [
      ...each("aws_instance", "replace", `${AWS_INSTANCE}, schema: ForceNew`, ["ami", "subnet_id", "private_ip", "associate_public_ip_address", "root_block_device.encrypted"]),
      ...each("aws_instance", "stop", `${AWS_INSTANCE}, resourceInstanceUpdate: modifyInstanceAttributeWithStopStart`, ["instance_type", "user_data"], "instance_type replaces across CPU architectures (CustomizeDiff ForceNewIf on SupportedArchitectures)"),
      ...each("aws_instance", "in-place", `${AWS_INSTANCE}, resourceInstanceUpdate: ModifyVolume`, ["root_block_device.volume_size", "root_block_device.volume_type"], "online; EBS volumes never shrink"),
      ...each("aws_instance", "in-place", `${AWS_INSTANCE}, resourceInstanceUpdate`, ["vpc_security_group_ids", "metadata_options", "tags", "root_block_device.delete_on_termination"]),
      ...each("aws_subnet", "replace", "internal/service/ec2/vpc_subnet.go, schema: ForceNew", ["cidr_block", "vpc_id", "availability_zone"]),
      ...each("aws_vpc", "replace", "internal/service/ec2/vpc_.go (documented ForceNew, not read here)", ["cidr_block"]),
      ...each("aws_security_group", "replace", "internal/service/ec2/vpc_security_group.go, schema: ForceNew (a v4-era copy)", ["name", "description", "vpc_id"]),
      ...each("aws_ebs_volume", "replace", "internal/service/ec2/ebs_volume.go, resourceEBSVolume(): ForceNew (a recent copy)", ["availability_zone", "encrypted"]),
      ...each("aws_ebs_volume", "in-place", "internal/service/ec2/ebs_volume.go, resourceEBSVolumeUpdate: ModifyVolume (a recent copy)", ["size", "type"], "online; EBS volumes never shrink"),
      ...each("aws_volume_attachment", "replace", "internal/service/ec2/ebs_volume_attachment.go, schema: ForceNew (several copies agree)", ["device_name", "instance_id", "volume_id"]),
      ...each("aws_vpc_security_group_ingress_rule", "in-place", "internal/service/ec2/vpc_security_group_ingress_rule.go, Update (a v4-era copy)", ["cidr_ipv4", "from_port", "to_port", "ip_protocol", "description"]),
    ],
  },
  gce: {
    provider: "hashicorp/google 6.50.0",
    read: "hashicorp/terraform-provider-google at the v6.50.0 tag; lines at that tag",
    machine: "google_compute_instance",
    attributes: [
      ...each("google_compute_instance", "replace", `${GCE_INSTANCE}:592-595, 1366-1370 (ForceNew)`, ["name", "zone"]),
      ...each("google_compute_instance", "replace", `${GCE_INSTANCE}:327-361 (boot_disk, initialize_params and its fields ForceNew)`, [
        "boot_disk.initialize_params.image",
        "boot_disk.initialize_params.size",
        "boot_disk.initialize_params.type",
      ]),
      ...each("google_compute_instance", "replace", `${GCE_INSTANCE}:181-205, 1519-1535 (CustomizeDiff forceNewIfNetworkIPNotUpdatable)`, ["network_interface.network_ip"]),
      ...each("google_compute_instance", "stop", `${GCE_INSTANCE}:2703 (needToStopInstanceBeforeUpdating); without allow_stopping_for_update it fails at 2748-2752`, [
        "machine_type",
        "network_interface.subnetwork",
        "service_account",
        "shielded_instance_config",
      ]),
      ...each("google_compute_instance", "in-place", `${GCE_INSTANCE}:2172, 2214, 2232, 2386-2400`, ["metadata", "tags", "labels", "network_interface.access_config"]),
      {
        resource: "google_compute_subnetwork",
        attribute: "ip_cidr_range",
        onChange: "replace",
        source: "google/services/compute/resource_compute_subnetwork.go:41-58, 122 (ForceNewIfChange IsShrinkageIpCidr)",
        note: "in place when the new range holds the old one",
        inPlaceIf: (from, to) => contains(parseCidr(to as string), parseCidr(from as string)),
      },
      ...each("google_compute_disk", "replace", "google/services/compute/resource_compute_disk.go:68-74, 363-364 (ForceNew)", ["name", "zone", "type"]),
      {
        resource: "google_compute_disk",
        attribute: "size",
        onChange: "replace",
        source: "google/services/compute/resource_compute_disk.go:590, 859-870 (ForceNewIfChange IsDiskShrinkage; grows through resize)",
        note: "in place when it grows",
        inPlaceIf: (from, to) => (to as number) >= (from as number),
      },
      ...each("google_compute_instance", "in-place", `${GCE_INSTANCE}:812, 2540 (attached_disk: attach and detach, no stop)`, ["attached_disk"]),
      ...each("google_compute_network", "replace", "google/services/compute/resource_compute_network.go:61-89", ["name", "description"]),
      ...each("google_compute_firewall", "in-place", "google/services/compute/resource_compute_firewall.go:182-370", ["allow", "source_ranges", "source_tags", "target_tags"]),
      ...each("google_service_account", "replace", "google/services/resourcemanager/resource_google_service_account.go:69-75", ["account_id"]),
    ],
  },
  azure: {
    provider: "hashicorp/azurerm 4.55.0",
    read: "hashicorp/terraform-provider-azurerm at the v4.55.0 tag; lines at that tag",
    machine: "azurerm_linux_virtual_machine",
    attributes: [
      ...each("azurerm_linux_virtual_machine", "replace", `${AZURE_VM}:58-78, 176-198, 225-231 (ForceNew); location and resource group: commonschema`, [
        "name",
        "location",
        "resource_group_name",
        "computer_name",
        "admin_username",
        "custom_data",
        "disable_password_authentication",
      ]),
      ...each("azurerm_linux_virtual_machine", "replace", "internal/services/compute/ssh_keys.go:21-49 (ForceNew; validate.SSHKey on every plan)", ["admin_ssh_key"]),
      ...each("azurerm_linux_virtual_machine", "replace", `${AZURE_VM}:137-150, 439 (ForceNew; each conflicts with the other)`, ["zone", "availability_set_id"]),
      ...each("azurerm_availability_set", "replace", "internal/services/compute/availability_set_resource.go:51-88 (ForceNew)", ["name", "location", "managed"]),
      ...each("azurerm_linux_virtual_machine", "replace", `${AZURE_VM_SHARED}:141-147; shared_schema.go:468, 584`, ["os_disk.storage_account_type", "source_image_reference", "source_image_id", "plan"]),
      ...each("azurerm_linux_virtual_machine", "stop", `${AZURE_VM}:1411-1450, 1659-1680 (power off, and deallocate when the size is not on the VM's hardware)`, ["size"]),
      ...each("azurerm_linux_virtual_machine", "stop", `${AZURE_VM}:1330-1345, 1359-1364, 1687-1708 (deallocated)`, ["network_interface_ids", "os_disk.disk_size_gb", "os_disk.caching"], "a smaller disk is refused by Azure"),
      ...each("azurerm_linux_virtual_machine", "in-place", `${AZURE_VM}:1198, 1587`, ["boot_diagnostics", "tags"]),
      ...each("azurerm_network_interface", "replace", "internal/services/network/network_interface_resource.go:55-58", ["name"]),
      ...each("azurerm_network_interface", "readdress", "internal/services/network/network_interface_resource.go:76-113 (no ForceNew)", ["ip_configuration.private_ip_address"]),
      ...each("azurerm_public_ip", "replace", "internal/services/network/public_ip_resource.go:52, 103, 176", ["name", "sku"]),
      ...each("azurerm_network_security_rule", "replace", "internal/services/network/network_security_rule_resource.go:46-59", ["name", "network_security_group_name"]),
      ...each(
        "azurerm_network_security_rule",
        "fails",
        "internal/services/network/network_security_rule_resource.go:165-168, 295, 417 (in place, no lock on the group)",
        ["priority"],
        "Azure refuses two inbound rules at one priority at any instant: priorities moved in one apply collide (SecurityRuleConflict, hashicorp/terraform-provider-azurerm#293, #19202)",
      ),
      ...each("azurerm_network_security_rule", "in-place", "internal/services/network/network_security_rule_resource.go:61-170", ["source_address_prefix", "source_address_prefixes", "destination_port_range", "description"]),
      ...each("azurerm_virtual_network", "in-place", "internal/services/network/virtual_network_resource.go:79", ["address_space"]),
      ...each(
        "azurerm_subnet",
        "fails",
        "internal/services/network/subnet_resource.go:150 (in place); learn.microsoft.com/azure/virtual-network/virtual-network-manage-subnet, \"Change subnet settings\"",
        ["address_prefixes"],
        "Azure changes a subnet's address range only while nothing is deployed in it",
      ),
      ...each("azurerm_managed_disk", "replace", "internal/services/compute/managed_disk_resource.go:62, 87, 172 (ForceNew)", ["name", "create_option", "zone"]),
      ...each("azurerm_managed_disk", "in-place", "internal/services/compute/managed_disk_resource.go:722-742", ["disk_size_gb"], "grows only; a data disk grows online where Azure supports it, else its VM is stopped"),
      ...each("azurerm_virtual_machine_data_disk_attachment", "replace", "internal/services/compute/virtual_machine_data_disk_attachment_resource.go:88-120 (ForceNew)", ["managed_disk_id", "virtual_machine_id", "lun"]),
      ...each("azurerm_resource_group", "replace", "internal/services/resource/resource_group_resource.go:47-49", ["name", "location"]),
    ],
  },
  openstack: {
    provider: "terraform-provider-openstack/openstack 3.4.0",
    read: "terraform-provider-openstack/terraform-provider-openstack at the v3.4.0 tag; lines at that tag",
    machine: "openstack_compute_instance_v2",
    attributes: [
      ...each("openstack_compute_instance_v2", "replace", `${OS_INSTANCE}:85-88, 133-155, 194-197, 213-281 (ForceNew)`, ["user_data", "network", "config_drive", "key_pair", "block_device"]),
      ...each("openstack_compute_instance_v2", "replace", `${OS_INSTANCE}:283-291 (scheduler_hints.group ForceNew)`, ["scheduler_hints.group"]),
      ...each("openstack_compute_servergroup_v2", "replace", "openstack/resource_openstack_compute_servergroup_v2.go:24-74 (every argument ForceNew, no Update)", ["name", "policies"]),
      ...each("openstack_compute_instance_v2", "replace", `${OS_INSTANCE}:63-67, 1094-1125`, ["image_id"], "not a replacement: a Rebuild that re-images the root disk in place, etcd's data with it"),
      ...each("openstack_compute_instance_v2", "stop", `${OS_INSTANCE}:79-83, 1001-1090 (Nova resize); 417-425 (replaced when the old flavor is gone)`, ["flavor_name"]),
      ...each("openstack_compute_instance_v2", "in-place", `${OS_INSTANCE}:58-62, 189-192, 793, 918`, ["name", "metadata"]),
      ...each("openstack_networking_port_v2", "replace", "openstack/resource_openstack_networking_port_v2.go:60", ["network_id"]),
      ...each("openstack_networking_port_v2", "readdress", "openstack/resource_openstack_networking_port_v2.go:112-116 (no ForceNew)", ["fixed_ip"]),
      ...each("openstack_networking_port_v2", "in-place", "openstack/resource_openstack_networking_port_v2.go:46, 63, 91", ["name", "admin_state_up", "security_group_ids"]),
      ...each("openstack_networking_subnet_v2", "replace", "openstack/resource_openstack_networking_subnet_v2.go:44, 52, 123", ["cidr", "network_id", "ip_version"]),
      ...each("openstack_networking_secgroup_rule_v2", "replace", "openstack/resource_openstack_networking_secgroup_rule_v2.go:40-116", ["remote_ip_prefix", "port_range_min", "port_range_max", "protocol"], "ids come from the content: rules are added and removed, never changed"),
      ...each("openstack_networking_floatingip_v2", "replace", "openstack/resource_openstack_networking_floatingip_v2.go:56", ["pool"]),
      ...each("openstack_networking_floatingip_v2", "in-place", "openstack/resource_openstack_networking_floatingip_v2.go:41, 60", ["port_id", "description"]),
      ...each("openstack_blockstorage_volume_v3", "in-place", "openstack/resource_openstack_blockstorage_volume_v3.go:106, 318-345 (ExtendSize; attached: enable_online_resize)", ["size"], "grows only: Cinder refuses a smaller size"),
      ...each("openstack_compute_volume_attach_v2", "replace", "openstack/resource_openstack_compute_volume_attach_v2.go:42-72 (ForceNew)", ["instance_id", "volume_id"]),
      ...each("openstack_images_image_v2", "replace", "openstack/resource_openstack_images_image_v2.go:46, 55, 83", ["image_source_url", "container_format", "disk_format"]),
    ],
  },
  libvirt: {
    provider: "dmacvicar/libvirt 0.9.7",
    read:
      "dmacvicar/terraform-provider-libvirt at the v0.9.7 tag; RequiresReplace of generated fields from the generator's policy, internal/codegen/policy/field_policy.go:74-93 (the generated schema is not in the tag)",
    machine: "libvirt_domain",
    attributes: [
      ...each("libvirt_domain", "replace", "internal/codegen/policy/field_policy.go:74-93 (top-level name and type)", ["name", "type"]),
      ...each(
        "libvirt_domain",
        "stop",
        `${LIBVIRT_DOMAIN}:991-1160 (Update: ACPI shutdown, 30 s, then forced off; undefine, define, start)`,
        ["memory", "memory_unit", "vcpu", "os", "features", "sys_info", "devices", "running", "autostart", "update"],
        "every attribute but name and type",
      ),
      ...each("libvirt_volume", "replace", `${LIBVIRT_VOLUME}:94-99 (pool RequiresReplace; name by the generator's policy)`, ["name", "pool"]),
      ...each("libvirt_volume", "fails", `${LIBVIRT_VOLUME}:443-448 (Update always errors)`, ["capacity", "target", "backing_store", "create"]),
      ...each("libvirt_network", "replace", "internal/codegen/policy/field_policy.go:74-93", ["name"]),
      ...each("libvirt_network", "fails", "internal/provider/network_resource.go:219-270 (Update sets only autostart)", ["ips", "forward"], "planned as an update, never applied: the live network keeps its DHCP hosts"),
      ...each("libvirt_ignition", "replace", "internal/provider/ignition_resource.go:88-100 (RequiresReplace)", ["name", "content"]),
    ],
  },
};

/** Each kind of refused change: `--accept KIND` renders it anyway. */
export type AcceptKind = "readdress" | "rename" | "remove-members" | "quorum" | "stop" | "replace" | "move";

/** What a change of a setting does to a running environment. */
export type Effect =
  /** Nothing of any machine (a check of validate's, a node-level change the nodes' table shows). */
  | { readonly kind: "none" }
  /** Terraform applies it; `what` says how (stopping workers, new public addresses…). */
  | { readonly kind: "applied"; readonly what: string }
  /** Running machines keep what they have; new machines get the new value. */
  | { readonly kind: "ignored"; readonly what: string }
  /** Refused unless accepted. */
  | { readonly kind: "refused"; readonly accept: AcceptKind; readonly what: string }
  /** Neither the provider nor the cloud can do it: refused, whatever is accepted. */
  | { readonly kind: "fails"; readonly what: string };

/** A changed setting, old and new, with the whole environment before and after. */
interface SettingChange<E = Record<string, unknown>> {
  readonly from: unknown;
  readonly to: unknown;
  readonly before: E;
  readonly after: E;
}

/** An effect that depends on the change: each case with when it holds (README lists them all), and which one a change is. */
interface Cases<E> {
  readonly cases: readonly (readonly [when: string, effect: Effect])[];
  readonly pick: (change: SettingChange<E>) => number;
}

export type Rule<E> = Effect | Cases<E>;
type SettingRules<E> = Readonly<Record<string, Rule<E>>>;

/** `cases`, the one `pick` names for a change. */
const cases = <E>(pick: (change: SettingChange<E>) => number, ...list: Cases<E>["cases"]): Cases<E> => ({ cases: list, pick });

/** AWS: whether instances get a public address (the stack's own network always gives one). */
const publicIpOf = (env: EnvOf<"aws">) => env.publicAddresses ?? (env.vpcId && env.subnetId ? undefined : true);

const refused = (accept: AcceptKind, what: string): Effect => ({ kind: "refused", accept, what });
const applied = (what: string): Effect => ({ kind: "applied", what });
const ignored = (what: string): Effect => ({ kind: "ignored", what });
const NONE: Effect = { kind: "none" };

const move = (what: string) => refused("move", `${what}: Terraform would make every resource anew there and remove this cluster, etcd's data with it`);
/** A size change stops every machine of the role at once: refused on control nodes (every etcd member at once), applied to workers. */
const sizeOf = (role: "control" | "worker", how: string): Effect =>
  role === "control" ? refused("stop", `${how}, every control node at once: etcd loses its quorum`) : applied(`${how}, every worker at once`);
const SHRINK: Effect = { kind: "fails", what: "a disk never shrinks: keep its size or a larger one" };
/** A disk size: `larger` when it grows; never smaller. */
const grow = (larger: Effect) => cases((c: SettingChange) => ((c.to as number) < (c.from as number) ? 1 : 0), ["larger", larger], ["smaller", SHRINK]);
/**
 * etcd.diskGiB: every control node's data disk. None before the first node made with one (an environment
 * rendered before data disks), then `larger` when it grows; never smaller.
 */
const etcdDisk = (larger: Effect) =>
  cases(
    (c: SettingChange) => (c.from === undefined || c.to === undefined ? 0 : (c.to as number) < (c.from as number) ? 2 : 1),
    ["the first data disks (none before)", NONE],
    ["larger", larger],
    ["smaller", SHRINK],
  );
const perRole = <E>(key: string, rule: (role: "control" | "worker") => Rule<E>): SettingRules<E> => ({ [`control.${key}`]: rule("control"), [`worker.${key}`]: rule("worker") });

/** What every cloud environment has: admin networks, world access, the state backend. */
const CLOUD: SettingRules<unknown> = {
  adminCidrs: applied("firewall rules added and removed (Azure: each admin port's one rule updated); no machine is touched"),
  allowWorldAccess: NONE,
  backend: applied("the state moves: deploy once with `cdktf deploy ENV --migrate-state`"),
};
const RENAME = refused("rename", "every resource name and the default state key hold it: Terraform would replace every resource (or start from an empty state), and the etcd token changes");

/** A remote state whose key (or prefix) is not given: its default holds the cluster's name, so a new name is a new, empty state. */
const stateKeyHoldsName = (env: Readonly<Record<string, unknown>>) => {
  const backend = env.backend as { type: string; key?: string; prefix?: string } | undefined;
  return backend !== undefined && backend.type !== "local" && backend.key === undefined && backend.prefix === undefined;
};
const PLATFORM = move("another platform");

/** Per platform: every setting (`control.<key>` per role), what a change does. test/platforms/changes.test.ts checks each schema key has its row. */
export const SETTING_CHANGES: { readonly [P in Platform]: SettingRules<EnvOf<P>> } = {
  vagrant: {
    name: ignored("user data only: running machines keep theirs until made anew (coreform down, coreform up)"),
    platform: PLATFORM,
    // The nodes' own addresses say it (a readdress is refused per node); the Vagrantfile holds nothing else of it.
    "network.cidr": NONE,
    ...perRole("memoryMiB", () => ignored("a running machine keeps its size until `vagrant reload NODE` (control nodes one at a time)")),
    ...perRole("cpus", () => ignored("a running machine keeps its size until `vagrant reload NODE` (control nodes one at a time)")),
  },
  libvirt: {
    name: RENAME,
    platform: PLATFORM,
    uri: move("another libvirt host"),
    pool: refused("replace", "every volume is made anew in the new pool, root disks included (volume_resource.go: pool RequiresReplace)"),
    imagePath: ignored("the base volume is never replaced: the nodes' disks are layered on it, and Flatcar updates itself"),
    "network.cidr": { kind: "fails", what: "the provider never changes a network's addresses once made (network_resource.go, Update): a new range is a new environment" },
    ...perRole("memoryMiB", (role) => sizeOf(role, "the domain is stopped (30 s ACPI, then forced) and defined again")),
    ...perRole("cpus", (role) => sizeOf(role, "the domain is stopped (30 s ACPI, then forced) and defined again")),
    ...perRole("diskGiB", () => ignored("the provider cannot resize a volume (its update fails): running nodes keep their disks, new nodes get the new size")),
    "etcd.diskGiB": etcdDisk({ kind: "fails", what: "the provider cannot resize a volume (its update always fails): keep etcd.diskGiB" }),
  },
  openstack: {
    // Every OpenStack name coreform sets changes in place (name is not ForceNew on instances, ports,
    // networks, routers, security groups, images): only a state key made of the name moves.
    name: cases(
      (c) => (stateKeyHoldsName(c.after) ? 1 : 0),
      ["local state, or a key of your own", applied("instances, ports, the network and the security group are renamed in place")],
      ["a remote state without key or prefix (its default holds the name)", RENAME],
    ),
    platform: PLATFORM,
    cloud: move("another cloud"),
    region: move("another region"),
    ...CLOUD,
    externalNetwork: applied("the router is uplinked again in place; each floating IP is replaced: nodes get new public addresses"),
    networkId: refused("replace", "every port moves to the new network, and its instance is replaced with it"),
    subnetId: refused("replace", "every port moves to the new subnet, and its instance is replaced with it"),
    publicAddresses: applied("floating IPs are added or removed; no instance is touched"),
    imageName: ignored("instances ignore their image: a new one would re-image their root disk (Rebuild); Flatcar updates itself"),
    keyPair: refused("replace", "key_pair replaces every instance"),
    ...perRole("flavor", (role) => sizeOf(role, "Nova resizes the instance (stopped, migrated, started)")),
    ...perRole("diskGiB", () => ignored("instances ignore their boot device: running nodes keep theirs, new nodes boot the new way")),
    "etcd.diskGiB": etcdDisk(applied("each data volume grows online (Cinder extend); the node grows its file system at its next boot")),
    "network.cidr": move("the subnet is replaced, and every port re-addressed"),
  },
  aws: {
    name: RENAME,
    platform: PLATFORM,
    region: move("another region"),
    ...CLOUD,
    ami: ignored("instances ignore their AMI: Flatcar updates itself in place"),
    arch: ignored("it chooses the AMI, which instances ignore; the instance types decide the machines"),
    vpcId: refused("replace", "subnet_id replaces every instance"),
    subnetId: refused("replace", "subnet_id replaces every instance"),
    publicAddresses: cases(
      (c) => (publicIpOf(c.before) === publicIpOf(c.after) ? 0 : 1),
      ["as the stack's own network gives them anyway", NONE],
      ["otherwise", refused("replace", "associate_public_ip_address replaces every instance")],
    ),
    ...perRole("instanceType", (role) =>
      cases(
        (c: SettingChange<EnvOf<"aws">>) => (awsInstanceArch(c.before[role].instanceType) !== awsInstanceArch(c.after[role].instanceType) ? 1 : 0),
        ["of the same CPU architecture", sizeOf(role, "the instance is stopped, changed and started")],
        [
          "of another CPU architecture",
          role === "control" ? refused("replace", "a type of another CPU architecture replaces every control node at once") : applied("a type of another CPU architecture replaces every worker at once"),
        ],
      ),
    ),
    ...perRole("diskGiB", () => grow(applied("the volume grows online (EBS ModifyVolume); the node grows its file system at its next boot"))),
    zones: ignored(
      "subnets keep the zones they were made in (availability_zone is ignored), new nodes go into them; another number of zones would move every address of an environment with a subnet per zone: render refuses that node by node (readdress)",
    ),
    "etcd.diskGiB": etcdDisk(applied("each data volume grows online (EBS ModifyVolume); the node grows its file system at its next boot")),
    "network.cidr": cases((c) => (c.after.vpcId ? 0 : 1), ["in your own VPC (vpcId)", NONE], ["in the stack's VPC", move("the VPC and its subnet are replaced, and every instance with them")]),
  },
  gce: {
    name: RENAME,
    platform: PLATFORM,
    project: move("another project"),
    region: move("another region"),
    zone: move("another zone (zone replaces every instance)"),
    ...CLOUD,
    image: ignored("instances ignore their boot disk's image: Flatcar updates itself in place"),
    publicAddresses: applied("access configs are added or removed in place (new ephemeral addresses), and the Cloud NAT made or removed"),
    secureBoot: refused("stop", "a shielded-instance setting stops every machine, every control node at once"),
    ...perRole("machineType", (role) => sizeOf(role, "the instance is stopped, changed and started (allow_stopping_for_update)")),
    ...perRole("diskGiB", () => ignored("instances ignore their boot disk's settings (a new size would replace them): running nodes keep theirs, new nodes get the new size")),
    zones: ignored("running instances keep the zone they were made in (zone is ignored); nodes made later, or replaced one at a time, go round the new list"),
    "etcd.diskGiB": etcdDisk(applied("each data disk grows in place (a smaller one would replace it); the node grows its file system at its next boot")),
    "network.cidr": cases(
      (c) => (contains(parseCidr(c.to as string), parseCidr(c.from as string)) ? 0 : 1),
      ["a range holding the old one", applied("the subnetwork grows in place")],
      ["another range", move("the subnetwork is replaced, and every instance with its address")],
    ),
  },
  azure: {
    name: RENAME,
    platform: PLATFORM,
    subscriptionId: move("another subscription"),
    location: move("another location"),
    resourceGroup: move("another resource group"),
    ...CLOUD,
    offer: ignored("VMs ignore their image and plan: Flatcar updates itself in place"),
    sku: ignored("VMs ignore their image: Flatcar updates itself in place"),
    image: ignored("VMs ignore their image: Flatcar updates itself in place"),
    publicAddresses: applied("public IPs are added or removed and NICs updated in place; the NAT gateway made or removed"),
    ...perRole("vmSize", (role) => sizeOf(role, "the VM is powered off (and deallocated when the size needs other hardware), changed and started")),
    ...perRole("diskGiB", (role) => grow(sizeOf(role, "the VM is deallocated while its disk grows, then started"))),
    zones: cases(
      (c) => (((c.from as unknown[] | undefined)?.length === 0) === ((c.to as unknown[] | undefined)?.length === 0) ? 0 : 1),
      ["another list of zones", ignored("running VMs keep the zone they were made in (zone is ignored); VMs made later, or replaced one at a time, go round the new list")],
      [
        "zones to none ([]) or back",
        {
          kind: "fails",
          what: "the record keeps no zone for a VM in the availability set, so the stack could no longer tell which VMs the set holds: keep what the environment was made with (a new environment for the other)",
        },
      ],
    ),
    "etcd.diskGiB": etcdDisk(applied("each managed data disk grows, online where Azure supports it (Standard SSD up to 4 TiB); the node grows its file system at its next boot")),
    "network.cidr": { kind: "fails", what: "Azure changes a subnet's address range only while nothing is deployed in it (learn.microsoft.com/azure/virtual-network/virtual-network-manage-subnet): a new range is a new environment" },
  },
};

/** What a refusal is about, and what to do instead today. */
interface Acceptance {
  readonly why: string;
  /** The safe way, for environment `env`; `machine` is its machines' resource type (undefined for vagrant). */
  readonly today: (env: string, machine: string | undefined) => string;
}

const oneAtATime = (env: string, machine: string | undefined, replace: boolean) =>
  machine
    ? `render with --accept ${replace ? "replace" : "stop"}, \`npx cdktf synth\`, then one control node at a time \`terraform -chdir=cdktf.out/stacks/${env} apply ${replace ? `-replace=${machine}.NODE ` : ""}-target=${machine}.NODE\`` +
      `${replace ? " (a control node comes back with its etcd data disk; one made before data disks comes back empty and rejoins etcd as a learner)" : ""}, each only once \`coreform etcd members ${env}\` shows every member healthy; then the workers`
    : `render with --accept ${replace ? "replace" : "stop"}, then \`vagrant reload NODE\` (or destroy and up) one control node at a time in out/${env}/, each only once \`coreform etcd members ${env}\` shows every member healthy`;
const oneMember = (env: string) => `remove one member at a time: lower the control count by one, render, \`coreform etcd remove ${env} NODE\`, deploy; then the next`;

export const ACCEPT: { readonly [K in AcceptKind]: Acceptance } = {
  readdress: {
    why: "a running member's address is its etcd peer URL and in its certificate, and every node lists it",
    today: (env) => `keep network.cidr; a new range is a new environment: make one beside ${env}, move the workload and etcd's data (coreform etcd snapshot, restore), then remove ${env}`,
  },
  rename: {
    why: "a new name is a new node: its machine is made anew and the old one removed, with its etcd member",
    today: () => "keep the names; to replace a group's nodes, add a group with the new name, let its nodes join, then shrink the old one (control nodes one at a time)",
  },
  "remove-members": { why: "each member removed at once may take the quorum with it", today: oneMember },
  quorum: { why: "fewer members than the running cluster's quorum cannot agree on anything: etcd stops", today: oneMember },
  stop: { why: "Terraform changes every machine at once: etcd members stopped together lose the quorum", today: (env, machine) => oneAtATime(env, machine, false) },
  replace: { why: "Terraform makes every machine anew at once: etcd's data goes with them", today: (env, machine) => oneAtATime(env, machine, true) },
  move: {
    why: "everything is made anew elsewhere and this cluster removed, etcd's data with it",
    today: (env) => `make a new environment with the new setting beside ${env}, move the workload and etcd's data (coreform etcd snapshot, restore), then remove ${env}`,
  },
};

export const ACCEPT_KINDS = Object.keys(ACCEPT) as AcceptKind[];

/** An environment's settings as a record keeps them (src/plan/record.ts, RecordedSettings). */
interface SettingsSnapshot {
  readonly name: string;
  readonly cidr: string;
  readonly environment: Readonly<Record<string, unknown>>;
  /** etcd.diskGiB, once the environment has a data disk. */
  readonly etcdDiskGiB?: number;
}

/** `control.<key>` for each per-role setting, the key itself for the others; the cluster's name and network too. */
function flatten(s: SettingsSnapshot): Map<string, unknown> {
  const out = new Map<string, unknown>([
    ["name", s.name],
    ["network.cidr", s.cidr],
  ]);
  if (s.etcdDiskGiB !== undefined) out.set("etcd.diskGiB", s.etcdDiskGiB);
  for (const [key, value] of Object.entries(s.environment)) {
    if ((key === "control" || key === "worker") && value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) out.set(`${key}.${k}`, v);
    else out.set(key, value);
  }
  return out;
}

/** Every setting that differs between two snapshots, with what its change does on `platform`. */
export function settingChanges(platform: Platform, before: SettingsSnapshot, after: SettingsSnapshot): { path: string; from: unknown; to: unknown; effect: Effect }[] {
  const [a, b] = [flatten(before), flatten(after)];
  // The snapshots hold the platform's environments as parsed (settingsOf), read back from JSON.
  const rules = SETTING_CHANGES[platform] as SettingRules<Readonly<Record<string, unknown>>>;
  const moved = before.environment.platform !== after.environment.platform;
  return [...new Set([...a.keys(), ...b.keys()])]
    .filter((path) => JSON.stringify(a.get(path)) !== JSON.stringify(b.get(path)) && (!moved || path === "platform"))
    .map((path) => {
      const rule = Object.hasOwn(rules, path) ? rules[path]! : refused("replace", "no rule says what this change does: coreform treats it as replacing machines");
      const effect = "cases" in rule ? rule.cases[rule.pick({ from: a.get(path), to: b.get(path), before: before.environment, after: after.environment })]![1] : rule;
      return { path, from: a.get(path), to: b.get(path), effect };
    });
}
