// Applies an Ignition config with the real Ignition binary into a scratch root, as a Flatcar first boot
// does (stages fetch-offline, then files; platform `file`). No network here: the config's bakery URLs
// are pointed at a local HTTP server that answers every path with a body naming it.
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { fromDataUrl, type IgnitionContents } from "../../cloud-config/encoding";
import { packIgnition } from "../../cloud-config/ignition";
import { tempDir } from "./cli";
import { IGNITION_BIN } from "./tools";

const BAKERY = "https://extensions.flatcar.org/";

/** The body the mirror serves for a download's source URL. */
export const servedBody = (source: string) => `served /${source.slice(BAKERY.length)}\n`;

let server: Server | undefined;
let mirror = "";
beforeAll(async () => {
  server = createServer((req, res) => res.end(`served ${req.url}\n`));
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => server?.close());

/** Runs Ignition's fetch-offline and files stages on `configFile`; returns the scratch root. */
export async function applyIgnition(configFile: string): Promise<string> {
  const work = tempDir("coreform-ignition-");
  // Ignition writes the core user's SSH keys as that user: it must be able to reach its home.
  chmodSync(work, 0o755);
  const root = join(work, "root");
  // The files stage ends with a SELinux relabel: give it a policy name and a setfiles that does nothing.
  mkdirSync(join(root, "etc/selinux/targeted/contexts/files"), { recursive: true });
  writeFileSync(join(root, "etc/selinux/config"), "SELINUX=disabled\nSELINUXTYPE=targeted\n");
  writeFileSync(join(root, "etc/selinux/targeted/contexts/files/file_contexts"), "");
  mkdirSync(join(work, "bin"));
  writeFileSync(join(work, "bin/setfiles"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const local = join(work, "config.json");
  // A packed config (packIgnition) is unpacked to point it at the mirror, and packed again.
  const text = readFileSync(configFile, "utf8");
  const packed = (JSON.parse(text) as { ignition: { config?: { replace: IgnitionContents } } }).ignition.config?.replace;
  writeFileSync(local, packed ? packIgnition(fromDataUrl(packed).replaceAll(BAKERY, mirror)) : text.replaceAll(BAKERY, mirror));
  const env = { ...process.env, PATH: `${join(work, "bin")}:${process.env.PATH}`, IGNITION_CONFIG_FILE: local };
  const common = ["-platform", "file", "-root", root, "-config-cache", join(work, "cache.json"), "-state-file", join(work, "state"), "-log-to-stdout"];
  for (const stage of ["fetch-offline", "files"]) {
    const extra = stage === "fetch-offline" ? ["-neednet", join(work, "neednet")] : [];
    try {
      // Asynchronous, so the mirror in this process can answer; a timeout, so a fetch that retries forever fails.
      await promisify(execFile)(IGNITION_BIN, ["-stage", stage, ...common, ...extra], { env, timeout: 60_000, encoding: "buffer" });
    } catch (e) {
      throw new Error(`ignition ${stage} failed on ${configFile}:\n${String((e as { stdout?: Buffer }).stdout).split("\n").filter((l) => /CRITICAL|ERROR/.test(l)).join("\n")}`);
    }
  }
  return root;
}
