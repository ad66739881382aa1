// The environment's secrets: created once, reused, checked with openssl, never replaced silently.
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planCluster } from "../../src/plan/plan";
import { ensureSecrets, MissingSecretsError, prepareSecrets, readSecrets } from "../../src/secrets/store";
import { smallSpec, tempDir } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";
import { haveTools, testWithTools } from "../helpers/tools";

const plan = planCluster(specFrom(smallSpec({ control: 3, worker: 1 })), "test");

/** Two independent sets of secrets for the same plan: each with its own CA. */
async function twoEnvironments(): Promise<[string, string]> {
  const dirs: [string, string] = [join(tempDir(), "a"), join(tempDir(), "b")];
  for (const d of dirs) await ensureSecrets(d, plan);
  return dirs;
}

describe("secrets", () => {
  test("modes are repaired below the secrets' directory (and the project's .coreform/), never above", async () => {
    const parent = tempDir();
    chmodSync(parent, 0o755); // like /tmp or a project directory: others may enter
    const dir = join(parent, "s");
    await ensureSecrets(dir, plan);
    chmodSync(join(dir, "ca.key"), 0o644);
    rmSync(join(dir, "clients", "operator.crt"));
    await ensureSecrets(dir, plan);
    expect(statSync(parent).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, "ca.key")).mode & 0o777).toBe(0o600);
  });

  test("member certificates carry the planned IP, the hostname, 127.0.0.1 and localhost; clients only their name", async () => {
    const secrets = await ensureSecrets(join(tempDir(), "s"), plan);
    const server = new X509Certificate(secrets.members["control-02"]!.cert);
    expect(server.subjectAltName?.split(", ").sort()).toEqual(["DNS:control-02", "DNS:localhost", "IP Address:10.42.0.11", "IP Address:127.0.0.1"]);
    expect(server.checkIssued(new X509Certificate(secrets.ca.cert))).toBe(true);
    expect(Object.keys(secrets.members)).toEqual(["control-01", "control-02", "control-03"]);
    const operator = new X509Certificate(secrets.clients.operator.cert);
    expect(operator.subject).toBe("CN=operator");
    expect(operator.subjectAltName).toBeUndefined();
    expect(secrets.ca.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(new X509Certificate(secrets.ca.cert).publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
  });

  testWithTools(["openssl"])("openssl verifies each certificate against the CA for its purpose", async () => {
    const dir = join(tempDir(), "s");
    await ensureSecrets(dir, plan);
    const verify = (purpose: string, cert: string) =>
      execFileSync("openssl", ["verify", "-purpose", purpose, "-CAfile", join(dir, "ca.crt"), join(dir, cert)], { encoding: "utf8", stdio: "pipe" });
    // One member certificate serves etcd's client and peer listeners, and dials peers as a client.
    expect(verify("sslserver", "members/control-01.crt")).toContain(": OK");
    expect(verify("sslclient", "members/control-01.crt")).toContain(": OK");
    expect(verify("sslclient", "clients/locksmith.crt")).toContain(": OK");
    expect(() => verify("sslserver", "clients/operator.crt")).toThrow();
  });

  test("created once: a second call reads the same files and creates nothing", async () => {
    const dir = join(tempDir(), "s");
    const logs: string[] = [];
    const first = await ensureSecrets(dir, plan, (l) => logs.push(l));
    // 3 member certificates, locksmith, operator, the kubernetes admin, four k3s CAs, its token, service-account key and IPsec key
    expect(logs).toEqual([`test: created the etcd CA and 13 more secrets in ${dir} (back it up)`]);
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
    expect(logs).toEqual([`test: created members/control-04, members/control-05 in ${dir}`]);
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
    await expect(ensureSecrets(a, plan)).rejects.toThrow(`${join(a, "ca.crt")} and ca.key: the .key is not the certificate's key: restore it from your backup of .coreform/`);
    expect(readFileSync(join(a, "ca.crt"), "utf8")).toBe(before);
  });

  /** A certificate for the operator's key pair in `dir`, signed by its CA with openssl: another subject or a short life. */
  const opensslLeaf = (dir: string, subject: string, days: number) => {
    const csr = execFileSync("openssl", ["req", "-new", "-key", join(dir, "clients/operator.key"), "-subj", subject], { encoding: "utf8" });
    const args = ["x509", "-req", "-CA", join(dir, "ca.crt"), "-CAkey", join(dir, "ca.key"), "-days", String(days), "-set_serial", "7"];
    writeFileSync(join(dir, "clients/operator.crt"), execFileSync("openssl", args, { input: csr, encoding: "utf8" }));
  };
  const copy = (from: string, to: string, file: string) => writeFileSync(join(to, file), readFileSync(join(from, file)));

  const MISFITS: { name: string; tamper: (a: string, b: string) => void; id: string; reason: RegExp; openssl?: true }[] = [
    { name: "a certificate of another CA", tamper: (a, b) => ["crt", "key"].forEach((x) => copy(b, a, `clients/operator.${x}`)), id: "clients/operator", reason: /^signed by another CA$/ },
    { name: "a key that is not the certificate's", tamper: (a, b) => copy(b, a, "clients/operator.key"), id: "clients/operator", reason: /^its key is not the certificate's$/ },
    { name: "another subject", tamper: (a) => opensslLeaf(a, "/CN=someone", 365), id: "clients/operator", reason: /^its subject is CN=someone, the plan wants CN=operator$/, openssl: true },
    { name: "a certificate that ends soon", tamper: (a) => opensslLeaf(a, "/CN=operator", 10), id: "clients/operator", reason: /^expires .+ GMT, within 30 days$/, openssl: true },
  ];

  /** The message readSecrets throws for `dir`'s secrets. */
  const readError = (dir: string) => {
    try {
      readSecrets(dir, plan);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("readSecrets found nothing wrong");
  };

  test.each(MISFITS.filter((m) => !m.openssl || haveTools(["openssl"])))("$name: reading says why it no longer fits, rendering reissues it and says why", async ({ tamper, id, reason }) => {
    const [a, b] = await twoEnvironments();
    tamper(a, b);
    const why = new RegExp(`^certificate ${id} of test is out of date \\((.+)\\): run`).exec(readError(a))?.[1];
    expect(why).toMatch(reason);
    const logs: string[] = [];
    const s = await ensureSecrets(a, plan, (l) => logs.push(l));
    expect(logs).toEqual([`test: reissued ${id} (${why})`]);
    expect(new X509Certificate(s.clients.operator.cert).checkIssued(new X509Certificate(s.ca.cert))).toBe(true);
    expect(readSecrets(a, plan)).toEqual(s);
  });

  test("a member whose address changed: reissued, its old and new names said", async () => {
    const dir = join(tempDir(), "s");
    await ensureSecrets(dir, plan);
    const moved = planCluster(specFrom(smallSpec({ control: 3, worker: 1, cidr: "10.44.0.0/24" })), "test");
    expect(() => readSecrets(dir, moved)).toThrow(
      "certificate members/control-01 of test is out of date (its names are DNS:control-01, DNS:localhost, IP Address:10.42.0.10, IP Address:127.0.0.1, " +
        "the plan wants DNS:control-01, DNS:localhost, IP Address:10.44.0.10, IP Address:127.0.0.1)",
    );
    const logs: string[] = [];
    await ensureSecrets(dir, moved, (l) => logs.push(l));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^test: reissued members\/control-01 \(its names are .*10\.42\.0\.10.*, the plan wants .*10\.44\.0\.10.*\); members\/control-02 /);
  });
});

describe("scheduler secrets", () => {
  const planFor = (kind: string) => planCluster(specFrom(smallSpec().replace("updates:", `scheduler: { kind: ${kind} }\nupdates:`)), "test");

  test("kubernetes: every CA and key of k3s's bootstrap data, an admin certificate and a join token, all 0600", async () => {
    const dir = join(tempDir(), "s");
    const secrets = await ensureSecrets(dir, planFor("kubernetes"));
    const k8s = secrets.kubernetes!;
    expect(k8s.token).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, "kubernetes/token"), "utf8")).toBe(`${k8s.token}\n`);
    expect(k8s.ipsecPsk).toMatch(/^[0-9a-f]{96}$/);
    expect(readFileSync(join(dir, "kubernetes/ipsec.psk"), "utf8")).toBe(`${k8s.ipsecPsk}\n`);
    expect(createPrivateKey(k8s.serviceAccountKey).asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const files = ["token", "service.key", "ipsec.psk", "admin.key", ...["server", "client", "request-header", "etcd"].map((ca) => `${ca}-ca.key`)];
    for (const f of files) expect({ f, mode: (statSync(join(dir, "kubernetes", f)).mode & 0o777).toString(8) }).toEqual({ f, mode: "600" });
    expect(new X509Certificate(k8s.admin.cert).subject).toBe("CN=coreform-admin\nO=system:masters");
    expect(new X509Certificate(k8s.admin.cert).checkIssued(new X509Certificate(k8s.clientCa.cert))).toBe(true);
    const cas = [k8s.serverCa, k8s.clientCa, k8s.requestHeaderCa, k8s.etcdCa].map((c) => new X509Certificate(c.cert));
    expect(cas.map((c) => c.ca)).toEqual([true, true, true, true]);
    expect(new Set(cas.map((c) => c.fingerprint256)).size).toBe(4);
    // k3s's servers present their node's etcd member certificate: no client certificate of their own.
    expect(Object.keys(secrets.clients).sort()).toEqual(["locksmith", "operator"]);
    expect(readSecrets(dir, planFor("kubernetes"))).toEqual(secrets);
  });

  testWithTools(["openssl"])("openssl verifies the admin certificate against the client CA, for client use only", async () => {
    const dir = join(tempDir(), "s");
    await ensureSecrets(dir, planFor("kubernetes"));
    const verify = (purpose: string, ca: string, cert: string) =>
      execFileSync("openssl", ["verify", "-purpose", purpose, "-CAfile", join(dir, ca), join(dir, cert)], { encoding: "utf8", stdio: "pipe" });
    expect(verify("sslclient", "kubernetes/client-ca.crt", "kubernetes/admin.crt")).toContain(": OK");
    expect(() => verify("sslclient", "kubernetes/server-ca.crt", "kubernetes/admin.crt")).toThrow();
    expect(() => verify("sslserver", "kubernetes/client-ca.crt", "kubernetes/admin.crt")).toThrow();
  });

  test("fleet: its own etcd client and nothing of kubernetes; none: neither", async () => {
    const fleet = await ensureSecrets(join(tempDir(), "s"), planFor("fleet"));
    expect(new X509Certificate(fleet.clients.fleet!.cert).subject).toBe("CN=fleet");
    expect(fleet.kubernetes).toBeUndefined();
    const none = await ensureSecrets(join(tempDir(), "s"), planFor("none"));
    expect(Object.keys(none.clients).sort()).toEqual(["locksmith", "operator"]);
    expect(none.kubernetes).toBeUndefined();
  });

  test("switching none → kubernetes adds the scheduler's secrets and keeps every existing one", async () => {
    const dir = join(tempDir(), "s");
    const before = await ensureSecrets(dir, planFor("none"));
    const logs: string[] = [];
    const after = await ensureSecrets(dir, planFor("kubernetes"), (l) => logs.push(l));
    expect(after.ca).toEqual(before.ca);
    expect(after.members).toEqual(before.members);
    expect(logs).toEqual([
      `test: created kubernetes/server-ca, kubernetes/client-ca, kubernetes/request-header-ca, kubernetes/etcd-ca, kubernetes/admin, kubernetes/token, kubernetes/service.key, kubernetes/ipsec.psk in ${dir}`,
    ]);
    for (const secret of [after.kubernetes!.token, after.kubernetes!.ipsecPsk, after.kubernetes!.serviceAccountKey]) expect(logs.join("")).not.toContain(secret);
  });

  test("a missing key file is named by readSecrets and by ensureSecrets, which makes it again only when told to", async () => {
    const dir = join(tempDir(), "s");
    const before = await ensureSecrets(dir, planFor("kubernetes"));
    rmSync(join(dir, "kubernetes/service.key"));
    const lost = `${join(dir, "kubernetes/service.key")} is missing, but test has secrets`;
    expect(() => readSecrets(dir, planFor("kubernetes"))).toThrow(lost);
    await expect(ensureSecrets(dir, planFor("kubernetes"))).rejects.toThrow(lost);
    expect(existsSync(join(dir, "kubernetes/service.key"))).toBe(false);
    const logs: string[] = [];
    const after = await ensureSecrets(dir, planFor("kubernetes"), (l) => logs.push(l), { newSecrets: true });
    expect(logs).toEqual([`test: made NEW kubernetes/service.key in ${dir} (--new-secrets): nodes that run with the old ones will not trust them`]);
    expect({ ...after.kubernetes, serviceAccountKey: "" }).toEqual({ ...before.kubernetes, serviceAccountKey: "" });
    expect(after.kubernetes!.serviceAccountKey).not.toBe(before.kubernetes!.serviceAccountKey);
  });

  test("readSecrets without the token names the fix", async () => {
    const dir = join(tempDir(), "s");
    await ensureSecrets(dir, planFor("none"));
    expect(() => readSecrets(dir, planFor("kubernetes"))).toThrow(MissingSecretsError);
    expect(() => readSecrets(dir, planFor("kubernetes"))).toThrow(/run `coreform render test` first/);
  });
});

describe("secrets made in memory", () => {
  /** Every file below `dir`: mode, modification time and contents. */
  const files = (dir: string) =>
    Object.fromEntries(
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => {
          const p = join(e.parentPath, e.name);
          const st = statSync(p);
          return [p, `${st.mode.toString(8)} ${st.mtimeMs} ${readFileSync(p, "utf8")}`];
        }),
    );

  test("nothing is written, nor said, until persist; then all of it, 0600 in 0700", async () => {
    const dir = join(tempDir(), ".coreform", "test");
    const logs: string[] = [];
    const prepared = await prepareSecrets(dir, plan, (l) => logs.push(l));
    expect(existsSync(join(dir, ".."))).toBe(false);
    expect(logs).toEqual([]);
    prepared.persist();
    expect(logs).toEqual([`test: created the etcd CA and 13 more secrets in ${dir} (back it up)`]);
    expect((statSync(join(dir, "..")).mode & 0o777).toString(8)).toBe("700");
    for (const d of [dir, join(dir, "members"), join(dir, "clients"), join(dir, "kubernetes")]) expect((statSync(d).mode & 0o777).toString(8)).toBe("700");
    for (const f of Object.keys(files(dir))) expect((statSync(f).mode & 0o777).toString(8)).toBe("600");
    expect(readdirSync(join(dir, ".."))).toEqual(["test"]);
    expect(readSecrets(dir, plan)).toEqual(prepared.secrets);
  });

  test("existing secrets are never touched; only the new ones are written", async () => {
    const dir = join(tempDir(), "s");
    await ensureSecrets(dir, plan);
    const before = files(dir);
    const bigger = planCluster(specFrom(smallSpec({ control: 5, worker: 1 })), "test");
    const prepared = await prepareSecrets(dir, bigger);
    expect(files(dir)).toEqual(before);
    prepared.persist();
    const after = files(dir);
    for (const [f, v] of Object.entries(before)) expect(after[f]).toBe(v);
    expect(Object.keys(after).filter((f) => !(f in before)).map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      "members/control-04.crt",
      "members/control-04.key",
      "members/control-05.crt",
      "members/control-05.key",
    ]);
  });

  test("with everything there, persist writes nothing and says nothing", async () => {
    const dir = join(tempDir(), "s");
    await ensureSecrets(dir, plan);
    const before = files(dir);
    const logs: string[] = [];
    (await prepareSecrets(dir, plan, (l) => logs.push(l))).persist();
    expect(files(dir)).toEqual(before);
    expect(logs).toEqual([]);
  });

  test("a prepared set never persisted leaves nothing, and a second preparation makes other keys", async () => {
    const dir = join(tempDir(), "s");
    const first = await prepareSecrets(dir, plan);
    const second = await prepareSecrets(dir, plan);
    expect(existsSync(dir)).toBe(false);
    expect(second.secrets.ca.key).not.toBe(first.secrets.ca.key);
  });

  test("two runs that prepared at once: the second to write stops, and the first's secrets stay", async () => {
    const dir = join(tempDir(), ".coreform", "test");
    const [a, b] = [await prepareSecrets(dir, plan), await prepareSecrets(dir, plan)];
    a.persist();
    const kept = files(dir);
    expect(() => b.persist()).toThrow(/appeared while this render ran \(another coreform render\?\): run it again/);
    expect(files(dir)).toEqual(kept);
    expect(readSecrets(dir, plan)).toEqual(a.secrets);
    expect(readdirSync(join(dir, ".."))).toEqual(["test"]);
  });

  test("… also when only a new member's certificate is at stake", async () => {
    const dir = join(tempDir(), "s");
    await ensureSecrets(dir, plan);
    const bigger = planCluster(specFrom(smallSpec({ control: 5, worker: 1 })), "test");
    const [a, b] = [await prepareSecrets(dir, bigger), await prepareSecrets(dir, bigger)];
    a.persist();
    expect(() => b.persist()).toThrow(/members\/control-04\.(crt|key) appeared while this render ran/);
    expect(readSecrets(dir, bigger)).toEqual(a.secrets);
  });

  test("half a pair is replaced, not taken for another run's", async () => {
    const dir = join(tempDir(), "s");
    await ensureSecrets(dir, plan);
    rmSync(join(dir, "clients/operator.key"));
    const logs: string[] = [];
    const s = await ensureSecrets(dir, plan, (l) => logs.push(l));
    expect(logs).toEqual([`test: created clients/operator in ${dir}`]);
    expect(readSecrets(dir, plan)).toEqual(s);
  });
});
