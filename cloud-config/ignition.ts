// Ignition spec 3.3.0: the highest version both Debian's ignition-validate and every current Flatcar
// accept. Built as a typed object and serialized with JSON.stringify (compact: user data has budgets);
// `fromIgnition` reads it back into a NodeConfig for the equivalence test.
import { PUBLIC } from "../src/modes";
import type { NodeConfig, NodeDownload, NodeFile, SystemdUnit } from "../src/node/model";
import { fromDataUrl, gzipDataUrl, toDataUrl, type IgnitionContents } from "./encoding";

export const IGNITION_VERSION = "3.3.0";
const HOSTNAME_FILE = "/etc/hostname";

interface IgnitionFile {
  path: string;
  mode: number;
  overwrite: true;
  contents: IgnitionContents & { verification?: { hash: string } };
}

/**
 * How long one download may take, retries included (Ignition's `timeouts.httpTotal`, seconds; its
 * default, 0, retries forever: coreos/ignition docs/operator-notes.md, "HTTP Backoff and Retry"). With
 * a bound, an unreachable server fails the first boot with "unable to fetch resource in time" naming
 * the file, instead of a node that never finishes booting. Five minutes: the k3s image (~70 MB) still
 * arrives at 2 Mbit/s. Set only in configs that download something.
 */
export const HTTP_TOTAL_SECONDS = 300;

interface IgnitionUnit {
  name: string;
  contents?: string;
  enabled?: boolean;
  mask?: boolean;
  dropins?: { name: string; contents: string }[];
}

export interface IgnitionConfig {
  ignition: { version: typeof IGNITION_VERSION; timeouts?: { httpTotal: number } };
  passwd?: { users: { name: "core"; sshAuthorizedKeys: string[] }[] };
  storage: { files: IgnitionFile[]; links?: { path: string; target: string }[] };
  systemd: { units: IgnitionUnit[] };
}

const toFile = (f: NodeFile): IgnitionFile => ({ path: f.path, mode: f.mode, overwrite: true, contents: toDataUrl(f.contents) });
// Ignition fetches these itself in the files stage (retrying within HTTP_TOTAL_SECONDS), and checks
// the hash where the download has one ("sha256-<hex>", Ignition spec 3.3.0 `verification.hash`).
const toDownload = (d: NodeDownload): IgnitionFile => ({
  path: d.path,
  mode: d.mode,
  overwrite: true,
  contents: { source: d.source, ...(d.sha256 ? { verification: { hash: `sha256-${d.sha256}` } } : {}) },
});
const HASH = /^sha256-([0-9a-f]{64})$/;
const isData = (f: IgnitionFile) => f.contents.source.startsWith("data:");

export function toIgnition(node: NodeConfig): IgnitionConfig {
  const hostname: NodeFile = { path: HOSTNAME_FILE, mode: PUBLIC, contents: `${node.hostname}\n` };
  return {
    ignition: { version: IGNITION_VERSION, ...(node.downloads.length ? { timeouts: { httpTotal: HTTP_TOTAL_SECONDS } } : {}) },
    ...(node.sshAuthorizedKeys.length ? { passwd: { users: [{ name: "core", sshAuthorizedKeys: [...node.sshAuthorizedKeys] }] } } : {}),
    storage: {
      files: [...[hostname, ...node.files].map(toFile), ...node.downloads.map(toDownload)],
      ...(node.links.length ? { links: node.links.map((l) => ({ path: l.path, target: l.target })) } : {}),
    },
    systemd: {
      units: node.units.map((u) => ({
        name: u.name,
        ...(u.contents !== undefined ? { contents: u.contents } : {}),
        ...(u.enabled ? { enabled: true } : {}),
        ...(u.masked ? { mask: true } : {}),
        ...(u.dropins?.length ? { dropins: u.dropins.map((d) => ({ ...d })) } : {}),
      })),
    },
  };
}

export const serializeIgnition = (config: IgnitionConfig): string => JSON.stringify(config);

/** A config whose whole content is another config, which Ignition fetches and applies instead. */
interface PackedIgnition {
  ignition: { version: typeof IGNITION_VERSION; config: { replace: IgnitionContents } };
}

/**
 * A config over its platform's user-data budget (EC2's 16 KiB: a kubernetes control node with a long SSH
 * key), packed: the whole config gzip'd into `ignition.config.replace` as a data URL, which Ignition reads
 * in its fetch stage (spec 3.3.0, coreos.github.io/ignition/configuration-v3_3/: `replace.source`,
 * `replace.compression`). Nobody reads such user data by eye: only configs that need it are packed.
 */
export const packIgnition = (json: string): string =>
  JSON.stringify({ ignition: { version: IGNITION_VERSION, config: { replace: gzipDataUrl(json) } } } satisfies PackedIgnition);

/** Only the equivalence tests read a config back; it stays here, where the layout it undoes (HOSTNAME_FILE, data URLs) is private. */
export function fromIgnition(json: string): NodeConfig {
  const config = JSON.parse(json) as IgnitionConfig | PackedIgnition;
  if (config.ignition?.version !== IGNITION_VERSION) throw new Error(`not an Ignition ${IGNITION_VERSION} config`);
  if ("config" in config.ignition) return fromIgnition(fromDataUrl(config.ignition.config.replace));
  if (!("storage" in config)) throw new Error("an Ignition config without storage");
  const files = config.storage.files.filter(isData).map((f) => ({ path: f.path, mode: f.mode, contents: fromDataUrl(f.contents) }));
  const downloads = config.storage.files
    .filter((f) => !isData(f))
    .map((f) => {
      const sha256 = HASH.exec(f.contents.verification?.hash ?? "")?.[1];
      return { path: f.path, mode: f.mode, source: f.contents.source, ...(sha256 ? { sha256 } : {}) };
    });
  const hostname = files.find((f) => f.path === HOSTNAME_FILE);
  const units: SystemdUnit[] = config.systemd.units.map((u) => ({
    name: u.name,
    ...(u.contents !== undefined ? { contents: u.contents } : {}),
    ...(u.enabled ? { enabled: true } : {}),
    ...(u.mask ? { masked: true } : {}),
    ...(u.dropins?.length ? { dropins: u.dropins } : {}),
  }));
  return {
    hostname: (hostname?.contents ?? "").trim(),
    sshAuthorizedKeys: config.passwd?.users.find((u) => u.name === "core")?.sshAuthorizedKeys ?? [],
    files: files.filter((f) => f.path !== HOSTNAME_FILE),
    downloads,
    links: (config.storage.links ?? []).map((l) => ({ path: l.path, target: l.target })),
    units,
  };
}
