// src/platforms/changes.ts, the one place that says what a change of each setting does: every setting
// of every platform's schema has its row and no row names a setting that does not exist; every
// refusal says what to do instead; settingChanges finds each changed setting and judges it by its row.
import { z } from "zod";
import { ACCEPT, ACCEPT_KINDS, SETTING_CHANGES, settingChanges } from "../../src/platforms/changes";
import { PLATFORM_MODULES } from "../../src/platforms/table";
import { PLATFORMS, type Platform } from "../../src/spec/schema";

/** A platform's settings as changes.ts names them: each key, and `control.<key>`, `worker.<key>` per role; the cluster's name and network. */
function settingsOf(platform: Platform): string[] {
  const schema = z.toJSONSchema(PLATFORM_MODULES[platform].schema, { io: "input" }) as { properties: Record<string, { properties?: Record<string, unknown> }> };
  const keys = Object.entries(schema.properties).flatMap(([key, value]) =>
    key === "control" || key === "worker" ? Object.keys(value.properties ?? {}).map((k) => `${key}.${k}`) : key === "network" ? [] : [key],
  );
  // etcd.diskGiB is cluster-wide, and a setting of every platform whose control nodes have a data disk.
  const disk = PLATFORM_MODULES[platform].etcdOnRootDisk ? [] : ["etcd.diskGiB"];
  return ["name", "network.cidr", ...disk, ...keys].sort();
}

describe("what each setting's change does", () => {
  it.each(PLATFORMS)("%s: every setting has its row, and every row a setting", (platform) => {
    expect(Object.keys(SETTING_CHANGES[platform]).sort()).toEqual(settingsOf(platform));
  });

  it("says for each kind of refusal why, and what to do instead; a stop or a replacement one node at a time", () => {
    for (const kind of ACCEPT_KINDS) expect([kind, ACCEPT[kind].why.length > 20, ACCEPT[kind].today("prod", "aws_instance").length > 20]).toEqual([kind, true, true]);
    expect(ACCEPT.stop.today("prod", "aws_instance")).toContain("terraform -chdir=cdktf.out/stacks/prod apply -target=aws_instance.NODE");
    expect(ACCEPT.replace.today("prod", "aws_instance")).toContain("apply -replace=aws_instance.NODE -target=aws_instance.NODE");
    expect(ACCEPT.stop.today("laptop", undefined)).toContain("vagrant reload NODE");
    expect(ACCEPT["remove-members"].today("prod", "aws_instance")).toContain("coreform etcd remove prod NODE");
  });

  const snapshot = (environment: Record<string, unknown>, cidr = "10.42.0.0/24", name = "demo") => ({ name, cidr, environment });
  const aws = (extra: Record<string, unknown> = {}) => ({ platform: "aws", region: "eu-central-1", adminCidrs: ["203.0.113.0/24"], allowWorldAccess: false, control: { instanceType: "t3.small", diskGiB: 30 }, worker: { instanceType: "t3.small", diskGiB: 30 }, ...extra });

  it.each([
    ["nothing", aws(), aws(), []],
    ["a worker's type", aws(), aws({ worker: { instanceType: "t3.large", diskGiB: 30 } }), [["worker.instanceType", "applied"]]],
    ["a control node's type", aws(), aws({ control: { instanceType: "t3.large", diskGiB: 30 } }), [["control.instanceType", "refused:stop"]]],
    ["a control node's type of another architecture", aws(), aws({ control: { instanceType: "t4g.small", diskGiB: 30 } }), [["control.instanceType", "refused:replace"]]],
    ["a larger disk, online", aws(), aws({ control: { instanceType: "t3.small", diskGiB: 40 } }), [["control.diskGiB", "applied"]]],
    ["a smaller disk", aws(), aws({ worker: { instanceType: "t3.small", diskGiB: 20 } }), [["worker.diskGiB", "fails"]]],
    ["public addresses said as the stack's network gives them", aws(), aws({ publicAddresses: true }), [["publicAddresses", "none"]]],
    ["another region", aws(), aws({ region: "eu-west-1" }), [["region", "refused:move"]]],
    ["another platform: that alone", aws(), { platform: "gce", zone: "x" }, [["platform", "refused:move"]]],
  ] as const)("aws: %s", (_name, before, after, expected) => {
    const found = settingChanges("aws", snapshot(before), snapshot(after)).map((c) => [c.path, c.effect.kind === "refused" ? `refused:${c.effect.accept}` : c.effect.kind]);
    expect(found).toEqual(expected);
  });

  it("the cluster's name and network are settings too", () => {
    expect(settingChanges("gce", snapshot({ platform: "gce" }), snapshot({ platform: "gce" }, "10.42.0.0/23", "other")).map((c) => [c.path, c.effect.kind])).toEqual([
      ["name", "refused"],
      ["network.cidr", "applied"],
    ]);
  });
});
