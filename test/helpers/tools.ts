// Real tools for the integration tests. In CI (CI set) a missing tool fails the suite; elsewhere the
// suite is skipped with a loud notice, so a laptop without etcd can still run the unit tests.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export const IGNITION_BIN = "/usr/lib/dracut/modules.d/30ignition/ignition";

export function findTool(nameOrPath: string): string | undefined {
  const candidates = nameOrPath.includes("/") ? [nameOrPath] : (process.env.PATH ?? "").split(delimiter).map((d) => join(d, nameOrPath));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** True when every tool is there; false with a loud notice when not, and an error under CI. */
export function haveTools(tools: readonly string[]): boolean {
  const missing = tools.filter((t) => !findTool(t));
  if (missing.length === 0) return true;
  const message = `missing ${missing.join(", ")}: install them with scripts/install-test-tools.sh`;
  if (process.env.CI) throw new Error(`tests need real tools in CI: ${message}`);
  process.stderr.write(`\n*** SKIPPING tests: ${message} ***\n\n`);
  return false;
}

/** `describe` when every tool is there, `describe.skip` with a notice when not (an error under CI). */
export const describeWithTools = (tools: readonly string[]): jest.Describe => (haveTools(tools) ? describe : describe.skip);

/** `test` when every tool is there, `test.skip` with a notice when not (an error under CI). */
export const testWithTools = (tools: readonly string[]): jest.It => (haveTools(tools) ? test : test.skip);
