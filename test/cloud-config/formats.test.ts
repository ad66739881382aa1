// The first-boot formats: content encoding, cloud-config ≡ Ignition, and identical user data on every
// platform given the same secrets.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { PROVISION_UNIT, fromCloudConfig, serializeCloudConfig, toCloudConfig } from "../../cloud-config/coreos-cloudinit";
import { fromCloudConfigContent, fromDataUrl, toCloudConfigContent, toDataUrl } from "../../cloud-config/encoding";
import { fromIgnition, HTTP_TOTAL_SECONDS, toIgnition } from "../../cloud-config/ignition";
import { inBothFormats } from "../../cloud-config/user-data";
import type { NodeConfig } from "../../src/node/model";
import { PLATFORMS } from "../../src/spec/schema";
import { renderEnv, specFrom } from "../helpers/nodes";
import { sshKey } from "../helpers/ssh-keys";

const defaultSpec = specFrom(readFileSync(join(__dirname, "../../cluster.yaml"), "utf8"));

describe("file contents as data URLs", () => {
  test.each([
    ["short text stays plain", "core-01\n", "data:,core-01%0A", undefined],
    ["'+' is escaped (Ignition reads a raw '+' as a space)", "a+b", "data:,a%2Bb", undefined],
    ["repetitive text is gzipped", "KEY=value\n".repeat(200), "data:;base64,", "gzip"],
    ["text that percent-encoding blows up goes base64", "Grüße, €ñ!", "data:;base64,", undefined],
  ])("%s", (_name, text, prefix, compression) => {
    const c = toDataUrl(text);
    expect(c.source.startsWith(prefix)).toBe(true);
    expect(c.compression).toBe(compression);
    expect(fromDataUrl(c)).toBe(text);
  });

  test("always the smallest of plain, base64 and gzip, and each wins somewhere", () => {
    // The three forms, written out here: percent-encoding all but what stands for itself in a data URL.
    const plain = (text: string) => `data:,${[...text].map((ch) => (/[A-Za-z0-9\-._~/:=@]/.test(ch) ? ch : encodeURIComponent(ch).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))).join("")}`;
    const base64 = (text: string) => `data:;base64,${Buffer.from(text).toString("base64")}`;
    const gzip = (text: string) => `data:;base64,${gzipSync(Buffer.from(text), { level: 9 }).toString("base64")}`;
    const samples = ["", "x", "a b%c\n", "ü", "ü€😀ü€😀", defaultSpec.ssh.authorizedKeys.join("\n"), "[Unit]\nDescription=x\n".repeat(30)];
    const winners = new Set<string>();
    for (const text of samples) {
      const chosen = toDataUrl(text);
      expect(fromDataUrl(chosen)).toBe(text);
      const forms = { plain: plain(text), base64: base64(text), gzip: gzip(text) };
      expect(chosen.source.length).toBe(Math.min(...Object.values(forms).map((f) => f.length)));
      winners.add(chosen.compression ? "gzip" : chosen.source.startsWith("data:;base64,") ? "base64" : "plain");
    }
    expect([...winners].sort()).toEqual(["base64", "gzip", "plain"]);
  });

  test("cloud-config content is plain unless gzip + base64 is smaller", () => {
    expect(toCloudConfigContent("GROUP=stable\n")).toEqual({ content: "GROUP=stable\n" });
    const long = "LOCKSMITHD_ENDPOINT=https://10.42.0.10:2379\n".repeat(20);
    const packed = toCloudConfigContent(long);
    expect(packed.encoding).toBe("gzip+base64");
    expect(fromCloudConfigContent(packed.content, packed.encoding)).toBe(long);
  });
});

describe("cloud-config ≡ Ignition", () => {
  test.each(Object.keys(defaultSpec.environments))("every node of %s parses back to the same NodeConfig from both formats", async (env) => {
    const { nodes } = await renderEnv(defaultSpec, env);
    for (const { config, ignition, cloudConfig, format, userData } of nodes) {
      expect(fromIgnition(ignition)).toEqual(config);
      expect(fromCloudConfig(cloudConfig)).toEqual(config);
      // What render makes is the platform's format, byte for byte.
      expect(userData).toBe(format === "ignition" ? ignition : cloudConfig);
      expect(format).toBe(env === "laptop" ? "cloud-config" : "ignition");
    }
  });

  test("cloud-config uses underscore keys only and starts with #cloud-config", async () => {
    const { nodes } = await renderEnv(defaultSpec, "laptop");
    const text = nodes[0].cloudConfig;
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    const keys = [...text.matchAll(/^\s*-?\s*([a-z_-]+):/gm)].map((m) => m[1]);
    expect(keys.filter((k) => k.includes("-"))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(["hostname", "ssh_authorized_keys", "write_files", "coreos", "units", "permissions"]));
  });

  test("a unit with drop-ins and a mask survives both formats", () => {
    const config = {
      hostname: "n-01",
      sshAuthorizedKeys: [],
      files: [{ path: "/etc/x", mode: 0o600, contents: "secret\n" }],
      downloads: [],
      links: [],
      units: [
        { name: "a.service", contents: "[Service]\nExecStart=/bin/true\n", enabled: true, dropins: [{ name: "10-x.conf", contents: "[Service]\nNice=5\n" }] },
        { name: "b.service", masked: true },
        { name: "c.service", dropins: [{ name: "20-y.conf", contents: "[Unit]\n" }] },
      ],
    };
    expect(fromIgnition(JSON.stringify(toIgnition(config)))).toEqual(config);
    expect(fromCloudConfig(serializeCloudConfig(toCloudConfig(config)))).toEqual(config);
  });

  test("downloads and links survive both formats; cloud-config does them once, in one unit", () => {
    const config = {
      hostname: "n-01",
      sshAuthorizedKeys: [],
      files: [],
      downloads: [{ path: "/opt/extensions/x/x-v1.0+a1.raw", mode: 0o644, source: "https://example.org/x-v1.0+a1.raw?x=%41" }],
      links: [{ path: "/etc/extensions/x.raw", target: "/opt/extensions/x/x-v1.0+a1.raw" }],
      units: [{ name: "docker.service", enabled: true }],
    };
    const ignition = toIgnition(config);
    expect(ignition.storage.links).toEqual([{ path: "/etc/extensions/x.raw", target: "/opt/extensions/x/x-v1.0+a1.raw" }]);
    expect(ignition.storage.files.at(-1)!.contents).toEqual({ source: "https://example.org/x-v1.0+a1.raw?x=%41" });
    expect(fromIgnition(JSON.stringify(ignition))).toEqual(config);

    const cloud = toCloudConfig(config);
    const unit = cloud.coreos.units.find((u) => u.name === PROVISION_UNIT)!;
    expect(unit).toMatchObject({ enable: true, command: "start" });
    expect(unit.content).toContain("ConditionPathExists=!/var/lib/coreform/provisioned");
    expect(unit.content).toContain("https://example.org/x-v1.0+a1.raw?x=%%41"); // '%' is a unit specifier
    expect(unit.content).toContain("ExecStart=/usr/bin/ln -sfn /opt/extensions/x/x-v1.0+a1.raw /etc/extensions/x.raw");
    expect(fromCloudConfig(serializeCloudConfig(cloud))).toEqual(config);
  });

  test("a download's hash and a bounded fetch: Ignition's verification.hash and httpTotal, cloud-config's sha256sum", () => {
    const sha256 = "3c".repeat(32);
    const config = {
      hostname: "n-01",
      sshAuthorizedKeys: [],
      files: [],
      downloads: [
        { path: "/opt/x.raw", mode: 0o644, source: "https://example.org/x.raw", sha256 },
        { path: "/etc/x.conf", mode: 0o644, source: "https://example.org/x.conf" },
      ],
      links: [],
      units: [],
    };
    const ignition = toIgnition(config);
    expect(ignition.ignition).toEqual({ version: "3.3.0", timeouts: { httpTotal: HTTP_TOTAL_SECONDS } });
    expect(HTTP_TOTAL_SECONDS).toBe(300);
    expect(ignition.storage.files.slice(1).map((f) => f.contents)).toEqual([
      { source: "https://example.org/x.raw", verification: { hash: `sha256-${sha256}` } },
      { source: "https://example.org/x.conf" },
    ]);
    expect(fromIgnition(JSON.stringify(ignition))).toEqual(config);
    const unit = toCloudConfig(config).coreos.units.find((u) => u.name === PROVISION_UNIT)!.content!;
    expect(unit).toContain(`ExecStart=/usr/bin/sh -c 'echo "${sha256}  /opt/x.raw" | /usr/bin/sha256sum --check --quiet'`);
    expect(unit.indexOf("sha256sum")).toBeGreaterThan(unit.indexOf("-o /opt/x.raw "));
    expect(fromCloudConfig(serializeCloudConfig(toCloudConfig(config)))).toEqual(config);
    // nothing to fetch, no timeout: the configs of nodes without downloads are as before
    expect(toIgnition({ ...config, downloads: [] }).ignition).toEqual({ version: "3.3.0" });
  });

  test("a path with whitespace cannot go into the provisioning unit", () => {
    const config = { hostname: "n", sshAuthorizedKeys: [], files: [], downloads: [], links: [{ path: "/etc/a b", target: "/x" }], units: [] };
    expect(() => toCloudConfig(config)).toThrow(/whitespace/);
  });
});

describe("user-data size", () => {
  test.each(["kubernetes", "fleet", "none"])("the largest controller Ignition config with %s fits EC2's 16 KiB (`npm run bench` prints the sizes)", async (kind) => {
    const spec = specFrom(readFileSync(join(__dirname, "../../cluster.yaml"), "utf8").replace(/kind: kubernetes\n.*\n/, `kind: ${kind}\n`));
    const { nodes } = await renderEnv(spec, "prod");
    const largest = Math.max(...nodes.filter((n) => n.node.role === "control").map((n) => Buffer.byteLength(n.ignition)));
    const worker = Math.max(...nodes.filter((n) => n.node.role === "worker").map((n) => Buffer.byteLength(n.ignition)));
    expect(spec.scheduler.kind).toBe(kind);
    expect(largest).toBeLessThanOrEqual(16384);
    expect(largest).toBeGreaterThan(worker);
  });
});

describe("identical clusters", () => {
  // A new AWS environment places its nodes in zone subnets (test/plan/zones.test.ts): with one zone, its subnet is the whole network.
  test("with the same secrets, node N's user data is byte-identical on all six platforms, but for Vagrant's data disk (none)", async () => {
    const base = readFileSync(join(__dirname, "../../cluster.yaml"), "utf8").replace(/\nenvironments:[\s\S]*$/, "\n");
    const envs: Record<string, string> = {
      vagrant: "{ platform: vagrant }",
      libvirt: "{ platform: libvirt }",
      openstack: "{ platform: openstack, externalNetwork: public, adminCidrs: [203.0.113.0/24], control: { flavor: m1.medium }, worker: { flavor: m1.large } }",
      aws: "{ platform: aws, region: eu-central-1, adminCidrs: [203.0.113.0/24], zones: [eu-central-1a] }",
      gce: "{ platform: gce, project: coreform-demo, region: europe-west1, zone: europe-west1-b, adminCidrs: [203.0.113.0/24] }",
      azure: "{ platform: azure, location: westeurope, adminCidrs: [203.0.113.0/24] }",
    };
    expect(Object.keys(envs).sort()).toEqual([...PLATFORMS].sort());
    const spec = specFrom(`${base}environments:\n${Object.entries(envs).map(([k, v]) => `  ${k}: ${v}`).join("\n")}\n`);
    const first = await renderEnv(spec, "libvirt");
    // Vagrant's control nodes keep etcd's data on the root disk: their etcd-member script looks for no disk, and that is all.
    const noDisk = (config: NodeConfig): NodeConfig => ({ ...config, files: config.files.map((f) => ({ ...f, contents: f.contents.replace(/^DISK_GIB=\$\{DISK_GIB-'10'\}/m, "DISK_GIB=${DISK_GIB-''}") })) });
    expect(first.nodes.filter((n) => noDisk(n.config).files.some((f, i) => f.contents !== n.config.files[i]!.contents)).map((n) => n.node.name)).toEqual(["control-01", "control-02", "control-03"]);
    for (const platform of PLATFORMS) {
      const { nodes } = await renderEnv(spec, platform, first.secrets);
      const expected = first.nodes.map((n) => ({ name: n.node.name, ...(platform === "vagrant" ? inBothFormats(noDisk(n.config)) : { ignition: n.ignition, cloudConfig: n.cloudConfig }) }));
      expect(nodes.map((n) => [n.node.name, n.ignition, n.cloudConfig])).toEqual(expected.map((n) => [n.name, n.ignition, n.cloudConfig]));
    }
  });

  test("the user-data budget is checked at render time, naming node, size and limit", async () => {
    const keys = Array.from({ length: 160 }, (_, i) => `    - ${sshKey("ssh-ed25519", i, `k${i}`)}`).join("\n");
    const text = readFileSync(join(__dirname, "../../cluster.yaml"), "utf8").replace(/  authorizedKeys:\n.*\n/, `  authorizedKeys:\n${keys}\n`);
    const spec = specFrom(text);
    await expect(renderEnv(spec, "prod")).rejects.toThrow(/prod: node control-01: ignition config is \d+ bytes, over the 16384-byte limit/);
    await expect(renderEnv(spec, "gce")).resolves.toBeDefined();
  });
});
