// What `coreform roll` shows of Terraform: the messages of its machine-readable UI, never the values a
// plain plan prints (user data, TLS keys among them), nor a diagnostic's snippet of the configuration.
import { terraformLine } from "../../src/cli/roll-steps";

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
