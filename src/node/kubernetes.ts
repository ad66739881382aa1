// Kubernetes: k3s from the Flatcar sysext-bakery on every node (shared/reference/flatcar.md, "k3s from
// the sysext-bakery"). Control nodes run `k3s server` on the cluster's own etcd (its own client
// certificate, every member's client URL); workers run `k3s agent` against the first control node. The
// extension ships both units unenabled: a multi-user.target.wants link enables the one the role needs.
// Settings are /etc/rancher/k3s/config.yaml (keys = flag names); the token stays in its own 0600 file.
import yaml from "js-yaml";
import { PUBLIC, SECRET, type NodeContext } from "./context";
import { ETCD_CA_FILE } from "./etcd";
import type { NodePart } from "./model";
import { renderTemplate } from "./templates";

const BAKERY = "https://extensions.flatcar.org/extensions";
export const K3S_CONFIG_DIR = "/etc/rancher/k3s";
const TOKEN_FILE = `${K3S_CONFIG_DIR}/token`;
const DATASTORE_TLS_DIR = `${K3S_CONFIG_DIR}/etcd`;
/** k3s uses CA files it finds here at its first start instead of generating its own. */
export const K3S_SERVER_TLS_DIR = "/var/lib/rancher/k3s/server/tls";
const EXTENSION_LINK = "/etc/extensions/k3s.raw";
const SHIPPED_UNITS = "/usr/local/lib/systemd/system";

type Kubernetes = Extract<NodeContext["spec"]["scheduler"], { kind: "kubernetes" }>;

/** The bakery's names for one k3s release: image file, its URL, and the sysupdate component (one minor). */
export function k3sRelease(version: string, arch: NodeContext["plan"]["arch"]) {
  const minor = /^v(\d+\.\d+)\./.exec(version)![1];
  const image = `k3s-${version}-${arch === "x86_64" ? "x86-64" : "arm64"}.raw`;
  return { image, url: `${BAKERY}/${image}`, component: `k3s-v${minor}` };
}

export function kubernetesPart({ spec, plan, node, secrets }: NodeContext): NodePart {
  const { version } = spec.scheduler as Kubernetes;
  const k8s = secrets.kubernetes;
  if (!k8s || !plan.scheduler.apiServer) throw new Error(`kubernetes secrets or API server missing for ${node.name}`);
  const release = k3sRelease(version, plan.arch);
  const imagePath = `/opt/extensions/k3s/${release.image}`;
  const server = node.role === "control";
  const unit = server ? "k3s.service" : "k3s-agent.service";

  const config = server
    ? {
        "node-ip": node.ip,
        "tls-san": [node.ip, node.name],
        "token-file": TOKEN_FILE,
        "datastore-endpoint": plan.etcd.clientUrls.join(","),
        "datastore-cafile": ETCD_CA_FILE,
        "datastore-certfile": `${DATASTORE_TLS_DIR}/client.crt`,
        "datastore-keyfile": `${DATASTORE_TLS_DIR}/client.key`,
      }
    : { server: plan.scheduler.apiServer, "node-ip": node.ip, "token-file": TOKEN_FILE };
  const serverFiles = server
    ? [
        { path: `${DATASTORE_TLS_DIR}/client.crt`, mode: PUBLIC, contents: secrets.clients.k3s!.cert },
        { path: `${DATASTORE_TLS_DIR}/client.key`, mode: SECRET, contents: secrets.clients.k3s!.key },
        { path: `${K3S_SERVER_TLS_DIR}/server-ca.crt`, mode: PUBLIC, contents: k8s.serverCa.cert },
        { path: `${K3S_SERVER_TLS_DIR}/server-ca.key`, mode: SECRET, contents: k8s.serverCa.key },
        { path: `${K3S_SERVER_TLS_DIR}/client-ca.crt`, mode: PUBLIC, contents: k8s.clientCa.cert },
        { path: `${K3S_SERVER_TLS_DIR}/client-ca.key`, mode: SECRET, contents: k8s.clientCa.key },
      ]
    : [];

  return {
    files: [
      { path: `${K3S_CONFIG_DIR}/config.yaml`, mode: PUBLIC, contents: yaml.dump(config, { lineWidth: -1 }) },
      { path: TOKEN_FILE, mode: SECRET, contents: `${k8s.token}\n` },
      ...serverFiles,
    ],
    downloads: [
      { path: imagePath, mode: PUBLIC, source: release.url },
      // sysupdate: new k3s patch releases within this minor; noop keeps systemd-sysupdate quiet about the OS.
      { path: `/etc/sysupdate.${release.component}.d/${release.component}.conf`, mode: PUBLIC, source: `${BAKERY}/k3s/${release.component}.conf` },
      { path: "/etc/sysupdate.d/noop.conf", mode: PUBLIC, source: `${BAKERY}/noop.conf` },
    ],
    links: [
      { path: EXTENSION_LINK, target: imagePath },
      { path: `/etc/systemd/system/multi-user.target.wants/${unit}`, target: `${SHIPPED_UNITS}/${unit}` },
    ],
    units: [
      { name: "systemd-sysupdate.timer", enabled: true },
      {
        name: "systemd-sysupdate.service",
        dropins: [{ name: "k3s.conf", contents: renderTemplate("sysupdate-k3s.conf", { component: release.component, link: EXTENSION_LINK }) }],
      },
    ],
  };
}
