// The bindings' shared machinery (stacks/bindings/base.ts), and the schema check every openstack and
// kvm stack goes through: it must catch what a hand-written binding can get wrong.
import { TerraformStack, Testing } from "cdktf";
import { BoundDataSource, BoundProvider, BoundResource, toTerraform, type ProviderInfo } from "../../stacks/bindings/base";
import { ComputeServergroupV2 } from "../../stacks/bindings/openstack";
import { checkSchema, itWithSchemas } from "../helpers/tf-schema";

const OPENSTACK: ProviderInfo = { name: "openstack", source: "terraform-provider-openstack/openstack", version: "~> 3.4" };

describe("toTerraform", () => {
  it("writes camelCase props as snake_case attributes, through objects and arrays, dropping undefined", () => {
    expect(toTerraform({ flavorName: "m1", network: [{ fixedIpV4: "10.0.0.1", port: undefined }], nothing: undefined })).toEqual({
      flavor_name: "m1",
      network: [{ fixed_ip_v4: "10.0.0.1" }],
    });
  });

  it("keeps the user's keys in maps named verbatim", () => {
    expect(toTerraform({ metadata: { coreformRole: "x" }, allocationPool: { startIp: "a" } }, new Set(["metadata"]))).toEqual({
      metadata: { coreformRole: "x" },
      allocation_pool: { start_ip: "a" },
    });
  });
});

/** Loose binding classes, so that the tests may write any attribute, right or wrong. */
class Instance extends BoundResource<Record<string, unknown>> {
  static readonly tfResourceType = "openstack_compute_instance_v2";
  static readonly providerInfo = OPENSTACK;
  static readonly verbatim = ["metadata"];
}
class Provider extends BoundProvider<Record<string, unknown>> {
  static readonly providerInfo = OPENSTACK;
}
class ServerGroup extends BoundResource<Record<string, unknown>> {
  static readonly tfResourceType = ComputeServergroupV2.tfResourceType;
  static readonly providerInfo = OPENSTACK;
}
class Image extends BoundDataSource<Record<string, unknown>> {
  static readonly tfResourceType = "openstack_images_image_v2";
  static readonly providerInfo = OPENSTACK;
}

describe("a bound resource, synthesized", () => {
  const synth = (props: Record<string, unknown>) => {
    const stack = new TerraformStack(Testing.app(), "s");
    new Provider(stack, "openstack", { region: "r1" });
    new Instance(stack, "vm", { ...props, lifecycle: { ignoreChanges: ["user_data"] } });
    return Testing.synth(stack);
  };

  it("carries its type, its attributes (maps it names verbatim as given), its meta-arguments and the provider's required_providers entry", () => {
    const tf = JSON.parse(synth({ name: "n", flavorName: "m1", metadata: { coreformRole: "control" } }));
    expect(tf.resource.openstack_compute_instance_v2.vm).toEqual({ name: "n", flavor_name: "m1", metadata: { coreformRole: "control" }, lifecycle: { ignore_changes: ["user_data"] } });
    expect(tf.provider.openstack).toEqual([{ region: "r1" }]);
    expect(tf.terraform.required_providers.openstack).toEqual({ source: "terraform-provider-openstack/openstack", version: "~> 3.4" });
  });

  itWithSchemas()("passes the schema check when right, and fails it with the attribute named when not", () => {
    expect(checkSchema(synth({ name: "n", flavorName: "m1" }), ["openstack"])).toMatchObject({ code: 0, problems: [] });
    const bad = checkSchema(synth({ flavourName: "m1", allMetadata: {} }), ["openstack"]);
    expect(bad.code).toBe(1);
    expect(bad.problems).toEqual([
      'resource.openstack_compute_instance_v2.vm.all_metadata: attribute "all_metadata" is computed-only (read-only) and cannot be set',
      'resource.openstack_compute_instance_v2.vm.flavour_name: unknown attribute or block "flavour_name"',
      'resource.openstack_compute_instance_v2.vm: missing required attribute "name"',
    ]);
  });
});

describe("a bound data source, synthesized", () => {
  const synth = (props: Record<string, unknown>) => {
    const stack = new TerraformStack(Testing.app(), "s");
    new Provider(stack, "openstack", {});
    const image = new Image(stack, "image", { ...props, dependsOn: [] });
    new Instance(stack, "vm", { name: "n", imageId: image.id });
    return Testing.synth(stack);
  };

  it("is written under data with snake_case attributes, and its computed attributes are references", () => {
    const tf = JSON.parse(synth({ name: "flatcar", mostRecent: true }));
    expect(tf.data.openstack_images_image_v2.image).toEqual({ name: "flatcar", most_recent: true, depends_on: [] });
    expect(tf.resource.openstack_compute_instance_v2.vm.image_id).toBe("${data.openstack_images_image_v2.image.id}");
  });

  itWithSchemas()("goes through the schema check as data sources do", () => {
    expect(checkSchema(synth({ name: "flatcar", mostRecent: true }), ["openstack"])).toMatchObject({ code: 0, problems: [] });
    expect(checkSchema(synth({ name: "flatcar", newest: true }), ["openstack"]).problems).toEqual(['data.openstack_images_image_v2.image.newest: unknown attribute or block "newest"']);
  });
});

describe("the server group binding (its schema is coreform's own, from the provider's source: test/helpers/tf-schema.ts)", () => {
  const synth = (group: Record<string, unknown>) => {
    const stack = new TerraformStack(Testing.app(), "s");
    new Provider(stack, "openstack", {});
    const g = new ServerGroup(stack, "group", group);
    new Instance(stack, "vm", { name: "n", flavorName: "m1", schedulerHints: [{ group: g.id }] });
    return Testing.synth(stack);
  };

  itWithSchemas()("passes the schema check with a name and one policy, and fails it when either is wrong", () => {
    expect(checkSchema(synth({ name: "g", policies: ["anti-affinity"] }), ["openstack"])).toMatchObject({ code: 0, problems: [] });
    expect(checkSchema(synth({ policies: ["anti-affinity"], members: ["x"] }), ["openstack"]).problems).toEqual([
      'resource.openstack_compute_servergroup_v2.group.members: attribute "members" is computed-only (read-only) and cannot be set',
      'resource.openstack_compute_servergroup_v2.group: missing required attribute "name"',
    ]);
  });
});
