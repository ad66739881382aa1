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

/** `describe` when every tool is there, `describe.skip` with a notice when not (an error under CI). */
export function describeWithTools(tools: readonly string[]): jest.Describe {
  const missing = tools.filter((t) => !findTool(t));
  if (missing.length === 0) return describe;
  const message = `missing ${missing.join(", ")}: install them with scripts/install-test-tools.sh`;
  if (process.env.CI) throw new Error(`integration tests need real tools in CI: ${message}`);
  process.stderr.write(`\n*** SKIPPING integration tests: ${message} ***\n\n`);
  return describe.skip;
}
