// Vagrant (VirtualBox on a laptop): machines sized by memory and CPUs, the Flatcar box of the channel,
// user data as cloud-config. Its other half is the Vagrantfile (src/vagrant/), not a stack.
import { z } from "zod";
import { cpus, environmentBase, memoryMiB, perRole } from "../spec/fields";
import type { Os } from "../spec/cluster";
import { flatcarReleaseFile } from "./flatcar";
import { platformModule, releaseImage, X86_ONLY } from "./platform";

const schema = z
  .strictObject({
    platform: z.literal("vagrant").describe("vagrant: VirtualBox on a laptop, through Vagrant (coreform up)"),
    ...environmentBase,
    ...perRole(
      "machines: memory and CPUs",
      z
        .strictObject({
          memoryMiB: memoryMiB.default(2048).describe("Memory of each machine, in MiB"),
          cpus: cpus.default(2).describe("CPUs of each machine"),
        })
        .prefault({}),
    ),
  })
  .describe("VirtualBox on a laptop: coreform up renders the Vagrantfile and runs vagrant up");

/**
 * The box of a channel, from the channel's release server: `current` or a release directory
 * (https://<channel>.release.flatcar-linux.net/amd64-usr/<version>/flatcar_production_vagrant.json, as in
 * Flatcar's "Vagrant (community support)" docs and "Notes for distributors": one directory a release,
 * `current` a copy of the newest). The metadata names the box `flatcar-<channel>`, so config.vm.box must;
 * a pinned release is also the box's `box_version`.
 */
export interface VagrantBox {
  readonly name: string;
  /** Box metadata (JSON) URL. */
  readonly url: string;
  /** Pinned release; absent for `current`. */
  readonly version?: string;
}

export function flatcarBox(os: Os): VagrantBox {
  return {
    name: `flatcar-${os.channel}`,
    url: flatcarReleaseFile(os, "flatcar_production_vagrant.json"),
    ...(os.version === "current" ? {} : { version: os.version }),
  };
}

export const vagrant = platformModule({
  schema,
  // The Flatcar box takes Ignition only through a 1 KiB VirtualBox guest property: cloud-config it is.
  userData: { format: "cloud-config", why: "the Flatcar box applies a cloud-config file" },
  // Machines are sized by memory and CPUs; the box is amd64 only.
  imageArchs: X86_ONLY,
  // A laptop's machines come and go with their disks (vagrant destroy): no data disk to keep.
  etcdOnRootDisk: true,
  rules: {},
  image: (plan) => {
    const box = flatcarBox(plan.os);
    return releaseImage(plan, `${box.name} ${box.version ?? "(newest)"} from ${box.url}`);
  },
});
