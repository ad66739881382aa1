// What `coreform roll` shows of Terraform: the messages of its machine-readable UI, never the values a
// plain plan prints (user data, TLS keys among them), nor a diagnostic's snippet of the configuration;
// and what it refuses before it touches anything.
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { terraformLine } from "../../src/cli/roll-steps";
import { cli, project, smallSpec } from "../helpers/cli";

describe("terraformLine", () => {
  test.each([
    ['{"@level":"info","@message":"libvirt_domain.control-01: Destroying... [id=1]","type":"apply_start"}', "libvirt_domain.control-01: Destroying... [id=1]"],
    ['{"@level":"info","@message":"Plan: 4 to add, 0 to change, 4 to destroy.","changes":{"add":4},"type":"change_summary"}', "Plan: 4 to add, 0 to change, 4 to destroy."],
    [
      '{"@level":"error","@message":"Error: creating instance","diagnostic":{"severity":"error","summary":"creating instance","detail":"quota exceeded","snippet":{"code":"user_data = \\"KEY\\""}},"type":"diagnostic"}',
      "Error: creating instance: quota exceeded",
    ],
    ['{"@level":"info","type":"outputs","outputs":{"secret":{"value":"KEY"}}}', undefined],
    ["-----BEGIN PRIVATE KEY----- (not JSON)", undefined],
  ])("%s", (line, shown) => {
    expect(terraformLine(line)).toBe(shown);
  });
});

describe("coreform roll refuses before it touches anything (exit 2)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = project(smallSpec({ cidr: "127.0.105.0/24" }));
    expect((await cli(dir, "render")).code).toBe(0);
  });
  const record = () => readFileSync(join(dir, ".coreform", "test", "record.json"), "utf8");

  test.each([
    [["roll"], "coreform roll: which environment? usage: coreform roll ENV [NODE…]"],
    [["roll", "nowhere"], "nowhere"],
    [["roll", "test", "control-09"], "coreform roll: control-09: no node of test (its nodes: control-01, control-02, control-03, worker-01)"],
    [["roll", "test", "--wait", "soon"], "coreform roll: --wait: soon is not a whole number of seconds"],
  ])("%j", async (argv, message) => {
    const before = record();
    const r = await cli(dir, ...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(record()).toBe(before);
  });

  test("a spec changed since the last render: the new machines would not get what it says", async () => {
    const changed = project(readFileSync(join(dir, "cluster.yaml"), "utf8").replace("count: 1 }", "count: 2 }"));
    cpSync(join(dir, ".coreform"), join(changed, ".coreform"), { recursive: true });
    const r = await cli(changed, "roll", "test");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("coreform roll: environments.test: the spec changed since its last render: `coreform diff test` shows how, `coreform render test` renders it, then roll");
  });

  test("an environment never rendered", async () => {
    const r = await cli(project(smallSpec()), "roll", "test");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("coreform roll: environments.test: no record of its last render: run `coreform render test` first");
  });
});
