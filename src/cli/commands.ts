// The commands. Each module is loaded only when its command runs, so `coreform --help` stays fast.
import type { Io } from "./io";

export interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: Readonly<Record<string, { type: "string" | "boolean"; short?: string }>>;
  readonly run: (io: Io, args: { positionals: string[]; values: Record<string, string | boolean | undefined> }) => Promise<number>;
}

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
Secrets are created once under .coreform/<env>/ next to the spec and reused afterwards.
Output is written atomically: a failing run leaves earlier output untouched.

Options:
  -f, --file FILE     the spec (default: cluster.yaml)
  -o, --out OUTDIR    where to write (default: out/ next to the spec)`,
    options: { file: { type: "string", short: "f" }, out: { type: "string", short: "o" } },
    run: async (io, a) =>
      (await import("./render")).render(io, a.positionals, a.values.file as string | undefined, a.values.out as string | undefined),
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
};
