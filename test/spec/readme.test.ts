// README's example of `coreform validate` is what coreform prints, word for word.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cli, project } from "../helpers/cli";

const README = readFileSync(join(__dirname, "../../README.md"), "utf8");
const DEFAULT_SPEC = readFileSync(join(__dirname, "../../cluster.yaml"), "utf8");

/** The text of a replacement that must change the spec exactly once. */
function once(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

describe("README", () => {
  it("the spec section's validate example is the real output", async () => {
    const example = /```\n\$ coreform validate\n([\s\S]*?)```/.exec(README)?.[1];
    expect(example).toBeDefined();
    // As the README says: two control nodes, a worker count of 0, no region in prod, host bits in network.cidr.
    let spec = once(DEFAULT_SPEC, "    role: control\n    count: 3\n", "    role: control\n    count: 2\n");
    spec = once(spec, "    role: worker\n    count: 2\n", "    role: worker\n    count: 0\n");
    spec = once(spec, "    platform: aws\n    region: eu-central-1\n", "    platform: aws\n");
    spec = once(spec, "cidr: 10.42.0.0/24", "cidr: 10.42.0.1/24");
    const dir = project(spec);
    const r = await cli(dir, "validate");
    expect(r.code).toBe(2);
    expect(`${r.stderr}\n`).toBe(example!.replace("/path/cluster.yaml", join(dir, "cluster.yaml")));
  });
});
