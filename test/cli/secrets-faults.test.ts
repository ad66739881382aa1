// Secrets that running nodes trust, lost or damaged on disk, through the real CLI: once an environment
// has secrets, a missing or emptied CA, k3s token, service-account key or IPsec key stops `render`
// (exit 1) naming the file and how to restore it, changes nothing, and `render --check` and the CDKTF
// app say the same; `--new-secrets` makes a lost one anew on request, never a damaged one. Modes that
// drifted are repaired and said.
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, cpSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { synthesize } from "../../stacks/main";
import { cli, project, smallSpec, tree } from "../helpers/cli";

const SECRETS = ".coreform/test";

/** A project rendered once (kubernetes, libvirt: the CDKTF app builds its stack), copied per test. */
let template: string;
beforeAll(async () => {
  template = project(smallSpec({ control: 1, worker: 1 }));
  expect((await cli(template, "render")).code).toBe(0);
});

function copyProject(): string {
  const dir = project("");
  cpSync(template, dir, { recursive: true });
  return dir;
}

const app = (dir: string) => {
  const err: string[] = [];
  const code = synthesize({ cwd: dir, out: () => {}, err: (l) => err.push(l) }, { outdir: join(dir, "cdktf.out") });
  return { code, err: err.join("\n") };
};

const file = (dir: string, id: string) => join(dir, SECRETS, id);
const remove = (...ids: string[]) => (dir: string) => ids.forEach((id) => rmSync(file(dir, id), { recursive: true }));
const write = (id: string, text: string) => (dir: string) => writeFileSync(file(dir, id), text);

const LOST: { name: string; tamper: (dir: string) => void; named: string }[] = [
  { name: "the etcd CA deleted", tamper: remove("ca.crt", "ca.key"), named: "ca.crt" },
  { name: "k3s's server CA deleted", tamper: remove("kubernetes/server-ca.crt", "kubernetes/server-ca.key"), named: "kubernetes/server-ca.crt" },
  { name: "the whole kubernetes/ folder deleted", tamper: remove("kubernetes"), named: "kubernetes/server-ca.crt" },
  { name: "the whole .coreform/<env>/ deleted while out/<env>/ was rendered", tamper: remove("."), named: "ca.crt" },
  { name: "the k3s token emptied", tamper: write("kubernetes/token", ""), named: "kubernetes/token" },
  { name: "the service-account key emptied", tamper: write("kubernetes/service.key", "\n"), named: "kubernetes/service.key" },
  { name: "the IPsec key emptied", tamper: write("kubernetes/ipsec.psk", ""), named: "kubernetes/ipsec.psk" },
  { name: "the k3s token deleted", tamper: remove("kubernetes/token"), named: "kubernetes/token" },
];

const pem = (kind: "ed25519" | "rsa") =>
  generateKeyPairSync(kind as "ed25519", kind === "rsa" ? ({ modulusLength: 1024 } as object) : {}).privateKey.export({ format: "pem", type: "pkcs8" }).toString();

const DAMAGED: { name: string; tamper: (dir: string) => void; named: string; why: string }[] = [
  { name: "a token with a space in it", tamper: write("kubernetes/token", "hello world\n"), named: "kubernetes/token", why: "not a k3s token" },
  { name: "a token of 3 characters", tamper: write("kubernetes/token", "abc\n"), named: "kubernetes/token", why: "a k3s token of 3 characters: too short" },
  { name: "a token of binary garbage", tamper: write("kubernetes/token", "\u0000\u00ff\u0001garbage"), named: "kubernetes/token", why: "not a k3s token" },
  {
    name: "a certificate where the service-account key belongs",
    tamper: (dir) => writeFileSync(file(dir, "kubernetes/service.key"), readFileSync(file(dir, "ca.crt"))),
    named: "kubernetes/service.key",
    why: "not a PEM private key",
  },
  { name: "an ed25519 service-account key", tamper: (dir) => write("kubernetes/service.key", pem("ed25519"))(dir), named: "kubernetes/service.key", why: "a ed25519 key: expected ECDSA P-256" },
  { name: "a 1024-bit RSA service-account key", tamper: (dir) => write("kubernetes/service.key", pem("rsa"))(dir), named: "kubernetes/service.key", why: "a rsa key: expected ECDSA P-256 (or RSA ≥ 2048 bits)" },
  { name: "a truncated service-account key", tamper: (dir) => write("kubernetes/service.key", readFileSync(file(dir, "kubernetes/service.key"), "utf8").slice(0, 80))(dir), named: "kubernetes/service.key", why: "not a readable private key" },
  { name: "an IPsec key that is not hex", tamper: write("kubernetes/ipsec.psk", "not-a-key\n"), named: "kubernetes/ipsec.psk", why: "not an IPsec key (96 hex characters" },
  {
    name: "a leaf certificate (and its key) where the etcd CA belongs",
    tamper: (dir) => ["crt", "key"].forEach((x) => writeFileSync(file(dir, `ca.${x}`), readFileSync(file(dir, `clients/operator.${x}`)))),
    named: "ca.crt and ca.key",
    why: "the .crt is not a CA certificate",
  },
  { name: "garbage for the CA key", tamper: write("ca.key", "garbage\n"), named: "ca.crt and ca.key", why: "the .key is not a PEM private key" },
  { name: "only half of k3s's client CA", tamper: write("kubernetes/client-ca.key", ""), named: "kubernetes/client-ca.crt and client-ca.key", why: "one of the two is missing or empty" },
];

describe("a kept secret lost from an environment that has secrets", () => {
  test.each(LOST)("$name: render exits 1 naming it and how to restore it, and changes nothing; check and the CDKTF app say so", async ({ tamper, named }) => {
    const dir = copyProject();
    tamper(dir);
    const before = { secrets: tree(join(dir, ".coreform")), out: tree(join(dir, "out")) };
    const r = await cli(dir, "render");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`coreform render: ${file(dir, named)} is missing, but test has secrets (`);
    expect(r.stderr).toContain("restore it from your backup of .coreform/; `coreform render test --new-secrets` makes a new one instead, which running nodes will not trust");
    expect(r.stderr).not.toMatch(/created/);
    expect({ secrets: tree(join(dir, ".coreform")), out: tree(join(dir, "out")) }).toEqual(before);

    const check = await cli(dir, "render", "--check");
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`test: render would refuse: ${file(dir, named)} is missing`);
    const synth = app(dir);
    expect(synth.code).toBe(1);
    expect(synth.err).toContain(`${file(dir, named)} is missing, but test has secrets`);
  });

  test("--new-secrets makes it anew when told, and says what running nodes will not trust; the certificates it signs follow", async () => {
    const dir = copyProject();
    const oldCa = readFileSync(file(dir, "ca.crt"), "utf8");
    remove("ca.crt", "ca.key")(dir);
    const r = await cli(dir, "render", "test", "--new-secrets");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`test: made NEW ca in ${join(dir, SECRETS)} (--new-secrets): nodes that run with the old ones will not trust them`);
    expect(r.stderr).toContain("test: reissued clients/locksmith (signed by another CA)");
    expect(readFileSync(file(dir, "ca.crt"), "utf8")).not.toBe(oldCa);
    expect((await cli(dir, "render", "--check")).code).toBe(0);
  });

  test("--new-secrets only with the environments named, and never with --check", async () => {
    const dir = copyProject();
    for (const argv of [["render", "--new-secrets"], ["render", "test", "--new-secrets", "--check"]]) {
      const r = await cli(dir, ...argv);
      expect([argv, r.code]).toEqual([argv, 2]);
    }
    expect((await cli(dir, "render", "--help")).stdout).toContain("--new-secrets");
  });

  test("an environment that never had k3s's secrets gets them: switching a rendered one from none to kubernetes", async () => {
    const dir = project(smallSpec({ control: 1, worker: 0, scheduler: "none" }));
    expect((await cli(dir, "render")).code).toBe(0);
    writeFileSync(join(dir, "cluster.yaml"), smallSpec({ control: 1, worker: 0 }));
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("test: created kubernetes/server-ca, kubernetes/client-ca");
  });

  test("a new environment (no .coreform/<env>/, no out/<env>/plan.json) is created freely", async () => {
    const dir = project(smallSpec({ control: 1, worker: 0 }));
    const r = await cli(dir, "render");
    expect(r.stderr).toContain("test: created the etcd CA and");
  });
});

describe("a kept secret that is not what coreform wrote", () => {
  test.each(DAMAGED)("$name: refused by name, never used or replaced, also with --new-secrets", async ({ tamper, named, why }) => {
    const dir = copyProject();
    tamper(dir);
    const before = { secrets: tree(join(dir, ".coreform")), out: tree(join(dir, "out")) };
    for (const argv of [["render"], ["render", "test", "--new-secrets"]]) {
      const r = await cli(dir, ...argv);
      expect([argv, r.code]).toEqual([argv, 1]);
      expect(r.stderr).toContain(`coreform render: ${file(dir, named)}: ${why}`);
      expect(r.stderr).toContain("restore it from your backup of .coreform/");
    }
    expect({ secrets: tree(join(dir, ".coreform")), out: tree(join(dir, "out")) }).toEqual(before);
    expect(app(dir).err).toContain(`${file(dir, named)}: ${why}`);
    const check = await cli(dir, "render", "--check");
    expect(check.stdout).toContain(`test: render would refuse: ${file(dir, named)}: ${why}`);
  });
});

describe("secret modes", () => {
  test("a key made 0644 and .coreform/ made 0755: check reports them, render repairs them and says so", async () => {
    const dir = copyProject();
    chmodSync(file(dir, "ca.key"), 0o644);
    chmodSync(join(dir, ".coreform"), 0o755);
    chmodSync(file(dir, "kubernetes"), 0o755);
    const check = await cli(dir, "render", "--check");
    expect(check.code).toBe(1);
    expect(check.stdout.split("\n")).toEqual(
      expect.arrayContaining([
        ".coreform: mode 0755, expected 0700 (render repairs it)",
        `${SECRETS}/ca.key: mode 0644, expected 0600 (render repairs it)`,
        `${SECRETS}/kubernetes: mode 0755, expected 0700 (render repairs it)`,
        "out/ does not match cluster.yaml: 3 differences in 1 of 1 environment",
      ]),
    );
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("test: repaired modes (secrets are the owner's only): .coreform 0755 → 0700, .coreform/test/ca.key 0644 → 0600, .coreform/test/kubernetes 0755 → 0700");
    expect(statSync(file(dir, "ca.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, ".coreform")).mode & 0o777).toBe(0o700);
    expect((await cli(dir, "render", "--check")).code).toBe(0);
  });
});
