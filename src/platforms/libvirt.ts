// KVM through libvirt: machines sized by memory, CPUs and disk, on a NAT network of their own, booting
// Flatcar's QEMU image. Its other half is stacks/libvirt.ts.
import { z } from "zod";
import { networkOf, qualifiedName } from "../spec/cluster";
import { cpus, diskGiB, environmentBase, memoryMiB, perRole } from "../spec/fields";
import { nodeCapacity, overlaps, parseCidr } from "../spec/ipv4";
import { flatcarReleaseFile } from "./flatcar";
import { ownImage, platformModule, releaseImage, X86_ONLY, type AddedNodes, type ImagePlan, type PlatformRule } from "./platform";

const schema = z
  .strictObject({
    platform: z.literal("libvirt").describe("libvirt: KVM through libvirt (cdktf deploy, on the libvirt host)"),
    ...environmentBase,
    uri: z.string().regex(/^[a-z+]+:\/\//, "must be a libvirt URI like qemu:///system").default("qemu:///system").describe("The libvirt connection URI, of this host"),
    pool: z.string().min(1).default("default").describe("An active storage pool for the image and the disks"),
    imagePath: z
      .string()
      .regex(/^\/[^\0]*[^/]$/, "must be an absolute path to an image file like /var/lib/libvirt/images/flatcar_production_qemu_image.img")
      .optional()
      .describe(
        "A Flatcar QEMU image already downloaded (flatcar_production_qemu_image.img), as an absolute path where cdktf deploy runs; default: the image of os.channel at os.version from the release server",
      ),
    ...perRole(
      "machines: memory, CPUs and disk",
      z
        .strictObject({
          memoryMiB: memoryMiB.default(2048).describe("Memory of each machine, in MiB"),
          cpus: cpus.default(2).describe("CPUs of each machine"),
          diskGiB: diskGiB.default(20).describe("Each machine's disk, in GiB"),
        })
        .prefault({}),
    ),
  })
  .describe("KVM through libvirt: a NAT network of its own, reachable from the host only");

type Libvirt = z.output<typeof schema>;

/** Flatcar's QEMU image (qcow2), the one Flatcar's libvirt docs boot (flatcar.org/docs/latest/installing/vms/libvirt/). */
const FLATCAR_QEMU_IMAGE = "flatcar_production_qemu_image.img";

/** Where the KVM stack's base volume comes from: Flatcar's release server, or a file the operator downloaded. */
type LibvirtImage = { readonly url: string } | { readonly path: string };

/**
 * `https://<channel>.release.flatcar-linux.net/amd64-usr/<version|current>/flatcar_production_qemu_image.img`
 * (the layout of Flatcar's release servers, as its libvirt docs download it), or `imagePath`.
 */
export function libvirtImage(plan: ImagePlan, env: Libvirt): LibvirtImage {
  if (env.imagePath) return { path: env.imagePath };
  return { url: flatcarReleaseFile(plan.os, FLATCAR_QEMU_IMAGE) };
}

/** libvirt's own `default` network (192.168.122.0/24, active out of the box on Debian and Fedora). */
const LIBVIRT_DEFAULT_NETWORK = parseCidr("192.168.122.0/24");

/**
 * libvirt refuses to start a NAT network whose range a running one already routes ("Network is already
 * in use by interface virbr0"): a libvirt environment's network stays apart from libvirt's default one
 * (a warning: it may be stopped) and from every other libvirt environment's on the same host (an error).
 */
const networksApart: PlatformRule<Libvirt> = (environments, spec, push) => {
  const seen: { name: string; uri: string; cidr: string }[] = [];
  for (const [name, env] of environments) {
    const cidr = networkOf(spec, env);
    const path = env.network ? `environments.${name}.network.cidr` : "network.cidr";
    const c = parseCidr(cidr);
    if (overlaps(c, LIBVIRT_DEFAULT_NETWORK))
      push("warning", path, `${cidr} overlaps libvirt's default network (192.168.122.0/24): stop that network, or choose a range apart from it`);
    for (const other of seen.filter((o) => o.uri === env.uri && overlaps(parseCidr(o.cidr), c)))
      push("error", env.network ? path : `environments.${name}`, `${cidr} overlaps the network of environments.${other.name} (${other.cidr}) on ${env.uri}: libvirt starts only one of them, give each its own network.cidr`);
    seen.push({ name, uri: env.uri, cidr });
  }
};

/**
 * terraform-provider-libvirt 0.9.7 writes each node's Ignition file where Terraform runs
 * (internal/provider/ignition_resource.go) and hands QEMU that path: on another host QEMU would not find it.
 */
const hostIsLocal: PlatformRule<Libvirt> = (environments, _spec, push) => {
  for (const [name, env] of environments) {
    const host = URL.canParse(env.uri) ? new URL(env.uri).hostname : "";
    if (["", "localhost", "127.0.0.1", "[::1]"].includes(host)) continue;
    push("error", `environments.${name}.uri`, `${env.uri} is another host: the provider writes each node's Ignition file where cdktf runs, and QEMU there would not find it: run cdktf on that host, with qemu:///system`);
  }
};

/** A downloaded image boots whatever release it holds: a pinned os.version cannot be checked against it. */
const imagePathIsUnversioned: PlatformRule<Libvirt> = (environments, spec, push) => {
  if (spec.os.version === "current") return;
  for (const [name, env] of environments) {
    if (!env.imagePath) continue;
    push("warning", `environments.${name}.imagePath`, `boots the release the file holds: os.version ${spec.os.version} is not checked against it`);
  }
};

/**
 * A node's MAC address: QEMU's prefix 52:54:00 (the one libvirt gives its guests) and the low 24 bits
 * of the node's planned address. Deterministic, and unique within an environment by construction: every
 * network a spec may use is inside a /8 at most (rules.ts keeps them private), so the low 24 bits tell
 * any two of its addresses apart, and planned addresses are distinct. A hash of the node's name could
 * collide; this cannot. A node keeps its address (src/plan/record.ts), so it keeps its MAC.
 */
export function nodeMac(ip: string): string {
  const [, b, c, d] = ip.split(".").map(Number);
  return ["52", "54", "00", ...[b!, c!, d!].map((o) => o.toString(16).padStart(2, "0"))].join(":");
}

/**
 * The 0.9.7 provider never changes a network's DHCP hosts once it made the network (its Update sets
 * only autostart: internal/provider/network_resource.go): a network made by this coreform therefore has
 * from the start an entry for every node address it holds, up to this many, so that a node added
 * later gets its planned address. A network made before (generation 0) has entries for its first nodes only.
 */
const DHCP_SLOTS = 1024;

/** How many node addresses of `cidr` a network of generation `generation` has DHCP entries for. */
export const dhcpSlots = (cidr: string, generation: number) => (generation >= 1 ? Math.min(nodeCapacity(parseCidr(cidr)), DHCP_SLOTS) : 0);

/** A new node beyond the network's DHCP entries gets its entry by hand: virsh changes the running network and its definition. */
function dhcpSteps(env: Libvirt, added: AddedNodes): string[] {
  const slots = dhcpSlots(added.cidr, added.generation);
  return added.nodes
    .filter((n) => n.slot >= slots)
    .map(
      (n) =>
        `before deploying ${n.name}: virsh -c ${env.uri} net-update ${qualifiedName(added)} add-last ip-dhcp-host "<host mac='${nodeMac(n.ip)}' name='${n.name}' ip='${n.ip}'/>" --live --config ` +
        `(the network was made ${added.generation >= 1 ? `with entries for its first ${slots} addresses` : "by an earlier coreform, with entries for its first nodes only"}, and the provider never adds one)`,
    );
}

export const libvirt = platformModule({
  schema,
  userData: { format: "ignition", why: "QEMU fw_cfg has no practical limit" },
  imageArchs: X86_ONLY,
  rules: { networksApart, hostIsLocal, imagePathIsUnversioned },
  newNodeSteps: dhcpSteps,
  image: (plan, env) => {
    const image = libvirtImage(plan, env);
    return "path" in image ? ownImage(plan, "imagePath", image.path) : releaseImage(plan, image.url);
  },
});
