// The image each platform boots, from os and the environment's own image settings: with a pinned
// os.version exactly that release everywhere, and plan.json's one-line `image` saying which it is.
import { planCluster } from "../../src/plan/plan";
import { cloudSpec, CLOUD_ENVIRONMENTS } from "../helpers/stacks";
import { editSpec, smallSpec, type Doc } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";

const RELEASE = "https://stable.release.flatcar-linux.net/amd64-usr";

/** The plan's image of environment `env`, with `settings` merged into it and os.version `version`. */
function imageOf(env: string, version: string, settings: Doc = {}) {
  const text =
    env === "vagrant"
      ? editSpec((d) => {
          d.os = { version };
          d.environments = { vagrant: { platform: "vagrant", ...settings } };
        }, smallSpec())
      : cloudSpec({ [env]: settings } as never, (d) => (d.os = { version }));
  return planCluster(specFrom(text), env).image;
}

describe("the image of every platform", () => {
  it.each([
    // platform, settings, the pinned release's image, the floating default's
    ["vagrant", {}, `flatcar-stable 4593.2.5 from ${RELEASE}/4593.2.5/flatcar_production_vagrant.json`, `flatcar-stable (newest) from ${RELEASE}/current/flatcar_production_vagrant.json`],
    ["aws", {}, "075585003325/Flatcar-stable-4593.2.5-hvm (x86_64)", "newest of 075585003325/Flatcar-stable-*-hvm (x86_64)"],
    ["aws", { control: { instanceType: "t4g.small" }, worker: { instanceType: "t4g.small" } }, "075585003325/Flatcar-stable-4593.2.5-arm64-hvm (arm64)", "newest of 075585003325/Flatcar-stable-*-hvm (arm64)"],
    ["gce", {}, "projects/kinvolk-public/global/images/flatcar-stable-4593-2-5", "projects/kinvolk-public/global/images/family/flatcar-stable"],
    ["azure", {}, "kinvolk:flatcar-container-linux-corevm-amd64:stable-gen2:4593.2.5", "kinvolk:flatcar-container-linux-corevm-amd64:stable-gen2:latest"],
    ["openstack", {}, `${RELEASE}/4593.2.5/flatcar_production_openstack_image.img`, `${RELEASE}/current/flatcar_production_openstack_image.img`],
    ["libvirt", {}, `${RELEASE}/4593.2.5/flatcar_production_qemu_image.img`, `${RELEASE}/current/flatcar_production_qemu_image.img`],
  ])("%s %j: a pinned os.version is exactly that release; current floats", (env, settings, pinned, floating) => {
    expect(imageOf(env, "4593.2.5", settings)).toEqual({ reference: pinned, pinned: true, from: "os.version" });
    expect(imageOf(env, "current", settings)).toEqual({ reference: floating, pinned: false, from: "os.version" });
  });

  it("covers every cloud environment the stack tests use", () => {
    for (const env of Object.keys(CLOUD_ENVIRONMENTS)) expect(imageOf(env, "4593.2.5").pinned).toBe(true);
  });

  it.each([
    ["aws", { ami: "ami-0123456789abcdef0" }, "ami", "ami-0123456789abcdef0", true],
    ["gce", { image: "projects/mine/global/images/flatcar-custom" }, "image", "projects/mine/global/images/flatcar-custom", true],
    ["gce", { image: "projects/mine/global/images/family/flatcar-custom" }, "image", "projects/mine/global/images/family/flatcar-custom", false],
    [
      "azure",
      { image: "/subscriptions/0000/resourceGroups/img/providers/Microsoft.Compute/images/flatcar" },
      "image",
      "/subscriptions/0000/resourceGroups/img/providers/Microsoft.Compute/images/flatcar",
      true,
    ],
    ["openstack", { imageName: "flatcar-4593.2.5" }, "imageName", "flatcar-4593.2.5", true],
    ["libvirt", { imagePath: "/var/lib/libvirt/images/flatcar.img" }, "imagePath", "/var/lib/libvirt/images/flatcar.img", true],
  ])("%s %j: the environment's own image decides, whatever os.version says", (env, settings, setting, reference, pinned) => {
    expect(imageOf(env, "current", settings)).toEqual({ reference, pinned, from: `environments.${env}.${setting}` });
  });
});
