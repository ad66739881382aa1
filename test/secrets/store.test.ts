// The environment's secrets: created once, reused, checked with openssl, never replaced silently.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planCluster } from "../../src/plan/plan";
import { ensureSecrets, MissingSecretsError, readSecrets } from "../../src/secrets/store";
import { smallSpec, tempDir } from "../helpers/cli";
import { specFrom } from "../helpers/render";
import { findTool } from "../helpers/tools";

const plan = planCluster(specFrom(smallSpec({ control: 3, worker: 1 })), "test");

/** Two independent sets of secrets for the same plan: each with its own CA. */
async function twoEnvironments(): Promise<[string, string]> {
  const dirs: [string, string] = [join(tempDir(), "a"), join(tempDir(), "b")];
  for (const d of dirs) await ensureSecrets(d, plan);
  return dirs;
}

describe("secrets", () => {
  test("member certificates carry the planned IP, the hostname, 127.0.0.1 and localhost; clients only their name", async () => {
    const secrets = await ensureSecrets(join(tempDir(), "s"), plan);
    const server = new X509Certificate(secrets.members["control-02"].server.cert);
    expect(server.subjectAltName?.split(", ").sort()).toEqual(["DNS:control-02", "DNS:localhost", "IP Address:10.42.0.11", "IP Address:127.0.0.1"]);
    expect(server.checkIssued(new X509Certificate(secrets.ca.cert))).toBe(true);
    expect(Object.keys(secrets.members)).toEqual(["control-01", "control-02", "control-03"]);
    const operator = new X509Certificate(secrets.clients.operator.cert);
    expect(operator.subject).toBe("CN=operator");
    expect(operator.subjectAltName).toBeUndefined();
    expect(secrets.ca.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(new X509Certificate(secrets.ca.cert).publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
  });

  (findTool("openssl") ? test : test.skip)("openssl verifies each certificate against the CA for its purpose", async () => {
    const dir = join(tempDir(), "s");
    await ensureSecrets(dir, plan);
    const verify = (purpose: string, cert: string) =>
      execFileSync("openssl", ["verify", "-purpose", purpose, "-CAfile", join(dir, "ca.crt"), join(dir, cert)], { encoding: "utf8", stdio: "pipe" });
    expect(verify("sslserver", "members/control-01/server.crt")).toContain(": OK");
    expect(verify("sslclient", "members/control-01/peer.crt")).toContain(": OK");
    expect(verify("sslclient", "clients/locksmith.crt")).toContain(": OK");
    expect(() => verify("sslserver", "clients/operator.crt")).toThrow();
  });

  test("created once: a second call reads the same files and creates nothing", async () => {
    const dir = join(tempDir(), "s");
    const logs: string[] = [];
    const first = await ensureSecrets(dir, plan, (l) => logs.push(l));
    expect(logs).toEqual([`test: created the etcd CA and 8 certificates in ${dir} (back it up)`]);
    const second = await ensureSecrets(dir, plan, (l) => logs.push(l));
    expect(logs).toHaveLength(1);
    expect(second).toEqual(first);
    expect(readSecrets(dir, plan)).toEqual(first);
  });

  test("a new member gets its certificates; nothing else changes", async () => {
    const dir = join(tempDir(), "s");
    const first = await ensureSecrets(dir, plan);
    const logs: string[] = [];
    const bigger = planCluster(specFrom(smallSpec({ control: 5, worker: 1 })), "test");
    const second = await ensureSecrets(dir, bigger, (l) => logs.push(l));
    expect(logs).toEqual([`test: created members/control-04/server, members/control-04/peer, members/control-05/server, members/control-05/peer in ${dir}`]);
    expect(second.clients).toEqual(first.clients);
    expect(second.members["control-01"]).toEqual(first.members["control-01"]);
  });

  test("reading without creating: missing secrets are a clear error naming the command to run", () => {
    expect(() => readSecrets(join(tempDir(), "none"), plan)).toThrow(MissingSecretsError);
    expect(() => readSecrets(join(tempDir(), "none"), plan)).toThrow(/run `coreform render test` first/);
  });

  test("a CA whose key does not match is an error, and the files stay as they were", async () => {
    const [a, b] = await twoEnvironments();
    writeFileSync(join(a, "ca.key"), readFileSync(join(b, "ca.key")));
    const before = readFileSync(join(a, "ca.crt"), "utf8");
    await expect(ensureSecrets(a, plan)).rejects.toThrow(/do not belong together/);
    expect(readFileSync(join(a, "ca.crt"), "utf8")).toBe(before);
  });

  test("a certificate from another CA is reissued", async () => {
    const [a, b] = await twoEnvironments();
    writeFileSync(join(a, "clients/operator.crt"), readFileSync(join(b, "clients/operator.crt")));
    writeFileSync(join(a, "clients/operator.key"), readFileSync(join(b, "clients/operator.key")));
    const logs: string[] = [];
    const s = await ensureSecrets(a, plan, (l) => logs.push(l));
    expect(logs).toEqual(["test: reissued clients/operator (addresses, CA or validity changed)"]);
    expect(new X509Certificate(s.clients.operator.cert).checkIssued(new X509Certificate(s.ca.cert))).toBe(true);
  });
});
