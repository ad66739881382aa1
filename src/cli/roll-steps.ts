// What `coreform roll` runs for one node: the machine's replacement (Terraform on a stack, Vagrant on a
// vagrant environment) and, with kubernetes, the node's cordon, drain and return through kubectl.
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Io } from "../io";
import type { PlannedNode } from "../plan/plan";
import { runVagrant } from "../vagrant/driver";
import { capture, stream } from "../vagrant/run";

/** Replaces one node's machine with a new one made from the environment's current render. */
export interface Replacer {
  replace(node: PlannedNode): Promise<void>;
}

/** Runs a command with its output streamed (each stdout line through `shown`); a failure names the command. */
async function run(io: Io, cwd: string, command: string, args: readonly string[], shown: (line: string) => string | undefined = (l) => l): Promise<void> {
  const line = `${command} ${args.join(" ")}`;
  io.out(`coreform: ${line}`);
  const r = await stream(command, args, {
    cwd,
    onStdout: (l) => {
      const text = shown(l);
      if (text !== undefined) io.out(text);
    },
    onStderr: (l) => io.err(l),
  });
  if (r.exitCode !== 0) throw new Error(`\`${line}\` failed (${r.notFound ? `no ${command} on PATH` : r.exitCode !== undefined ? `exit ${r.exitCode}` : r.failure})`);
}

/**
 * One line of `terraform apply -json` as a person reads it: its message, and an error's detail. Plain
 * output would show the plan's attribute values, user data with its TLS keys among them (the libvirt
 * Ignition content, GCE's metadata); the machine-readable UI names resources and actions only
 * (developer.hashicorp.com/terraform/internals/machine-readable-ui). A diagnostic's snippet of the
 * configuration is left out for the same reason.
 */
export function terraformLine(line: string): string | undefined {
  let message: { "@message"?: unknown; diagnostic?: { detail?: unknown } };
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  const text = typeof message["@message"] === "string" ? message["@message"] : undefined;
  const detail = typeof message.diagnostic?.detail === "string" && message.diagnostic.detail ? `: ${message.diagnostic.detail}` : "";
  return text === undefined ? undefined : `${text}${detail}`;
}

/**
 * A stack environment: synthesizes the CDKTF app into `<project>/cdktf.out` (as `cdktf synth` does,
 * with the record as it is now: a node moved to the current generation gets what that gives), then
 * `terraform apply -replace=…` on the node's resources as the stack marks them (stacks/roll.ts; cdktf
 * has no replace flag). `terraform init` once first, as `cdktf deploy` does: idempotent.
 */
export function stackReplacer(io: Io, specFile: string, projectDir: string, env: string): Replacer {
  const outdir = join(projectDir, "cdktf.out");
  const chdir = `-chdir=${relative(projectDir, join(outdir, "stacks", env))}`;
  let initialized = false;
  return {
    async replace(node) {
      const [{ synthesize }, { replacedAddresses }] = await Promise.all([import("../../stacks/main"), import("../../stacks/roll")]);
      const said: string[] = [];
      const code = synthesize({ cwd: projectDir, out: (l) => said.push(l), err: (l) => said.push(l) }, { specFile, outdir });
      const file = join(outdir, "stacks", env, "cdk.tf.json");
      if (code !== 0 || !existsSync(file)) throw new Error(`synthesizing the stacks failed: ${said.join("; ")}`);
      const addresses = replacedAddresses(JSON.parse(readFileSync(file, "utf8")), node.name);
      if (addresses.length === 0) throw new Error(`${relative(projectDir, file)} has no resource of ${node.name} to replace`);
      if (!initialized) await run(io, projectDir, "terraform", [chdir, "init", "-input=false"]);
      initialized = true;
      await run(io, projectDir, "terraform", [chdir, "apply", "-auto-approve", "-input=false", "-json", ...addresses.map((a) => `-replace=${a}`)], terraformLine);
    },
  };
}

/** A vagrant environment: the machine destroyed and brought up again from out/<env>/'s Vagrantfile and cloud-config. */
export function vagrantReplacer(io: Io, dir: string): Replacer {
  return {
    async replace(node) {
      await runVagrant(io, dir, ["destroy", "-f", node.name], [node.name], "destroyed");
      await runVagrant(io, dir, ["up", "--provider=virtualbox", node.name], [node.name], "up");
    },
  };
}

/** Asks `why` every `pollMs` until it has no reason left (undefined), for at most `seconds`; then fails: `<what> within N s: <its last reason>`. */
export async function waitUntil(what: string, seconds: number, pollMs: number, why: () => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const reason = await why();
    if (reason === undefined) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${seconds} s: ${reason}`);
    await new Promise<void>((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * The Kubernetes side of a node's replacement, through `kubectl --kubeconfig` (the operator's). Before:
 * cordon, drain, and delete the node object: k3s lets a machine register under a name only with the
 * password the name first registered with, kept on the old machine's disk; deleting the node deletes
 * that too (docs.k3s.io/architecture, "How Agent Node Registration Works"). After: wait until the
 * node is Ready, and uncordon it (a node object kept by a failed run stays cordoned otherwise).
 */
export function kubectlSteps(io: Io, cwd: string, kubeconfig: string, waitSeconds: number) {
  const kubectl = async (...args: string[]) => {
    const all = ["--kubeconfig", kubeconfig, ...args];
    const r = await capture("kubectl", all, cwd);
    if (r.exitCode !== 0) throw new Error(`\`kubectl ${all.join(" ")}\` failed: ${(r.stderr.trim() || (r.notFound ? "no kubectl on PATH" : (r.failure ?? ""))).split("\n")[0]}`);
    return r.stdout.trim();
  };
  return {
    async before(node: string): Promise<void> {
      io.out(`coreform: draining ${node}`);
      await kubectl("cordon", node);
      await kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", `--timeout=${waitSeconds}s`);
      await kubectl("delete", "node", node, "--ignore-not-found", `--timeout=${waitSeconds}s`);
    },
    async after(node: string, pollMs: number): Promise<void> {
      await waitUntil(`node ${node} is not Ready`, waitSeconds, pollMs, async () => {
        const r = await capture("kubectl", ["--kubeconfig", kubeconfig, "get", "node", node, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], cwd);
        if (r.exitCode !== 0) return r.stderr.trim().split("\n")[0] || (r.failure ?? "kubectl failed");
        return r.stdout.trim() === "True" ? undefined : `its Ready condition is ${r.stdout.trim() || "not reported yet"}`;
      });
      await kubectl("uncordon", node);
    },
  };
}
