// `coreform kubeconfig ENV`: the operator's kubeconfig from the environment's own k3s CAs, written 0600,
// never printed; the server is the first control node's planned IP. (No API server runs here: what is
// checked is the document, its certificates against the CAs the control nodes carry, and the errors.)
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { fromIgnition } from "../../cloud-config/ignition";
import { cli, project, smallSpec, tempDir } from "../helpers/cli";
import { testWithTools } from "../helpers/tools";

interface Kubeconfig {
  apiVersion: string;
  kind: string;
  clusters: { name: string; cluster: { server: string; "certificate-authority-data": string; "tls-server-name"?: string } }[];
  users: { name: string; user: { "client-certificate-data": string; "client-key-data": string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  "current-context": string;
}

const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

async function rendered(scheduler = "kubernetes"): Promise<string> {
  const dir = project(smallSpec({ control: 3, worker: 1, scheduler }));
  expect((await cli(dir, "render")).code).toBe(0);
  return dir;
}

describe("coreform kubeconfig", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await rendered();
  });

  test("writes .coreform/ENV/kubeconfig 0600 for the first control node's API, and prints only where it is", async () => {
    const r = await cli(dir, "kubeconfig", "test");
    const file = join(dir, ".coreform/test/kubeconfig");
    expect(r).toEqual({
      code: 0,
      stdout: `wrote ${file} (0600): cluster t-test, API https://10.42.0.10:6443, user coreform-admin\nuse it: export KUBECONFIG=${file}`,
      stderr: "",
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = yaml.load(readFileSync(file, "utf8")) as Kubeconfig;
    expect(doc).toMatchObject({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "t-test", cluster: { server: "https://10.42.0.10:6443" } }],
      users: [{ name: "t-test-admin" }],
      contexts: [{ name: "t-test", context: { cluster: "t-test", user: "t-test-admin" } }],
      "current-context": "t-test",
    });
    expect(doc.clusters[0]!.cluster["tls-server-name"]).toBeUndefined();
  });

  test("trusts the server CA every control node carries for k3s; the admin certificate is system:masters from the client CA", async () => {
    await cli(dir, "kubeconfig", "test");
    const doc = yaml.load(readFileSync(join(dir, ".coreform/test/kubeconfig"), "utf8")) as Kubeconfig;
    const serverCa = unb64(doc.clusters[0]!.cluster["certificate-authority-data"]);
    const cert = unb64(doc.users[0]!.user["client-certificate-data"]);
    const key = unb64(doc.users[0]!.user["client-key-data"]);
    for (const node of ["control-01", "control-02", "control-03"]) {
      const config = fromIgnition(readFileSync(join(dir, "out/test/ignition", `${node}.json`), "utf8"));
      expect(config.files.find((f) => f.path === "/var/lib/rancher/k3s/server/tls/server-ca.crt")!.contents).toBe(serverCa);
      const clientCa = config.files.find((f) => f.path === "/var/lib/rancher/k3s/server/tls/client-ca.crt")!.contents;
      expect(new X509Certificate(cert).checkIssued(new X509Certificate(clientCa))).toBe(true);
    }
    const x = new X509Certificate(cert);
    expect(x.subject).toBe("CN=coreform-admin\nO=system:masters");
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
    // The admin key exists only here and in .coreform: no node carries it.
    const worker = readFileSync(join(dir, "out/test/ignition/worker-01.json"), "utf8");
    expect(worker).not.toContain("coreform-admin");
  });

  testWithTools(["openssl"])("openssl accepts the admin certificate as a TLS client of the client CA", async () => {
    await cli(dir, "kubeconfig", "test");
    const doc = yaml.load(readFileSync(join(dir, ".coreform/test/kubeconfig"), "utf8")) as Kubeconfig;
    const tmp = tempDir();
    writeFileSync(join(tmp, "admin.crt"), unb64(doc.users[0]!.user["client-certificate-data"]));
    const verify = execFileSync("openssl", ["verify", "-purpose", "sslclient", "-CAfile", join(dir, ".coreform/test/kubernetes/client-ca.crt"), join(tmp, "admin.crt")], { encoding: "utf8" });
    expect(verify).toContain(": OK");
  });

  test("--server reaches the API elsewhere while TLS still checks the first control node's name", async () => {
    const out = join(tempDir(), "tunnel.kubeconfig");
    const r = await cli(dir, "kubeconfig", "test", "--server", "https://127.0.0.1:16443", "-o", out);
    expect(r.code).toBe(0);
    const doc = yaml.load(readFileSync(out, "utf8")) as Kubeconfig;
    expect(doc.clusters[0]!.cluster).toMatchObject({ server: "https://127.0.0.1:16443", "tls-server-name": "control-01" });
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  test("is byte-identical when run again, and never prints key material", async () => {
    const a = await cli(dir, "kubeconfig", "test");
    const first = readFileSync(join(dir, ".coreform/test/kubeconfig"), "utf8");
    const b = await cli(dir, "kubeconfig", "test");
    expect(readFileSync(join(dir, ".coreform/test/kubeconfig"), "utf8")).toBe(first);
    const key = readFileSync(join(dir, ".coreform/test/kubernetes/admin.key"), "utf8");
    const keyLines = key.split("\n").filter((l) => l && !l.startsWith("-----"));
    for (const r of [a, b]) {
      const all = r.stdout + r.stderr;
      expect(all).not.toMatch(/-----BEGIN|PRIVATE KEY|client-key-data/);
      for (const l of keyLines) expect(all).not.toContain(l);
    }
  });

  test.each([
    ["no environment", [], 2, /takes one environment \(the spec has: test\)/],
    ["an unknown environment", ["prod"], 2, /no environment prod in .*cluster\.yaml \(it has: test\)/],
    ["a --server that is not https", ["test", "--server", "http://10.0.0.1:6443"], 2, /--server must be an https URL/],
  ])("%s: exit 2", async (_n, args, code, message) => {
    const r = await cli(dir, "kubeconfig", ...(args as string[]));
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message as RegExp);
  });

  test("an existing, different file at -o is left alone", async () => {
    const mine = join(tempDir(), "config");
    writeFileSync(mine, "my own kubeconfig\n");
    const r = await cli(dir, "kubeconfig", "test", "-o", mine);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exists already and differs: not overwriting it/);
    expect(readFileSync(mine, "utf8")).toBe("my own kubeconfig\n");
  });

  test("before render: exit 1, telling the user to run `coreform render ENV`; nothing written", async () => {
    const fresh = project(smallSpec({ scheduler: "kubernetes" }));
    const r = await cli(fresh, "kubeconfig", "test");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/run `coreform render test` first/);
    expect(existsSync(join(fresh, ".coreform/test/kubeconfig"))).toBe(false);
  });

  test.each(["none", "fleet"])("scheduler %s has no kubeconfig: exit 2", async (kind) => {
    const other = await rendered(kind);
    const r = await cli(other, "kubeconfig", "test");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`scheduler.kind is ${kind}: only kubernetes has a kubeconfig`);
  });
});
