// The coreform CLI in a child process, straight from the TypeScript sources: each .ts file is compiled
// by swc when required, with the options jest uses. Tests run it with their own PATH (a recording
// `vagrant` in front), and the real execa runs inside it (jest itself cannot load ESM-only execa).
// With COREFORM_TEST_START_FD set, every command's module is compiled first and then the moment the
// command starts is written to that descriptor: tests time the command, not swc.
"use strict";
require("./register-ts");

const { readdirSync, writeSync } = require("node:fs");
const { run } = require("../../src/cli/main.ts");
if (process.env.COREFORM_TEST_START_FD) {
  // Each command's module is loaded when it runs: compiled by swc here, which a user never waits for.
  for (const file of readdirSync(`${__dirname}/../../src/cli`)) require(`../../src/cli/${file}`);
  writeSync(Number(process.env.COREFORM_TEST_START_FD), `${Date.now()}\n`);
}
run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
