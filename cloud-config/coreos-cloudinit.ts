// The legacy `#cloud-config` document for coreos-cloudinit, still in every Flatcar image and the way
// the Vagrant box takes user data. Built as a typed object and serialized with js-yaml. Keys use
// underscores only: coreos-cloudinit ignores hyphenated ones silently.
import { dirname } from "node:path";
import yaml from "js-yaml";
import { PUBLIC } from "../src/modes";
import type { NodeConfig, NodeDownload, NodeLink, SystemdUnit } from "../src/node/model";
import { fromCloudConfigContent, toCloudConfigContent, type CloudConfigEncoding } from "./encoding";

const HEADER = "#cloud-config\n";

interface CloudConfigFile {
  path: string;
  permissions: string;
  owner: "root:root";
  content: string;
  encoding?: CloudConfigEncoding;
}

interface CloudConfigUnit {
  name: string;
  content?: string;
  enable?: boolean;
  mask?: boolean;
  command?: "start" | "restart";
  drop_ins?: { name: string; content: string }[];
}

interface CloudConfig {
  hostname: string;
  ssh_authorized_keys?: string[];
  write_files: CloudConfigFile[];
  coreos: { units: CloudConfigUnit[] };
}

// cloud-config is applied after boot, when these already run; they read update.conf only at start.
const RESTART_WHEN_APPLIED = new Set(["update-engine.service", "locksmithd.service"]);

function toUnit(u: SystemdUnit): CloudConfigUnit {
  return {
    name: u.name,
    ...(u.contents !== undefined ? { content: u.contents } : {}),
    ...(u.enabled ? { enable: true, command: RESTART_WHEN_APPLIED.has(u.name) ? "restart" : "start" } : {}),
    ...(u.masked ? { mask: true } : {}),
    ...(u.dropins?.length ? { drop_ins: u.dropins.map((d) => ({ name: d.name, content: d.contents })) } : {}),
  };
}

/**
 * cloud-config has neither remote files nor links. One oneshot unit does what Ignition's files stage
 * does with them, once (like Ignition: a later sysupdate may move a link on, and a re-applied
 * cloud-config must not move it back), then merges new system extensions and starts what the new
 * links made wanted.
 */
export const PROVISION_UNIT = "coreform-provision.service";
const PROVISIONED = "/var/lib/coreform/provisioned";
const CURL = "ExecStart=/usr/bin/curl --fail --silent --show-error --location --retry 10 --retry-all-errors -o ";
const CHMOD = "ExecStart=/usr/bin/chmod ";
/** The publisher's hash, checked after the download as Ignition's `verification.hash` does: a mismatch stops the unit. */
const checkSum = (sha256: string, path: string) => `ExecStart=/usr/bin/sh -c 'echo "${sha256}  ${path}" | /usr/bin/sha256sum --check --quiet'`;
const CHECKSUM = /^ExecStart=\/usr\/bin\/sh -c 'echo "([0-9a-f]{64}) {2}(\S+)" \| \/usr\/bin\/sha256sum --check --quiet'$/;
const LN = "ExecStart=/usr/bin/ln -sfn ";
const FINISH = [
  `ExecStart=/usr/bin/touch ${PROVISIONED}`,
  "ExecStart=/usr/bin/systemd-sysext refresh",
  "ExecStart=/usr/bin/systemctl daemon-reload",
  "ExecStart=/usr/bin/systemctl start --no-block multi-user.target",
];

// Unit files expand '%' specifiers; the arguments here are paths and URLs without spaces.
const word = (s: string) => {
  if (/\s/.test(s)) throw new Error(`cannot express "${s}" in ${PROVISION_UNIT}: it contains whitespace`);
  return s.replace(/%/g, "%%");
};
const unword = (s: string) => s.replace(/%%/g, "%");

function provisionUnit({ downloads, links }: NodeConfig): SystemdUnit[] {
  if (!downloads.length && !links.length) return [];
  const dirs = [...new Set([...downloads, ...links].map((x) => dirname(x.path)).concat(dirname(PROVISIONED)))];
  const exec = [
    `ExecStart=/usr/bin/mkdir -p ${dirs.map(word).join(" ")}`,
    ...downloads.flatMap((d) => [
      `${CURL}${word(d.path)} ${word(d.source)}`,
      ...(d.sha256 ? [checkSum(d.sha256, word(d.path))] : []),
      `${CHMOD}0${d.mode.toString(8)} ${word(d.path)}`,
    ]),
    ...links.map((l) => `${LN}${word(l.target)} ${word(l.path)}`),
    ...FINISH,
  ];
  const contents = [
    "[Unit]",
    "Description=coreform: fetch and link, once, what Ignition places at first boot",
    "Wants=network-online.target",
    "After=network-online.target",
    `ConditionPathExists=!${PROVISIONED}`,
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    ...exec,
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
  return [{ name: PROVISION_UNIT, contents, enabled: true }];
}

/** Reads the downloads and links back out of the provisioning unit. */
function fromProvisionUnit(contents: string): { downloads: NodeDownload[]; links: NodeLink[] } {
  const lines = contents.split("\n");
  const modes = new Map(
    lines.filter((l) => l.startsWith(CHMOD)).map((l) => l.slice(CHMOD.length).split(" ")).map(([m, p]) => [unword(p!), parseInt(m!, 8)]),
  );
  const sums = new Map(lines.map((l) => CHECKSUM.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => [unword(m[2]!), m[1]!]));
  const downloads = lines
    .filter((l) => l.startsWith(CURL))
    .map((l) => l.slice(CURL.length).split(" ").map(unword))
    .map(([path, source]) => ({ path: path!, mode: modes.get(path!) ?? PUBLIC, source: source!, ...(sums.has(path!) ? { sha256: sums.get(path!)! } : {}) }));
  const links = lines
    .filter((l) => l.startsWith(LN))
    .map((l) => l.slice(LN.length).split(" ").map(unword))
    .map(([target, path]) => ({ path: path!, target: target! }));
  return { downloads, links };
}

export function toCloudConfig(node: NodeConfig): CloudConfig {
  return {
    hostname: node.hostname,
    ...(node.sshAuthorizedKeys.length ? { ssh_authorized_keys: [...node.sshAuthorizedKeys] } : {}),
    write_files: node.files.map((f) => ({
      path: f.path,
      permissions: `0${f.mode.toString(8)}`,
      owner: "root:root",
      ...toCloudConfigContent(f.contents),
    })),
    coreos: { units: [...node.units, ...provisionUnit(node)].map(toUnit) },
  };
}

export function serializeCloudConfig(config: CloudConfig): string {
  return HEADER + yaml.dump(config, { lineWidth: -1, noRefs: true, quotingType: "'" });
}

/** Only the equivalence tests read a document back; it stays here, where the layout it undoes (HEADER, the provisioning unit) is private. */
export function fromCloudConfig(text: string): NodeConfig {
  if (!text.startsWith(HEADER)) throw new Error("not a #cloud-config document");
  const config = yaml.load(text) as CloudConfig;
  const provision = config.coreos.units.find((u) => u.name === PROVISION_UNIT);
  return {
    hostname: config.hostname,
    sshAuthorizedKeys: config.ssh_authorized_keys ?? [],
    files: config.write_files.map((f) => ({
      path: f.path,
      mode: parseInt(f.permissions, 8),
      contents: fromCloudConfigContent(f.content, f.encoding),
    })),
    ...(provision?.content ? fromProvisionUnit(provision.content) : { downloads: [], links: [] }),
    units: config.coreos.units.filter((u) => u !== provision).map((u) => ({
      name: u.name,
      ...(u.content !== undefined ? { contents: u.content } : {}),
      ...(u.enable ? { enabled: true } : {}),
      ...(u.mask ? { masked: true } : {}),
      ...(u.drop_ins?.length ? { dropins: u.drop_ins.map((d) => ({ name: d.name, contents: d.content })) } : {}),
    })),
  };
}
