// Lets a plain Node child process require the TypeScript sources: each .ts file is compiled by swc when
// required, with the options jest uses. For tests that must run the CLI outside jest (a fresh module
// registry, or ESM-only execa, which jest cannot load).
"use strict";
const { readFileSync } = require("node:fs");
const { transformSync } = require("@swc/core");

require.extensions[".ts"] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, "utf8"), {
    filename,
    jsc: { parser: { syntax: "typescript", decorators: true }, target: "es2022" },
    module: { type: "commonjs" },
  });
  module._compile(code, filename);
};
