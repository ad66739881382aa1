#!/usr/bin/env node
"use strict";
// `npm run schema`: writes cluster.schema.json from the zod schema's descriptions
// (src/spec/json-schema.ts) and README's parts made from code (src/spec/readme.ts: the spec table, the
// tables of "Changing a running cluster"), after `npm run build`. Tests fail until all are current.
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const { SCHEMA_FILE, specJsonSchemaText } = require("../dist/src/spec/json-schema.js");
const { withReadmeParts } = require("../dist/src/spec/readme.js");

const root = join(__dirname, "..");
writeFileSync(join(root, SCHEMA_FILE), specJsonSchemaText());
const readme = join(root, "README.md");
writeFileSync(readme, withReadmeParts(readFileSync(readme, "utf8")));
console.log(`wrote ${SCHEMA_FILE} and README.md's spec table and changes tables`);
