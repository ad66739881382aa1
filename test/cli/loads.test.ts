// The fast paths `npm run bench` measures, kept by structure rather than by timings: which packages
// each entry point loads, in a fresh Node process. `coreform --help` loads none; a render whose secrets
// exist and the CDKTF app never load the certificate library (~200 modules); nothing but the stacks
// loads cdktf.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { cli, project, smallSpec } from "../helpers/cli";

const ENTRY = join(__dirname, "loads.js");
const X509 = ["@peculiar/x509", "reflect-metadata", "tsyringe"];

async function loaded(cwd: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [ENTRY, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return stdout.split("\n").filter(Boolean);
}

describe("what each entry point loads", () => {
  it("coreform --help loads no package", async () => {
    expect(await loaded(__dirname, "cli", "--help")).toEqual([]);
  });

  it("render loads the certificate library only while it creates secrets", async () => {
    const dir = project(smallSpec({ scheduler: "kubernetes" }));
    const first = await loaded(dir, "cli", "render");
    expect(first).toEqual(expect.arrayContaining(["@peculiar/x509", "handlebars", "js-yaml", "zod"]));
    const again = await loaded(dir, "cli", "render");
    expect(again).toEqual(expect.arrayContaining(["handlebars", "js-yaml", "zod"]));
    expect(again.filter((p) => X509.includes(p))).toEqual([]);
    expect(again.filter((p) => p === "cdktf" || p.startsWith("@cdktf/"))).toEqual([]);
  });

  it("the CDKTF app reads secrets without the certificate library", async () => {
    const dir = project(smallSpec().replace("platform: libvirt", "platform: aws\n    region: eu-central-1\n    adminCidrs: [203.0.113.0/24]\n    control: { instanceType: t3.small }\n    worker: { instanceType: t3.small }"));
    expect((await cli(dir, "render")).code).toBe(0);
    const app = await loaded(dir, "synth");
    expect(app).toEqual(expect.arrayContaining(["cdktf", "@cdktf/provider-aws"]));
    expect(app.filter((p) => X509.includes(p))).toEqual([]);
  });
});
