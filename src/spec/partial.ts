// What parsed of a spec that failed the schema, for the rules: every section, list item and
// environment is parsed on its own, and a value that failed throws `BrokenInput` when a rule reads
// it. The rule is then skipped (that value's problem is reported already) and every other rule runs,
// so schema problems and rule problems are reported together. Rules declare nothing: whatever a rule
// reads is what it depends on, also for rules added later.
import { z } from "zod";

/** Thrown when a rule reads a value of the spec that did not pass the schema. */
export class BrokenInput extends Error {}

type Salvaged = { readonly ok: false } | { readonly ok: true; readonly value: unknown; /** nothing in it is broken */ readonly whole: boolean };
const BROKEN: Salvaged = { ok: false };
const whole = (value: unknown): Salvaged => ({ ok: true, value, whole: true });

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (v: Record<string, unknown>, key: string) => (Object.hasOwn(v, key) ? v[key] : undefined);

/** `target` (holding a placeholder at each broken key, so `in` and `Object.keys` see it) whose broken keys throw when read. */
function withHoles<T extends object>(target: T, broken: ReadonlySet<string>): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === "string" && broken.has(key)) throw new BrokenInput(key);
      return Reflect.get(t, key, receiver);
    },
  });
}

/** The fields of `value` that pass their part of `schema`; the others are holes. */
function salvageObject(schema: z.ZodObject, value: unknown): Salvaged {
  if (!isMapping(value)) return BROKEN;
  const out: Record<string, unknown> = {};
  const broken = new Set<string>();
  let allWhole = true;
  for (const [key, field] of Object.entries(schema.shape)) {
    const input = own(value, key);
    const part = salvage(field as z.ZodType, input);
    if (!part.ok) broken.add(key);
    if (part.ok && part.value === undefined && input === undefined) continue;
    out[key] = part.ok ? part.value : undefined;
    allWhole &&= part.ok && part.whole;
  }
  // Only unknown keys failed: what is there is good.
  return { ok: true, value: broken.size ? withHoles(out, broken) : out, whole: allWhole };
}

function salvageArray(schema: z.ZodArray, value: unknown): Salvaged {
  if (!Array.isArray(value)) return BROKEN;
  const parts = value.map((item) => salvage(schema.element as z.ZodType, item));
  // Every item is good, so the list itself failed (too few or too many entries).
  if (parts.every((p) => p.ok && p.whole)) return BROKEN;
  const broken = new Set(parts.flatMap((p, i) => (p.ok ? [] : [String(i)])));
  return { ok: true, value: withHoles(parts.map((p) => (p.ok ? p.value : undefined)), broken), whole: false };
}

/** A map keeps its good entries only: rules look at each environment on its own. */
function salvageRecord(schema: z.ZodRecord, value: unknown): Salvaged {
  if (!isMapping(value)) return BROKEN;
  const out: Record<string, unknown> = Object.create(null);
  let allWhole = true;
  for (const [key, item] of Object.entries(value)) {
    const part = (schema.keyType as z.ZodType).safeParse(key).success ? salvage(schema.valueType as z.ZodType, item) : BROKEN;
    if (part.ok) out[key] = part.value;
    allWhole &&= part.ok && part.whole;
  }
  // Every entry is good, so the map itself failed (it is empty).
  return allWhole ? BROKEN : { ok: true, value: out, whole: false };
}

/** `value` parsed by `schema` as far as it goes. */
export function salvage(schema: z.ZodType, value: unknown): Salvaged {
  const parsed = schema.safeParse(value);
  if (parsed.success) return whole(parsed.data);
  if (value === undefined) return BROKEN;
  // Defaults only fill in what is missing, and `value` is there.
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) return salvage(schema.unwrap() as z.ZodType, value);
  if (schema instanceof z.ZodPipe) {
    const first = salvage(schema.in as z.ZodType, value);
    return first.ok && first.whole ? salvage(schema.out as z.ZodType, first.value) : BROKEN;
  }
  if (schema instanceof z.ZodDiscriminatedUnion) {
    if (!isMapping(value)) return BROKEN;
    const key = schema._zod.def.discriminator;
    const option = (schema.options as z.ZodObject[]).find((o) => (o.shape[key] as z.ZodLiteral).values.has(own(value, key) as never));
    return option ? salvageObject(option, value) : BROKEN;
  }
  if (schema instanceof z.ZodObject) return salvageObject(schema, value);
  if (schema instanceof z.ZodArray) return salvageArray(schema, value);
  if (schema instanceof z.ZodRecord) return salvageRecord(schema, value);
  return BROKEN;
}
