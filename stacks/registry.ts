// One TerraformStack per environment, named by its key (`cdktf deploy prod` deploys environments.prod).
// The pipeline before this point knows nothing of CDKTF: a stack gets the plan, the environment's
// settings and each node's user data exactly as `coreform render` writes it, and only places machines
// around them.
import { join } from "node:path";
import type { TerraformStack } from "cdktf";
import { renderNodes, UserDataBudgetError, type RenderedNode } from "../cloud-config/user-data";
import { changedSinceRender } from "../src/node/record";
import type { ClusterPlan } from "../src/plan/plan";
import type { EnvironmentRecord } from "../src/plan/record";
import { planEnvironment } from "../src/secrets/record-file";
import { MissingSecretsError, readSecrets, renderedBefore, secretsDir } from "../src/secrets/store";
import type { EnvOf, Platform, Spec } from "../src/spec/schema";
import { awsStack } from "./aws";
import { azureStack } from "./azure";
import { gceStack } from "./gce";
import { libvirtStack } from "./libvirt";
import { openstackStack } from "./openstack";

export interface StackInput<P extends Platform = Platform> {
  readonly plan: ClusterPlan;
  readonly env: EnvOf<P>;
  /** Every planned node with its first-boot configs, byte for byte what `coreform render` writes. */
  readonly nodes: readonly RenderedNode[];
  /** The spec's directory: local state paths are relative to it. */
  readonly projectDir: string;
  /** The environment's record: which nodes (and network) an earlier coreform made (src/plan/record.ts, Generation). */
  readonly record?: EnvironmentRecord;
}

/** Builds one environment's stack, in the sections every platform file keeps in this order:
 * provider and backend, image, network, firewall, machines, outputs. */
export type StackBuilder<P extends Platform> = (stack: TerraformStack, input: StackInput<P>) => void;

/** Vagrant environments run from `out/<env>/Vagrantfile`, never from a stack. */
const VAGRANT = "vagrant";

export const STACKS: { readonly [P in Platform]: StackBuilder<P> | typeof VAGRANT } = {
  vagrant: VAGRANT,
  libvirt: libvirtStack,
  openstack: openstackStack,
  aws: awsStack,
  gce: gceStack,
  azure: azureStack,
};

/** The stack builder of a platform, typed for that platform's environments. */
const stackOf = <P extends Platform>(platform: P): StackBuilder<P> | typeof VAGRANT => STACKS[platform];

/** What the app should build: each environment that has a stack builder, with its rendered nodes. */
interface PreparedStack {
  readonly name: string;
  readonly build: StackBuilder<Platform>;
  readonly input: StackInput;
}

/**
 * Prepares every environment that gets a stack: plans it as its record says (where each node is),
 * reads (never creates) its secrets and renders its nodes' user data.
 *
 * `cdktf deploy prod` synthesizes every stack of the app (the CLI does not tell the app which one it
 * wants), so an environment whose secrets were never rendered, or whose spec changed since its last
 * render (render compares and may refuse the change: the app deploys only what render accepted), is
 * skipped with a warning: deploying `prod` after `coreform render prod` alone must work. When no
 * environment has a stack, nothing could be deployed: that is an error naming each one. User data over
 * the platform's budget is an error in any case. Errors are collected for all environments and thrown
 * together, one line each, before any stack exists.
 */
export function prepareStacks(spec: Spec, projectDir: string, warn: (line: string) => void): PreparedStack[] {
  const stacks: PreparedStack[] = [];
  /** Per environment without a stack, in the spec's order: a problem (unrendered: a warning while others have stacks). */
  const notes: { problem: string; unrendered?: string }[] = [];
  for (const [name, env] of Object.entries(spec.environments)) {
    const builder = stackOf(env.platform);
    if (builder === VAGRANT) continue;
    const { plan, previous, source } = planEnvironment(spec, name, projectDir);
    try {
      // out/<env>/plan.json next to the spec says the environment was rendered: its secrets were made.
      const rendered = renderedBefore(join(projectDir, "out"), name);
      const nodes = renderNodes(spec, plan, readSecrets(secretsDir(projectDir, name), plan, rendered ? { rendered } : {}));
      if (source === "record" && changedSinceRender(spec, name, plan, nodes, previous!)) {
        notes.push({
          problem: `environments.${name}: the spec changed since its last render: \`coreform diff ${name}\` shows how, \`coreform render ${name}\` accepts it (or says why not) before it can be deployed`,
          unrendered: name,
        });
        continue;
      }
      if (source === "output" || source === "secrets") warn(`warning: environments.${name}: rendered by an earlier coreform: run \`coreform render ${name}\` once to keep its record (every node stays where it is)`);
      stacks.push({ name, build: builder, input: { plan, env, nodes, projectDir, ...(previous ? { record: previous } : {}) } });
    } catch (e) {
      if (e instanceof MissingSecretsError) notes.push({ problem: e.message, unrendered: name });
      else if (e instanceof UserDataBudgetError) notes.push({ problem: e.message });
      else throw e;
    }
  }
  const problems: string[] = [];
  for (const { problem, unrendered } of notes) {
    if (unrendered && stacks.length > 0) warn(`warning: ${problem.startsWith("environments.") ? problem : `environments.${unrendered}: no stack until its secrets exist: run \`coreform render ${unrendered}\` to deploy it`}`);
    else problems.push(problem);
  }
  if (problems.length) throw new StackInputError(problems.join("\n"));
  return stacks;
}

/** The spec or the project is not ready for a stack (the user can fix it); the message says how. */
export class StackInputError extends Error {}
