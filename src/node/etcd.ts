// etcd on control nodes: etcd 3.5 in Docker under systemd, listening on the node's planned IP only,
// mutual TLS for clients and peers, the v2 API on for locksmith. The unit replaces Flatcar's own
// etcd-member.service (as Typhoon does) so that certificate paths read the same inside and outside the
// container: /etc/etcd/tls is mounted at the same path.
import { PUBLIC, SECRET, type NodeContext } from "./context";
import type { NodePart } from "./model";
import { renderTemplate } from "./templates";

export const ETCD_ENV_FILE = "/etc/etcd/etcd.env";
export const ETCD_TLS_DIR = "/etc/etcd/tls";
export const ETCD_DATA_DIR = "/var/lib/etcd";
/** The environment's etcd CA, on every node: etcd, locksmith and the scheduler all trust it from here. */
export const ETCD_CA_FILE = `${ETCD_TLS_DIR}/ca.crt`;

export function etcdPart({ spec, plan, node, secrets }: NodeContext): NodePart {
  const trust = { path: ETCD_CA_FILE, mode: PUBLIC, contents: secrets.ca.cert };
  const member = plan.etcd.members.find((m) => m.name === node.name);
  if (!member) return { files: [trust] };
  const tls = secrets.members[member.name];
  const env = renderTemplate("etcd.env", {
    name: member.name,
    dataDir: ETCD_DATA_DIR,
    clientUrl: member.clientUrl,
    peerUrl: member.peerUrl,
    initialCluster: plan.etcd.initialCluster,
    token: plan.etcd.token,
    tlsDir: ETCD_TLS_DIR,
  });
  const unit = renderTemplate("etcd-member.service", {
    image: `${spec.etcd.image}:${spec.etcd.version}`,
    envFile: ETCD_ENV_FILE,
    dataDir: ETCD_DATA_DIR,
    tlsDir: ETCD_TLS_DIR,
  });
  return {
    files: [
      { path: ETCD_ENV_FILE, mode: PUBLIC, contents: env },
      trust,
      { path: `${ETCD_TLS_DIR}/member.crt`, mode: PUBLIC, contents: tls.cert },
      { path: `${ETCD_TLS_DIR}/member.key`, mode: SECRET, contents: tls.key },
    ],
    units: [{ name: "etcd-member.service", contents: unit, enabled: true }],
  };
}
