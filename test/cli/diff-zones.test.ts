// `coreform diff` on environments rendered before zones (issue 26): nothing of theirs moves, and the
// steps say what spreading them would take, platform by platform.
import { cli } from "../helpers/cli";
import { cloudSpec, olderProject, renderedProject } from "../helpers/stacks";

describe("coreform diff says what spreading an environment rendered before zones would take", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await olderProject(cloudSpec(), ["aws", "gce", "azure", "openstack", "libvirt"]);
  });

  const steps = async (env: string) => {
    const r = await cli(dir, "diff", env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const lines = r.stdout.split("\n");
    return lines.slice(lines.indexOf("steps:") + 1);
  };

  it.each([
    ["gce", "in one zone, made before zones: `coreform roll gce NODE` makes each anew in a zone of its own, one at a time (control nodes first)"],
    ["azure", "in one zone, made before zones: `coreform roll azure NODE` makes each anew in a zone of its own, one at a time (control nodes first)"],
    ["openstack", "made before the anti-affinity server group: `coreform roll openstack NODE` makes each anew in the anti-affinity server group, one at a time (control nodes first)"],
  ])("%s: each node made before, and the roll that spreads it", async (env, what) => {
    expect(await steps(env)).toEqual([
      `  1. control-01, control-02, control-03, worker-01: ${what}`,
      `  2. control-01, control-02, control-03: etcd's data on the root disk, no data disk (made before data disks): \`coreform roll ${env} NODE\` gives each one, one at a time`,
    ]);
  });

  it("AWS: its one subnet stays, and spreading it is a new environment (every address moves)", async () => {
    expect(await steps("aws")).toEqual([
      "  1. aws's network was made before a subnet per zone: its nodes stay in one subnet and zone; spreading them moves every address: " +
        "make a new environment beside aws, move the workload and etcd's data (coreform etcd snapshot, restore), then remove aws",
      "  2. control-01, control-02, control-03: etcd's data on the root disk, no data disk (made before data disks): `coreform roll aws NODE` gives each one, one at a time",
    ]);
  });

  it("KVM (one host) and a new environment: nothing to say of zones (KVM's only step is the data disk's)", async () => {
    expect(await steps("libvirt")).toEqual([
      "  1. control-01, control-02, control-03: etcd's data on the root disk, no data disk (made before data disks): `coreform roll libvirt NODE` gives each one, one at a time",
    ]);
    const fresh = await renderedProject(cloudSpec(), { only: "gce" });
    expect((await cli(fresh, "diff", "gce")).stdout).not.toContain("steps:");
  });
});
