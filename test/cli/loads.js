// A child process for loads.test.ts: runs one entry point from the TypeScript sources (compiled by swc
// when required, by test/helpers/register-ts.js) and prints the node_modules packages it
// loaded, one per line, after its own output on stderr.
"use strict";
const { join } = require("node:path");
require("../helpers/register-ts");

const ROOT = join(__dirname, "../..");
const before = new Set(Object.keys(require.cache));
const io = { cwd: process.cwd(), out: (l) => process.stderr.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
const [what, ...args] = process.argv.slice(2);

async function main() {
  if (what === "cli") return require(join(ROOT, "src/cli/main.ts")).run(args, io);
  if (what === "synth") return require(join(ROOT, "stacks/main.ts")).synthesize(io, { outdir: join(process.cwd(), "cdktf.out") });
  throw new Error(`loads.js: unknown entry ${what}`);
}

main().then((code) => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    if (before.has(file)) continue;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m && m[1] !== "@swc") packages.add(m[1]);
  }
  process.stdout.write([...packages].sort().join("\n"));
  process.exitCode = code;
});
