// Two import rules keep CDKTF cheap and contained: a provider package's root loads ~2200 modules (~3.4 s,
// ~570 MB a process), so only deep imports (`@cdktf/provider-aws/lib/instance`) are allowed; and only the
// stacks (and their tests, with their helper) import cdktf at all — the pipeline knows nothing of it.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

const ROOT = join(__dirname, "../..");
const DIRS = ["src", "cloud-config", "stacks", "test", "bench", "bin", "scripts"];

function sources(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "__snapshots__" ? [] : sources(path);
    return /\.(ts|js|mjs|cjs)$/.test(e.name) ? [path] : [];
  });
}

/** Every module a file names in `import … from`, `import(…)`, `require(…)` or `export … from`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm)) found.push(m[1]!);
  return found;
}

/** A provider package's root, or its lib/ index (the root's `main`), which loads every resource too. */
const PROVIDER_ROOT = /^@cdktf\/provider-[a-z0-9-]+(\/lib(\/(index|lazy-index)(\.js)?)?)?\/?$/;
const CDKTF = /^(cdktf|@cdktf\/.*)$/;

// This file is left out: its examples of bad imports are strings.
const files = DIRS.flatMap((d) => sources(join(ROOT, d)))
  .filter((file) => file !== __filename)
  .map((file) => ({ file: relative(ROOT, file), imports: specifiers(readFileSync(file, "utf8")) }));

describe("imports", () => {
  it("the scan sees the stacks and their deep provider imports", () => {
    const imports = (file: string) => files.find((f) => f.file === join("stacks", file))?.imports;
    expect(imports("aws.ts")).toContain("@cdktf/provider-aws/lib/instance");
    expect(imports("gce.ts")).toContain("@cdktf/provider-google/lib/compute-instance");
    expect(imports("azure.ts")).toContain("@cdktf/provider-azurerm/lib/linux-virtual-machine");
    expect(files.length).toBeGreaterThan(30);
  });

  it("every provider package the project depends on is imported by deep path somewhere in stacks/", () => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const providers = Object.keys(dependencies).filter((d) => d.startsWith("@cdktf/provider-"));
    expect(providers.sort()).toEqual(["@cdktf/provider-aws", "@cdktf/provider-azurerm", "@cdktf/provider-google"]);
    const deep = files.filter((f) => f.file.startsWith(`stacks${sep}`)).flatMap((f) => f.imports);
    for (const p of providers) expect(deep.some((s) => s.startsWith(`${p}/lib/`) && !PROVIDER_ROOT.test(s))).toBe(true);
  });

  it("the patterns catch every way of naming a provider root", () => {
    const bad = [
      'import { Instance } from "@cdktf/provider-aws";',
      "const aws = require('@cdktf/provider-google');",
      'const p = await import("@cdktf/provider-azurerm/");',
      'export * from "@cdktf/provider-aws";',
      'import * as google from "@cdktf/provider-google";',
      'import { computeInstance } from "@cdktf/provider-google/lib";',
      'import { linuxVirtualMachine } from "@cdktf/provider-azurerm/lib/index";',
      'const lazy = require("@cdktf/provider-azurerm/lib/lazy-index.js");',
    ];
    for (const line of bad) expect(specifiers(line).some((s) => PROVIDER_ROOT.test(s))).toBe(true);
    for (const good of ['import { Instance } from "@cdktf/provider-aws/lib/instance";', 'import { GoogleProvider } from "@cdktf/provider-google/lib/provider";', 'import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";'])
      expect(specifiers(good).some((s) => PROVIDER_ROOT.test(s))).toBe(false);
  });

  it("no file imports a @cdktf/provider-* package root", () => {
    expect(files.filter((f) => f.imports.some((s) => PROVIDER_ROOT.test(s))).map((f) => f.file)).toEqual([]);
  });

  it("only stacks/ and its tests import cdktf", () => {
    const stackTests = (file: string) => file.startsWith(join("test", "stacks") + sep) || file === join("test", "helpers", "stacks.ts");
    const outside = files.filter((f) => !f.file.startsWith(`stacks${sep}`) && !stackTests(f.file));
    expect(outside.filter((f) => f.imports.some((s) => CDKTF.test(s))).map((f) => f.file)).toEqual([]);
  });
});
