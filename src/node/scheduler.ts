// scheduler: one builder per `scheduler.kind`. The registry is a Record over every kind, so adding a
// kind to the schema without a builder here is a type error.
import type { Spec } from "../spec/schema";
import type { NodeContext } from "./context";
import type { NodePart } from "./model";

type SchedulerKind = Spec["scheduler"]["kind"];

const notAvailable = (kind: SchedulerKind) => (): NodePart => {
  // The spec rules refuse these kinds before rendering starts; reaching here is a bug.
  throw new Error(`scheduler ${kind} is not available in this version of coreform`);
};

const SCHEDULERS: Record<SchedulerKind, (ctx: NodeContext) => NodePart> = {
  none: () => ({}),
  kubernetes: notAvailable("kubernetes"),
  fleet: notAvailable("fleet"),
};

export function schedulerPart(ctx: NodeContext): NodePart {
  return SCHEDULERS[ctx.spec.scheduler.kind](ctx);
}
