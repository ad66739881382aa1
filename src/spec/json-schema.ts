// cluster.schema.json, the spec's JSON Schema for editors (the YAML language server reads the
// `# yaml-language-server: $schema=cluster.schema.json` line a spec starts with), and README's spec
// table: both made from the descriptions in the zod schema, so that they say what it says.
// `npm run schema` writes both (scripts/schema.js); a test fails when either is out of date.
import { z } from "zod";
import { kubernetesScheduler } from "./cluster";
import { specSchema } from "./schema";

/**
 * Next to cluster.yaml, in this repository and in every project `coreform init` makes; the spec's
 * first line, `# yaml-language-server: $schema=cluster.schema.json`, names it relative to the spec.
 */
export const SCHEMA_FILE = "cluster.schema.json";

type Json = Record<string, unknown>;

/**
 * What a user may write (zod's input side: a setting with a default may be left out), in draft-07,
 * which the YAML language server and most editors read.
 */
function specJsonSchema(): Json {
  const schema = z.toJSONSchema(specSchema, {
    target: "draft-07",
    io: "input",
    override: ({ zodSchema, jsonSchema }) => {
      // `kind` may be left out: the spec's loader puts in `kubernetes` before the union picks a branch.
      if (zodSchema === kubernetesScheduler) jsonSchema.required = jsonSchema.required?.filter((key) => key !== "kind");
      // zod bounds every whole number by JavaScript's safe integers: no limit a user needs to see.
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  });
  const { $schema, ...rest } = schema;
  return { $schema, title: "coreform cluster spec (cluster.yaml)", ...rest };
}

export const specJsonSchemaText = (): string => `${JSON.stringify(specJsonSchema(), null, 2)}\n`;

const TABLE_START = "<!-- spec table: `npm run schema` writes it from the schema's descriptions -->";
const TABLE_END = "<!-- end of spec table -->";

/** README's spec table, between its markers (readme.ts puts it there): one row per section of the spec, with the section's description. */
export function specTable(): string {
  const rows = Object.entries(specSchema.shape).map(([key, field]) => `| \`${key}\` | ${field.description ?? ""} |`);
  return [TABLE_START, "| key | meaning |", "|---|---|", ...rows, TABLE_END].join("\n");
}
