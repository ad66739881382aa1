// `coreform status <env>`: the health of the environment's etcd, as a table or one JSON document.
import { dirname } from "node:path";
import { probeCluster, type ClusterStatus, type MemberStatus } from "../ops/health";
import { keyspaces } from "../ops/lock";
import { operatorTarget, type EtcdTarget } from "../ops/target";
import { EXIT_FAILURE, EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { servedCertificate } from "../ops/served";
import { certificateExpiries, daysLeft, expiryWarning, firstToEnd, type CertificateExpiry } from "../secrets/expiry";
import { secretsDir } from "../secrets/store";
import { loadSpecOrFail } from "../spec/file";
import { table } from "./table";

interface StatusOptions {
  readonly file?: string;
  readonly endpoints?: string;
  readonly json?: boolean;
}

/** Healthy means: every member in a working quorum, and the reboot lock (and datastore) readable. */
const isHealthy = (s: ClusterStatus) => s.quorum.state === "healthy" && !("error" in s.rebootLock) && !(s.datastore && "error" in s.datastore);

const dash = (v: string | number | undefined) => (v === undefined ? "-" : String(v));

function size(bytes: number | undefined): string {
  if (bytes === undefined) return "-";
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

const reachable = (m: MemberStatus) => (!m.reachable ? "no" : m.healthy ? "yes" : "no quorum");


function quorumText(q: ClusterStatus["quorum"]): string {
  const counts = `${q.healthy} of ${q.members} members healthy, quorum needs ${q.needed}`;
  return q.state === "healthy" ? `healthy (${counts})` : `${q.state}: ${counts}`;
}

/** The certificate of the environment that ends first, and the warning from 90 days before. */
interface CertificateStatus {
  readonly first?: { readonly id: string; readonly notAfter: string; readonly daysLeft: number };
  readonly warning?: string;
}

/**
 * The environment's certificates in .coreform/<env>/, and each answering member's certificate where
 * it is another one (`members/control-01 (running)`): render renewed the file, and the node, made
 * before, still runs the old one until it is replaced. A member that does not answer is left out:
 * the members' rows say why.
 */
async function environmentExpiries(target: EtcdTarget, members: readonly MemberStatus[], dir: string): Promise<CertificateExpiry[]> {
  const files = certificateExpiries(dir);
  const served = await Promise.all(
    members.map(async (m): Promise<CertificateExpiry | undefined> => {
      if (!m.reachable || !m.endpoint || !m.name) return undefined;
      const cert = await servedCertificate(target, m.endpoint).catch(() => undefined);
      const notAfter = cert && new Date(cert.validTo);
      const file = files.find((f) => f.id === `members/${m.name}`);
      return notAfter && notAfter.getTime() !== file?.notAfter.getTime() ? { id: `members/${m.name} (running)`, notAfter, ca: false } : undefined;
    }),
  );
  return [...files, ...served.filter((c) => c !== undefined)].sort(firstToEnd);
}

export function certificateStatus(expiries: readonly CertificateExpiry[], now = new Date()): CertificateStatus {
  const first = expiries[0];
  const warning = expiryWarning(expiries, now);
  return {
    ...(first ? { first: { id: first.id, notAfter: first.notAfter.toISOString(), daysLeft: daysLeft(first, now) } } : {}),
    ...(warning ? { warning } : {}),
  };
}

export function formatStatus(s: ClusterStatus, certificates?: CertificateStatus): string[] {
  const lines = [`etcd of ${s.cluster}/${s.environment}: ${s.quorum.members} members (every request times out after ${s.timeoutMs / 1000} s)`, ""];
  lines.push(
    ...table([
      ["MEMBER", "PLANNED IP", "REACHABLE", "LEADER", "VERSION", "DB SIZE", "RAFT INDEX"],
      ...s.members.map((m) => [
        m.name ?? `? ${m.endpoint}`,
        dash(m.plannedIp),
        reachable(m),
        m.leader ? "yes" : "-",
        dash(m.version),
        size(m.dbSizeBytes),
        dash(m.raftIndex),
      ]),
    ]),
    "",
    `quorum:       ${quorumText(s.quorum)}`,
  );
  const lock = s.rebootLock;
  if ("error" in lock) lines.push(`reboot lock:  unreadable: ${lock.error}`);
  else
    lines.push(
      `reboot lock:  ${lock.free} of ${lock.max} free, holders: ${lock.holders.length ? lock.holders.join(", ") : "none"}` +
        (lock.exists ? keyspaces(lock.apis) : " (not created yet: no machine has asked for it)") +
        (s.quorum.state === "lost" ? " (as a member without quorum last saw it)" : ""),
    );
  if (s.datastore)
    lines.push(`kubernetes:   ${"error" in s.datastore ? `datastore unreadable: ${s.datastore.error}` : `datastore prefix ${s.datastore.prefix} ${s.datastore.present ? "present" : "absent"}`}`);
  const first = certificates?.first;
  if (first) lines.push(`certificates: ${certificates.warning ? `warning: ${certificates.warning}` : `first to end: ${first.id} ends ${first.notAfter.slice(0, 10)} (in ${first.daysLeft} days)`}`);
  const problems = s.members.filter((m) => m.error);
  if (problems.length) lines.push("", ...problems.map((m) => `${m.name ?? "?"}${m.endpoint ? ` (${m.endpoint})` : ""}: ${m.error}`));
  return lines;
}

export async function status(io: Io, positionals: string[], opts: StatusOptions): Promise<number> {
  const [env, ...extra] = positionals;
  if (env === undefined) throw new InputError("which environment? usage: coreform status <env>");
  if (extra.length) throw new InputError(`unexpected argument ${extra[0]}`);
  const { spec, file } = loadSpecOrFail(io, opts.file);
  const target = operatorTarget(spec, file, env, opts.endpoints);
  const result = await probeCluster(target);
  const certificates = certificateStatus(await environmentExpiries(target, result.members, secretsDir(dirname(file), env)));
  if (opts.json) io.out(JSON.stringify({ ...result, certificates }, null, 2));
  else for (const line of formatStatus(result, certificates)) io.out(line);
  return isHealthy(result) ? EXIT_OK : EXIT_FAILURE;
}
