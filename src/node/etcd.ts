// etcd on control nodes: etcd 3.5 in Docker under systemd, listening on the node's planned IP only,
// mutual TLS for clients and peers, the v2 API on for locksmith. The unit replaces Flatcar's own
// etcd-member.service (as Typhoon does) so that certificate paths read the same inside and outside the
// container: /etc/etcd/tls is mounted at the same path. How etcd starts (a new cluster, or joining the
// running one) is decided on the node before each start by etcd-member.sh (see its header), which
// writes ETCD_INITIAL_CLUSTER(_STATE) to a second env file; it also takes the timer's snapshots.
import { membersInOrderFor } from "../plan/plan";
import type { CertKey } from "../secrets/pki";
import { EXECUTABLE, PUBLIC, SECRET } from "../modes";
import type { NodeContext } from "./context";
import type { NodeFile, NodePart } from "./model";
import { renderTemplate } from "./templates";
import type { Spec } from "../spec/schema";

const ETCD_ENV_FILE = "/etc/etcd/etcd.env";
const ETCD_TLS_DIR = "/etc/etcd/tls";
export const ETCD_DATA_DIR = "/var/lib/etcd";
/** Written before each start by the script's `prepare`: how this start joins the cluster. */
const ETCD_STATE_FILE = "/run/etcd-member/cluster.env";
/** The control node's own snapshots (the timer's), and where a restore is unpacked. */
const ETCD_SNAPSHOT_DIR = "/var/lib/etcd-snapshots";
/** The script that prepares, promotes, snapshots and restores this node's member (etcd-member.sh.hbs). */
const ETCD_MEMBER_SCRIPT = "/opt/coreform/etcd-member";
/** The environment's etcd CA, on every node: etcd, locksmith and the scheduler all trust it from here. */
export const ETCD_CA_FILE = `${ETCD_TLS_DIR}/ca.crt`;

/** A control node's member certificate, for etcd's listeners and for every etcd client on the node. */
export const MEMBER_CERT = `${ETCD_TLS_DIR}/member.crt`;
export const MEMBER_KEY = `${ETCD_TLS_DIR}/member.key`;

/** The etcd client URLs in this node's order (membersInOrderFor), comma-separated as locksmith, fleet and k3s take them. */
export const etcdEndpointsFor = ({ plan, node }: Pick<NodeContext, "plan" | "node">): string =>
  membersInOrderFor(plan, node)
    .map((m) => m.clientUrl)
    .join(",");

/** `image:tag`, or `image:tag@digest`: Docker then pulls by the digest and checks it (the tag stays for readers). */
const etcdImage = (etcd: Spec["etcd"]): string => `${etcd.image}:${etcd.version}${etcd.digest ? `@${etcd.digest}` : ""}`;

/**
 * The certificate an etcd client on this node presents: on a control node its member's (made for
 * client use too), else the client's own, placed in `dir`. etcd here has no roles, so a certificate
 * per client would narrow no access, and cost ~1.1 KB of user data each on the nodes with the least.
 */
export function etcdClientCert({ plan, node }: NodeContext, own: CertKey, dir: string): { certFile: string; keyFile: string; files: NodeFile[] } {
  if (plan.etcd.members.some((m) => m.name === node.name)) return { certFile: MEMBER_CERT, keyFile: MEMBER_KEY, files: [] };
  const [certFile, keyFile] = [`${dir}/client.crt`, `${dir}/client.key`];
  return {
    certFile,
    keyFile,
    files: [
      { path: certFile, mode: PUBLIC, contents: own.cert },
      { path: keyFile, mode: SECRET, contents: own.key },
    ],
  };
}

/** etcd 3.4's etcdctl restores; from 3.5 on etcdutl does. */
const restoreTool = (etcd: Spec["etcd"]) => (Number(etcd.version.split(".")[1]) >= 5 ? "etcdutl" : "etcdctl");

/** The timer's OnCalendar value for a schedule of the spec (SNAPSHOT_SCHEDULE); undefined when off. */
export function snapshotCalendar(schedule: string): string | undefined {
  if (schedule === "off") return undefined;
  return /^\d/.test(schedule) ? `*-*-* ${schedule}:00` : schedule;
}

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
    token: plan.etcd.token,
    script: ETCD_MEMBER_SCRIPT,
    caFile: ETCD_CA_FILE,
    certFile: MEMBER_CERT,
    keyFile: MEMBER_KEY,
  });
  // etcd, etcdctl and etcdutl run from the image (etcd-io/etcd Dockerfile-release.amd64: distroless,
  // no shell, all three in /usr/local/bin): the script runs on the host.
  const script = renderTemplate("etcd-member.sh", {
    members: plan.etcd.members.map((m) => `${m.name} ${m.peerUrl} ${m.clientUrl}`).join("\n"),
    envFile: ETCD_ENV_FILE,
    stateFile: ETCD_STATE_FILE,
    snapshotDir: ETCD_SNAPSHOT_DIR,
    image: etcdImage(spec.etcd),
    tlsDir: ETCD_TLS_DIR,
    etcdutl: restoreTool(spec.etcd),
    diskGiB: member.dataDiskGiB ?? "",
  });
  const unit = renderTemplate("etcd-member.service", { script: ETCD_MEMBER_SCRIPT });
  const calendar = snapshotCalendar(spec.etcd.snapshots.schedule);
  const snapshots = calendar
    ? [
        { name: "etcd-snapshot.service", contents: renderTemplate("etcd-snapshot.service", { script: ETCD_MEMBER_SCRIPT, keep: spec.etcd.snapshots.keep }) },
        { name: "etcd-snapshot.timer", contents: renderTemplate("etcd-snapshot.timer", { calendar }), enabled: true },
      ]
    : [];
  return {
    files: [
      { path: ETCD_ENV_FILE, mode: PUBLIC, contents: env },
      { path: ETCD_MEMBER_SCRIPT, mode: EXECUTABLE, contents: script },
      trust,
      { path: MEMBER_CERT, mode: PUBLIC, contents: tls.cert },
      { path: MEMBER_KEY, mode: SECRET, contents: tls.key },
    ],
    units: [{ name: "etcd-member.service", contents: unit, enabled: true }, ...snapshots],
  };
}
