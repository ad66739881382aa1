/** Tests run through swc (no type-checking: `tsc --noEmit` does that once, in `npm test`). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript", decorators: true }, target: "es2022" }, module: { type: "commonjs" } }],
  },
  // CDKTF's matchers must be registered after jest's own `expect` exists.
  setupFilesAfterEnv: ["<rootDir>/test/stacks/setup.ts"],
  testTimeout: 60000,
  // One worker per core, not jest's default of cores − 1: much of the suite waits on child processes
  // (the CLI, etcd, Ignition, Chromium), so a second worker on a 2-core machine nearly halves the wall
  // time (bench/: npm test, part by part).
  maxWorkers: "100%",
  // A worker leaves when its event loop is empty. None keeps anything open (--detectOpenHandles finds
  // no handle in any suite, and with 20 s of grace every worker is gone within the run's last seconds),
  // but on 2 cores shared with other work one may take longer than jest's default 500 ms to leave, and
  // jest then kills it with "failed to exit gracefully". A real leak still shows after 5 s.
  workerGracefulExitTimeout: 5000,
};
