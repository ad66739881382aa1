// The CDKTF app as `cdktf synth` runs it (stacks/main.ts), writing cdktf.out/ in a temporary project the
// real CLI rendered: which stacks exist, the files Terraform reads, and how it fails.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { synthesize } from "../../stacks/main";
import { cli, project, smallSpec, tempDir } from "../helpers/cli";
import { unliteral } from "../helpers/stacks";

const DEFAULT_SPEC = readFileSync(join(__dirname, "../../cluster.yaml"), "utf8");
const AWS_ONLY = smallSpec().replace(/environments:\n[\s\S]*$/, "environments:\n  prod: { platform: aws, region: eu-central-1, adminCidrs: [203.0.113.0/24] }\n");

function app(dir: string, options: { specFile?: string; outdir?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = synthesize({ cwd: dir, out: (l) => out.push(l), err: (l) => err.push(l) }, { outdir: join(dir, "cdktf.out"), ...options });
  return { code, out, err };
}

const stackJson = (dir: string, stack: string, outdir = "cdktf.out") => JSON.parse(readFileSync(join(dir, outdir, "stacks", stack, "cdk.tf.json"), "utf8"));

describe("cdktf synth on the default cluster.yaml", () => {
  let dir: string;
  let run: ReturnType<typeof app>;
  beforeAll(async () => {
    // As the README says: secrets of the environment to deploy, then synth (which builds every stack it can).
    dir = project(DEFAULT_SPEC);
    expect((await cli(dir, "render", "prod")).code).toBe(0);
    run = app(dir);
  });

  it("writes one stack per environment with a stack builder, named by its key", () => {
    expect(run.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, "cdktf.out", "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks)).toEqual(["prod"]);
    expect(manifest.stacks.prod.workingDirectory).toBe("stacks/prod");
  });

  it("tells on stdout which environments wait for their secrets, and what it synthesized", () => {
    expect(run.err).toEqual([]);
    expect(run.out).toEqual([
      "warning: environments.kvm: no stack until its secrets exist: run `coreform render kvm` to deploy it",
      "warning: environments.openstack: no stack until its secrets exist: run `coreform render openstack` to deploy it",
      "warning: environments.gce: no stack until its secrets exist: run `coreform render gce` to deploy it",
      "warning: environments.azure: no stack until its secrets exist: run `coreform render azure` to deploy it",
      "coreform: synthesized prod",
    ]);
  });

  it("hands Terraform each node's rendered Ignition config, with no path of this machine", () => {
    const tf = stackJson(dir, "prod");
    for (const name of ["control-01", "worker-02"])
      expect(unliteral(tf.resource.aws_instance[name].user_data)).toBe(readFileSync(join(dir, "out", "prod", "ignition", `${name}.json`), "utf8"));
    expect(tf.terraform.backend.local.path).toBe("../../../.coreform/prod/terraform.tfstate");
    expect(readFileSync(join(dir, "cdktf.out", "stacks", "prod", "cdk.tf.json"), "utf8")).not.toContain(dir);
  });

  it("keeps the stacks to their owner: they hold TLS keys", () => {
    expect(statSync(join(dir, "cdktf.out")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "cdktf.out", "stacks", "prod", "cdk.tf.json")).mode & 0o777).toBe(0o600);
  });

  it("is deterministic: the same spec and secrets give a byte-identical stack", () => {
    expect(app(dir, { outdir: join(dir, "again.out") }).code).toBe(0);
    expect(readFileSync(join(dir, "again.out", "stacks", "prod", "cdk.tf.json"), "utf8")).toBe(
      readFileSync(join(dir, "cdktf.out", "stacks", "prod", "cdk.tf.json"), "utf8"),
    );
  });
});

describe("cdktf synth on the default cluster.yaml after `coreform render` of every environment", () => {
  it("writes the kvm, openstack, prod, gce and azure stacks, each to its owner only, with no path of this machine", async () => {
    const dir = project(DEFAULT_SPEC);
    expect((await cli(dir, "render")).code).toBe(0);
    const run = app(dir);
    expect(run).toMatchObject({ code: 0, err: [] });
    expect(run.out.at(-1)).toBe("coreform: synthesized kvm, openstack, prod, gce, azure");
    const manifest = JSON.parse(readFileSync(join(dir, "cdktf.out", "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(["azure", "gce", "kvm", "openstack", "prod"]);
    for (const stack of ["kvm", "openstack", "prod", "gce", "azure"]) {
      const file = join(dir, "cdktf.out", "stacks", stack, "cdk.tf.json");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, "utf8")).not.toContain(dir);
      expect(stackJson(dir, stack).terraform.backend.local.path).toBe(`../../../.coreform/${stack}/terraform.tfstate`);
    }
  });
});

describe("the app's spec", () => {
  it("may be another file (COREFORM_SPEC, relative to the working directory); its secrets sit next to it", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "specs"));
    writeFileSync(join(dir, "specs", "prod.yaml"), AWS_ONLY);
    expect((await cli(dir, "render", "-f", "specs/prod.yaml")).code).toBe(0);
    const run = app(dir, { specFile: "specs/prod.yaml" });
    expect(run).toMatchObject({ code: 0, err: [], out: ["coreform: synthesized prod"] });
    expect(stackJson(dir, "prod").terraform.backend.local.path).toBe("../../../specs/.coreform/prod/terraform.tfstate");
  });

  it("that is invalid fails with every problem and its path, and writes nothing", () => {
    const dir = project(AWS_ONLY.replace("region: eu-central-1, ", ""));
    const run = app(dir);
    expect(run.code).toBe(2);
    expect(run.err).toContain("environments.prod.region: required");
    expect(run.err.at(-1)).toMatch(/^coreform: .*cluster\.yaml: 1 problem, nothing was written$/);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });
});

describe("the app never creates secrets", () => {
  it("fails in one line telling the user to run `coreform render prod` first, and why", () => {
    const dir = project(AWS_ONLY);
    const run = app(dir);
    expect(run.code).toBe(2);
    expect(run.err).toEqual([
      `coreform: no secrets for environment prod in ${join(dir, ".coreform", "prod")}: run \`coreform render prod\` first: it creates them once, so that keys survive between deploys`,
    ]);
    expect(existsSync(join(dir, ".coreform"))).toBe(false);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });
});

describe("environments whose secrets were never rendered", () => {
  const TWO = AWS_ONLY.replace(/\n$/, "\n  staging: { platform: aws, region: eu-west-1, adminCidrs: [203.0.113.0/24] }\n");

  it("are skipped with a warning on stdout while another environment has its stack: `cdktf deploy prod` works", async () => {
    const dir = project(TWO);
    expect((await cli(dir, "render", "prod")).code).toBe(0);
    const run = app(dir);
    expect(run).toMatchObject({ code: 0, err: [] });
    expect(run.out).toEqual(["warning: environments.staging: no stack until its secrets exist: run `coreform render staging` to deploy it", "coreform: synthesized prod"]);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, "cdktf.out", "manifest.json"), "utf8")).stacks)).toEqual(["prod"]);
    expect(existsSync(join(dir, ".coreform", "staging"))).toBe(false);

    expect((await cli(dir, "render", "staging")).code).toBe(0);
    expect(app(dir, { outdir: join(dir, "both.out") })).toMatchObject({ code: 0, err: [], out: ["coreform: synthesized prod, staging"] });
  });

  it("fail, each in one line, when no environment has its secrets: nothing could be deployed", () => {
    const dir = project(TWO);
    const run = app(dir);
    expect(run.code).toBe(2);
    expect(run.err).toEqual([
      expect.stringMatching(/^coreform: no secrets for environment prod in .*: run `coreform render prod` first/),
      expect.stringMatching(/^coreform: no secrets for environment staging in .*: run `coreform render staging` first/),
    ]);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });
});

describe("the app deploys what render accepted: the environment's record", () => {
  const TWO = AWS_ONLY.replace(/\n$/, "\n  staging: { platform: aws, region: eu-west-1, adminCidrs: [203.0.113.0/24] }\n");

  it("plans every node where the record has it, whatever the order of the groups", async () => {
    const dir = project(TWO);
    expect((await cli(dir, "render")).code).toBe(0);
    expect(app(dir)).toMatchObject({ code: 0, err: [] });
    // The workers listed first: planned anew, every control node would move (control-01 from .10 to .11).
    const reordered = TWO.replace(/( {2}- \{ name: control.*\n)( {2}- \{ name: worker.*\n)/, "$2$1");
    expect(reordered).not.toBe(TWO);
    writeFileSync(join(dir, "cluster.yaml"), reordered);
    expect(app(dir, { outdir: join(dir, "again.out") })).toMatchObject({ code: 0, err: [], out: ["coreform: synthesized prod, staging"] });
    for (const stack of ["prod", "staging"])
      expect(readFileSync(join(dir, "again.out", "stacks", stack, "cdk.tf.json"), "utf8")).toBe(readFileSync(join(dir, "cdktf.out", "stacks", stack, "cdk.tf.json"), "utf8"));
    expect(stackJson(dir, "prod", "again.out").resource.aws_instance["control-01"].private_ip).toBe("10.42.0.10");
    // Without its record the same spec would place control-01 elsewhere: the record is what kept it.
    const fresh = project(reordered);
    expect((await cli(fresh, "render", "prod")).code).toBe(0);
    expect(app(fresh)).toMatchObject({ code: 0 });
    expect(stackJson(fresh, "prod").resource.aws_instance["control-01"].private_ip).toBe("10.42.0.11");
  });

  it("skips an environment whose spec changed since its last render, with a warning naming diff and render", async () => {
    const dir = project(TWO);
    expect((await cli(dir, "render")).code).toBe(0);
    writeFileSync(join(dir, "cluster.yaml"), TWO.replace("instanceType: t3.small", "instanceType: t3.medium").replace("region: eu-west-1", "region: eu-west-1, control: { diskGiB: 40 }"));
    const run = app(dir);
    expect(run).toMatchObject({ code: 0, err: [] });
    expect(run.out).toEqual([
      "warning: environments.staging: the spec changed since its last render: `coreform diff staging` shows how, `coreform render staging` accepts it (or says why not) before it can be deployed",
      "coreform: synthesized prod",
    ]);
    expect((await cli(dir, "render", "staging")).code).toBe(0);
    expect(app(dir, { outdir: join(dir, "again.out") })).toMatchObject({ code: 0, out: ["coreform: synthesized prod, staging"] });
  });
});
