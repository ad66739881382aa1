// What `coreform up`/`down` need on the host before they touch anything: Vagrant ≥ 2.2.5 and VirtualBox.
// Every missing piece is reported at once, each with what to install.
import { join } from "node:path";
import { contains, parseCidr } from "../spec/ipv4";
import { capture } from "./run";
import { MIN_VAGRANT } from "./vagrantfile";

interface HostTools {
  readonly vagrant: string;
  readonly virtualbox: string;
}

class HostError extends Error {}

const INSTALL_VAGRANT = `install Vagrant ≥ ${MIN_VAGRANT}: https://developer.hashicorp.com/vagrant/install (Debian/Ubuntu: apt-get install vagrant)`;
const INSTALL_VIRTUALBOX = "install VirtualBox: https://www.virtualbox.org/wiki/Downloads";

/** `2.3.4` ≥ `2.2.5`? Compares dotted numbers; missing parts count as 0. */
export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

async function vagrantVersion(problems: string[]): Promise<string> {
  const r = await capture("vagrant", ["--version"]);
  if (r.notFound) problems.push(`Vagrant is not installed (no vagrant on PATH): ${INSTALL_VAGRANT}`);
  else if (r.exitCode !== 0) problems.push(`vagrant --version failed (${r.failure}): reinstall it, or ${INSTALL_VAGRANT}`);
  else {
    const version = /Vagrant (\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
    if (!version) problems.push(`vagrant --version printed no version ("${r.stdout.trim().split("\n")[0]}"): ${INSTALL_VAGRANT}`);
    else if (!versionAtLeast(version, MIN_VAGRANT)) problems.push(`Vagrant ${version} is too old for the Flatcar box: ${INSTALL_VAGRANT}`);
    else return version;
  }
  return "";
}

async function virtualboxVersion(problems: string[]): Promise<string> {
  // Where Vagrant itself looks for VBoxManage: PATH, then (Windows) the installer's directory.
  const candidates = ["VBoxManage", ...["VBOX_MSI_INSTALL_PATH", "VBOX_INSTALL_PATH"].flatMap((v) => (process.env[v] ? [join(process.env[v]!, "VBoxManage")] : []))];
  for (const command of candidates) {
    const r = await capture(command, ["--version"]);
    if (r.notFound) continue;
    // VBoxManage prints warnings (a missing kernel module…) before the version: keep the version line.
    const version = r.stdout.split("\n").find((l) => /^\d+\.\d+\.\d+/.test(l.trim()));
    if (r.exitCode === 0 && version) return version.trim();
    problems.push(`VirtualBox does not work here (VBoxManage --version: ${(r.stderr || r.stdout).trim().split("\n")[0] || r.failure}): reinstall it, or ${INSTALL_VIRTUALBOX}`);
    return "";
  }
  problems.push(`VirtualBox is not installed (no VBoxManage on PATH): ${INSTALL_VIRTUALBOX}`);
  return "";
}

/** What the check is for, as its error begins. */
const PURPOSE = {
  up: "this host cannot run the cluster yet, nothing was written or started",
  down: "this host cannot reach the cluster's machines (vagrant destroy needs both), nothing was destroyed",
} as const;

/** Throws a HostError naming everything that is missing for `purpose`. */
export async function checkHost(purpose: keyof typeof PURPOSE = "up"): Promise<HostTools> {
  const problems: string[] = [];
  const vagrant = await vagrantVersion(problems);
  const virtualbox = await virtualboxVersion(problems);
  if (problems.length) throw new HostError(`${PURPOSE[purpose]}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  return { vagrant, virtualbox };
}

/**
 * The host-only range VirtualBox ≥ 6.1.28 allows on Linux and macOS without /etc/vbox/networks.conf
 * (VirtualBox manual, "Host-Only Networking").
 */
const VIRTUALBOX_HOST_ONLY = "192.168.56.0/21";

/** A warning when the environment's network is outside that range (undefined when it is inside). */
export function hostOnlyWarning(environment: string, cidr: string): string | undefined {
  if (contains(parseCidr(VIRTUALBOX_HOST_ONLY), parseCidr(cidr))) return undefined;
  return (
    `warning: ${environment}: ${cidr} is outside ${VIRTUALBOX_HOST_ONLY}, the only host-only range VirtualBox ≥ 6.1.28 allows by default ` +
    `on Linux and macOS: add "* ${cidr}" to /etc/vbox/networks.conf, or set environments.${environment}.network.cidr to 192.168.56.0/24`
  );
}
