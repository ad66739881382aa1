// The commands. Each declares its options once, with their help lines, and its `run` gets their values
// typed from that declaration (`--file` a string, `--json` a boolean). A command's module is loaded
// only when it runs, so `coreform --help` stays fast. A new command is one more entry in COMMANDS.
import { parseArgs } from "node:util";
import { EXIT_OK } from "../errors";
import type { Io } from "../io";
import { COMMAND_TIMEOUT_TEXT, REQUEST_TIMEOUT_TEXT, ROLL_WAIT_SECONDS } from "../ops/timeout";

interface Option {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** What a string option's value is called in the help (FILE, URL). */
  readonly value?: string;
  /** Its line in the help; further lines after a line break. */
  readonly help: string;
}
type Options = Readonly<Record<string, Option>>;

/** Every command takes -h, --help (not listed in its options). */
const HELP = { help: { type: "boolean", short: "h", help: "" } } as const;

type ParseConfig<O extends Options> = { readonly args: string[]; readonly options: O & typeof HELP; readonly allowPositionals: true; readonly strict: true };
/** What a command's `run` gets: the positionals, and the values of its options as parseArgs types them. */
type Args<O extends Options> = ReturnType<typeof parseArgs<ParseConfig<O>>>;

export interface Command {
  readonly summary: string;
  /** The usage lines and what the command does, then its options. */
  readonly help: string;
  readonly run: (io: Io, argv: readonly string[]) => Promise<number>;
}

function optionLines(options: Options): string {
  const flag = ([name, o]: [string, Option]) => `${o.short ? `-${o.short}, ` : ""}--${name}${o.value ? ` ${o.value}` : ""}`;
  const rows = Object.entries(options).map((entry) => [flag(entry), entry[1].help] as const);
  const width = Math.max(...rows.map(([f]) => f.length)) + 3;
  return rows.map(([f, help]) => `  ${f.padEnd(width)}${help.replaceAll("\n", `\n  ${" ".repeat(width)}`)}`).join("\n");
}

function command<const O extends Options>(c: { summary: string; usage: string; options: O; run: (io: Io, args: Args<O>) => Promise<number> }): Command {
  const help = `Usage: ${c.usage}${Object.keys(c.options).length ? `\n\nOptions:\n${optionLines(c.options)}` : ""}`;
  return {
    summary: c.summary,
    help,
    run: async (io, argv) => {
      const config: ParseConfig<O> = { args: [...argv], options: { ...c.options, ...HELP }, allowPositionals: true, strict: true };
      const args = parseArgs(config);
      // Every command's values hold `help`; inside this generic function their type only says they are objects.
      const values: { readonly help?: boolean } = args.values;
      if (values.help) {
        io.out(help);
        return EXIT_OK;
      }
      return c.run(io, args);
    },
  };
}

// Options more than one command takes.
const FILE = { file: { type: "string", short: "f", value: "FILE", help: "the spec (default: cluster.yaml, here or in the nearest directory above)" } } as const;
const out = <V extends string, H extends string>(value: V, help: H) => ({ out: { type: "string", short: "o", value, help } }) as const;
const ENDPOINTS = { endpoints: { type: "string", value: "URL,…", help: "ask these https://HOST:PORT instead of the plan's addresses (a tunnel, a bastion)" } } as const;
const ACCEPT = {
  accept: {
    type: "string",
    value: "KIND,…",
    help: "render changes that are refused otherwise (coreform diff shows them): readdress,\nrename, remove-members, quorum, stop, replace, move",
  },
} as const;
const VAGRANT_ENV = { env: { type: "string", short: "e", value: "ENV", help: "the vagrant environment (same as the ENV argument)" } } as const;

export const COMMANDS: Readonly<Record<string, Command>> = {
  init: command({
    summary: "write a commented starter cluster.yaml",
    usage: `coreform init [DIR] [--schema]

Writes DIR/cluster.yaml (DIR defaults to the current directory), a commented starter spec, and next to
it cluster.schema.json, the spec's JSON Schema: the spec's first line names it, so that editors with
the YAML language server complete and check the spec. Never overwrites cluster.yaml.`,
    options: { schema: { type: "boolean", help: "write only cluster.schema.json, replacing an older one (after upgrading coreform)" } },
    run: async (io, { positionals, values }) => (await import("./init")).init(io, positionals, values),
  }),
  validate: command({
    summary: "check the spec and print every problem",
    usage: `coreform validate [-f FILE]

Checks the spec and prints every problem at once on stderr, one per line, as PATH: message;
warnings start with "warning:". Exit 0 when valid, 2 when not.`,
    options: FILE,
    run: async (io, { positionals, values }) => (await import("./validate")).validate(io, positionals, values),
  }),
  pin: command({
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
key order and layout stay), then reports as above.`,
    options: {
      ...FILE,
      write: { type: "boolean", help: "pin os.version in FILE" },
      version: { type: "string", value: "X.Y.Z", help: "the Flatcar release to pin (e.g. 4593.2.5)" },
      release: {
        type: "string",
        value: "FILE",
        help: "read it from a Flatcar version.txt (FLATCAR_VERSION_ID=…), e.g. saved from\nhttps://stable.release.flatcar-linux.net/amd64-usr/current/version.txt",
      },
    },
    run: async (io, { positionals, values }) => (await import("./pin")).pin(io, positionals, values),
  }),
  render: command({
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
The environment's record (.coreform/<env>/record.json) is compared too.
Exit 0 when everything matches, 1 when anything differs (a summary line last), 2 on invalid input.

A node keeps its name and address for as long as it exists: the record of the environment's last
render says where each one is, whatever the order or the size of the groups. An environment rendered
before is compared with its record first, and a change that would re-address or rename a node,
remove more than one etcd member, fall below the running cluster's quorum, or that Terraform would
carry out by stopping or replacing every control node at once, is refused (exit 2, nothing written)
unless --accept names its kind; \`coreform diff\` shows the change and what to do instead. An
environment a coreform before records rendered gets its record at its first render here, keeping
every node where that coreform put it (out/<env>/plan.json, else the spec's order, checked against
the members' certificates).`,
    options: {
      check: { type: "boolean", help: "compare instead of writing (see above)" },
      ...ACCEPT,
      "new-secrets": {
        type: "boolean",
        help: "make the missing CAs, k3s token and keys of the ENVs named afresh, when no backup\nis left: nodes running with the old ones will not trust them",
      },
      ...FILE,
      ...out("OUTDIR", "where to write, or what to check (default: out/ next to the spec)"),
    },
    run: async (io, { positionals, values }) =>
      values.check ? (await import("./render-check")).renderCheck(io, positionals, values) : (await import("./render")).render(io, positionals, values),
  }),
  diff: command({
    summary: "show what render would change in a running environment, and what it refuses",
    usage: `coreform diff [ENV…] [--accept KIND,…] [--json] [-f FILE] [-o OUTDIR]

Compares what \`coreform render\` would write for each environment (default: all of them) with the
record of its last render (.coreform/<env>/record.json), and writes nothing:
  every node      added, removed, unchanged, or changed: its address, role, or which of its files
                  (a path on the node, unit:<name>, hostname, ssh)
  etcd            the members before and after, with the quorum of each
  settings        each changed setting and what it does on the platform: applied in place,
                  ignored by the stack (running machines keep theirs), refused, or impossible
  refused         what render refuses, why, what to do instead, and the --accept that renders it
  steps           what to run, in order (coreform etcd add/remove, the deploy)
Exit 0 when render would write it (with --accept), 2 when render would refuse it or on bad input,
1 on a runtime failure.`,
    options: { ...ACCEPT, json: { type: "boolean", help: "print the changes as one JSON document" }, ...FILE, ...out("OUTDIR", "where the environments were rendered (default: out/ next to the spec)") },
    run: async (io, { positionals, values }) => (await import("./diff")).diff(io, positionals, values),
  }),
  up: command({
    summary: "bring up a vagrant environment (VirtualBox)",
    usage: `coreform up [ENV] [--env ENV] [-f FILE] [-o OUTDIR]

Checks the host (Vagrant ≥ 2.2.5 and VirtualBox), renders the environment like \`coreform render ENV\`
(OUTDIR/<env>/Vagrantfile included), then runs \`vagrant up --provider=virtualbox\` in OUTDIR/<env>/,
streaming Vagrant's output with a line per machine. Running it again on a running cluster changes
nothing. ENV defaults to the spec's only vagrant environment. Local Vagrant settings (forwarded
ports, shared folders) go in OUTDIR/<env>/config.rb: see the Vagrantfile's header.`,
    options: { ...VAGRANT_ENV, ...FILE, ...out("OUTDIR", "where the environment is rendered (default: out/ next to the spec)") },
    run: async (io, { positionals, values }) => (await import("./up")).up(io, { positionals, ...values }),
  }),
  down: command({
    summary: "destroy a vagrant environment's machines",
    usage: `coreform down [ENV] [--env ENV] [-f FILE] [-o OUTDIR]

Runs \`vagrant destroy --force\` in OUTDIR/<env>/. Rendered files and secrets stay, so \`coreform up\`
brings the same cluster back. ENV defaults to the spec's only vagrant environment.`,
    options: { ...VAGRANT_ENV, ...FILE, ...out("OUTDIR", "where the environment was rendered (default: out/ next to the spec)") },
    run: async (io, { positionals, values }) => (await import("./down")).down(io, { positionals, ...values }),
  }),
  kubeconfig: command({
    summary: "write the operator's kubeconfig for a kubernetes environment",
    usage: `coreform kubeconfig ENV [-f FILE] [-o PATH] [--server URL]

Writes a kubeconfig for ENV's Kubernetes API (the first control node, port 6443) with an admin
certificate (O=system:masters) from the environment's secrets, mode 0600. It holds a private key, so it
is written to a file, never printed. Needs \`coreform render ENV\` first (which creates the secrets).`,
    options: {
      ...FILE,
      ...out("PATH", "where to write (default: .coreform/ENV/kubeconfig next to the spec); an existing\ndifferent file is never overwritten"),
      server: {
        type: "string",
        value: "URL",
        help: "reach the API at another address (a tunnel, a public IP), e.g. https://203.0.113.7:6443;\nTLS still checks the first control node's name",
      },
    },
    run: async (io, { positionals, values }) => (await import("./kubeconfig")).kubeconfig(io, positionals, values),
  }),
  status: command({
    summary: "health of an environment's etcd, its reboot lock",
    usage: `coreform status <ENV> [--endpoints URL,…] [--json] [-f FILE]

Asks every etcd member of ENV (the plan's addresses, or --endpoints) over TLS with the operator
certificate from .coreform/<ENV>/ and prints one row per member (name, planned IP, reachable, leader,
version, db size, raft index), the quorum (healthy, degraded: N of M, or lost), locksmith's reboot
lock (free slots of max, holders), with the kubernetes scheduler whether /registry/ holds data, and
the certificate that ends first (those in .coreform/<ENV>/ and those the members serve), a warning
from 90 days before.
Every request times out after ${REQUEST_TIMEOUT_TEXT} and all members are asked at once; the command ends within
${COMMAND_TIMEOUT_TEXT} whatever the endpoints do (silent, stopped, never accepting, answering a byte at a time).
Exit 0 when every member is healthy, 1 when the cluster is degraded or unreachable or the secrets are
missing, 2 on bad input.`,
    options: { ...ENDPOINTS, json: { type: "boolean", help: "print the same as one JSON document" }, ...FILE },
    run: async (io, { positionals, values }) => (await import("./status")).status(io, positionals, values),
  }),
  etcd: command({
    summary: "etcd members (list, add, remove), snapshots and restores",
    usage: `coreform etcd members <ENV> [--json]
coreform etcd add <ENV> <NODE>
coreform etcd remove <ENV> <NODE>
coreform etcd snapshot <ENV> [-o FILE]
coreform etcd restore <ENV> <FILE>
(each with [--endpoints URL,…] [-f FILE]; restore asks no member)

Talks to ENV's etcd members (the plan's addresses, or --endpoints) over TLS with the operator
certificate from .coreform/<ENV>/. Every request times out after ${REQUEST_TIMEOUT_TEXT}; nothing prints key material.
  members    each member as etcd lists it (ID, peer URL, voting, learner, or added and never
             started) with its health, and the plan's control nodes that are no member
  add        adds NODE, a control node of the plan that is no member, as a learner (it counts for
             no quorum until its node has started, caught up and promoted itself); refused while
             another member has not joined yet or a member is unhealthy. Then deploy NODE.
             (A planned node that starts with an empty disk does the same by itself.)
  remove     removes NODE, a member the plan no longer has (shrink the spec and render first);
             refused when the members left would have no healthy quorum. Then deploy the smaller spec.
  snapshot   saves a snapshot of a healthy member's data to FILE (default: .coreform/<ENV>/
             snapshots/etcd-<ENV>-<time>.db), mode 0600: it holds every key. Prints the revision
             and the file's sha256; etcd's own checksum at its end is verified.
  restore    checks FILE (a whole snapshot) and prints the steps that restore every member from it
             on the control nodes (/opt/coreform/etcd-member restore), with its sha256
Exit 0 done (members: every member voting and healthy), 1 etcd unreachable or unhealthy, or a
change refused by the cluster's state, 2 bad input.`,
    options: {
      ...out("FILE", "snapshot: where to write it (must not exist)"),
      json: { type: "boolean", help: "members: print the same as one JSON document" },
      ...ENDPOINTS,
      ...FILE,
    },
    run: async (io, { positionals, values }) => (await import("./etcd")).etcd(io, positionals, values),
  }),
  roll: command({
    summary: "replace nodes one at a time with their current config",
    usage: `coreform roll ENV [NODE…] [--wait SECONDS] [--kubeconfig FILE] [--endpoints URL,…] [-f FILE] [-o OUTDIR]

Replaces ENV's nodes (default: all of them; control nodes first, one by one, then workers) with new
machines made from the environment's last render: how a changed config (renewed certificates, a new
etcd or k3s version, any edit) reaches running nodes, whose user data ran once. Run \`coreform render
ENV\` first; roll refuses a spec changed since. For each node, in turn:
  1. etcd must keep its quorum without the node (a spare member), no member joining: else it stops
  2. kubernetes: kubectl cordon, drain and delete the node (--kubeconfig, default .coreform/ENV/kubeconfig)
  3. the record moves the node to this coreform's layout (what a node made now gets)
  4. stacks: the CDKTF app synthesized into cdktf.out/, then
     terraform -chdir=cdktf.out/stacks/ENV apply -auto-approve -input=false -json -replace=<its machine>…
     vagrant: vagrant destroy -f NODE, vagrant up NODE (in OUTDIR/ENV/)
  5. waits until its etcd member is voting and healthy, and its Kubernetes node Ready (uncordoned)
The first failure stops the roll (exit 1) with the step, the reason and the command that resumes it.
Exit 0 when every node was replaced, 2 on bad input.`,
    options: {
      wait: { type: "string", value: "SECONDS", help: `how long each step may wait for a node (drain, back in etcd, Ready); default ${ROLL_WAIT_SECONDS}` },
      kubeconfig: { type: "string", value: "FILE", help: "the kubeconfig kubectl uses (default: .coreform/ENV/kubeconfig, see coreform kubeconfig)" },
      ...ENDPOINTS,
      ...FILE,
      ...out("OUTDIR", "vagrant: where the environment is rendered (default: out/ next to the spec)"),
    },
    run: async (io, { positionals, values }) => (await import("./roll")).roll(io, positionals, values),
  }),
  "reboot-lock": command({
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
Exit 0 done, 1 etcd unreachable or secrets missing, 2 bad input or a refused change.`,
    options: { group: { type: "string", value: "G", help: "locksmith's group (LOCKSMITHD_GROUP) instead of the default semaphore" }, ...ENDPOINTS, ...FILE },
    run: async (io, { positionals, values }) => (await import("./reboot-lock")).rebootLock(io, positionals, values),
  }),
};
