// What each component puts on a node, for the settings that change it.
import { buildNodeConfig } from "../../src/node/build";
import { renderTemplate } from "../../src/node/templates";
import { planCluster } from "../../src/plan/plan";
import { ensureSecrets } from "../../src/secrets/store";
import { smallSpec, tempDir } from "../helpers/cli";
import { specFrom } from "../helpers/render";

async function node(specText: string, name: string) {
  const spec = specFrom(specText);
  const plan = planCluster(spec, "test");
  const secrets = await ensureSecrets(tempDir(), plan);
  const config = buildNodeConfig({ spec, plan, node: plan.nodes.find((n) => n.name === name)!, secrets });
  const file = (path: string) => config.files.find((f) => f.path === path)?.contents;
  return { config, file, secrets };
}

describe("etcd", () => {
  test("a control node's env file: planned IP only, static cluster, TLS everywhere, v2 on", async () => {
    const { file, config } = await node(smallSpec({ control: 3 }), "control-02");
    const env = file("/etc/etcd/etcd.env")!;
    const vars = Object.fromEntries(env.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/=(.*)/s).slice(0, 2)));
    expect(vars).toEqual({
      ETCD_NAME: "control-02",
      ETCD_DATA_DIR: "/var/lib/etcd",
      ETCD_LISTEN_CLIENT_URLS: "https://10.42.0.11:2379",
      ETCD_ADVERTISE_CLIENT_URLS: "https://10.42.0.11:2379",
      ETCD_LISTEN_PEER_URLS: "https://10.42.0.11:2380",
      ETCD_INITIAL_ADVERTISE_PEER_URLS: "https://10.42.0.11:2380",
      ETCD_INITIAL_CLUSTER: "control-01=https://10.42.0.10:2380,control-02=https://10.42.0.11:2380,control-03=https://10.42.0.12:2380",
      ETCD_INITIAL_CLUSTER_STATE: "new",
      ETCD_INITIAL_CLUSTER_TOKEN: "t",
      ETCD_STRICT_RECONFIG_CHECK: "true",
      ETCD_ENABLE_V2: "true",
      ETCD_CLIENT_CERT_AUTH: "true",
      ETCD_TRUSTED_CA_FILE: "/etc/etcd/tls/ca.crt",
      ETCD_CERT_FILE: "/etc/etcd/tls/server.crt",
      ETCD_KEY_FILE: "/etc/etcd/tls/server.key",
      ETCD_PEER_CLIENT_CERT_AUTH: "true",
      ETCD_PEER_TRUSTED_CA_FILE: "/etc/etcd/tls/ca.crt",
      ETCD_PEER_CERT_FILE: "/etc/etcd/tls/peer.crt",
      ETCD_PEER_KEY_FILE: "/etc/etcd/tls/peer.key",
    });
    const unit = config.units.find((u) => u.name === "etcd-member.service")!;
    expect(unit.enabled).toBe(true);
    expect(unit.contents).toContain("--network host");
    expect(unit.contents).toContain("--env-file /etc/etcd/etcd.env");
    expect(unit.contents).toContain("--volume /etc/etcd/tls:/etc/etcd/tls:ro");
    expect(unit.contents).toContain("quay.io/coreos/etcd:v3.5.16 /usr/local/bin/etcd");
    expect(unit.contents).toMatch(/^Restart=always$/m);
    expect(unit.contents).toMatch(/^After=network-online\.target/m);
    expect(config.files.filter((f) => f.mode === 0o600).map((f) => f.path)).toEqual([
      "/etc/etcd/tls/server.key",
      "/etc/etcd/tls/peer.key",
      "/etc/flatcar/locksmith/client.key",
    ]);
  });

  test("workers run no etcd", async () => {
    const { config } = await node(smallSpec({ control: 1, worker: 1 }), "worker-01");
    expect(config.files.some((f) => f.path.startsWith("/etc/etcd"))).toBe(false);
    expect(config.units.map((u) => u.name)).toEqual(["docker.service", "update-engine.service", "locksmithd.service"]);
  });
});

describe("updates", () => {
  test("etcd-lock: group, server, every etcd endpoint, locksmith certificates and the window", async () => {
    const { file, secrets } = await node(smallSpec({ control: 3, worker: 1 }), "worker-01");
    expect(file("/etc/flatcar/update.conf")).toBe(
      [
        "GROUP=stable",
        "SERVER=https://public.update.flatcar-linux.net/v1/update/",
        "REBOOT_STRATEGY=etcd-lock",
        "LOCKSMITHD_ENDPOINT=https://10.42.0.10:2379,https://10.42.0.11:2379,https://10.42.0.12:2379",
        "LOCKSMITHD_ETCD_CAFILE=/etc/flatcar/locksmith/ca.crt",
        "LOCKSMITHD_ETCD_CERTFILE=/etc/flatcar/locksmith/client.crt",
        "LOCKSMITHD_ETCD_KEYFILE=/etc/flatcar/locksmith/client.key",
        "LOCKSMITHD_REBOOT_WINDOW_START=Thu 04:00",
        "LOCKSMITHD_REBOOT_WINDOW_LENGTH=1h",
        "",
      ].join("\n"),
    );
    expect(file("/etc/flatcar/locksmith/client.key")).toBe(secrets.clients.locksmith.key);
  });

  test("reboot strategy without etcd: no locksmith endpoint; own server and group", async () => {
    const text = smallSpec()
      .replace("rebootStrategy: etcd-lock", "rebootStrategy: reboot\n  server: http://nebraska.internal:8000/v1/update/\n  group: canary")
      .replace(/  window:.*\n/, "");
    const { file, config } = await node(text, "control-01");
    expect(file("/etc/flatcar/update.conf")).toBe("GROUP=canary\nSERVER=http://nebraska.internal:8000/v1/update/\nREBOOT_STRATEGY=reboot\n");
    expect(file("/etc/flatcar/locksmith/client.key")).toBeUndefined();
    expect(config.units.find((u) => u.name === "locksmithd.service")).toEqual({ name: "locksmithd.service", enabled: true });
  });
});

describe("templates", () => {
  test("strict: a missing value is an error, not an empty string", () => {
    expect(() => renderTemplate("update.conf", { group: "stable" })).toThrow(/server/);
  });

  test("no HTML escaping in unit files", () => {
    const text = renderTemplate("etcd-member.service", { image: "a&b<c>", envFile: "/e", dataDir: "/d", tlsDir: "/t" });
    expect(text).toContain("a&b<c>");
  });
});
