#!/usr/bin/env node
"use strict";
// `npm run schema`: writes cluster.schema.json and README's spec table from the zod schema's
// descriptions (src/spec/json-schema.ts), after `npm run build`. test/spec/json-schema.test.ts fails
// until both are current.
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const { SCHEMA_FILE, specJsonSchemaText, withSpecTable } = require("../dist/src/spec/json-schema.js");

const root = join(__dirname, "..");
writeFileSync(join(root, SCHEMA_FILE), specJsonSchemaText());
const readme = join(root, "README.md");
writeFileSync(readme, withSpecTable(readFileSync(readme, "utf8")));
console.log(`wrote ${SCHEMA_FILE} and README.md's spec table`);
