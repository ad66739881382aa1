// What `coreform roll` replaces for one node on each platform, read from the stacks the CDKTF app
// really synthesizes (cdk.tf.json with CDKTF's "//" metadata, where each stack marks them): the
// machine, and on libvirt its root volume and Ignition files with it; never its address or anything shared.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { synthesize } from "../../stacks/main";
import { replacedAddresses } from "../../stacks/roll";
import { cli, project } from "../helpers/cli";
import { DEFAULT_SPEC } from "../helpers/stacks";

const EXPECTED: Readonly<Record<string, (node: string) => string[]>> = {
  kvm: (n) => [`libvirt_domain.${n}`, `libvirt_ignition.${n}-ignition`, `libvirt_volume.${n}-config`, `libvirt_volume.${n}-disk`],
  openstack: (n) => [`openstack_compute_instance_v2.${n}`],
  prod: (n) => [`aws_instance.${n}`],
  gce: (n) => [`google_compute_instance.${n}`],
  azure: (n) => [`azurerm_linux_virtual_machine.${n}`],
};

describe("the resources coreform roll replaces, per platform (the app's own cdk.tf.json)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = project(DEFAULT_SPEC);
    expect((await cli(dir, "render")).code).toBe(0);
    expect(synthesize({ cwd: dir, out: () => {}, err: () => {} }, { outdir: join(dir, "cdktf.out") })).toBe(0);
  });
  const stack = (env: string) => JSON.parse(readFileSync(join(dir, "cdktf.out", "stacks", env, "cdk.tf.json"), "utf8"));

  test.each(Object.keys(EXPECTED))("%s: each node's machine (libvirt: with its disk and Ignition files), and nothing else", (env) => {
    const tf = stack(env);
    const nodes = Object.keys(tf.output.nodes.value as Record<string, unknown>);
    expect(nodes).toEqual(["control-01", "control-02", "control-03", "worker-01", "worker-02"]);
    const marked = nodes.flatMap((n) => replacedAddresses(tf, n));
    for (const node of nodes) expect(replacedAddresses(tf, node)).toEqual(EXPECTED[env]!(node));
    // Every address is a resource of the stack, each marked for one node only.
    for (const address of marked) {
      const [type, name] = address.split(".") as [string, string];
      expect(tf.resource[type][name]).toBeDefined();
    }
    expect(new Set(marked).size).toBe(marked.length);
  });

  test("an unknown node has none", () => {
    expect(replacedAddresses(stack("prod"), "worker-09")).toEqual([]);
    expect(replacedAddresses({}, "control-01")).toEqual([]);
  });
});
