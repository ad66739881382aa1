// The coreform CLI in a child process, straight from the TypeScript sources: each .ts file is compiled
// by swc when required, with the options jest uses. Tests run it with their own PATH (a recording
// `vagrant` in front), and the real execa runs inside it (jest itself cannot load ESM-only execa).
"use strict";
require("../helpers/register-ts");

require("../../src/cli/main.ts")
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
