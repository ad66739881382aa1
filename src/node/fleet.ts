// fleet (legacy): quay.io/coreos/fleet in Docker with host networking on every node, against the
// cluster's etcd v2 API over TLS (etcdClientCert: which certificate; FLEET_* settings: coreos/fleet
// Documentation/deployment-and-configuration.md).
import { dirname } from "node:path";
import { PUBLIC } from "../modes";
import type { NodeContext } from "./context";
import { ETCD_CA_FILE, etcdClientCert, etcdEndpointsFor } from "./etcd";
import type { NodePart } from "./model";
import { renderTemplate } from "./templates";

const FLEET_DIR = "/etc/fleet";
const TLS_DIR = `${FLEET_DIR}/tls`;
const ENV_FILE = `${FLEET_DIR}/fleet.env`;
/** fleet's own default prefix for its v2 keys. */
export const FLEET_KEY_PREFIX = "/_coreos.com/fleet/";

type Fleet = Extract<NodeContext["spec"]["scheduler"], { kind: "fleet" }>;

export function fleetPart(ctx: NodeContext): NodePart {
  const { spec, node, secrets } = ctx;
  const client = secrets.clients.fleet;
  if (!client) throw new Error(`fleet's client certificate is missing for ${node.name}`);
  const tls = etcdClientCert(ctx, client, TLS_DIR);
  const env = renderTemplate("fleet.env", {
    name: node.name,
    endpoints: etcdEndpointsFor(ctx),
    caFile: ETCD_CA_FILE,
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    keyPrefix: FLEET_KEY_PREFIX,
    role: node.role,
    ip: node.ip,
  });
  return {
    files: [{ path: ENV_FILE, mode: PUBLIC, contents: env }, ...tls.files],
    units: [
      {
        name: "fleet.service",
        contents: renderTemplate("fleet.service", { image: (spec.scheduler as Fleet).image, envFile: ENV_FILE, tlsDir: dirname(tls.certFile), caFile: ETCD_CA_FILE }),
        enabled: true,
      },
    ],
  };
}
