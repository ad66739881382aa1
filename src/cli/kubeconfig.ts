// `coreform kubeconfig <env>`: writes the operator's kubeconfig (0600) from the environment's secrets.
// It holds a private key, so it goes to a file, never to the terminal.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeAtomic } from "../files";
import { SECRET } from "../modes";
import { planEnvironment } from "../secrets/record-file";
import { kubeconfig as buildKubeconfig } from "../secrets/kubeconfig";
import { readSecrets, secretsDir } from "../secrets/store";
import { EXIT_OK, InputError } from "../errors";
import { shellQuote, type Io } from "../io";
import { qualifiedName } from "../spec/cluster";
import { chooseEnvironments, loadSpecOrFail } from "../spec/file";
import { lockProject } from "./lock";
import { stateDir } from "./repairs";

const readOrUndefined = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

export interface KubeconfigOptions {
  readonly file?: string;
  readonly out?: string;
  readonly server?: string;
}

export async function kubeconfig(io: Io, positionals: string[], { file, out, server }: KubeconfigOptions): Promise<number> {
  const { spec, file: specFile } = loadSpecOrFail(io, file);
  const known = Object.keys(spec.environments);
  if (positionals.length !== 1) throw new InputError(`takes one environment (the spec has: ${known.join(", ")})`);
  const [env] = chooseEnvironments(spec, specFile, positionals) as [string];
  if (spec.scheduler.kind !== "kubernetes") throw new InputError(`scheduler.kind is ${spec.scheduler.kind}: only kubernetes has a kubeconfig`);
  if (server !== undefined && !/^https:\/\/[^/\s]+$/.test(server)) throw new InputError(`--server must be an https URL like https://203.0.113.7:6443`);

  const { plan } = planEnvironment(spec, env, dirname(specFile));
  const dir = secretsDir(dirname(specFile), env);
  // Missing secrets are the project's state: exit 1, as for status and reboot-lock.
  const text = buildKubeconfig(plan, readSecrets(dir, plan).kubernetes!, { server });
  const target = out ? resolve(io.cwd, out) : join(dir, "kubeconfig");
  const release = lockProject(stateDir(specFile), "kubeconfig");
  try {
    // A file the user made stays: only coreform's own default file, or one with the same contents, is replaced.
    const existing = readOrUndefined(target);
    if (out && existing !== undefined && existing !== text) throw new InputError(`${target} exists already and differs: not overwriting it (remove it, or choose another -o)`);
    writeAtomic(target, text, { mode: SECRET, existing: "replace", durable: true });
  } finally {
    release();
  }
  io.out(`wrote ${target} (0600): cluster ${qualifiedName(plan)}, API ${server ?? plan.scheduler.apiServer}, user coreform-admin`);
  io.out(`use it: export KUBECONFIG=${shellQuote(target)}`);
  return EXIT_OK;
}
