// base: Docker, on every node. The hostname and the `core` user's SSH keys are fields of NodeConfig,
// set in build.ts.
import type { NodePart } from "./model";

export function basePart(): NodePart {
  return { units: [{ name: "docker.service", enabled: true }] };
}
