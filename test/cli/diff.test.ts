// `coreform diff ENV` and what `coreform render` says after writing: per node, per etcd member, the
// refusals and the steps, as the operator reads them; and that diff writes nothing.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, project, smallSpec, tree } from "../helpers/cli";

const JOIN = [
  "control-04, control-05 join the running etcd by themselves, one at a time, at first boot: each adds itself as a learner (no vote: the quorum stays 2 of 3), catches up, then votes",
  "watch: coreform etcd members test until control-04, control-05 vote and are healthy (then 5 members, quorum 3); " +
    "to add control-04 yourself before the deploy, checked (refused while a member is unhealthy or another is joining): coreform etcd add test control-04",
];

async function rendered(): Promise<string> {
  const dir = project(smallSpec());
  expect((await cli(dir, "render")).code).toBe(0);
  return dir;
}

describe("coreform diff", () => {
  test("an environment never rendered: every node new, the members it starts with; nothing written", async () => {
    const dir = project(smallSpec());
    const before = tree(dir);
    const r = await cli(dir, "diff", "test");
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout.split("\n")).toEqual([
      "test (libvirt): not rendered yet: every node is new",
      "",
      "NODE        ROLE     ADDRESS     CHANGE",
      "control-01  control  10.42.0.10  added",
      "control-02  control  10.42.0.11  added",
      "control-03  control  10.42.0.12  added",
      "worker-01   worker   10.42.0.13  added",
      "",
      "etcd: 0 members → 3 members (quorum 2): none → control-01, control-02, control-03",
    ]);
    expect(tree(dir)).toEqual(before);
  });

  test("two control nodes more: each node's change, the members and quorum before and after, and how the new ones join, one at a time", async () => {
    const dir = await rendered();
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ control: 5 }));
    const before = tree(dir);
    const r = await cli(dir, "diff", "test");
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual(["test (libvirt): compared with its last render", "", "NODE        ROLE     ADDRESS     CHANGE"]);
    // The nodes that stay keep their addresses; their files that list the members change.
    expect(lines.slice(3, 7)).toEqual([
      expect.stringMatching(/^control-01 {2}control {2}10\.42\.0\.10 {2}changed: .*\/opt\/coreform\/etcd-member/),
      expect.stringMatching(/^control-02 {2}control {2}10\.42\.0\.11 {2}changed: /),
      expect.stringMatching(/^control-03 {2}control {2}10\.42\.0\.12 {2}changed: /),
      expect.stringMatching(/^worker-01 {3}worker {3}10\.42\.0\.13 {2}changed: /),
    ]);
    expect(lines.slice(7)).toEqual([
      "control-04  control  10.42.0.14  added",
      "control-05  control  10.42.0.15  added",
      "",
      "etcd: 3 members (quorum 2) → 5 members (quorum 3): control-01, control-02, control-03 → control-01, control-02, control-03, control-04, control-05",
      "",
      "steps:",
      "  1. deploy: npx cdktf deploy test",
      `  2. ${JOIN[0]}`,
      `  3. ${JOIN[1]}`,
      "  4. changed nodes keep the user data they booted with: it reaches a node when its machine is made anew, one at a time (README, Changing a running cluster)",
    ]);
    expect(tree(dir)).toEqual(before);
    // README shows this very output.
    const readme = readFileSync(join(__dirname, "../../README.md"), "utf8");
    expect(/\n\$ coreform diff test\n([\s\S]*?)\n```/.exec(readme)?.[1]).toBe(r.stdout);

    // render writes it and says the same steps.
    const w = await cli(dir, "render", "test");
    expect(w.code).toBe(0);
    expect(w.stderr.split("\n").slice(1)).toEqual([
      "test: added control-04, control-05; 4 nodes changed; etcd 3 members (quorum 2) → 5 members (quorum 3) (coreform diff test shows each)",
      "  next: deploy: npx cdktf deploy test",
      ...JOIN.map((s) => `  next: ${s}`),
      "  next: changed nodes keep the user data they booted with: it reaches a node when its machine is made anew, one at a time (README, Changing a running cluster)",
    ]);
    // Rendered: nothing left to change.
    expect((await cli(dir, "diff", "test")).stdout).toContain("etcd: 5 members (quorum 3) → 5 members (quorum 3), unchanged");
  });

  test("one control node more on Vagrant: it joins when `coreform up` first starts it", async () => {
    const vagrant = (control: number) => smallSpec({ control }).replace("platform: libvirt", "platform: vagrant\n    network: { cidr: 192.168.56.0/24 }");
    const dir = project(vagrant(3));
    expect((await cli(dir, "render")).code).toBe(0);
    writeFileSync(join(dir, "cluster.yaml"), vagrant(4));
    const r = await cli(dir, "diff");
    expect(r.stdout).toContain(
      "  1. deploy: coreform up test\n" +
        "  2. control-04 joins the running etcd by itself at first boot: it adds itself as a learner (no vote: the quorum stays 2 of 3), catches up, then votes\n" +
        "  3. watch: coreform etcd members test until control-04 votes and is healthy (then 4 members, quorum 3); to add it yourself before the deploy, checked (refused while a member is unhealthy or another is joining): coreform etcd add test control-04",
    );
  });

  test("two of three members fewer: refused (exit 2), each kind with why, what to do instead and the --accept; nothing written; accepted, the removals come first", async () => {
    const dir = await rendered();
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ control: 1 }));
    const before = tree(dir);
    const r = await cli(dir, "diff", "test");
    expect(r.code).toBe(2);
    expect(r.stdout.split("\n").slice(-8)).toEqual([
      "test: refused: control-02, control-03: 2 etcd members removed at once",
      "  why: each member removed at once may take the quorum with it",
      "  instead: remove one member at a time: lower the control count by one, render, `coreform etcd remove test NODE`, deploy; then the next",
      "  to render it anyway: coreform render test --accept remove-members",
      "test: refused: etcd: 1 of 3 members left, below the running cluster's quorum of 2",
      "  why: fewer members than the running cluster's quorum cannot agree on anything: etcd stops",
      "  instead: remove one member at a time: lower the control count by one, render, `coreform etcd remove test NODE`, deploy; then the next",
      "  to render it anyway: coreform render test --accept quorum",
    ]);
    expect(tree(dir)).toEqual(before);
    expect((await cli(dir, "render", "test")).code).toBe(2);
    expect(tree(dir)).toEqual(before);

    const accepted = await cli(dir, "diff", "test", "--accept", "remove-members,quorum");
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/\nsteps:\n {2}1\. before deploying: coreform etcd remove test control-02 .*\n {2}2\. before deploying: coreform etcd remove test control-03 .*\n {2}3\. deploy: npx cdktf deploy test\n/);
  });

  test("a damaged record stops render and diff, naming the file and the backup; nothing written", async () => {
    const dir = await rendered();
    for (const damage of ["{", "", '{"version":1}']) {
      writeFileSync(join(dir, ".coreform/test/record.json"), damage);
      const before = tree(dir);
      for (const command of ["render", "diff"]) {
        const r = await cli(dir, command, "test");
        expect([damage, command, r.code]).toEqual([damage, command, 1]);
        expect(r.stderr).toMatch(new RegExp(`^coreform ${command}: ${dir}/\\.coreform/test/record\\.json is damaged \\(.+\\): restore it from your backup of \\.coreform/`));
      }
      expect(tree(dir)).toEqual(before);
    }
  });

  test("--json: the same change as one document", async () => {
    const dir = await rendered();
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ control: 5 }));
    const [change] = JSON.parse((await cli(dir, "diff", "--json")).stdout);
    expect(change).toMatchObject({
      environment: "test",
      platform: "libvirt",
      rendered: true,
      members: { before: ["control-01", "control-02", "control-03"], after: ["control-01", "control-02", "control-03", "control-04", "control-05"] },
      refusals: [],
    });
    expect(change.steps).toEqual(expect.arrayContaining(JOIN));
  });
});
