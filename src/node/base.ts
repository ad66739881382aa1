// base: the `core` user's SSH keys and Docker, on every node. (The hostname is a field of NodeConfig.)
import type { NodePart } from "./model";

export function basePart(): NodePart {
  return { units: [{ name: "docker.service", enabled: true }] };
}
