// The Vagrantfile of a vagrant environment: every value is prepared here, `Vagrantfile.hbs` (top level)
// only places them. Pure: the caller writes the file (sources: Flatcar's Vagrant docs,
// www.flatcar.org/docs/latest/installing/vms/vagrant/; coreos/coreos-vagrant's Vagrantfile for the
// user-data upload and config.rb).
import { readFileSync } from "node:fs";
import Handlebars from "handlebars";
import { flatcarBox, type VagrantBox } from "../platforms/vagrant";
import type { ClusterPlan, PlannedNode } from "../plan/plan";
import { formatIp, parseCidr } from "../spec/ipv4";
import type { Environment } from "../spec/schema";
import { projectFile } from "../project";

/** The Flatcar box needs Vagrant ≥ 2.2.5 (Flatcar's Vagrant docs, above); the Vagrantfile and `coreform up` both check it. */
export const MIN_VAGRANT = "2.2.5";

/** Where the file provisioner uploads a node's cloud-config (as `core`, so somewhere `core` may write). */
export const USER_DATA_UPLOAD = "/tmp/vagrantfile-user-data";
/** Where the box's `coreos-cloudinit-vagrant-user.path` unit picks it up and applies it. */
export const USER_DATA_PATH = "/var/lib/flatcar-vagrant/vagrantfile-user-data";

/**
 * Boxes built before April 2026 do not copy a `user-data` file themselves, so the upload is moved into
 * place by root, as coreos-vagrant did. It holds TLS keys: root-owned and 0600 before it is moved, so it
 * never appears in the watched directory with the upload's looser mode.
 */
export const INSTALL_USER_DATA = [
  `chown root:root ${USER_DATA_UPLOAD}`,
  `chmod 0600 ${USER_DATA_UPLOAD}`,
  `mkdir -p ${USER_DATA_PATH.slice(0, USER_DATA_PATH.lastIndexOf("/"))}`,
  `mv ${USER_DATA_UPLOAD} ${USER_DATA_PATH}`,
].join(" && ");

interface VagrantMachine {
  /** Machine name and hostname: the planned node's name. */
  readonly name: string;
  readonly ip: string;
  readonly netmask: string;
  readonly memoryMiB: number;
  readonly cpus: number;
  /** The node's cloud-config, relative to the Vagrantfile's directory. */
  readonly userData: string;
}

export interface VagrantfileModel {
  readonly cluster: string;
  readonly environment: string;
  readonly box: VagrantBox;
  readonly machines: readonly VagrantMachine[];
}

const netmask = (cidr: string) => formatIp(2 ** 32 - 2 ** (32 - parseCidr(cidr).prefix));

/** `userData` gives each node's cloud-config path relative to the environment's output directory. */
export function vagrantfileModel(env: Environment, plan: ClusterPlan, userData: (node: PlannedNode) => string): VagrantfileModel {
  if (env.platform !== "vagrant") throw new Error(`environment ${plan.environment} is not a vagrant environment`);
  const mask = netmask(plan.cidr);
  return {
    cluster: plan.cluster,
    environment: plan.environment,
    box: flatcarBox(plan.os),
    machines: plan.nodes.map((node) => ({
      name: node.name,
      ip: node.ip,
      netmask: mask,
      memoryMiB: env[node.role].memoryMiB,
      cpus: env[node.role].cpus,
      userData: userData(node),
    })),
  };
}

/** A Ruby string literal that stays literal (single quotes: no interpolation). */
const ruby = (s: string) => `'${s.replace(/[\\']/g, "\\$&")}'`;

let template: HandlebarsTemplateDelegate | undefined;

export function renderVagrantfile(model: VagrantfileModel): string {
  // Compiled as the node templates are: strict (a missing value is an error), no HTML escaping.
  template ??= Handlebars.compile(readFileSync(projectFile("Vagrantfile.hbs"), "utf8"), { strict: true, noEscape: true });
  return template({
    cluster: model.cluster,
    environment: model.environment,
    nodeCount: model.machines.length,
    minVagrant: ruby(`>= ${MIN_VAGRANT}`),
    box: {
      name: ruby(model.box.name),
      url: ruby(model.box.url),
      version: model.box.version === undefined ? false : ruby(model.box.version),
    },
    userDataUpload: ruby(USER_DATA_UPLOAD),
    installUserData: ruby(INSTALL_USER_DATA),
    machines: model.machines.map((m) => ({
      name: ruby(m.name),
      ip: ruby(m.ip),
      netmask: ruby(m.netmask),
      memoryMiB: m.memoryMiB,
      cpus: m.cpus,
      userData: ruby(m.userData),
    })),
  });
}
