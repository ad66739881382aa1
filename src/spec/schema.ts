// The cluster spec (`apiVersion: coreform/v1`). This zod schema is the only definition of the spec's
// shape: every TypeScript type of the spec is inferred from it. It puts together the cluster-wide
// sections (cluster.ts) and one branch per platform for `environments` (each platform's module, listed
// in src/platforms/table.ts). Defaults live there too, so a parsed Spec is complete. Checks that need
// more than one field (capacity, uniqueness, windows…) are in rules.ts.
import { z } from "zod";
import { environmentSchema, PLATFORMS } from "../platforms/table";
import { clusterSections, schedulerSchema } from "./cluster";
import { dnsLabel } from "./fields";

export const specSchema = z
  .strictObject({
    ...clusterSections,
    environments: z
      .record(
        // Every JavaScript object inherits `constructor`: constructs (under the CDKTF app) would take it for an existing stack.
        dnsLabel(24).refine((name) => !Object.hasOwn(Object.prototype, name), "is reserved in JavaScript: use another name"),
        environmentSchema,
      )
      .refine((envs) => Object.keys(envs).length > 0, "needs at least one environment")
      .describe(`\`<name>\`: \`platform\` (${PLATFORMS.join(", ")}) and that platform's settings; \`network\` overrides the spec's`),
  })
  .describe("A coreform cluster spec: one cluster, the same nodes in every environment");

export type Spec = z.infer<typeof specSchema>;
export type SpecInput = z.input<typeof specSchema>;
export type { Environment, EnvOf, Platform } from "../platforms/table";
export type { Role } from "./cluster";
export type { StateBackend } from "./fields";
export { PLATFORMS } from "../platforms/table";
export { ROLES } from "./cluster";

/** Every scheduler kind, read off its union (a new branch needs no second list). */
export const SCHEDULERS: readonly Spec["scheduler"]["kind"][] = schedulerSchema.options.map((o) => o.shape.kind.value);
