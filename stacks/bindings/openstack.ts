// Bindings for terraform-provider-openstack/openstack 3.4: the provider, and exactly the resources, data
// sources and attributes the OpenStack stack uses. Names and shapes (attribute or block, required,
// computed-only) follow the provider's schema at v3.4.0 (github.com/terraform-provider-openstack/
// terraform-provider-openstack, openstack/resource_openstack_<type>.go and data_source_openstack_<type>.go);
// the stack tests check every synthesized stack against it (test/helpers/tf-schema.ts).
import { BoundDataSource, BoundProvider, BoundResource, type ProviderInfo } from "./base";

export const OPENSTACK: ProviderInfo = { name: "openstack", source: "terraform-provider-openstack/openstack", version: "~> 3.4" };

interface OpenstackProviderProps {
  /** The clouds.yaml entry; credentials come from it or from the OS_* environment, never from the stack. */
  readonly cloud?: string;
  readonly region?: string;
}

export class OpenstackProvider extends BoundProvider<OpenstackProviderProps> {
  static readonly tfResourceType = OPENSTACK.name;
  static readonly providerInfo = OPENSTACK;
}

/** The provider's resource and data source types: each states its type (and maps of the user's keys); the base builds it (BoundType). */
abstract class OpenstackResource<P extends object> extends BoundResource<P> {
  static readonly providerInfo = OPENSTACK;
}
abstract class OpenstackDataSource<P extends object> extends BoundDataSource<P> {
  static readonly providerInfo = OPENSTACK;
}

// ---- image ----

interface ImagesImageV2Props {
  readonly name: string;
  readonly imageSourceUrl: string;
  readonly containerFormat: string;
  readonly diskFormat: string;
  /** Image properties (Glance's own keys, kept as written). */
  readonly properties?: Readonly<Record<string, string>>;
}

/** An image Glance imports from a URL (the provider downloads it, then uploads it). */
export class ImagesImageV2 extends OpenstackResource<ImagesImageV2Props> {
  static readonly tfResourceType = "openstack_images_image_v2";
  static readonly verbatim = ["properties"];
}

interface DataImagesImageV2Props {
  readonly name: string;
  /** The newest image of that name, when several have it. */
  readonly mostRecent?: boolean;
}

export class DataImagesImageV2 extends OpenstackDataSource<DataImagesImageV2Props> {
  static readonly tfResourceType = "openstack_images_image_v2";
}

// ---- network ----

interface DataNetworkingNetworkV2Props {
  readonly name: string;
  readonly external?: boolean;
}

export class DataNetworkingNetworkV2 extends OpenstackDataSource<DataNetworkingNetworkV2Props> {
  static readonly tfResourceType = "openstack_networking_network_v2";
}

interface DataNetworkingSubnetV2Props {
  readonly subnetId: string;
}

/** An existing subnet, read to check it (its `cidr` and `network_id` in a postcondition). */
export class DataNetworkingSubnetV2 extends OpenstackDataSource<DataNetworkingSubnetV2Props> {
  static readonly tfResourceType = "openstack_networking_subnet_v2";
}

interface NetworkingNetworkV2Props {
  readonly name: string;
  readonly description?: string;
  readonly adminStateUp?: boolean;
}

export class NetworkingNetworkV2 extends OpenstackResource<NetworkingNetworkV2Props> {
  static readonly tfResourceType = "openstack_networking_network_v2";
}

interface NetworkingSubnetV2Props {
  readonly name: string;
  readonly networkId: string;
  readonly cidr: string;
  readonly ipVersion: 4;
  readonly enableDhcp?: boolean;
  /** A block (a set of them): the addresses DHCP hands out. */
  readonly allocationPool?: readonly { readonly start: string; readonly end: string }[];
}

export class NetworkingSubnetV2 extends OpenstackResource<NetworkingSubnetV2Props> {
  static readonly tfResourceType = "openstack_networking_subnet_v2";
}

interface NetworkingRouterV2Props {
  readonly name: string;
  readonly description?: string;
  readonly externalNetworkId: string;
}

export class NetworkingRouterV2 extends OpenstackResource<NetworkingRouterV2Props> {
  static readonly tfResourceType = "openstack_networking_router_v2";
}

interface NetworkingRouterInterfaceV2Props {
  readonly routerId: string;
  readonly subnetId: string;
}

export class NetworkingRouterInterfaceV2 extends OpenstackResource<NetworkingRouterInterfaceV2Props> {
  static readonly tfResourceType = "openstack_networking_router_interface_v2";
}

// ---- firewall ----

interface NetworkingSecgroupV2Props {
  readonly name: string;
  readonly description?: string;
  /** Drop the egress-to-anywhere rules Neutron gives a new group: the stack states every rule itself. */
  readonly deleteDefaultRules?: boolean;
}

export class NetworkingSecgroupV2 extends OpenstackResource<NetworkingSecgroupV2Props> {
  static readonly tfResourceType = "openstack_networking_secgroup_v2";
}

interface NetworkingSecgroupRuleV2Props {
  readonly securityGroupId: string;
  readonly direction: "ingress" | "egress";
  readonly ethertype: "IPv4" | "IPv6";
  /** Absent: any protocol. */
  readonly protocol?: "tcp" | "udp" | "icmp";
  readonly portRangeMin?: number;
  readonly portRangeMax?: number;
  readonly remoteIpPrefix?: string;
  readonly remoteGroupId?: string;
  readonly description?: string;
}

export class NetworkingSecgroupRuleV2 extends OpenstackResource<NetworkingSecgroupRuleV2Props> {
  static readonly tfResourceType = "openstack_networking_secgroup_rule_v2";
}

// ---- machines ----

interface NetworkingPortV2Props {
  readonly name: string;
  readonly networkId: string;
  readonly adminStateUp?: boolean;
  /** A block (a list of them): the port's address in a subnet. */
  readonly fixedIp: readonly { readonly subnetId: string; readonly ipAddress: string }[];
  readonly securityGroupIds: readonly string[];
}

export class NetworkingPortV2 extends OpenstackResource<NetworkingPortV2Props> {
  static readonly tfResourceType = "openstack_networking_port_v2";
}

interface ComputeInstanceV2Props {
  readonly name: string;
  readonly flavorName: string;
  /** The image to boot from; absent when booting from a volume made of it (blockDevice). */
  readonly imageId?: string;
  readonly keyPair?: string;
  readonly userData: string;
  readonly configDrive?: boolean;
  /** Nova metadata: keys are the user's, kept as written. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** A block (a list of them): the machine's network interfaces, here one port each. */
  readonly network: readonly { readonly port: string }[];
  /** A block (a list of them): here the boot volume, made from the image. */
  readonly blockDevice?: readonly {
    readonly uuid: string;
    readonly sourceType: "image";
    readonly destinationType: "volume";
    readonly volumeSize: number;
    readonly bootIndex: number;
    readonly deleteOnTermination: boolean;
  }[];
  /** A block (a set of them, one here): Nova's scheduler hints; `group` places it by a server group's policy (ForceNew). */
  readonly schedulerHints?: readonly { readonly group: string }[];
}

export class ComputeInstanceV2 extends OpenstackResource<ComputeInstanceV2Props> {
  static readonly tfResourceType = "openstack_compute_instance_v2";
  static readonly verbatim = ["metadata"];
  /** The instance's IPv4 address on its (first) network: here the port's fixed IP. */
  get accessIpV4(): string {
    return this.getStringAttribute("access_ip_v4");
  }
}

/**
 * A Nova server group (openstack/resource_openstack_compute_servergroup_v2.go@v3.4.0:13-74): `name`
 * required, `policies` a list of one (anti-affinity, soft-anti-affinity, …), every argument ForceNew,
 * no update. Instances join it through `scheduler_hints.group`.
 */
interface ComputeServergroupV2Props {
  readonly name: string;
  readonly policies: readonly ["anti-affinity" | "soft-anti-affinity"];
}

export class ComputeServergroupV2 extends OpenstackResource<ComputeServergroupV2Props> {
  static readonly tfResourceType = "openstack_compute_servergroup_v2";
}

/** A Cinder volume: a control node's etcd data disk (resource_openstack_blockstorage_volume_v3.go). */
interface BlockstorageVolumeV3Props {
  readonly name: string;
  /** GiB; grows in place (ExtendSize), on an attached volume only with enableOnlineResize. */
  readonly size: number;
  readonly enableOnlineResize: boolean;
  readonly description?: string;
}

export class BlockstorageVolumeV3 extends OpenstackResource<BlockstorageVolumeV3Props> {
  static readonly tfResourceType = "openstack_blockstorage_volume_v3";
}

/** A volume attached to an instance after it exists (resource_openstack_compute_volume_attach_v2.go: every field replaces). */
interface ComputeVolumeAttachV2Props {
  readonly instanceId: string;
  readonly volumeId: string;
}

export class ComputeVolumeAttachV2 extends OpenstackResource<ComputeVolumeAttachV2Props> {
  static readonly tfResourceType = "openstack_compute_volume_attach_v2";
}

interface NetworkingFloatingipV2Props {
  /** The external network's name. */
  readonly pool: string;
  /** The port the address forwards to (associated on creation). */
  readonly portId: string;
  readonly description?: string;
}

export class NetworkingFloatingipV2 extends OpenstackResource<NetworkingFloatingipV2Props> {
  static readonly tfResourceType = "openstack_networking_floatingip_v2";
  get address(): string {
    return this.getStringAttribute("address");
  }
}
