// updates on every node: update_engine's group and server, and locksmithd's reboot strategy. With
// etcd-lock, locksmithd takes the reboot lock in etcd (v2 API) over TLS (etcdClientCert: which certificate).
// Both read /etc/flatcar/update.conf (locksmithd as an EnvironmentFile, so values need no quotes).
import { PUBLIC } from "../modes";
import type { NodeContext } from "./context";
import { ETCD_CA_FILE, etcdClientCert, etcdEndpointsFor } from "./etcd";
import type { NodePart } from "./model";
import { renderTemplate } from "./templates";

const UPDATE_CONF = "/etc/flatcar/update.conf";
const LOCKSMITH_TLS_DIR = "/etc/flatcar/locksmith";

export function updatesPart(ctx: NodeContext): NodePart {
  const { spec, secrets } = ctx;
  const { rebootStrategy, window } = spec.updates;
  const etcdLock = rebootStrategy === "etcd-lock";
  const tls = etcdLock ? etcdClientCert(ctx, secrets.clients.locksmith, LOCKSMITH_TLS_DIR) : undefined;
  const conf = renderTemplate("update.conf", {
    group: spec.updates.group ?? spec.os.channel,
    server: spec.updates.server,
    rebootStrategy,
    locksmith: tls
      ? { endpoints: etcdEndpointsFor(ctx), caFile: ETCD_CA_FILE, certFile: tls.certFile, keyFile: tls.keyFile }
      : false,
    window: window && rebootStrategy !== "off" ? window : false,
  });
  return {
    files: [{ path: UPDATE_CONF, mode: PUBLIC, contents: conf }, ...(tls?.files ?? [])],
    units: [
      { name: "update-engine.service", enabled: true },
      // "off" means no reboots at all: nothing for locksmithd to do.
      rebootStrategy === "off" ? { name: "locksmithd.service", masked: true } : { name: "locksmithd.service", enabled: true },
    ],
  };
}
