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
  contents: IgnitionContents;
}

interface IgnitionUnit {
  name: string;
  contents?: string;
  enabled?: boolean;
  mask?: boolean;
  dropins?: { name: string; contents: string }[];
}

export interface IgnitionConfig {
  ignition: { version: typeof IGNITION_VERSION };
  passwd?: { users: { name: "core"; sshAuthorizedKeys: string[] }[] };
  storage: { files: IgnitionFile[]; links?: { path: string; target: string }[] };
  systemd: { units: IgnitionUnit[] };
}

const toFile = (f: NodeFile): IgnitionFile => ({ path: f.path, mode: f.mode, overwrite: true, contents: toDataUrl(f.contents) });
// Ignition fetches these itself in the files stage (retrying until the network is up). No
// verification hash: the sysext-bakery publishes none per release file (README, "Scheduler").
const toDownload = (d: NodeDownload): IgnitionFile => ({ path: d.path, mode: d.mode, overwrite: true, contents: { source: d.source } });
const isData = (f: IgnitionFile) => f.contents.source.startsWith("data:");

export function toIgnition(node: NodeConfig): IgnitionConfig {
  const hostname: NodeFile = { path: HOSTNAME_FILE, mode: PUBLIC, contents: `${node.hostname}\n` };
  return {
    ignition: { version: IGNITION_VERSION },
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
  const downloads = config.storage.files.filter((f) => !isData(f)).map((f) => ({ path: f.path, mode: f.mode, source: f.contents.source }));
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
