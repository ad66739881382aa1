#!/usr/bin/env node
"use strict";
// The CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
require("../dist/src/cli/main.js").run(process.argv.slice(2)).then((code) => { process.exitCode = code; });
