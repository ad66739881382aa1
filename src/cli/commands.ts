// The commands. Each module is loaded only when its command runs, so `coreform --help` stays fast.
import { COMMAND_TIMEOUT_TEXT, REQUEST_TIMEOUT_TEXT } from "../ops/timeout";
import type { Io } from "../io";

export interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: Readonly<Record<string, { type: "string" | "boolean"; short?: string }>>;
  readonly run: (io: Io, args: { positionals: string[]; values: Record<string, string | boolean | undefined> }) => Promise<number>;
}

/** ENV, --env, --file and --out of `up` and `down`: their options, and how they are passed on. */
const VAGRANT_OPTIONS: Command["options"] = { env: { type: "string", short: "e" }, file: { type: "string", short: "f" }, out: { type: "string", short: "o" } };
const vagrantHelp = (out: string) => `Options:
  -e, --env ENV       the vagrant environment (same as the ENV argument)
  -f, --file FILE     the spec (default: cluster.yaml)
  -o, --out OUTDIR    where the environment ${out} (default: out/ next to the spec)`;
const vagrantArgs = (a: Parameters<Command["run"]>[1]) => ({
  positionals: a.positionals,
  env: a.values.env as string | undefined,
  file: a.values.file as string | undefined,
  out: a.values.out as string | undefined,
});

export const COMMANDS: Readonly<Record<string, Command>> = {
  init: {
    summary: "write a commented starter cluster.yaml",
    usage: `coreform init [DIR]

Writes DIR/cluster.yaml (DIR defaults to the current directory), a commented starter spec.
Refuses to overwrite an existing file.`,
    options: {},
    run: async (io, a) => (await import("./init")).init(io, a.positionals),
  },
  validate: {
    summary: "check the spec and print every problem",
    usage: `coreform validate [-f FILE]

Checks the spec and prints every problem at once on stderr, one per line, as PATH: message;
warnings start with "warning:". Exit 0 when valid, 2 when not.

Options:
  -f, --file FILE   the spec (default: cluster.yaml)`,
    options: { file: { type: "string", short: "f" } },
    run: async (io, a) => (await import("./validate")).validate(io, a.positionals, a.values.file as string | undefined),
  },
  pin: {
    summary: "report what still floats; pin the Flatcar release",
    usage: `coreform pin [ENV…] [-f FILE] [--write --version X.Y.Z | --write --release FILE]

Reports every input of the environments (default: all of them) that lets the same spec give another
cluster later, one per line on stdout as PATH: floating (what moves, what pins it):
  os.version "current"        the channel's newest release on the day a node is created
  a tag without a digest      etcd (etcd.digest), fleet (scheduler.image …@sha256:…)
  k3s's systemd-sysupdate     newer patch releases of the minor (scheduler.sysupdate: false)
  updates                     update_engine and a rebootStrategy other than off move nodes to new releases
  an image family             environments.<env>.image on gce
Exit 0 when nothing floats, 1 when something does, 2 on bad input.

With --write, first sets os.version in FILE to the release given, changing only that value (comments,
key order and layout stay), then reports as above.

Options:
  -f, --file FILE      the spec (default: cluster.yaml)
  --write              pin os.version in FILE
  --version X.Y.Z      the Flatcar release to pin (e.g. 4593.2.5)
  --release FILE       read it from a Flatcar version.txt (FLATCAR_VERSION_ID=…), e.g. saved from
                       https://stable.release.flatcar-linux.net/amd64-usr/current/version.txt`,
    options: { file: { type: "string", short: "f" }, write: { type: "boolean" }, version: { type: "string" }, release: { type: "string" } },
    run: async (io, a) =>
      (await import("./pin")).pin(io, a.positionals, {
        file: a.values.file as string | undefined,
        write: a.values.write === true,
        version: a.values.version as string | undefined,
        release: a.values.release as string | undefined,
      }),
  },
  render: {
    summary: "write first-boot configs for environments, or check them (--check)",
    usage: `coreform render [ENV…] [-f FILE] [-o OUTDIR]
coreform render ENV… --new-secrets [-f FILE] [-o OUTDIR]
coreform render --check [ENV…] [-f FILE] [-o OUTDIR]

Writes, for each environment (default: all of them), each node's first-boot config in the format its
platform takes:
  OUTDIR/<env>/ignition/<node>.json      Ignition 3.3.0 (every platform but vagrant)
  OUTDIR/<env>/cloud-config/<node>.yaml  #cloud-config for coreos-cloudinit (vagrant)
  OUTDIR/<env>/plan.json                 nodes, roles, addresses, endpoints, image (no secrets)
  OUTDIR/<env>/topology.svg              the environment drawn: nodes, etcd, scheduler, admin access
  OUTDIR/<env>/Vagrantfile               vagrant environments only (see \`coreform up\`)
Secrets are created once under .coreform/<env>/ next to the spec and reused afterwards. Once an
environment has secrets (.coreform/<env>/ holds a file, or OUTDIR/<env>/plan.json shows it was
rendered), a missing or damaged CA, k3s token, service-account key or IPsec key stops the render
(exit 1) naming the file: restore it from your backup of .coreform/. Running nodes trust only those.
Output is written atomically: a failing or killed run leaves each environment's earlier output, or
the next render completes it. One run at a time per project (.coreform/lock names the holder).

With --check nothing is written: the environments are rendered in memory with their existing
secrets and every file render would write is compared with OUTDIR/<env>/. Each difference is one
line on stdout, PATH: missing | differs | mode 0644, expected 0600 | not rendered by this spec (stale)
(a file in ignition/ or cloud-config/ that render would not write; without ENV, also a rendered
OUTDIR/<env>/ of an environment the spec no longer has), or ENV: no secrets … when render
would first create or renew secrets; paths are relative to the current directory when below it.
Contents are never printed. Other files in OUTDIR/<env>/ (.vagrant/, config.rb) are ignored.
Exit 0 when everything matches, 1 when anything differs (a summary line last), 2 on invalid input.

Options:
  --check             compare instead of writing (see above)
  --new-secrets       make the missing CAs, k3s token and keys of the ENVs named afresh, when
                      no backup is left: nodes running with the old ones will not trust them
  -f, --file FILE     the spec (default: cluster.yaml, here or in a directory above)
  -o, --out OUTDIR    where to write, or what to check (default: out/ next to the spec)`,
    options: { check: { type: "boolean" }, "new-secrets": { type: "boolean" }, file: { type: "string", short: "f" }, out: { type: "string", short: "o" } },
    run: async (io, a) =>
      (await import("./render")).render(
        io,
        a.positionals,
        a.values.file as string | undefined,
        a.values.out as string | undefined,
        a.values.check === true,
        a.values["new-secrets"] === true,
      ),
  },
  up: {
    summary: "bring up a vagrant environment (VirtualBox)",
    usage: `coreform up [ENV] [--env ENV] [-f FILE] [-o OUTDIR]

Checks the host (Vagrant ≥ 2.2.5 and VirtualBox), renders the environment like \`coreform render ENV\`
(OUTDIR/<env>/Vagrantfile included), then runs \`vagrant up --provider=virtualbox\` in OUTDIR/<env>/,
streaming Vagrant's output with a line per machine. Running it again on a running cluster changes
nothing. ENV defaults to the spec's only vagrant environment. Local Vagrant settings (forwarded
ports, shared folders) go in OUTDIR/<env>/config.rb: see the Vagrantfile's header.

${vagrantHelp("is rendered")}`,
    options: VAGRANT_OPTIONS,
    run: async (io, a) => (await import("./up")).up(io, vagrantArgs(a)),
  },
  down: {
    summary: "destroy a vagrant environment's machines",
    usage: `coreform down [ENV] [--env ENV] [-f FILE] [-o OUTDIR]

Runs \`vagrant destroy --force\` in OUTDIR/<env>/. Rendered files and secrets stay, so \`coreform up\`
brings the same cluster back. ENV defaults to the spec's only vagrant environment.

${vagrantHelp("was rendered")}`,
    options: VAGRANT_OPTIONS,
    run: async (io, a) => (await import("./down")).down(io, vagrantArgs(a)),
  },
  kubeconfig: {
    summary: "write the operator's kubeconfig for a kubernetes environment",
    usage: `coreform kubeconfig ENV [-f FILE] [-o PATH] [--server URL]

Writes a kubeconfig for ENV's Kubernetes API (the first control node, port 6443) with an admin
certificate (O=system:masters) from the environment's secrets, mode 0600. It holds a private key, so it
is written to a file, never printed. Needs \`coreform render ENV\` first (which creates the secrets).

Options:
  -f, --file FILE   the spec (default: cluster.yaml)
  -o, --out PATH    where to write (default: .coreform/ENV/kubeconfig next to the spec); an existing
                    different file is never overwritten
  --server URL      reach the API at another address (a tunnel, a public IP), e.g. https://203.0.113.7:6443;
                    TLS still checks the first control node's name`,
    options: { file: { type: "string", short: "f" }, out: { type: "string", short: "o" }, server: { type: "string" } },
    run: async (io, a) =>
      (await import("./kubeconfig")).kubeconfig(
        io,
        a.positionals,
        a.values.file as string | undefined,
        a.values.out as string | undefined,
        a.values.server as string | undefined,
      ),
  },
  status: {
    summary: "health of an environment's etcd, its reboot lock",
    usage: `coreform status <ENV> [--endpoints URL,…] [--json] [-f FILE]

Asks every etcd member of ENV (the plan's addresses, or --endpoints) over TLS with the operator
certificate from .coreform/<ENV>/ and prints one row per member (name, planned IP, reachable, leader,
version, db size, raft index), the quorum (healthy, degraded: N of M, or lost), locksmith's reboot
lock (free slots of max, holders) and, with the kubernetes scheduler, whether /registry/ holds data.
Every request times out after ${REQUEST_TIMEOUT_TEXT} and all members are asked at once; the command ends within
${COMMAND_TIMEOUT_TEXT} whatever the endpoints do (silent, stopped, never accepting, answering a byte at a time).
Exit 0 when every member is healthy, 1 when the cluster is degraded or unreachable or the secrets are
missing, 2 on bad input.

Options:
  --endpoints URL,…   ask these https://HOST:PORT instead (e.g. through a tunnel or a bastion)
  --json              print the same as one JSON document
  -f, --file FILE     the spec (default: cluster.yaml)`,
    options: { file: { type: "string", short: "f" }, endpoints: { type: "string" }, json: { type: "boolean" } },
    run: async (io, a) =>
      (await import("./status")).status(io, a.positionals, {
        file: a.values.file as string | undefined,
        endpoints: a.values.endpoints as string | undefined,
        json: a.values.json === true,
      }),
  },
  "reboot-lock": {
    summary: "show or change locksmith's reboot lock",
    usage: `coreform reboot-lock <ENV> status|unlock <MACHINE-ID>|set-max <N> [--group G] [--endpoints URL,…] [-f FILE]

locksmithd's semaphore in etcd (key coreos.com/updateengine/rebootlock/semaphore, or
…/groups/<G>/semaphore, in the v2 or the v3 keyspace: older and newer locksmiths differ, so both are
read), changed by compare-and-swap as locksmithd does; a missing key reads as locksmithd's initial
state (1 of 1 free) and set-max then writes it to both.
  status            free slots, max and holders
  unlock ID         frees the slot machine ID (its /etc/machine-id) holds; refused if it holds none
  set-max N         lets N machines reboot at once; refused below the number of current holders
Every request times out after ${REQUEST_TIMEOUT_TEXT}, and the command ends within ${COMMAND_TIMEOUT_TEXT} whatever the endpoints do.
Exit 0 done, 1 etcd unreachable or secrets missing, 2 bad input or a refused change.

Options:
  --group G           locksmith's group (LOCKSMITHD_GROUP) instead of the default semaphore
  --endpoints URL,…   ask these https://HOST:PORT instead of the plan's addresses
  -f, --file FILE     the spec (default: cluster.yaml)`,
    options: { file: { type: "string", short: "f" }, endpoints: { type: "string" }, group: { type: "string" } },
    run: async (io, a) =>
      (await import("./reboot-lock")).rebootLock(io, a.positionals, {
        file: a.values.file as string | undefined,
        endpoints: a.values.endpoints as string | undefined,
        group: a.values.group as string | undefined,
      }),
  },
};
