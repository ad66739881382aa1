// What still floats in a spec: every input that lets the same spec give a different cluster next month.
// `coreform pin` reports them; a demo whose list is empty boots the same images, tags and releases on
// every deploy (its secrets aside, which stay under .coreform/).
import type { Spec } from "../spec/schema";
import { k3sRelease } from "./k3s";
import { planCluster } from "./plan";

interface FloatingInput {
  /** Where in the spec: `os.version`, `environments.gce.image`. */
  readonly path: string;
  /** What moves, and what pins it. */
  readonly why: string;
}

/** How to read an image's digest without pulling it (Docker's buildx, "imagetools inspect"). */
const digestOf = (image: string) => `\`docker buildx imagetools inspect ${image}\` prints it`;

/** The floating inputs of the environments `envs`, in spec order: top-level settings first, then per environment. */
export function floatingInputs(spec: Spec, envs: readonly string[]): FloatingInput[] {
  const found: FloatingInput[] = [];
  const images = envs.map((env) => ({ env, image: planCluster(spec, env).image }));

  const byOs = images.filter(({ image }) => !image.pinned && image.from === "os.version").map(({ env }) => env);
  if (byOs.length)
    found.push({
      path: "os.version",
      why: `current: ${byOs.join(", ")} boot${byOs.length === 1 ? "s" : ""} the newest ${spec.os.channel} release on the day each node is created; coreform pin --write --version X.Y.Z pins one`,
    });

  if (!spec.etcd.digest)
    found.push({ path: "etcd.digest", why: `the tag ${spec.etcd.image}:${spec.etcd.version} can be pushed again; set etcd.digest: sha256:…, ${digestOf(`${spec.etcd.image}:${spec.etcd.version}`)}` });

  const scheduler = spec.scheduler;
  if (scheduler.kind === "fleet" && !scheduler.image.includes("@"))
    found.push({ path: "scheduler.image", why: `the tag ${scheduler.image} can be pushed again; write it as ${scheduler.image}@sha256:…, ${digestOf(scheduler.image)}` });
  if (scheduler.kind === "kubernetes") {
    const unhashed = [...new Set(envs.map((env) => k3sRelease(scheduler.version, planCluster(spec, env).arch).image))].filter((file) => !scheduler.sha256?.[file]);
    if (unhashed.length)
      found.push({
        path: "scheduler.sha256",
        why: `${unhashed.join(", ")} can be replaced on the bakery's release: set scheduler.sha256: { ${unhashed.map((f) => `${f}: …`).join(", ")} } from the SHA256SUMS of github.com/flatcar/sysext-bakery/releases/tag/k3s-${scheduler.version}`,
      });
  }
  if (scheduler.kind === "kubernetes" && scheduler.sysupdate)
    found.push({
      path: "scheduler.sysupdate",
      why: `systemd-sysupdate moves k3s from ${scheduler.version} to newer patch releases of ${scheduler.version.split(".").slice(0, 2).join(".")}; scheduler.sysupdate: false keeps it`,
    });

  const { server, rebootStrategy } = spec.updates;
  if (server !== "disabled" && rebootStrategy !== "off")
    found.push({
      path: "updates.server",
      why: `update_engine installs new ${spec.updates.group ?? spec.os.channel} releases from ${server} and nodes reboot into them (rebootStrategy ${rebootStrategy}); updates.rebootStrategy: off or updates.server: disabled keeps the release`,
    });

  for (const { image } of images)
    if (!image.pinned && image.from !== "os.version") found.push({ path: image.from, why: `${image.reference} is an image family: the newest image in it on the day each node is created; name one image instead` });
  return found;
}
