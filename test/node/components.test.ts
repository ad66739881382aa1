// What each component puts on a node, for the settings that change it.
import yaml from "js-yaml";
import { buildNodeConfig } from "../../src/node/build";
import { renderTemplate } from "../../src/node/templates";
import { planCluster } from "../../src/plan/plan";
import { ensureSecrets } from "../../src/secrets/store";
import { smallSpec, tempDir } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";

async function node(specText: string, name: string) {
  const spec = specFrom(specText);
  const plan = planCluster(spec, "test");
  const secrets = await ensureSecrets(tempDir(), plan);
  const config = buildNodeConfig({ spec, plan, node: plan.nodes.find((n) => n.name === name)!, secrets });
  const file = (path: string) => config.files.find((f) => f.path === path)?.contents;
  return { config, file, secrets };
}

/** The spec with `scheduler: { kind, …extra }`. */
const withScheduler = (text: string, kind: string, extra = "") => text.replace("updates:", `scheduler: { kind: ${kind}${extra} }\nupdates:`);

const K3S_TLS = "/var/lib/rancher/k3s/server/tls";
const K3S_SERVER_KEYS = [
  "/etc/rancher/k3s/token",
  ...["server-ca", "client-ca", "request-header-ca", "etcd/server-ca"].map((ca) => `${K3S_TLS}/${ca}.key`),
  `${K3S_TLS}/service.key`,
  "/var/lib/rancher/k3s/server/cred/ipsec.psk",
];
const SYSUPDATE = ["systemd-sysupdate.timer", "systemd-sysupdate.service"];
const SNAPSHOTS = ["etcd-snapshot.service", "etcd-snapshot.timer"];
const K3S_LINKS = (unit: string) => ["/etc/extensions/k3s.raw", `/etc/systemd/system/multi-user.target.wants/${unit}`];

describe("what each scheduler kind puts on each role", () => {
  // Keys are the node's 0600 files; a control node's etcd clients present its member certificate.
  test.each([
    { kind: "none", node: "control-01", units: ["etcd-member.service", ...SNAPSHOTS], keys: ["/etc/etcd/tls/member.key"], downloads: 0, links: [] },
    { kind: "none", node: "worker-01", units: [], keys: ["/etc/flatcar/locksmith/client.key"], downloads: 0, links: [] },
    { kind: "fleet", node: "control-01", units: ["etcd-member.service", ...SNAPSHOTS, "fleet.service"], keys: ["/etc/etcd/tls/member.key"], downloads: 0, links: [] },
    { kind: "fleet", node: "worker-01", units: ["fleet.service"], keys: ["/etc/flatcar/locksmith/client.key", "/etc/fleet/tls/client.key"], downloads: 0, links: [] },
    {
      kind: "kubernetes",
      node: "control-01",
      units: ["etcd-member.service", ...SNAPSHOTS, "k3s.service", ...SYSUPDATE],
      keys: ["/etc/etcd/tls/member.key", ...K3S_SERVER_KEYS],
      downloads: 3,
      links: [...K3S_LINKS("k3s.service"), `${K3S_TLS}/etcd/peer-ca.crt`, `${K3S_TLS}/etcd/peer-ca.key`],
    },
    {
      kind: "kubernetes",
      node: "worker-01",
      units: ["k3s-agent.service", ...SYSUPDATE],
      keys: ["/etc/flatcar/locksmith/client.key", "/etc/rancher/k3s/token"],
      downloads: 3,
      links: K3S_LINKS("k3s-agent.service"),
    },
  ])("$kind on $node: Docker, the updater and exactly its own units, keys, downloads and links", async ({ kind, node: name, units, keys, downloads, links }) => {
    const { config } = await node(withScheduler(smallSpec({ control: 3, worker: 1 }), kind), name);
    const always = ["docker.service", "update-engine.service", "locksmithd.service"];
    expect([...config.units.map((u) => u.name)].sort()).toEqual([...always, ...units].sort());
    expect(config.files.filter((f) => f.mode === 0o600).map((f) => f.path)).toEqual(keys);
    expect(config.downloads).toHaveLength(downloads);
    expect(config.links.map((l) => l.path)).toEqual(links);
  });
});

describe("etcd", () => {
  test("a control node's env file: planned IP only, TLS everywhere, v2 on; how it joins is the script's", async () => {
    const { file, config } = await node(withScheduler(smallSpec({ control: 3 }), "none"), "control-02");
    const env = file("/etc/etcd/etcd.env")!;
    const vars = Object.fromEntries(env.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/=(.*)/s).slice(0, 2)));
    expect(vars).toEqual({
      ETCD_NAME: "control-02",
      ETCD_DATA_DIR: "/var/lib/etcd",
      ETCD_LISTEN_CLIENT_URLS: "https://10.42.0.11:2379",
      ETCD_ADVERTISE_CLIENT_URLS: "https://10.42.0.11:2379",
      ETCD_LISTEN_PEER_URLS: "https://10.42.0.11:2380",
      ETCD_INITIAL_ADVERTISE_PEER_URLS: "https://10.42.0.11:2380",
      ETCD_INITIAL_CLUSTER_TOKEN: "t",
      ETCD_STRICT_RECONFIG_CHECK: "true",
      ETCD_ENABLE_V2: "true",
      ETCD_CLIENT_CERT_AUTH: "true",
      ETCD_TRUSTED_CA_FILE: "/etc/etcd/tls/ca.crt",
      ETCD_CERT_FILE: "/etc/etcd/tls/member.crt",
      ETCD_KEY_FILE: "/etc/etcd/tls/member.key",
      ETCD_PEER_CLIENT_CERT_AUTH: "true",
      ETCD_PEER_TRUSTED_CA_FILE: "/etc/etcd/tls/ca.crt",
      ETCD_PEER_CERT_FILE: "/etc/etcd/tls/member.crt",
      ETCD_PEER_KEY_FILE: "/etc/etcd/tls/member.key",
    });
    const unit = config.units.find((u) => u.name === "etcd-member.service")!;
    expect(unit.enabled).toBe(true);
    expect(unit.contents).toMatch(/^Restart=always$/m);
    expect(unit.contents).toMatch(/^After=network-online\.target/m);
    // Each step is the script's (its text is gzip'd in the user data, a unit's is not).
    const steps = unit.contents!.split("\n").filter((l) => /^Exec/.test(l));
    expect(steps).toEqual([
      "ExecStartPre=/usr/bin/bash /opt/coreform/etcd-member prepare",
      "ExecStart=/usr/bin/bash /opt/coreform/etcd-member run",
      "ExecStartPost=-/usr/bin/bash /opt/coreform/etcd-member promote",
      "ExecStop=/usr/bin/docker stop etcd",
    ]);
    expect(unit.contents).not.toMatch(/^Limit/m);
    // The script's `run`: host network, both env files (the second holds ETCD_INITIAL_CLUSTER(_STATE),
    // written by prepare), the container's own open-files limit, the directories at their own paths.
    const run = /^run\(\) \{\n([\s\S]*?)\n\}$/m.exec(file("/opt/coreform/etcd-member")!)![1]!.replace(/\\\n\s*/g, "");
    expect(run).toContain(
      'exec /usr/bin/docker run --name etcd --network host --ulimit nofile=40000:40000 --env-file "$ETCD_ENV_FILE" --env-file "$STATE_FILE" -v "$DATA:$DATA:rw" -v "$TLS_DIR:$TLS_DIR:ro" "$IMAGE" /usr/local/bin/etcd',
    );
    expect(file("/opt/coreform/etcd-member")).toContain("IMAGE='quay.io/coreos/etcd:v3.5.33' TLS_DIR='/etc/etcd/tls' RESTORE='etcdutl'\n");
    expect(file("/opt/coreform/etcd-member")).toContain("ETCD_ENV_FILE=${ETCD_ENV_FILE:-'/etc/etcd/etcd.env'}\nSTATE_FILE=${STATE_FILE:-'/run/etcd-member/cluster.env'}\n");
  });

  test("etcd.digest pins the image: docker runs image:tag@digest", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const { file } = await node(smallSpec({ control: 1, worker: 0 }).replace("updates:", `etcd: { digest: "${digest}" }\nupdates:`), "control-01");
    expect(file("/opt/coreform/etcd-member")).toContain(`IMAGE='quay.io/coreos/etcd:v3.5.33@${digest}'`);
  });

  test("the script: the same on every control node, every planned member in it, etcdctl and etcdutl from the image", async () => {
    const text = withScheduler(smallSpec({ control: 3 }), "none");
    const scripts = await Promise.all(["control-01", "control-03"].map(async (n) => (await node(text, n)).config.files.find((f) => f.path === "/opt/coreform/etcd-member")!));
    expect(scripts[0]).toEqual(scripts[1]);
    expect(scripts[0]!.mode).toBe(0o755);
    const script = scripts[0]!.contents;
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain("MEMBERS='control-01 https://10.42.0.10:2380 https://10.42.0.10:2379\ncontrol-02 https://10.42.0.11:2380 https://10.42.0.11:2379\ncontrol-03 https://10.42.0.12:2380 https://10.42.0.12:2379'");
    expect(script).toContain('TOOLS="/usr/bin/docker run --rm --network host -v $TLS_DIR:$TLS_DIR:ro -v $SNAPSHOT_DIR:$SNAPSHOT_DIR $IMAGE /usr/local/bin"');
    expect(script).toContain("ETCDCTL=${ETCDCTL:-$TOOLS/etcdctl}\nETCDUTL=${ETCDUTL:-$TOOLS/$RESTORE}\n");
    // Handlebars comments explain it and stay out of the user data.
    expect(script).not.toContain("{{");
    const old = await node(text.replace("updates:", "etcd: { version: v3.4.37 }\nupdates:"), "control-01");
    expect(old.config.files.find((f) => f.path === "/opt/coreform/etcd-member")!.contents).toContain("IMAGE='quay.io/coreos/etcd:v3.4.37' TLS_DIR='/etc/etcd/tls' RESTORE='etcdctl'\n");
  });

  test.each([
    ["daily", "daily"],
    ["hourly", "hourly"],
    ["weekly", "weekly"],
    ["03:30", "*-*-* 03:30:00"],
  ])("snapshots on schedule %s: a timer (OnCalendar=%s, spread, persistent) runs the script with keep", async (schedule, calendar) => {
    const { config } = await node(smallSpec({ control: 1, worker: 0 }).replace("updates:", `etcd: { snapshots: { schedule: "${schedule}", keep: 3 } }\nupdates:`), "control-01");
    const timer = config.units.find((u) => u.name === "etcd-snapshot.timer")!;
    expect(timer.enabled).toBe(true);
    expect(timer.contents).toContain(`\nOnCalendar=${calendar}\nRandomizedDelaySec=10min\nPersistent=true\n`);
    const service = config.units.find((u) => u.name === "etcd-snapshot.service")!;
    expect(service.enabled).toBeUndefined();
    expect(service.contents).toContain("ExecStart=/usr/bin/bash /opt/coreform/etcd-member snapshot 3\n");
    // It never starts etcd that an operator stopped (for a restore, say).
    expect(service.contents).not.toMatch(/Wants=|Requires=|BindsTo=/);
  });

  test('snapshots off: no timer, no service; the script stays (restore)', async () => {
    const { config } = await node(smallSpec({ control: 1, worker: 0 }).replace("updates:", `etcd: { snapshots: { schedule: "off" } }\nupdates:`), "control-01");
    expect(config.units.map((u) => u.name).filter((n) => n.startsWith("etcd-snapshot"))).toEqual([]);
    expect(config.files.map((f) => f.path)).toContain("/opt/coreform/etcd-member");
  });

  test("workers run no etcd: only the CA every node trusts etcd by", async () => {
    const { config } = await node(withScheduler(smallSpec({ control: 1, worker: 1 }), "none"), "worker-01");
    expect(config.files.filter((f) => f.path.startsWith("/etc/etcd")).map((f) => f.path)).toEqual(["/etc/etcd/tls/ca.crt"]);
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
        "LOCKSMITHD_ETCD_CAFILE=/etc/etcd/tls/ca.crt",
        "LOCKSMITHD_ETCD_CERTFILE=/etc/flatcar/locksmith/client.crt",
        "LOCKSMITHD_ETCD_KEYFILE=/etc/flatcar/locksmith/client.key",
        "LOCKSMITHD_REBOOT_WINDOW_START=Thu 04:00",
        "LOCKSMITHD_REBOOT_WINDOW_LENGTH=1h",
        "",
      ].join("\n"),
    );
    expect(file("/etc/flatcar/locksmith/client.key")).toBe(secrets.clients.locksmith.key);
  });

  test("a control node's locksmith presents the node's member certificate and carries none of its own", async () => {
    const { file } = await node(smallSpec({ control: 3, worker: 1 }), "control-01");
    expect(file("/etc/flatcar/update.conf")).toContain("LOCKSMITHD_ETCD_CERTFILE=/etc/etcd/tls/member.crt\nLOCKSMITHD_ETCD_KEYFILE=/etc/etcd/tls/member.key\n");
    expect(file("/etc/flatcar/locksmith/client.crt")).toBeUndefined();
  });

  const url = (n: number) => `https://10.42.0.${n}:2379`;
  test.each([
    { name: "control-01", order: [10, 11, 12] },
    { name: "control-02", order: [11, 12, 10] },
    { name: "control-03", order: [12, 10, 11] },
    { name: "worker-01", order: [10, 11, 12] }, // node index 3
    { name: "worker-02", order: [11, 12, 10] },
  ])("$name lists every endpoint in its own order (a control node's member first, workers rotated)", async ({ name, order }) => {
    const conf = (await node(smallSpec({ control: 3, worker: 2 }), name)).file("/etc/flatcar/update.conf")!;
    expect(/^LOCKSMITHD_ENDPOINT=(.*)$/m.exec(conf)![1]).toBe(order.map(url).join(","));
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
    const text = renderTemplate("etcd-member.service", { script: "/a&b<c>" });
    expect(text).toContain("/a&b<c>");
  });
});

describe("kubernetes (k3s from the sysext-bakery)", () => {
  const spec = (extra = "") => withScheduler(smallSpec({ control: 3, worker: 2 }), "kubernetes", extra);

  test.each(["control-01", "worker-02"])("%s: the pinned image, its link, the minor's sysupdate feed and noop, the timer and the reboot signal", async (name) => {
    const { config } = await node(spec(", version: v1.33.4+k3s2"), name);
    expect(config.downloads).toEqual([
      { path: "/opt/extensions/k3s/k3s-v1.33.4+k3s2-x86-64.raw", mode: 0o644, source: "https://extensions.flatcar.org/extensions/k3s-v1.33.4+k3s2-x86-64.raw" },
      { path: "/etc/sysupdate.k3s-v1.33.d/k3s-v1.33.conf", mode: 0o644, source: "https://extensions.flatcar.org/extensions/k3s/k3s-v1.33.conf" },
      { path: "/etc/sysupdate.d/noop.conf", mode: 0o644, source: "https://extensions.flatcar.org/extensions/noop.conf" },
    ]);
    expect(config.links[0]).toEqual({ path: "/etc/extensions/k3s.raw", target: "/opt/extensions/k3s/k3s-v1.33.4+k3s2-x86-64.raw" });
    expect(config.units.find((u) => u.name === "systemd-sysupdate.timer")).toEqual({ name: "systemd-sysupdate.timer", enabled: true });
    const dropin = config.units.find((u) => u.name === "systemd-sysupdate.service")!.dropins![0]!;
    expect(dropin.name).toBe("k3s.conf");
    expect(dropin.contents).toContain("ExecStartPre=/usr/lib/systemd/systemd-sysupdate -C k3s-v1.33 update");
    expect(dropin.contents).toContain("touch /run/reboot-required");
  });

  test("sysupdate: false keeps every node at scheduler.version: the image and its link, no feed, no timer", async () => {
    const { config } = await node(spec(", version: v1.33.4+k3s2, sysupdate: false"), "worker-02");
    expect(config.downloads).toEqual([
      { path: "/opt/extensions/k3s/k3s-v1.33.4+k3s2-x86-64.raw", mode: 0o644, source: "https://extensions.flatcar.org/extensions/k3s-v1.33.4+k3s2-x86-64.raw" },
    ]);
    expect(config.links[0]).toEqual({ path: "/etc/extensions/k3s.raw", target: "/opt/extensions/k3s/k3s-v1.33.4+k3s2-x86-64.raw" });
    expect(config.units.map((u) => u.name).filter((n) => n.startsWith("systemd-sysupdate"))).toEqual([]);
  });

  test("control nodes: k3s.service on the cluster's etcd (own member first, the member's certificate), tls-san, the shared token", async () => {
    const { config, file, secrets } = await node(spec(), "control-02");
    expect(config.links[1]).toEqual({ path: "/etc/systemd/system/multi-user.target.wants/k3s.service", target: "/usr/local/lib/systemd/system/k3s.service" });
    expect(yaml.load(file("/etc/rancher/k3s/config.yaml")!)).toEqual({
      "node-ip": "10.42.0.11",
      "tls-san": ["10.42.0.11", "control-02"],
      "token-file": "/etc/rancher/k3s/token",
      "datastore-endpoint": "https://10.42.0.11:2379,https://10.42.0.12:2379,https://10.42.0.10:2379",
      "datastore-cafile": "/etc/etcd/tls/ca.crt",
      "datastore-certfile": "/etc/etcd/tls/member.crt",
      "datastore-keyfile": "/etc/etcd/tls/member.key",
      // Apart from every network of the nodes (k3s's own 10.42.0.0/16 holds this one).
      "cluster-cidr": "10.244.0.0/16",
      "service-cidr": "10.96.0.0/16",
      "cluster-dns": "10.96.0.10",
    });
    expect(file("/etc/etcd/tls/ca.crt")).toBe(secrets.ca.cert); // the datastore CA is etcd's own, already on the node
    expect(file("/etc/etcd/tls/member.crt")).toBe(secrets.members["control-02"]!.cert);
    expect(config.files.filter((f) => f.path.startsWith("/etc/rancher/k3s/etcd"))).toEqual([]);
    expect(file("/etc/rancher/k3s/token")).toBe(`${secrets.kubernetes!.token}\n`);
    expect(file("/etc/rancher/k3s/config.yaml")).not.toContain(secrets.kubernetes!.token);
  });

  test("control nodes: every CA and key of k3s's bootstrap data at k3s's own paths, keys 0600; its unused etcd CAs are one", async () => {
    const { config, secrets } = await node(spec(), "control-01");
    const k8s = secrets.kubernetes!;
    const tls = "/var/lib/rancher/k3s/server/tls";
    const server = config.files.filter((f) => f.path.startsWith("/var/lib/rancher/k3s/server/")).map((f) => [f.path, f.mode.toString(8), f.contents]);
    expect(server).toEqual([
      [`${tls}/server-ca.crt`, "644", k8s.serverCa.cert],
      [`${tls}/server-ca.key`, "600", k8s.serverCa.key],
      [`${tls}/client-ca.crt`, "644", k8s.clientCa.cert],
      [`${tls}/client-ca.key`, "600", k8s.clientCa.key],
      [`${tls}/request-header-ca.crt`, "644", k8s.requestHeaderCa.cert],
      [`${tls}/request-header-ca.key`, "600", k8s.requestHeaderCa.key],
      [`${tls}/etcd/server-ca.crt`, "644", k8s.etcdCa.cert],
      [`${tls}/etcd/server-ca.key`, "600", k8s.etcdCa.key],
      [`${tls}/service.key`, "600", k8s.serviceAccountKey],
      ["/var/lib/rancher/k3s/server/cred/ipsec.psk", "600", `${k8s.ipsecPsk}\n`],
    ]);
    expect(config.links.slice(2)).toEqual([
      { path: `${tls}/etcd/peer-ca.crt`, target: `${tls}/etcd/server-ca.crt` },
      { path: `${tls}/etcd/peer-ca.key`, target: `${tls}/etcd/server-ca.key` },
    ]);
  });

  test.each([
    { name: "worker-01", ip: "10.42.0.13", order: ["10.42.0.10", "10.42.0.11", "10.42.0.12"] }, // node index 3
    { name: "worker-02", ip: "10.42.0.14", order: ["10.42.0.11", "10.42.0.12", "10.42.0.10"] },
  ])("$name: k3s-agent.service with the same token, rotated first server, a load balancer that knows every server, no server secrets", async ({ name, ip, order }) => {
    const { config, file, secrets } = await node(spec(), name);
    expect(config.links[1]).toEqual({ path: "/etc/systemd/system/multi-user.target.wants/k3s-agent.service", target: "/usr/local/lib/systemd/system/k3s-agent.service" });
    expect(yaml.load(file("/etc/rancher/k3s/config.yaml")!)).toEqual({ server: `https://${order[0]}:6443`, "node-ip": ip, "token-file": "/etc/rancher/k3s/token" });
    expect(JSON.parse(file("/var/lib/rancher/k3s/agent/etc/k3s-agent-load-balancer.json")!)).toEqual({
      ServerURL: `https://${order[0]}:6443`,
      ServerAddresses: order.map((a) => `${a}:6443`),
    });
    expect(file("/etc/rancher/k3s/token")).toBe(`${secrets.kubernetes!.token}\n`);
    const serverOnly = config.files.map((f) => f.path).filter((p) => p.startsWith("/etc/rancher/k3s/etcd") || p.includes("/server/") || p.startsWith("/etc/etcd/tls/member"));
    expect(serverOnly).toEqual([]);
  });

  test.each([
    { name: "control-01", unit: "k3s.service", ip: "10.42.0.10" },
    { name: "worker-02", unit: "k3s-agent.service", ip: "10.42.0.14" },
  ])("$name: flannel gets the interface holding the planned address, found before each start", async ({ name, unit, ip }) => {
    const { config } = await node(spec(), name);
    const dropins = config.units.find((u) => u.name === unit)!.dropins!;
    expect(dropins.map((d) => d.name)).toEqual(["coreform-flannel-iface.conf"]);
    expect(dropins[0]!.contents).toBe(
      [
        "[Service]",
        "ExecStartPre=/usr/bin/mkdir -p /etc/rancher/k3s/config.yaml.d",
        `ExecStartPre=/usr/bin/sh -c 'set -- $$(ip -o -4 addr show to ${ip}/32) && test -n "$$2" && echo "flannel-iface: $$2" > /etc/rancher/k3s/config.yaml.d/50-coreform-flannel-iface.yaml'`,
        "",
      ].join("\n"),
    );
    // The unit stays the extension's: enabled by its link (above), neither replaced nor preset.
    expect(config.units.find((u) => u.name === unit)).toEqual({ name: unit, dropins });
  });

  test("an arm64 environment gets the arm64 image", async () => {
    const text = spec().replace(/environments:[\s\S]*$/, "environments:\n  test:\n    platform: aws\n    region: eu-central-1\n    adminCidrs: [203.0.113.0/24]\n    arch: arm64\n    control: { instanceType: t4g.small }\n    worker: { instanceType: t4g.small }\n");
    const { config } = await node(text, "worker-01");
    expect(config.downloads[0]!.source).toBe("https://extensions.flatcar.org/extensions/k3s-v1.32.2+k3s1-arm64.raw");
  });
});

describe("fleet (legacy)", () => {
  test("an image pinned by digest runs as written", async () => {
    const image = `quay.io/coreos/fleet:v1.0.0@sha256:${"a1".repeat(32)}`;
    const { config } = await node(withScheduler(smallSpec({ control: 1, worker: 0 }), "fleet", `, image: "${image}"`), "control-01");
    expect(config.units.find((u) => u.name === "fleet.service")!.contents).toMatch(new RegExp(`^\\s+${image.replace(/[.]/g, "\\.")}$`, "m"));
  });

  test.each([
    { name: "control-01", role: "control", ip: "10.42.0.10" },
    { name: "worker-01", role: "worker", ip: "10.42.0.13" },
  ])("$name runs fleet in Docker against etcd v2 over TLS, with its role and planned IP (a worker with fleet's own certificate)", async ({ name, role, ip }) => {
    const { config, file, secrets } = await node(withScheduler(smallSpec({ control: 3, worker: 1 }), "fleet"), name);
    const control = role === "control";
    const [certFile, keyFile] = control ? ["/etc/etcd/tls/member.crt", "/etc/etcd/tls/member.key"] : ["/etc/fleet/tls/client.crt", "/etc/fleet/tls/client.key"];
    const env = Object.fromEntries(file("/etc/fleet/fleet.env")!.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/=(.*)/s).slice(0, 2)));
    expect(env).toEqual({
      FLEET_ETCD_SERVERS: "https://10.42.0.10:2379,https://10.42.0.11:2379,https://10.42.0.12:2379",
      FLEET_ETCD_CAFILE: "/etc/etcd/tls/ca.crt",
      FLEET_ETCD_CERTFILE: certFile,
      FLEET_ETCD_KEYFILE: keyFile,
      FLEET_ETCD_KEY_PREFIX: "/_coreos.com/fleet/",
      FLEET_METADATA: `role=${role}`,
      FLEET_PUBLIC_IP: ip,
    });
    expect(file(certFile)).toBe(control ? secrets.members["control-01"]!.cert : secrets.clients.fleet!.cert);
    expect(config.files.find((f) => f.path === keyFile)!.mode).toBe(0o600);
    if (control) expect(config.files.filter((f) => f.path.startsWith("/etc/fleet/tls"))).toEqual([]);
    const unit = config.units.find((u) => u.name === "fleet.service")!;
    expect(unit.enabled).toBe(true);
    expect(unit.contents).toMatch(/--network host/);
    expect(unit.contents).toMatch(/--env-file \/etc\/fleet\/fleet.env/);
    expect(unit.contents).toContain(control ? "--volume /etc/etcd/tls:/etc/etcd/tls:ro" : "--volume /etc/fleet/tls:/etc/fleet/tls:ro");
    expect(unit.contents).toMatch(/ quay\.io\/coreos\/fleet:v1\.0\.0$/m);
    expect(config.downloads).toEqual([]);
    expect(config.links).toEqual([]);
  });

  test("the image can be overridden", async () => {
    const { config } = await node(withScheduler(smallSpec(), "fleet", ", image: registry.example.org/fleet:v1.0.0-demo"), "control-01");
    expect(config.units.find((u) => u.name === "fleet.service")!.contents).toMatch(/ registry\.example\.org\/fleet:v1\.0\.0-demo$/m);
  });
});
