// scheduler: one builder per `scheduler.kind`. The registry is a Record over every kind, so adding a
// kind to the schema without a builder here is a type error.
import type { Spec } from "../spec/schema";
import type { NodeContext } from "./context";
import { fleetPart } from "./fleet";
import { kubernetesPart } from "./kubernetes";
import type { NodePart } from "./model";

const SCHEDULERS: Record<Spec["scheduler"]["kind"], (ctx: NodeContext) => NodePart> = {
  none: () => ({}),
  kubernetes: kubernetesPart,
  fleet: fleetPart,
};

export function schedulerPart(ctx: NodeContext): NodePart {
  return SCHEDULERS[ctx.spec.scheduler.kind](ctx);
}
