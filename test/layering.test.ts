// The pipeline's arrows run one way (ARCHITECTURE.md): a module imports only from its own stage or the
// stages before it, and the last stages (targets, operations, the CLI) never from one another, but
// the CLI, which drives them all. Read from the import lines of every source file.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = join(__dirname, "..");

/**
 * The spec's building blocks, which the platform modules are made of: the schema's shared pieces and
 * cluster-wide sections, addresses, problems. The rest of src/spec (the schema put together, the rules,
 * loading) comes after the platforms, and iterates their table.
 */
const SPEC_PARTS = /^src\/spec\/(fields|cluster|ipv4|issues|ssh-key)\.ts$/;

/** Each stage, in pipeline order: a module may import from its own stage and from earlier ones. The first that holds a file is its stage. */
const STAGES: readonly { readonly name: string; readonly rank: number; readonly holds: (path: string) => boolean }[] = [
  { name: "base", rank: 0, holds: (p) => /^src\/[^/]+\.ts$/.test(p) },
  { name: "spec parts", rank: 1, holds: (p) => SPEC_PARTS.test(p) },
  { name: "platforms", rank: 2, holds: (p) => p.startsWith("src/platforms/") },
  { name: "spec", rank: 3, holds: (p) => p.startsWith("src/spec/") },
  { name: "plan", rank: 4, holds: (p) => p.startsWith("src/plan/") },
  { name: "secrets", rank: 5, holds: (p) => p.startsWith("src/secrets/") },
  { name: "node", rank: 6, holds: (p) => p.startsWith("src/node/") },
  { name: "formats", rank: 7, holds: (p) => p.startsWith("cloud-config/") },
  { name: "vagrant", rank: 8, holds: (p) => p.startsWith("src/vagrant/") },
  { name: "stacks", rank: 8, holds: (p) => p.startsWith("stacks/") },
  { name: "ops", rank: 8, holds: (p) => p.startsWith("src/ops/") },
  { name: "cli", rank: 9, holds: (p) => p.startsWith("src/cli/") },
];

const stageOf = (path: string) => STAGES.find((s) => s.holds(path));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !join(e.parentPath, e.name).includes("node_modules"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Every relative import of a file, as a path from the repository's root. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => `${normalize(join(dirname(file), m[1]!))}.ts`);
}

/** The imports of `file` that run backwards or sideways, one line each. */
function violations(file: string, targets: readonly string[]): string[] {
  const from = stageOf(file)!;
  return targets
    .map((target) => ({ target, to: stageOf(target) }))
    .filter(({ to }) => to && (to.rank > from.rank || (to.rank === from.rank && to.name !== from.name)))
    .map(({ target, to }) => `${file} (${from.name}) imports ${target} (${to!.name})`);
}

const FILES = ["src", "stacks", "cloud-config"].flatMap(sources);

describe("layering", () => {
  it("knows every source file's stage", () => {
    expect(FILES.filter((f) => !stageOf(f))).toEqual([]);
    expect(FILES.length).toBeGreaterThan(50);
  });

  it("imports run from earlier stages to later ones only, never back up and never sideways between the last stages", () => {
    expect(FILES.flatMap((file) => violations(file, imports(file)))).toEqual([]);
  });

  it("knows every file SPEC_PARTS names", () => {
    expect(FILES.filter((f) => SPEC_PARTS.test(f))).toHaveLength(5);
  });

  it.each([
    { file: "src/platforms/aws.ts", target: "src/spec/schema.ts", wrong: true },
    { file: "src/platforms/aws.ts", target: "src/spec/rules.ts", wrong: true },
    { file: "src/platforms/aws.ts", target: "src/plan/plan.ts", wrong: true },
    { file: "src/spec/cluster.ts", target: "src/platforms/table.ts", wrong: true },
    { file: "src/platforms/aws.ts", target: "src/spec/fields.ts", wrong: false },
    { file: "src/spec/rules.ts", target: "src/platforms/table.ts", wrong: false },
    { file: "src/node/etcd.ts", target: "cloud-config/ignition.ts", wrong: true },
    { file: "src/ops/target.ts", target: "src/cli/main.ts", wrong: true },
    { file: "stacks/main.ts", target: "src/vagrant/run.ts", wrong: true },
    { file: "src/spec/rules.ts", target: "src/modes.ts", wrong: false },
    { file: "src/cli/up.ts", target: "src/vagrant/driver.ts", wrong: false },
    { file: "cloud-config/user-data.ts", target: "src/node/build.ts", wrong: false },
  ])("$file importing $target is wrong: $wrong", ({ file, target, wrong }) => {
    expect(violations(file, [target])).toHaveLength(wrong ? 1 : 0);
  });
});
