// What every hand-written provider binding in this folder shares. No prebuilt CDKTF package exists for
// the OpenStack and libvirt providers and `cdktf get` needs the registry, so coreform carries small
// typed bindings of its own: a provider class and one class per resource type it uses, with typed
// props for exactly the attributes it sets (camelCase in TypeScript, snake_case in the synthesized
// JSON, as CDKTF's generated bindings do) and getters for the computed attributes it reads.
// The test suite checks every synthesized stack against the providers' real schemas
// (test/helpers/tf-schema.ts), so a misspelt or misplaced attribute fails there, not at `terraform plan`.
import { TerraformDataSource, TerraformProvider, TerraformResource, type TerraformMetaArguments } from "cdktf";
import type { Construct } from "constructs";

/** A provider as `terraform.required_providers` names it. */
export interface ProviderInfo {
  /** Local name and resource type prefix: `openstack`, `libvirt`. */
  readonly name: string;
  /** Registry source: `terraform-provider-openstack/openstack`. */
  readonly source: string;
  /** The version constraint written to required_providers. */
  readonly version: string;
}

/**
 * `serverGroupIds` → `server_group_ids`, through objects and arrays. Values under a key in `verbatim`
 * (maps whose keys are the user's, like `metadata`) keep their keys. Undefined values are dropped, so
 * an unset optional attribute is absent from the JSON, not null.
 */
export function toTerraform(value: unknown, verbatim: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(value)) return value.map((v) => toTerraform(v, verbatim));
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = verbatim.has(key) ? v : toTerraform(v, verbatim);
  }
  return out;
}

const META = ["dependsOn", "count", "provider", "lifecycle", "forEach", "provisioners", "connection"] as const;

/** A provider block (its class states `providerInfo`): its settings, and the required_providers entry CDKTF writes from the metadata. */
export abstract class BoundProvider<Props extends object> extends TerraformProvider {
  constructor(scope: Construct, id: string, private readonly props: Props) {
    const info = (new.target as unknown as Pick<BoundType, "providerInfo">).providerInfo;
    super(scope, id, {
      terraformResourceType: info.name,
      terraformGeneratorMetadata: { providerName: info.name, providerVersionConstraint: info.version },
      terraformProviderSource: info.source,
    });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return toTerraform(this.props) as Record<string, unknown>;
  }
}

/**
 * What each binding class states as statics, so that its constructor is the base's own: its Terraform
 * type, its provider, and the props that are maps of the user's keys (written as given, see toTerraform).
 */
export interface BoundType {
  readonly tfResourceType: string;
  readonly providerInfo: ProviderInfo;
  readonly verbatim?: readonly string[];
}

/**
 * Props split into what CDKTF takes (the type, the provider's metadata, the meta-arguments) and the
 * attributes the binding writes, as a function that gives them in Terraform's terms.
 */
function split<Props extends object>(type: BoundType, props: Props & TerraformMetaArguments) {
  const attributes = { ...props } as Record<string, unknown>;
  for (const k of META) delete attributes[k];
  const verbatim = new Set(type.verbatim);
  const config = {
    terraformResourceType: type.tfResourceType,
    terraformGeneratorMetadata: { providerName: type.providerInfo.name, providerVersionConstraint: type.providerInfo.version },
    ...Object.fromEntries(META.filter((k) => props[k] !== undefined).map((k) => [k, props[k]])),
  };
  return { config, attributes: () => toTerraform(attributes, verbatim) as Record<string, unknown> };
}

/** A resource of a bound provider: meta-arguments (lifecycle, dependsOn…) go to CDKTF, the rest is its attributes. */
export abstract class BoundResource<Props extends object> extends TerraformResource {
  private readonly attributes: () => Record<string, unknown>;

  constructor(scope: Construct, id: string, props: Props & TerraformMetaArguments) {
    const { config, attributes } = split(new.target as unknown as BoundType, props);
    super(scope, id, config);
    this.attributes = attributes;
  }

  /** Every resource and data source has an id (Terraform's own; SDKv2 and the Plugin Framework alike). */
  get id(): string {
    return this.getStringAttribute("id");
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return this.attributes();
  }
}

/** A data source of a bound provider (a lookup, `data.<type>.<id>`), built like a resource (CDKTF's two base classes keep them two). */
export abstract class BoundDataSource<Props extends object> extends TerraformDataSource {
  private readonly attributes: () => Record<string, unknown>;

  constructor(scope: Construct, id: string, props: Props & TerraformMetaArguments) {
    const { config, attributes } = split(new.target as unknown as BoundType, props);
    super(scope, id, config);
    this.attributes = attributes;
  }

  /** Every resource and data source has an id (Terraform's own; SDKv2 and the Plugin Framework alike). */
  get id(): string {
    return this.getStringAttribute("id");
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return this.attributes();
  }
}
