// The etcd container stand-in: Debian's etcd binaries packed as a `docker save` archive under the image
// reference the spec renders, laid out as etcd's own release image (etcd-io/etcd Dockerfile: the
// binaries in /usr/local/bin, WORKDIR /var/lib/etcd, CMD /usr/local/bin/etcd, ports 2379 and 2380) and,
// like it, without a shell. Debian's binaries link glibc dynamically, so the layer carries the libraries
// `ldd` names (the real image is distroless/static, its binaries static).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";

/** Debian's binaries (etcd-server, etcd-client; etcdutl only where Debian ships it, from etcd 3.5 on). */
const BINARIES = ["/usr/bin/etcd", "/usr/bin/etcdctl", "/usr/bin/etcdutl"];

/** The image reference a control node's rendered etcd-member script runs (its `IMAGE='…'` line). */
export function etcdImageOf(script: string): string {
  const m = /^IMAGE='([^']+)'/m.exec(script);
  if (!m) throw new Error("no IMAGE='…' line in the etcd-member script");
  if (m[1]!.includes("@")) throw new Error(`${m[1]}: a stand-in can carry a tag, not a digest`);
  return m[1]!;
}

/** The shared libraries a dynamically linked binary loads, by their real paths (ldd's output). */
function libraries(binary: string): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** A deterministic tar of `dir` (GNU tar: sorted, owner root, mtime 0). */
const tarOf = (dir: string, out: string, ...names: string[]) =>
  execFileSync("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-C", dir, "-cf", out, ...names]);

/** Writes the archive to `out` (for `docker load`); returns what it holds. */
export function writeEtcdArchive(reference: string, out: string): { reference: string; files: string[] } {
  const work = mkdtempSync(join(tmpdir(), "coreform-standin-"));
  try {
    const root = join(work, "rootfs");
    const present = BINARIES.filter((b) => existsSync(b));
    const files = [...new Set([...present.map((b) => `/usr/local/bin/${basename(b)}`), ...present.flatMap(libraries)])];
    for (const f of files) {
      const from = f.startsWith("/usr/local/bin/") ? `/usr/bin/${basename(f)}` : f;
      mkdirSync(join(root, dirname(f)), { recursive: true });
      copyFileSync(from, join(root, f));
    }
    for (const d of ["var/etcd", "var/lib/etcd", "tmp"]) mkdirSync(join(root, d), { recursive: true });
    const image = join(work, "image");
    mkdirSync(join(image, "layer"), { recursive: true });
    tarOf(root, join(image, "layer", "layer.tar"), ".");
    const diffId = `sha256:${sha256(readFileSync(join(image, "layer", "layer.tar")))}`;
    const config = {
      architecture: "amd64",
      os: "linux",
      config: {
        Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        Cmd: ["/usr/local/bin/etcd"],
        WorkingDir: "/var/lib/etcd/",
        ExposedPorts: { "2379/tcp": {}, "2380/tcp": {} },
      },
      rootfs: { type: "layers", diff_ids: [diffId] },
      created: "1970-01-01T00:00:00Z",
    };
    const configText = JSON.stringify(config);
    const configName = `${sha256(Buffer.from(configText))}.json`;
    writeFileSync(join(image, configName), configText);
    writeFileSync(join(image, "manifest.json"), JSON.stringify([{ Config: configName, RepoTags: [reference], Layers: ["layer/layer.tar"] }]));
    tarOf(image, out, "manifest.json", configName, "layer");
    return { reference, files };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
