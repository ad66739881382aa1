// The schedulers' own etcd clients against a real etcd started from the rendered configs (127.0.82.0/24):
// fleet's certificate reads and writes under fleet's v2 prefix, one from another environment is refused;
// k3s's datastore settings (endpoints, CA, the control node's member certificate, exactly as its
// config.yaml names them) put and get under /registry/ with the v3 API — the check k3s makes at start.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { fromIgnition } from "../../cloud-config/ignition";
import { FLEET_KEY_PREFIX } from "../../src/node/fleet";
import type { NodeConfig } from "../../src/node/model";
import { cli, project, tempDir } from "../helpers/cli";
import { renderCluster, startCluster, type Rendered } from "../helpers/cluster";
import { etcdctl, parseEnvFile, readTls, stopAllEtcd, v2Get, v2Set, waitHealthy, type ClientTls } from "../helpers/etcd";
import { describeWithTools } from "../helpers/tools";

const nodeConfig = (dir: string, node: string): NodeConfig =>
  fromIgnition(readFileSync(join(dir, "out", "test", "ignition", `${node}.json`), "utf8"));

/** Copies the files a client's settings name out of the node's config into a temp dir. */
function clientFiles(node: NodeConfig, paths: { ca: string; cert: string; key: string }): ClientTls {
  const dir = tempDir("coreform-client-");
  const out = (p: string, name: string) => {
    const f = node.files.find((x) => x.path === p);
    if (!f) throw new Error(`${node.hostname} names ${p}, which its config does not write`);
    const file = join(dir, name);
    writeFileSync(file, f.contents, { mode: f.mode });
    return file;
  };
  return { ca: out(paths.ca, "ca.crt"), cert: out(paths.cert, "client.crt"), key: out(paths.key, "client.key") };
}

function fleetClient(node: NodeConfig): { servers: string[]; prefix: string; tls: ClientTls } {
  const env = parseEnvFile(node.files.find((f) => f.path === "/etc/fleet/fleet.env")!.contents);
  return {
    servers: env.FLEET_ETCD_SERVERS!.split(","),
    prefix: env.FLEET_ETCD_KEY_PREFIX!,
    tls: clientFiles(node, { ca: env.FLEET_ETCD_CAFILE!, cert: env.FLEET_ETCD_CERTFILE!, key: env.FLEET_ETCD_KEYFILE! }),
  };
}

describeWithTools(["etcd", "etcdctl"])("the schedulers' etcd clients on a real etcd", () => {
  let cluster: Rendered;

  beforeAll(async () => {
    cluster = await renderCluster("127.0.82", 1, { scheduler: "fleet", worker: 1 });
    const procs = await startCluster(cluster);
    await waitHealthy(procs, cluster.members.map((m) => m.clientUrl), cluster.operator);
  }, 40_000);
  afterAll(stopAllEtcd, 20_000);

  test("fleet: a worker's certificate reads and writes under fleet's v2 prefix", async () => {
    const fleet = fleetClient(nodeConfig(cluster.dir, "worker-01"));
    expect(fleet.servers).toEqual(cluster.members.map((m) => m.clientUrl));
    expect(fleet.prefix).toBe(FLEET_KEY_PREFIX);
    const key = `${fleet.prefix.replace(/^\//, "")}machines/0a1b2c3d/object`;
    const tls = readTls(fleet.tls);
    const put = await v2Set(fleet.servers[0]!, tls, key, '{"PublicIP":"127.0.82.11","Metadata":{"role":"worker"}}');
    expect(put.status).toBe(201);
    const got = await v2Get(fleet.servers[0]!, tls, key);
    expect({ status: got.status, value: got.node?.value }).toEqual({ status: 200, value: '{"PublicIP":"127.0.82.11","Metadata":{"role":"worker"}}' });
  });

  test("fleet: the certificate of another environment (its own CA) is refused", async () => {
    const other = project(readFileSync(join(cluster.dir, "cluster.yaml"), "utf8"));
    expect((await cli(other, "render")).code).toBe(0);
    const stranger = fleetClient(nodeConfig(other, "worker-01"));
    // Trusting our CA for the server, presenting the other environment's client certificate.
    const tls = readTls({ ...stranger.tls, ca: cluster.operator.ca });
    await expect(v2Get(cluster.members[0]!.clientUrl, tls, `${FLEET_KEY_PREFIX.slice(1)}machines`)).rejects.toThrow();
  });

  test("kubernetes: after switching the spec, k3s's datastore settings put and get under /registry/ (v3)", async () => {
    const specFile = join(cluster.dir, "cluster.yaml");
    const before = nodeConfig(cluster.dir, "control-01").files.find((f) => f.path === "/etc/etcd/tls/member.crt")!.contents;
    writeFileSync(specFile, readFileSync(specFile, "utf8").replace("kind: fleet", "kind: kubernetes"));
    expect((await cli(cluster.dir, "render")).code).toBe(0);
    const control = nodeConfig(cluster.dir, "control-01");
    // The running etcd keeps working: its certificates did not change.
    expect(control.files.find((f) => f.path === "/etc/etcd/tls/member.crt")!.contents).toBe(before);

    const config = yaml.load(control.files.find((f) => f.path === "/etc/rancher/k3s/config.yaml")!.contents) as Record<string, string>;
    const endpoints = config["datastore-endpoint"]!.split(",");
    expect(endpoints).toEqual(cluster.members.map((m) => m.clientUrl));
    const tls = clientFiles(control, { ca: config["datastore-cafile"]!, cert: config["datastore-certfile"]!, key: config["datastore-keyfile"]! });
    const put = await etcdctl(endpoints, tls, ["put", "/registry/coreform/check", "k3s"]);
    expect(put).toMatchObject({ code: 0, stdout: "OK\n" });
    const get = await etcdctl(endpoints, tls, ["get", "--prefix", "/registry/"]);
    expect(get).toMatchObject({ code: 0, stdout: "/registry/coreform/check\nk3s\n" });
    // The agent's settings name no datastore at all.
    const agent = yaml.load(nodeConfig(cluster.dir, "worker-01").files.find((f) => f.path === "/etc/rancher/k3s/config.yaml")!.contents) as Record<string, string>;
    expect(Object.keys(agent).filter((k) => k.startsWith("datastore"))).toEqual([]);
  });
});
