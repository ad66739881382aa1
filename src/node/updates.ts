// updates on every node: update_engine's group and server, and locksmithd's reboot strategy. With
// etcd-lock, locksmithd takes the reboot lock in etcd (v2 API) over TLS with its own client certificate.
// Both read /etc/flatcar/update.conf (locksmithd as an EnvironmentFile, so values need no quotes).
import { membersInOrderFor } from "../plan/plan";
import { PUBLIC, SECRET, type NodeContext } from "./context";
import { ETCD_CA_FILE } from "./etcd";
import type { NodePart, NodeFile } from "./model";
import { renderTemplate } from "./templates";

export const UPDATE_CONF = "/etc/flatcar/update.conf";
export const LOCKSMITH_TLS_DIR = "/etc/flatcar/locksmith";

export function updatesPart({ spec, plan, node, secrets }: NodeContext): NodePart {
  const { rebootStrategy, window } = spec.updates;
  const etcdLock = rebootStrategy === "etcd-lock";
  const conf = renderTemplate("update.conf", {
    group: spec.updates.group ?? spec.os.channel,
    server: spec.updates.server,
    rebootStrategy,
    locksmith: etcdLock
      ? {
          endpoints: membersInOrderFor(plan, node).map((m) => m.clientUrl).join(","),
          caFile: ETCD_CA_FILE,
          certFile: `${LOCKSMITH_TLS_DIR}/client.crt`,
          keyFile: `${LOCKSMITH_TLS_DIR}/client.key`,
        }
      : false,
    window: window && rebootStrategy !== "off" ? window : false,
  });
  const files: NodeFile[] = [{ path: UPDATE_CONF, mode: PUBLIC, contents: conf }];
  if (etcdLock) {
    files.push(
      { path: `${LOCKSMITH_TLS_DIR}/client.crt`, mode: PUBLIC, contents: secrets.clients.locksmith.cert },
      { path: `${LOCKSMITH_TLS_DIR}/client.key`, mode: SECRET, contents: secrets.clients.locksmith.key },
    );
  }
  return {
    files,
    units: [
      { name: "update-engine.service", enabled: true },
      // "off" means no reboots at all: nothing for locksmithd to do.
      rebootStrategy === "off" ? { name: "locksmithd.service", masked: true } : { name: "locksmithd.service", enabled: true },
    ],
  };
}
