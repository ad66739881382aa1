// The legacy `#cloud-config` document for coreos-cloudinit, still in every Flatcar image and the way
// the Vagrant box takes user data. Built as a typed object and serialized with js-yaml. Keys use
// underscores only: coreos-cloudinit ignores hyphenated ones silently.
import yaml from "js-yaml";
import type { NodeConfig, SystemdUnit } from "../src/node/model";
import { fromCloudConfigContent, toCloudConfigContent, type CloudConfigEncoding } from "./encoding";

const HEADER = "#cloud-config\n";

export interface CloudConfigFile {
  path: string;
  permissions: string;
  owner: "root:root";
  content: string;
  encoding?: CloudConfigEncoding;
}

export interface CloudConfigUnit {
  name: string;
  content?: string;
  enable?: boolean;
  mask?: boolean;
  command?: "start" | "restart";
  drop_ins?: { name: string; content: string }[];
}

export interface CloudConfig {
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
    coreos: { units: node.units.map(toUnit) },
  };
}

export function serializeCloudConfig(config: CloudConfig): string {
  return HEADER + yaml.dump(config, { lineWidth: -1, noRefs: true, quotingType: "'" });
}

export function fromCloudConfig(text: string): NodeConfig {
  if (!text.startsWith(HEADER)) throw new Error("not a #cloud-config document");
  const config = yaml.load(text) as CloudConfig;
  return {
    hostname: config.hostname,
    sshAuthorizedKeys: config.ssh_authorized_keys ?? [],
    files: config.write_files.map((f) => ({
      path: f.path,
      mode: parseInt(f.permissions, 8),
      contents: fromCloudConfigContent(f.content, f.encoding),
    })),
    units: config.coreos.units.map((u) => ({
      name: u.name,
      ...(u.content !== undefined ? { contents: u.content } : {}),
      ...(u.enable ? { enabled: true } : {}),
      ...(u.mask ? { masked: true } : {}),
      ...(u.drop_ins?.length ? { dropins: u.drop_ins.map((d) => ({ name: d.name, contents: d.content })) } : {}),
    })),
  };
}
