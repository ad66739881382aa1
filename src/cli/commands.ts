// The commands. Each module is loaded only when its command runs, so `coreform --help` stays fast.
import type { Io } from "./io";

export interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: Readonly<Record<string, { type: "string" | "boolean"; short?: string }>>;
  readonly run: (io: Io, args: { positionals: string[]; values: Record<string, string | boolean | undefined> }) => Promise<number>;
}

/** ENV, --env, --file and --out of `up` and `down`. */
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
  render: {
    summary: "write first-boot configs for environments",
    usage: `coreform render [ENV…] [-f FILE] [-o OUTDIR]

Writes, for each environment (default: all of them):
  OUTDIR/<env>/ignition/<node>.json      Ignition 3.3.0
  OUTDIR/<env>/cloud-config/<node>.yaml  #cloud-config for coreos-cloudinit
  OUTDIR/<env>/plan.json                 nodes, roles, addresses, endpoints (no secrets)
  OUTDIR/<env>/Vagrantfile               vagrant environments only (see \`coreform up\`)
Secrets are created once under .coreform/<env>/ next to the spec and reused afterwards.
Output is written atomically: a failing run leaves earlier output untouched.

Options:
  -f, --file FILE     the spec (default: cluster.yaml)
  -o, --out OUTDIR    where to write (default: out/ next to the spec)`,
    options: { file: { type: "string", short: "f" }, out: { type: "string", short: "o" } },
    run: async (io, a) =>
      (await import("./render")).render(io, a.positionals, a.values.file as string | undefined, a.values.out as string | undefined),
  },
  up: {
    summary: "bring up a vagrant environment (VirtualBox)",
    usage: `coreform up [ENV] [--env ENV] [-f FILE] [-o OUTDIR]

Checks the host (Vagrant ≥ 2.2.5 and VirtualBox), renders the environment like \`coreform render ENV\`
(OUTDIR/<env>/Vagrantfile included), then runs \`vagrant up --provider=virtualbox\` in OUTDIR/<env>/,
streaming Vagrant's output with a line per machine. Running it again on a running cluster changes
nothing. ENV defaults to the spec's only vagrant environment. Local Vagrant settings (forwarded
ports, shared folders) go in OUTDIR/<env>/config.rb: see the Vagrantfile's header.

Options:
  -e, --env ENV       the vagrant environment (same as the ENV argument)
  -f, --file FILE     the spec (default: cluster.yaml)
  -o, --out OUTDIR    where the environment is rendered (default: out/ next to the spec)`,
    options: { env: { type: "string", short: "e" }, file: { type: "string", short: "f" }, out: { type: "string", short: "o" } },
    run: async (io, a) => (await import("./up")).up(io, vagrantArgs(a)),
  },
  down: {
    summary: "destroy a vagrant environment's machines",
    usage: `coreform down [ENV] [--env ENV] [-f FILE] [-o OUTDIR]

Runs \`vagrant destroy --force\` in OUTDIR/<env>/. Rendered files and secrets stay, so \`coreform up\`
brings the same cluster back. ENV defaults to the spec's only vagrant environment.

Options:
  -e, --env ENV       the vagrant environment (same as the ENV argument)
  -f, --file FILE     the spec (default: cluster.yaml)
  -o, --out OUTDIR    where the environment was rendered (default: out/ next to the spec)`,
    options: { env: { type: "string", short: "e" }, file: { type: "string", short: "f" }, out: { type: "string", short: "o" } },
    run: async (io, a) => (await import("./down")).down(io, vagrantArgs(a)),
  },
};
