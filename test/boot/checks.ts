// What the boot test checks on the running VMs, one function per claim; each returns a line of detail
// for the report and throws when the claim does not hold.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { command, coreform, ENV, type Environment, type Node } from "./cluster";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Units that Flatcar ships and the stand-in image lacks: Ignition's preset for them is what can be seen. */
const FLATCAR_ONLY_UNITS = new Set(["update-engine.service", "locksmithd.service"]);

/**
 * Ignition applied the node's config: login as core with the spec's key, hostname, every file's contents
 * and mode, links, unit files and drop-ins, units enabled or masked. One SSH session and a few
 * processes: under emulation each costs seconds.
 */
export async function ignitionApplied(node: Node): Promise<string> {
  const { config } = node;
  const unitFiles = config.units.flatMap((u) => [
    ...(u.contents !== undefined ? [{ path: `/etc/systemd/system/${u.name}`, contents: u.contents }] : []),
    ...(u.dropins ?? []).map((d) => ({ path: `/etc/systemd/system/${u.name}.d/${d.name}`, contents: d.contents })),
  ]);
  const states = config.units.filter((u) => (u.enabled || u.masked) && !(FLATCAR_ONLY_UNITS.has(u.name) && !u.masked));
  const paths = [...config.files.map((f) => f.path), ...unitFiles.map((f) => f.path)];
  const script = [
    "echo hostname $(hostname)",
    ...(paths.length ? [`stat -c 'mode %n %a' ${paths.join(" ")}`, `sha256sum ${paths.join(" ")} | sed 's/^\\([0-9a-f]*\\)  \\(.*\\)/sha \\2 \\1/'`] : []),
    ...config.links.map((l) => `echo link ${l.path} $(readlink ${l.path})`),
    // UnitFileState is what `systemctl is-enabled` prints; systemd lists a unit's Id first.
    ...(states.length ? [`systemctl show -p Id -p UnitFileState ${states.map((u) => u.name).join(" ")} | awk -F= '/^Id=/ { id = $2 } /^UnitFileState=/ { print "unit", id, $2 }'`] : []),
    "sed 's/^/preset /' /etc/systemd/system-preset/20-ignition.preset",
  ].join("\n");
  // As root (keys are 0600), in one sudo.
  const r = await node.ssh(`echo ${Buffer.from(script).toString("base64")} | base64 -d | sudo bash`, 180_000);
  const seen = new Map(r.stdout.split("\n").map((l) => l.split(" ")).map(([kind, key, ...rest]) => [`${kind} ${key}`, rest.join(" ")]));
  const problems: string[] = [];
  const want = (key: string, expected: string) => {
    const got = seen.get(key);
    if (got !== expected) problems.push(`${key}: ${got ?? "(nothing)"}, expected ${expected}`);
  };
  want(`hostname ${config.hostname}`, "");
  for (const f of [...config.files, ...unitFiles.map((u) => ({ ...u, mode: 0o644 }))]) {
    want(`mode ${f.path}`, f.mode.toString(8));
    want(`sha ${f.path}`, sha256(f.contents));
  }
  for (const l of config.links) want(`link ${l.path}`, l.target);
  for (const u of states) want(`unit ${u.name}`, u.masked ? "masked" : "enabled");
  const presets = r.stdout.split("\n").filter((l) => l.startsWith("preset "));
  for (const u of config.units.filter((x) => x.enabled && FLATCAR_ONLY_UNITS.has(x.name)))
    if (!presets.includes(`preset enable ${u.name}`)) problems.push(`Ignition's preset does not enable ${u.name}`);
  if (problems.length) throw new Error(`${node.name}:\n${problems.join("\n")}${r.stderr ? `\n${r.stderr.trim()}` : ""}`);
  return `${node.name}: login as core, hostname, ${config.files.length} files and ${unitFiles.length} unit files with contents and modes, ${config.links.length} links, ${states.length} units enabled or masked, Ignition's preset for ${config.units.filter((x) => x.enabled && FLATCAR_ONLY_UNITS.has(x.name)).length} Flatcar-only units`;
}

/** `coreform status ENV --json`, parsed, with its exit code. */
async function status(env: Environment): Promise<{ code: number; json?: any; text: string }> {
  const r = await coreform(env.dir, "status", ENV, "--json");
  try {
    return { code: r.code, json: JSON.parse(r.stdout), text: r.stdout + r.stderr };
  } catch {
    return { code: r.code, text: r.stdout + r.stderr };
  }
}

/** Polls `coreform status` until `members` members are healthy and the quorum is `state`. */
export async function waitForStatus(env: Environment, want: { healthy: number; state: "healthy" | "degraded" }, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const s = await status(env);
    const q = s.json?.quorum;
    if (q && q.state === want.state && q.healthy === want.healthy && s.code === (want.state === "healthy" ? 0 : 1)) {
      const members = (s.json.members as any[]).map((m) => `${m.name}${m.leader ? " (leader)" : ""}: ${m.healthy ? "healthy" : m.reachable ? "no quorum" : "unreachable"}`).join(", ");
      return `quorum ${q.state}, ${q.healthy} of ${q.members} healthy (needs ${q.needed}); ${members}`;
    }
    last = q ? `quorum ${q.state}, ${q.healthy} of ${q.members} healthy` : s.text.trim().split("\n").slice(-2).join(" ");
    if (Date.now() > deadline) throw new Error(`coreform status ${ENV}: not ${want.state} with ${want.healthy} healthy within ${timeoutMs / 1000} s; last: ${last}`);
    await sleep(5000);
  }
}

/** The operator's etcdctl (Debian's, v3 API) against `endpoints`, with the operator certificate `render` made. */
export function etcdctl(env: Environment, endpoints: string[], ...args: string[]) {
  const dir = join(env.dir, ".coreform", ENV);
  return command("etcdctl", [`--endpoints=${endpoints.join(",")}`, `--cacert=${dir}/ca.crt`, `--cert=${dir}/clients/operator.crt`, `--key=${dir}/clients/operator.key`, "--command-timeout=5s", ...args], {
    env: { ...process.env, ETCDCTL_API: "3" },
  });
}

const clientUrl = (n: Node) => `https://${n.ip}:2379`;

/** Writes `key` through the cluster (a linearizable write through any member). */
export async function put(env: Environment, through: Node[], key: string, value: string): Promise<void> {
  const r = await etcdctl(env, through.map(clientUrl), "put", key, value);
  if (r.code !== 0 || !r.stdout.includes("OK")) throw new Error(`etcdctl put ${key}: ${r.stderr.trim()}`);
}

/** Reads `key` from `node`'s own data (a serializable read: no other member is asked). */
export async function localValue(env: Environment, node: Node, key: string): Promise<string | undefined> {
  const r = await etcdctl(env, [clientUrl(node)], "get", key, "--consistency=s", "--print-value-only");
  if (r.code !== 0) throw new Error(`etcdctl get ${key} from ${node.name}: ${r.stderr.trim()}`);
  return r.stdout.trim() || undefined;
}

const LOCK_PATH = "/v2/keys/coreos.com/updateengine/rebootlock/semaphore";

/**
 * The node takes the reboot lock as locksmithd does (flatcar/locksmith, the v2 semaphore: create it
 * holding this machine, or compare-and-swap on its modifiedIndex), with the endpoints and certificate
 * its rendered /etc/flatcar/update.conf gives locksmithd. Returns the machine id that holds it.
 */
export async function takeRebootLock(node: Node): Promise<string> {
  const read = (await node.ssh("cat /etc/flatcar/update.conf; echo MACHINE_ID=$(cat /etc/machine-id)")).stdout;
  const conf = Object.fromEntries(
    read
      .split("\n")
      .map((l) => /^(\w+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => [m[1]!, m[2]!]),
  );
  const id = String(conf.MACHINE_ID);
  const endpoint = String(conf.LOCKSMITHD_ENDPOINT).split(",")[0];
  const curl = `sudo curl -sS --cacert ${conf.LOCKSMITHD_ETCD_CAFILE} --cert ${conf.LOCKSMITHD_ETCD_CERTFILE} --key ${conf.LOCKSMITHD_ETCD_KEYFILE} ${endpoint}${LOCK_PATH}`;
  const current = JSON.parse((await node.ssh(curl)).stdout);
  const taken = current.node
    ? { value: { ...JSON.parse(current.node.value), semaphore: JSON.parse(current.node.value).semaphore - 1 }, precondition: `prevIndex=${current.node.modifiedIndex}` }
    : { value: { semaphore: 0, max: 1, holders: [] as string[] }, precondition: "prevExist=false" };
  taken.value.holders = [...taken.value.holders, id];
  const r = await node.ssh(`${curl}?${taken.precondition} -X PUT --data-urlencode 'value=${JSON.stringify(taken.value)}'`);
  if (!/"action":"(create|compareAndSwap)"/.test(r.stdout)) throw new Error(`${node.name}: taking the lock: ${r.stdout}${r.stderr}`);
  return id;
}

/** `coreform reboot-lock ENV status`, asserting its output. */
export async function lockStatus(env: Environment, expect: RegExp): Promise<string> {
  const r = await coreform(env.dir, "reboot-lock", ENV, "status");
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !expect.test(r.stdout)) throw new Error(`coreform reboot-lock ${ENV} status: exit ${r.code}, expected ${expect}: ${r.stdout}${r.stderr}`);
  return line;
}

export async function unlock(env: Environment, id: string): Promise<string> {
  const r = await coreform(env.dir, "reboot-lock", ENV, "unlock", id);
  if (r.code !== 0) throw new Error(`coreform reboot-lock ${ENV} unlock: exit ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

/** Guest memory in use (MemTotal − MemAvailable), MiB. */
export async function guestUsedMiB(node: Node): Promise<number> {
  const info = (await node.ssh("cat /proc/meminfo")).stdout;
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(info)?.[1] ?? NaN);
  return Math.round((kb("MemTotal") - kb("MemAvailable")) / 1024);
}

/** Waits until the console shows `pattern`; the text it matched. */
export async function waitForConsole(node: Node, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(node.console) ? readFileSync(node.console, "utf8") : "";
    const m = pattern.exec(text);
    if (m) return m[0];
    if (Date.now() > deadline) throw new Error(`${node.name}: the console (${node.console}) did not show ${pattern} within ${timeoutMs / 1000} s`);
    await sleep(2000);
  }
}

/** One member as `coreform etcd members ENV --json` lists it. */
interface Member {
  readonly name: string;
  readonly id?: string;
  readonly state: string;
  readonly healthy: boolean;
  readonly planned: boolean;
}

/** `coreform etcd members ENV --json`: etcd's member list beside the plan, with health. */
export async function members(env: Environment): Promise<{ code: number; members?: Member[]; text: string }> {
  const r = await coreform(env.dir, "etcd", "members", ENV, "--json");
  try {
    return { code: r.code, members: JSON.parse(r.stdout).members, text: r.stdout + r.stderr };
  } catch {
    return { code: r.code, text: r.stdout + r.stderr };
  }
}

const describeMembers = (ms: readonly Member[]) => ms.map((m) => `${m.name} ${m.id ?? "-"} ${m.state}${m.healthy ? " healthy" : ""}${m.planned ? "" : " (not planned)"}`).join(", ");

/**
 * Polls `coreform etcd members` until exactly `names` are members, each voting (started) and healthy
 * and planned, and `replaced`'s member has another ID than `id` (its old member was removed, a new one
 * added). Returns the member list.
 */
export async function waitForMembers(env: Environment, names: readonly string[], replaced: { name: string; id: string }, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const r = await members(env);
    if (r.members) {
      const ms = r.members;
      const same = ms.length === names.length && names.every((n) => ms.some((m) => m.name === n));
      const now = ms.find((m) => m.name === replaced.name)?.id;
      if (r.code === 0 && same && ms.every((m) => m.state === "voting" && m.healthy && m.planned) && now && now !== replaced.id) return describeMembers(ms);
      last = describeMembers(ms);
    } else last = r.text.trim().split("\n").slice(-2).join(" ");
    if (Date.now() > deadline)
      throw new Error(`coreform etcd members ${ENV}: not ${names.join(", ")} all voting and healthy with a new ID for ${replaced.name} (was ${replaced.id}) within ${timeoutMs / 1000} s; last: ${last}`);
    await sleep(5000);
  }
}

/** The lines of `unit`'s journal of this boot that match each of `patterns`, in order; throws naming the first missing. */
export async function journalSays(node: Node, unit: string, patterns: readonly RegExp[]): Promise<string[]> {
  const r = await node.ssh(`sudo journalctl -b --no-pager -o cat -u ${unit}`, 60_000);
  if (r.code !== 0) throw new Error(`${node.name}: journalctl -u ${unit}: ${r.stderr.trim()}`);
  const lines = r.stdout.split("\n");
  return patterns.map((p) => {
    const line = lines.find((l) => p.test(l));
    if (!line) throw new Error(`${node.name}: ${unit}'s journal has no line matching ${p}; it says:\n${lines.filter((l) => l.startsWith("etcd-member:")).join("\n")}`);
    return line;
  });
}

/** Every key with its value and revision, from `node`'s own data (serializable) or through the cluster. */
async function everything(env: Environment, endpoints: Node[], serializable: boolean): Promise<string> {
  const r = await etcdctl(env, endpoints.map(clientUrl), "get", "", "--prefix", "-w", "json", ...(serializable ? ["--consistency=s"] : []));
  if (r.code !== 0) throw new Error(`etcdctl get --prefix "" from ${endpoints.map((n) => n.name).join(", ")}: ${r.stderr.trim()}`);
  const kvs: { key: string; value: string; mod_revision: number }[] = JSON.parse(r.stdout).kvs ?? [];
  return kvs.map((kv) => `${Buffer.from(kv.key, "base64")}=${Buffer.from(kv.value ?? "", "base64")}@${kv.mod_revision}`).join("\n");
}

/**
 * Waits until `node`'s own data holds every key the cluster holds (read through `others`), each with the
 * same value and revision; the number of keys.
 */
export async function sameData(env: Environment, node: Node, others: Node[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const want = await everything(env, others, false);
    const got = await everything(env, [node], true).catch((e: Error) => e.message);
    if (got === want) return want ? want.split("\n").length : 0;
    if (Date.now() > deadline) {
      const missing = want.split("\n").filter((l) => !got.split("\n").includes(l));
      throw new Error(`${node.name}'s own data differs from the cluster's after ${timeoutMs / 1000} s: lacks or differs in ${missing.slice(0, 5).join(", ") || "(nothing: it has more)"}`);
    }
    await sleep(3000);
  }
}
