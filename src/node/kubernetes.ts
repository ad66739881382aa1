// Kubernetes: k3s from the Flatcar sysext-bakery on every node (flatcar/sysext-bakery docs/k3s.md).
// Control nodes run `k3s server` on the cluster's own etcd (the node's member certificate, every
// member's client URL, its own member first); workers run `k3s agent`. The extension ships both units
// unenabled: a multi-user.target.wants link enables the one the role needs. Settings are
// /etc/rancher/k3s/config.yaml (keys = flag names); the token stays in its own 0600 file.
import yaml from "js-yaml";
import { KUBERNETES_API_PORT, membersInOrderFor } from "../plan/plan";
import { formatIp, parseCidr } from "../spec/ipv4";
import { PUBLIC, SECRET } from "../modes";
import type { NodeContext } from "./context";
import { ETCD_CA_FILE, etcdEndpointsFor, MEMBER_CERT, MEMBER_KEY } from "./etcd";
import type { NodeFile, NodeLink, NodePart } from "./model";
import { renderTemplate } from "./templates";

const BAKERY = "https://extensions.flatcar.org/extensions";
const K3S_CONFIG_DIR = "/etc/rancher/k3s";
const TOKEN_FILE = `${K3S_CONFIG_DIR}/token`;
/** k3s merges every *.yaml here over config.yaml (pkg/configfilearg/parser.go, dotDFiles). */
const CONFIG_DROPIN_DIR = `${K3S_CONFIG_DIR}/config.yaml.d`;
const K3S_SERVER_DIR = "/var/lib/rancher/k3s/server";
/** k3s uses the CA and key files it finds here at its first start instead of generating its own. */
const K3S_SERVER_TLS_DIR = `${K3S_SERVER_DIR}/tls`;
/**
 * The agent's load balancer for the supervisor and API: the default server (`server`) and the servers
 * it learned, read at start (pkg/agent/loadbalancer/config.go, updateConfig; pkg/agent/proxy/apiproxy.go).
 */
const K3S_AGENT_LB_STATE = "/var/lib/rancher/k3s/agent/etc/k3s-agent-load-balancer.json";
const EXTENSION_LINK = "/etc/extensions/k3s.raw";
const SHIPPED_UNITS = "/usr/local/lib/systemd/system";

type Kubernetes = Extract<NodeContext["spec"]["scheduler"], { kind: "kubernetes" }>;

/** The bakery's names for one k3s release: image file, its URL, and the sysupdate component (one minor). */
function k3sRelease(version: string, arch: NodeContext["plan"]["arch"]) {
  const minor = /^v(\d+\.\d+)\./.exec(version)![1];
  const image = `k3s-${version}-${arch === "x86_64" ? "x86-64" : "arm64"}.raw`;
  return { image, url: `${BAKERY}/${image}`, component: `k3s-v${minor}` };
}

/**
 * Every file of k3s's bootstrap data that k3s would otherwise make at random, the same on every server
 * (KubernetesSecrets in src/secrets/store.ts says why), at k3s's own paths (deps.go,
 * CreateRuntimeCertFiles). Its etcd CAs serve only an embedded etcd, which never runs here: one CA
 * stands for both, the peer files are links.
 */
function bootstrapFiles(k8s: NonNullable<NodeContext["secrets"]["kubernetes"]>): { files: NodeFile[]; links: NodeLink[] } {
  const tls = K3S_SERVER_TLS_DIR;
  const pair = (name: string, ca: { cert: string; key: string }): NodeFile[] => [
    { path: `${tls}/${name}.crt`, mode: PUBLIC, contents: ca.cert },
    { path: `${tls}/${name}.key`, mode: SECRET, contents: ca.key },
  ];
  return {
    files: [
      ...pair("server-ca", k8s.serverCa),
      ...pair("client-ca", k8s.clientCa),
      ...pair("request-header-ca", k8s.requestHeaderCa),
      ...pair("etcd/server-ca", k8s.etcdCa),
      { path: `${tls}/service.key`, mode: SECRET, contents: k8s.serviceAccountKey },
      { path: `${K3S_SERVER_DIR}/cred/ipsec.psk`, mode: SECRET, contents: `${k8s.ipsecPsk}\n` },
    ],
    links: ["crt", "key"].map((ext) => ({ path: `${tls}/etcd/peer-ca.${ext}`, target: `${tls}/etcd/server-ca.${ext}` })),
  };
}

export function kubernetesPart({ spec, plan, node, secrets }: NodeContext): NodePart {
  const { version, podCidr, serviceCidr, sysupdate } = spec.scheduler as Kubernetes;
  // k3s's convention (its default cluster-dns is 10.43.0.10 in 10.43.0.0/16).
  const clusterDns = formatIp(parseCidr(serviceCidr).base + 10);
  const k8s = secrets.kubernetes;
  if (!k8s || plan.etcd.members.length === 0) throw new Error(`kubernetes secrets or control nodes missing for ${node.name}`);
  const release = k3sRelease(version, plan.arch);
  const imagePath = `/opt/extensions/k3s/${release.image}`;
  const server = node.role === "control";
  const unit = server ? "k3s.service" : "k3s-agent.service";
  const members = membersInOrderFor(plan, node);
  const firstServer = `https://${members[0]!.ip}:${KUBERNETES_API_PORT}`;

  const config = server
    ? {
        "node-ip": node.ip,
        "tls-san": [node.ip, node.name],
        "token-file": TOKEN_FILE,
        "datastore-endpoint": etcdEndpointsFor({ plan, node }),
        "datastore-cafile": ETCD_CA_FILE,
        // Servers run on control nodes only (etcdClientCert in ./etcd.ts).
        "datastore-certfile": MEMBER_CERT,
        "datastore-keyfile": MEMBER_KEY,
        // Agents take these from the servers (k3s pkg/agent/config/config.go, from the server's config).
        "cluster-cidr": podCidr,
        "service-cidr": serviceCidr,
        "cluster-dns": clusterDns,
      }
    : { server: firstServer, "node-ip": node.ip, "token-file": TOKEN_FILE };
  const bootstrap = server ? bootstrapFiles(k8s) : { files: [], links: [] };
  const roleFiles: NodeFile[] = server
    ? bootstrap.files
    : [
        // The agent's first join goes to `server` only, unless its load balancer already knows the other
        // servers: so it knows them all from the start, and joins while any one of them answers.
        {
          path: K3S_AGENT_LB_STATE,
          mode: PUBLIC,
          contents: `${JSON.stringify({ ServerURL: firstServer, ServerAddresses: members.map((m) => `${m.ip}:${KUBERNETES_API_PORT}`) })}\n`,
        },
      ];
  const flannel = renderTemplate("k3s-flannel-iface.conf", { dir: CONFIG_DROPIN_DIR, ip: node.ip, file: `${CONFIG_DROPIN_DIR}/50-coreform-flannel-iface.yaml` });

  return {
    files: [
      { path: `${K3S_CONFIG_DIR}/config.yaml`, mode: PUBLIC, contents: yaml.dump(config, { lineWidth: -1 }) },
      { path: TOKEN_FILE, mode: SECRET, contents: `${k8s.token}\n` },
      ...roleFiles,
    ],
    downloads: [
      { path: imagePath, mode: PUBLIC, source: release.url },
      // sysupdate: new k3s patch releases within this minor; noop keeps systemd-sysupdate quiet about the OS.
      ...(sysupdate
        ? [
            { path: `/etc/sysupdate.${release.component}.d/${release.component}.conf`, mode: PUBLIC, source: `${BAKERY}/k3s/${release.component}.conf` },
            { path: "/etc/sysupdate.d/noop.conf", mode: PUBLIC, source: `${BAKERY}/noop.conf` },
          ]
        : []),
    ],
    links: [
      { path: EXTENSION_LINK, target: imagePath },
      { path: `/etc/systemd/system/multi-user.target.wants/${unit}`, target: `${SHIPPED_UNITS}/${unit}` },
      ...bootstrap.links,
    ],
    units: [
      { name: unit, dropins: [{ name: "coreform-flannel-iface.conf", contents: flannel }] },
      ...(sysupdate
        ? [
            { name: "systemd-sysupdate.timer", enabled: true },
            {
              name: "systemd-sysupdate.service",
              dropins: [{ name: "k3s.conf", contents: renderTemplate("sysupdate-k3s.conf", { component: release.component, link: EXTENSION_LINK }) }],
            },
          ]
        : []),
    ],
  };
}
