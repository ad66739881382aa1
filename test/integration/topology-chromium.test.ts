// The default spec's prod drawing in a real browser: Debian's Chromium, headless, takes a screenshot of
// the SVG file at the SVG's own size, and the PNG (decoded with pngjs) must be that size, not blank, and
// hold both role fills: the node boxes rendered, not only the background.
// Chromium's command-line switches: https://peter.sh/experiments/chromium-command-line-switches/ and
// https://developer.chrome.com/docs/chromium/headless (--screenshot, --window-size). Nothing may reach
// the network: every host name resolves to nothing (--host-resolver-rules) and any request would go to a
// closed loopback port (--proxy-server), besides the switches that turn the background traffic off.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { planCluster } from "../../src/plan/plan";
import { environmentTopology, ROLE_COLOURS } from "../../src/plan/topology";
import { loadSpec } from "../../src/spec/load";
import { tempDir } from "../helpers/cli";
import { describeWithTools } from "../helpers/tools";

const ROOT = join(__dirname, "..", "..");

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 90_000, encoding: "utf8", env }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, output: `${stdout}${stderr}` }),
    );
  });

/** `#rrggbb` → [r, g, b]. */
const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

describeWithTools(["chromium"])("the prod drawing in Chromium (headless screenshot)", () => {
  let png: PNG;
  let size: { width: number; height: number };

  beforeAll(async () => {
    const { spec, issues } = loadSpec(join(ROOT, "cluster.yaml"));
    if (!spec) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
    const svg = environmentTopology(planCluster(spec, "prod"), spec.environments.prod!);
    const [, w, h] = svg.match(/<svg [^>]*width="(\d+)" height="(\d+)"/)!;
    size = { width: Number(w), height: Number(h) };

    const dir = tempDir("coreform-chromium-");
    const home = tempDir("coreform-chromium-home-");
    const svgFile = join(dir, "topology.svg");
    const pngFile = join(dir, "topology.png");
    writeFileSync(svgFile, svg);
    const args = [
      "--headless",
      "--no-sandbox", // CI runs as root, where Chromium's sandbox refuses to start
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND",
      "--proxy-server=http://127.0.0.1:9",
      "--force-device-scale-factor=1",
      `--user-data-dir=${tempDir("coreform-chromium-profile-")}`,
      "--hide-scrollbars",
      `--window-size=${size.width},${size.height}`,
      `--screenshot=${pngFile}`,
      `file://${svgFile}`,
    ];
    const result = await run("chromium", args, { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home });
    if (result.code !== 0) throw new Error(`chromium exited with ${result.code}:\n${result.output}`);
    png = PNG.sync.read(readFileSync(pngFile));
  }, 120_000);

  it("is exactly the SVG's size", () => {
    expect(size.width).toBeGreaterThan(300);
    expect({ width: png.width, height: png.height }).toEqual(size);
  });

  /** How many pixels have `colour` (each channel within 2, for colour management's rounding). */
  const pixels = (colour: [number, number, number]) => {
    let n = 0;
    for (let i = 0; i < png.data.length; i += 4)
      if ([0, 1, 2].every((c) => Math.abs(png.data[i + c]! - colour[c]!) <= 2)) n++;
    return n;
  };

  it("is not blank: a substantial share of the pixels is not white", () => {
    const all = png.width * png.height;
    expect((all - pixels([255, 255, 255])) / all).toBeGreaterThan(0.15);
  });

  it.each(["control", "worker"] as const)("shows the %s boxes in their fill", (role) => {
    // prod has 3 control and 2 worker boxes of well over 5000 pixels each.
    expect(pixels(rgb(ROLE_COLOURS[role].fill))).toBeGreaterThan(role === "control" ? 3 * 5000 : 2 * 5000);
  });
});
