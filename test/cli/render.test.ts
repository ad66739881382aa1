// `coreform render`, `init` and the command line, through the real CLI on temporary projects.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, editSpec, project, smallSpec, tempDir, tree } from "../helpers/cli";
import { sshKey } from "../helpers/ssh-keys";

const DEFAULT_SPEC = join(__dirname, "../../cluster.yaml");

const mode = (p: string) => statSync(p).mode & 0o777;

function defaultProject(): string {
  const dir = tempDir();
  copyFileSync(DEFAULT_SPEC, join(dir, "cluster.yaml"));
  return dir;
}

describe("coreform render", () => {
  test("renders every environment of the default spec: the platform's first-boot format and the plan per environment", async () => {
    const dir = defaultProject();
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    const envs = ["azure", "gce", "kvm", "laptop", "openstack", "prod"];
    expect(readdirSync(join(dir, "out")).sort()).toEqual(envs);
    for (const env of envs) {
      const names = ["control-01", "control-02", "control-03", "worker-01", "worker-02"];
      // Vagrant boxes take cloud-config; every other platform Ignition. Only that format is written:
      // another copy of every node's keys would serve nothing.
      const [format, ext] = env === "laptop" ? ["cloud-config", "yaml"] : ["ignition", "json"];
      expect(readdirSync(join(dir, "out", env)).filter((f) => f === "ignition" || f === "cloud-config")).toEqual([format]);
      expect(readdirSync(join(dir, "out", env, format)).sort()).toEqual(names.map((n) => `${n}.${ext}`));
      const plan = JSON.parse(readFileSync(join(dir, "out", env, "plan.json"), "utf8"));
      expect(plan.environment).toBe(env);
      expect(plan.nodes).toHaveLength(5);
    }
    expect(r.stdout).toContain("rendered prod (aws): 5 nodes");
  });

  test("files holding secrets are 0600 in 0700 directories; the plan holds no secret; nothing secret is printed", async () => {
    const dir = defaultProject();
    const r = await cli(dir, "render", "prod");
    expect(readdirSync(join(dir, "out"))).toEqual(["prod"]);
    for (const [env, sub] of [["prod", "ignition"]]) {
      expect(mode(join(dir, "out", env!, sub!))).toBe(0o700);
      for (const f of readdirSync(join(dir, "out", env!, sub!))) expect(mode(join(dir, "out", env!, sub!, f))).toBe(0o600);
    }
    const secrets = join(dir, ".coreform/prod");
    // The public files: no PEM, and no line of any secret file (keys' bodies, the k3s token).
    const secretLines = readdirSync(secrets, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .flatMap((e) => readFileSync(join(e.parentPath, e.name), "utf8").split("\n"))
      .filter((l) => l.length >= 16 && !l.startsWith("-----"));
    expect(secretLines.length).toBeGreaterThan(10);
    for (const file of ["plan.json", "topology.svg"]) {
      expect(mode(join(dir, "out/prod", file))).toBe(0o644);
      const text = readFileSync(join(dir, "out/prod", file), "utf8");
      expect(text).not.toMatch(/BEGIN|PRIVATE/);
      expect(secretLines.filter((l) => text.includes(l))).toEqual([]);
    }
    const check = (d: string) => {
      expect(mode(d)).toBe(0o700);
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) check(join(d, e.name));
        else expect(mode(join(d, e.name))).toBe(0o600);
      }
    };
    check(secrets);
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/BEGIN|PRIVATE|KEY-----/);
  });

  test("deterministic: a second render gives byte-identical output and reuses every secret", async () => {
    const dir = defaultProject();
    expect((await cli(dir, "render")).code).toBe(0);
    const out1 = tree(join(dir, "out"));
    const secrets1 = tree(join(dir, ".coreform"));
    const again = await cli(dir, "render");
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain("created");
    expect(tree(join(dir, "out"))).toEqual(out1);
    expect(tree(join(dir, ".coreform"))).toEqual(secrets1);
  });

  test("a failing run leaves earlier output untouched (invalid spec, and over the user-data budget)", async () => {
    const dir = defaultProject();
    expect((await cli(dir, "render")).code).toBe(0);
    const before = tree(join(dir, "out"));
    const good = readFileSync(join(dir, "cluster.yaml"), "utf8");

    writeFileSync(join(dir, "cluster.yaml"), good.replace("count: 3", "count: 0"));
    const invalid = await cli(dir, "render");
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("nodes[0].count: must be ≥ 1");

    const keys = Array.from({ length: 160 }, (_, i) => `    - ${sshKey("ssh-ed25519", i, `k${i}`)}`).join("\n");
    writeFileSync(join(dir, "cluster.yaml"), good.replace(/  authorizedKeys:\n.*\n/, `  authorizedKeys:\n${keys}\n`).replace("count: 2", "count: 3"));
    const over = await cli(dir, "render");
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/prod: node control-01: ignition config is \d+ bytes, over the 16384-byte limit/);

    expect(tree(join(dir, "out"))).toEqual(before);
    expect(readdirSync(join(dir, "out/prod")).filter((f) => f.startsWith("."))).toEqual([]);
  });

  test("only what coreform wrote is replaced: Vagrant state and local files stay, removed nodes go", async () => {
    const dir = project(smallSpec({ control: 1, worker: 2 }));
    expect((await cli(dir, "render")).code).toBe(0);
    mkdirSync(join(dir, "out/test/.vagrant/machines"), { recursive: true });
    writeFileSync(join(dir, "out/test/.vagrant/machines/id"), "keep me");
    writeFileSync(join(dir, "out/test/config.rb"), "# mine");
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ control: 1, worker: 1 }));
    expect((await cli(dir, "render")).code).toBe(0);
    expect(readFileSync(join(dir, "out/test/.vagrant/machines/id"), "utf8")).toBe("keep me");
    expect(readFileSync(join(dir, "out/test/config.rb"), "utf8")).toBe("# mine");
    expect(readdirSync(join(dir, "out/test/ignition")).sort()).toEqual(["control-01.json", "worker-01.json"]);
  });

  test("a changed address is refused, and once accepted reissues that member's certificates and keeps the CA", async () => {
    // On a laptop (Vagrant): a KVM network, say, could not be re-addressed at all.
    const laptop = (cidr?: string) => editSpec((d) => (d.environments.test = { platform: "vagrant" }), smallSpec({ control: 1, worker: 0, ...(cidr ? { cidr } : {}) }));
    const dir = project(laptop());
    expect((await cli(dir, "render")).code).toBe(0);
    const ca = readFileSync(join(dir, ".coreform/test/ca.crt"), "utf8");
    const server = readFileSync(join(dir, ".coreform/test/members/control-01.crt"), "utf8");
    writeFileSync(join(dir, "cluster.yaml"), laptop("10.99.0.0/24"));
    const before = tree(dir);
    const refused = await cli(dir, "render");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("test: refused: control-01: address 10.42.0.10 → 10.99.0.10");
    expect(tree(dir)).toEqual(before);
    const r = await cli(dir, "render", "--accept", "readdress");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("reissued members/control-01 (");
    expect(readFileSync(join(dir, ".coreform/test/ca.crt"), "utf8")).toBe(ca);
    expect(readFileSync(join(dir, ".coreform/test/members/control-01.crt"), "utf8")).not.toBe(server);
  });

  test("-f and -o choose the spec and the output directory", async () => {
    const dir = project(smallSpec());
    const elsewhere = tempDir();
    const r = await cli(elsewhere, "render", "-f", join(dir, "cluster.yaml"), "-o", "rendered");
    expect(r.code).toBe(0);
    expect(existsSync(join(elsewhere, "rendered/test/plan.json"))).toBe(true);
    expect(existsSync(join(dir, ".coreform/test/ca.crt"))).toBe(true);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });
});

describe("a refused render leaves nothing behind", () => {
  const keys = (n: number) => Array.from({ length: n }, (_, i) => `    - ${sshKey("ssh-ed25519", i, `k${i}`)}`).join("\n");
  /** The default spec with `n` SSH keys (300 push an EC2 node over 16 KiB, even packed: packIgnition), changed further by `edit`. */
  const withKeys = (n: number, edit: (s: string) => string = (s) => s) => edit(readFileSync(DEFAULT_SPEC, "utf8").replace(/  authorizedKeys:\n.*\n/, `  authorizedKeys:\n${keys(n)}\n`));
  const overBudget = /prod: node control-01: ignition config is \d+ bytes, over the 16384-byte limit/;

  test.each([[[]], [["prod"]], [["laptop", "prod"]], [["prod", "laptop", "kvm"]]])("a first render %j over EC2's budget writes neither secrets nor output", async (envs) => {
    const dir = project(withKeys(300));
    const r = await cli(dir, "render", ...envs);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(overBudget);
    expect(r.stderr).not.toContain("created");
    expect(readdirSync(dir)).toEqual(["cluster.yaml"]);
  });

  test("every environment over its budget is named in the one run", async () => {
    const r = await cli(project(withKeys(1500)), "render");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^coreform render: environments\.openstack: node control-01: .* over the 49149-byte limit/m);
    expect(r.stderr).toMatch(/^environments\.prod: node control-01: .* over the 16384-byte limit/m);
    expect(r.stderr).toMatch(/^environments\.azure: node control-01: .* over the 65535-byte limit/m);
    expect(r.stderr).not.toMatch(/^environments\.(gce|laptop|kvm): /m);
  });

  test.each([
    ["new members", (s: string) => s.replace("count: 3", "count: 5"), []],
    ["new addresses (certificates to reissue)", (s: string) => s.replace("cidr: 192.168.56.0/24", "cidr: 192.168.57.0/24"), ["--accept", "readdress"]],
    ["a new environment", (s: string) => s.replace("environments:\n", "environments:\n  staging:\n    platform: libvirt\n"), []],
    ["another scheduler (its secrets)", (s: string) => s.replace("kind: kubernetes\n  version: v1.32.2+k3s1", "kind: fleet"), []],
  ])("after a good render, %s over budget change no secret and no output, byte for byte", async (_name, change, accept) => {
    const dir = project(readFileSync(DEFAULT_SPEC, "utf8"));
    expect((await cli(dir, "render")).code).toBe(0);
    const secrets = tree(join(dir, ".coreform"));
    const out = tree(join(dir, "out"));
    writeFileSync(join(dir, "cluster.yaml"), withKeys(300, change));
    const r = await cli(dir, "render", ...accept);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(overBudget);
    expect(tree(join(dir, ".coreform"))).toEqual(secrets);
    expect(readdirSync(join(dir, ".coreform")).sort()).toEqual(["azure", "gce", "kvm", "laptop", "openstack", "prod"]);
    expect(tree(join(dir, "out"))).toEqual(out);
    // The same change within budget renders, and only then are the new secrets written.
    writeFileSync(join(dir, "cluster.yaml"), change(readFileSync(DEFAULT_SPEC, "utf8")));
    const good = await cli(dir, "render", ...accept);
    expect(good.code).toBe(0);
    expect(good.stderr).toMatch(/created|reissued/);
  });
});

describe("coreform init", () => {
  test("writes the commented default spec, which validates, and never overwrites", async () => {
    const dir = tempDir();
    const r = await cli(dir, "init", "sub");
    expect(r.code).toBe(0);
    const written = join(dir, "sub/cluster.yaml");
    expect(readFileSync(written, "utf8")).toBe(readFileSync(DEFAULT_SPEC, "utf8"));
    expect((await cli(join(dir, "sub"), "validate")).code).toBe(0);
    writeFileSync(written, "# mine\n");
    const again = await cli(dir, "init", "sub");
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("exists already");
    expect(readFileSync(written, "utf8")).toBe("# mine\n");
  });

  test("writes the JSON Schema the spec's first line names next to it; --schema replaces only the schema", async () => {
    const dir = tempDir();
    const schema = readFileSync(join(DEFAULT_SPEC, "../cluster.schema.json"), "utf8");
    expect((await cli(dir, "init")).code).toBe(0);
    expect(readFileSync(join(dir, "cluster.yaml"), "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=cluster.schema.json");
    expect(readFileSync(join(dir, "cluster.schema.json"), "utf8")).toBe(schema);

    writeFileSync(join(dir, "cluster.yaml"), "# mine\n");
    writeFileSync(join(dir, "cluster.schema.json"), "{}\n");
    const r = await cli(dir, "init", "--schema");
    expect(r).toMatchObject({ code: 0, stdout: `wrote ${join(dir, "cluster.schema.json")}` });
    expect(readFileSync(join(dir, "cluster.schema.json"), "utf8")).toBe(schema);
    expect(readFileSync(join(dir, "cluster.yaml"), "utf8")).toBe("# mine\n");
  });
});

describe("the command line", () => {
  test.each([["--help"], ["-h"], ["help"], ["init", "--help"], ["validate", "--help"], ["render", "-h"]])("%s %s prints usage, exit 0", async (...argv) => {
    const r = await cli(tempDir(), ...argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/[Uu]sage: coreform/);
  });

  test.each([[[]], [["frobnicate"]], [["constructor"]], [["render", "--bogus"]], [["render", "--file"]], [["validate", "extra"]], [["init", "a", "b"]]])("%j is invalid input, exit 2", async (argv) => {
    const r = await cli(tempDir(), ...argv);
    expect(r.code).toBe(2);
  });

  test("no command prints the usage on stderr, nothing on stdout, exit 2", async () => {
    const r = await cli(tempDir());
    expect(r).toEqual({ code: 2, stdout: "", stderr: expect.stringMatching(/^coreform: .*\n\nUsage: coreform <command>/) });
  });

  test("--version prints package.json's version, exit 0", async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8")) as { version: string };
    expect(await cli(tempDir(), "--version")).toEqual({ code: 0, stdout: `coreform ${version}`, stderr: "" });
  });

  test("a command's --help lists its options, the shared ones with the same line", async () => {
    const helps = await Promise.all(["validate", "render", "pin", "kubeconfig", "status"].map(async (c) => (await cli(tempDir(), c, "--help")).stdout));
    for (const help of helps) expect(help).toMatch(/\nOptions:\n(.*\n)*  -f, --file FILE +the spec \(default: cluster.yaml, here or in the nearest directory above\)/);
    expect(helps[1]).toMatch(/\n  --check +compare instead of writing/);
  });

  test("a runtime failure exits 1 and says what failed", async () => {
    const dir = project(smallSpec());
    writeFileSync(join(dir, "out"), "a file where the output directory should be");
    const r = await cli(dir, "render");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/coreform render: .*(EEXIST|ENOTDIR)/);
  });
});
