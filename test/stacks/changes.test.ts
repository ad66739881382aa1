// Every attribute src/platforms/changes.ts lists for a provider is one a stack sets: its path reads a
// value in a resource of its type in the default spec's stacks or a variant that sets it (a misspelt
// path would let the edit table look at nothing).
import { PROVIDERS, type StackPlatform } from "../../src/platforms/changes";
import { cloudSpec, renderedProject, synthesize, type CloudEnvironment, type Doc, type Tf } from "../helpers/stacks";

/** The value at a dotted path, through lists; undefined when any step is missing. */
function at(value: unknown, path: readonly string[]): unknown {
  if (path.length === 0 || value === undefined || value === null) return value;
  if (Array.isArray(value)) return value.length ? at(value[0], path) : undefined;
  return at((value as Doc)[path[0]!], path.slice(1));
}

const ENV: Record<StackPlatform, CloudEnvironment> = { aws: "aws", gce: "gce", azure: "azure", openstack: "openstack", libvirt: "libvirt" };

describe("the provider attributes changes.ts lists", () => {
  const stacks: Partial<Record<StackPlatform, Tf[]>> = {};
  beforeAll(async () => {
    // The fixture, and variants setting what the fixture leaves out: several admin networks and the
    // free offer's plan, an own image, a key pair and boot volumes, Azure's availability set (a location without zones).
    const variants = [
      cloudSpec(),
      cloudSpec({ azure: { adminCidrs: ["198.51.100.0/24", "203.0.113.0/24"], offer: "free" }, openstack: { keyPair: "operator", control: { flavor: "m1.medium", diskGiB: 40 } } }),
      cloudSpec({ azure: { image: "/subscriptions/0/resourceGroups/images/providers/Microsoft.Compute/images/flatcar", zones: [] } }),
    ];
    for (const text of variants) {
      const dir = await renderedProject(text);
      for (const platform of Object.keys(ENV) as StackPlatform[]) (stacks[platform] ??= []).push(synthesize(dir, ENV[platform]).tf);
    }
  });

  it.each(Object.keys(PROVIDERS) as StackPlatform[])("%s: each one is set by its stack", (platform) => {
    const unset = PROVIDERS[platform].attributes.filter(
      (f) => !stacks[platform]!.some((tf) => Object.values(tf.resource[f.resource] ?? {}).some((r) => at(r, f.attribute.split(".")) !== undefined)),
    );
    expect(unset.map((f) => `${f.resource}.${f.attribute}`)).toEqual([]);
    expect(PROVIDERS[platform].attributes.every((f) => f.source.length > 0)).toBe(true);
  });
});
