// The sysext-bakery's names for one k3s release (flatcar/sysext-bakery docs/k3s.md, README "Releases
// structure in the bakery"): what a node downloads, and what `coreform pin` asks a hash for.
import type { ClusterPlan } from "./plan";

export const BAKERY = "https://extensions.flatcar.org/extensions";

/** The image file of `version` for `arch`, its URL, and the sysupdate component (one minor release). */
export function k3sRelease(version: string, arch: ClusterPlan["arch"]) {
  const minor = /^v(\d+\.\d+)\./.exec(version)![1];
  const image = `k3s-${version}-${arch === "x86_64" ? "x86-64" : "arm64"}.raw`;
  return { image, url: `${BAKERY}/${image}`, component: `k3s-v${minor}` };
}
