// The table of platform modules: every platform has its module and its stack, each module's facts
// (architecture from a machine size on every cloud, the environment's one architecture, the user-data
// limits render enforces, through the real CLI).
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { awsInstanceArch } from "../../src/platforms/aws";
import { azureVmSizeArch } from "../../src/platforms/azure";
import { gceMachineArch } from "../../src/platforms/gce";
import { environmentArch, PLATFORM_MODULES } from "../../src/platforms/table";
import { projectFile } from "../../src/project";
import { PLATFORMS, specSchema, type SpecInput } from "../../src/spec/schema";
import { STACKS } from "../../stacks/registry";
import { cli, project, smallSpec } from "../helpers/cli";
import { sshKey } from "../helpers/ssh-keys";

const envOf = (env: Record<string, unknown>) => {
  const doc = yaml.load(smallSpec()) as SpecInput;
  doc.environments = { e: env as SpecInput["environments"][string] };
  return specSchema.parse(doc).environments.e!;
};
const ADMIN = { adminCidrs: ["203.0.113.0/24"] };
/** The settings each platform cannot do without. */
const REQUIRED: Record<string, object> = {
  vagrant: {},
  libvirt: {},
  openstack: { ...ADMIN, control: { flavor: "m1.medium" }, worker: { flavor: "m1.large" } },
  aws: { ...ADMIN, region: "eu-central-1" },
  gce: { ...ADMIN, project: "coreform-demo", region: "europe-west1", zone: "europe-west1-b" },
  azure: { ...ADMIN, location: "westeurope" },
};
const gce = (control: string, worker = control) => envOf({ platform: "gce", project: "coreform-demo", region: "europe-west1", zone: "europe-west1-b", ...ADMIN, control: { machineType: control }, worker: { machineType: worker } });
const azure = (control: string, worker = control) => envOf({ platform: "azure", location: "westeurope", ...ADMIN, control: { vmSize: control }, worker: { vmSize: worker } });

describe("architecture of a machine size", () => {
  it.each([
    ["e2-standard-2", "x86_64"],
    ["n2d-highmem-4", "x86_64"],
    ["c3-standard-4", "x86_64"],
    ["n4-standard-2", "x86_64"],
    ["t2d-standard-1", "x86_64"],
    ["t2a-standard-1", "arm64"],
    ["c4a-standard-4", "arm64"],
    ["c4a-highmem-8-lssd", "arm64"],
    ["n4a-standard-2", "arm64"],
  ])("gce %s runs %s", (type, arch) => expect(gceMachineArch(type)).toBe(arch));

  it.each([
    ["Standard_B2s", "x86_64"],
    ["Standard_B2ms", "x86_64"],
    ["Standard_D2s_v5", "x86_64"],
    ["Standard_D4as_v5", "x86_64"],
    ["Standard_DC8ads_v5", "x86_64"],
    ["Standard_NC4as_T4_v3", "x86_64"],
    ["Standard_M8-2ms", "x86_64"],
    ["Standard_D2ps_v5", "arm64"],
    ["Standard_D4pds_v5", "arm64"],
    ["Standard_D2pls_v6", "arm64"],
    ["Standard_E4pds_v6", "arm64"],
    ["Standard_B2pls_v2", "arm64"],
    ["Standard_D16plds_v6", "arm64"],
  ])("azure %s runs %s", (size, arch) => expect(azureVmSizeArch(size)).toBe(arch));

  it.each([
    ["t3.small", "x86_64"],
    ["m7g.large", "arm64"],
  ])("aws %s runs %s", (type, arch) => expect(awsInstanceArch(type)).toBe(arch));
});

describe("an environment's one architecture", () => {
  it.each([
    ["gce defaults", gce("e2-standard-2"), "x86_64"],
    ["gce on Axion", gce("c4a-standard-2"), "arm64"],
    ["azure defaults", azure("Standard_B2s"), "x86_64"],
    ["azure on Cobalt", azure("Standard_D2ps_v6"), "arm64"],
    ["aws with arch set", envOf({ platform: "aws", region: "eu-central-1", ...ADMIN, arch: "arm64" }), "arm64"],
    ["openstack flavors", envOf({ platform: "openstack", externalNetwork: "public", ...ADMIN, control: { flavor: "a1.large" }, worker: { flavor: "m1.large" } }), "x86_64"],
    ["vagrant", envOf({ platform: "vagrant" }), "x86_64"],
    ["libvirt", envOf({ platform: "libvirt" }), "x86_64"],
  ])("%s: %s", (_name, env, arch) => expect(environmentArch(env)).toBe(arch));

  it("comes from the control nodes' size (the rules reject workers of another)", () => {
    expect(environmentArch(gce("t2a-standard-1", "e2-standard-2"))).toBe("arm64");
  });
});

/** The files of src/platforms/ that are not a platform's module. */
const SHARED = ["changes.ts", "flatcar.ts", "platform.ts", "table.ts"];

describe("every platform is one module and one stack (ARCHITECTURE.md, Adding a platform)", () => {
  it("lists each module file of src/platforms/ in the table, under its file's name, in the order of the environments' union", () => {
    const files = readdirSync(projectFile("src/platforms")).filter((f) => !SHARED.includes(f));
    expect(files.map((f) => f.replace(/\.ts$/, "")).sort()).toEqual([...PLATFORMS].sort());
    expect(Object.keys(PLATFORM_MODULES)).toEqual(PLATFORMS);
  });

  it.each(PLATFORMS)("%s: its file in src/platforms/ exports the table's module, whose schema is the platform's branch", async (platform) => {
    const module = (await import(`../../src/platforms/${platform}`)) as Record<string, unknown>;
    expect(module[platform]).toBe(PLATFORM_MODULES[platform]);
    expect(PLATFORM_MODULES[platform].schema.parse({ platform, ...REQUIRED[platform] })).toMatchObject({ platform });
  });

  it.each(PLATFORMS)("%s has its other half: its file in stacks/, in the stacks' registry (vagrant: the Vagrantfile)", async (platform) => {
    if (platform === "vagrant") {
      expect(STACKS.vagrant).toBe("vagrant");
      expect(existsSync(projectFile("src/vagrant/vagrantfile.ts"))).toBe(true);
      return;
    }
    const stack = (await import(`../../stacks/${platform}`)) as Record<string, unknown>;
    expect(stack[`${platform}Stack`]).toBe(STACKS[platform]);
  });

  it.each([
    ["aws", 16384],
    ["gce", 262144],
    ["azure", 65535],
    ["openstack", 49149],
  ] as const)("%s accepts user data up to %d bytes", (platform, bytes) => expect(PLATFORM_MODULES[platform].userData.maxBytes).toBe(bytes));
});

describe("user-data budgets at render", () => {
  // RSA key lines of ~740 bytes each (4096 bits), so that the config outgrows a limit by a few keys.
  const keys = (n: number) => Array.from({ length: n }, (_, i) => sshKey("ssh-rsa", i, `k${i}`, 4096));
  const specWith = (platform: "aws" | "gce" | "azure", count: number) => {
    const doc = yaml.load(smallSpec({ control: 1, worker: 0 })) as SpecInput;
    doc.ssh = { authorizedKeys: keys(count) };
    doc.environments = { e: { aws: { platform: "aws", region: "eu-central-1", ...ADMIN }, gce: { platform: "gce", project: "coreform-demo", region: "europe-west1", zone: "europe-west1-b", ...ADMIN }, azure: { platform: "azure", location: "westeurope", ...ADMIN } }[platform] as SpecInput["environments"][string] };
    return yaml.dump(doc);
  };

  it.each([
    ["aws", 16384, "EC2 user data is at most 16 KiB"],
    ["azure", 65535, "Azure custom data is at most 64 KiB"],
    ["gce", 262144, "a GCE metadata value is at most 256 KiB"],
  ] as const)("%s: over %d bytes is an error naming node, size and limit, and nothing is written; within it passes", async (platform, limit, why) => {
    // Random key material does not compress: over the limit even packed (packIgnition).
    const over = Math.ceil(limit / 700) + 2;
    const dir = project(specWith(platform, over));
    const r = await cli(dir, "render");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`e: node control-01: ignition config is \\d+ bytes, over the ${limit}-byte limit \\(${why}\\)`));
    expect(existsSync(join(dir, "out"))).toBe(false);

    // The rest of a kubernetes control node's config is ~15.5 KB (bench/userdata.ts prints it); on EC2 one
    // RSA key takes it over 16 KiB, and the packed config is sent.
    const under = project(specWith(platform, Math.floor((limit - 15300) / 760)));
    const ok = await cli(under, "render");
    expect(ok.stderr).not.toMatch(/over the/);
    expect(ok.code).toBe(0);
    expect(statSync(join(under, "out", "e", "ignition", "control-01.json")).size).toBeLessThanOrEqual(limit);
  });
});
