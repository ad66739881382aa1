// An export says "another file uses this": what only its own file uses stays module-private, so a dead
// export cannot hide (issue 21). Read from the text: a name counts as used where it stands as a whole
// word in another file of the sources, the tests, the bench or the scripts (a test importing what it
// tests keeps it exported).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(__dirname, "..");

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name) && !join(e.parentPath, e.name).includes("node_modules"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const SOURCES = ["src", "stacks", "cloud-config"].flatMap(files);
const READERS = [...SOURCES, ...["test", "bench", "scripts", "bin"].flatMap(files)];
const text = new Map(READERS.map((f) => [f, readFileSync(join(ROOT, f), "utf8")]));
const words = new Map(READERS.map((f) => [f, new Set(text.get(f)!.match(/[A-Za-z_$][\w$]*/g))]));

/** The names a file exports by declaration (`export const X`, `export interface X`…). */
const exportedNames = (source: string): string[] =>
  [...source.matchAll(/^export (?:declare )?(?:async )?(?:abstract )?(?:const|let|function\*?|class|type|interface|enum) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!);

describe("exports", () => {
  it("finds the exports of every source file", () => {
    expect(exportedNames("export const A = 1;\nexport async function b() {}\nexport interface C {}\nconst d = 2;\n  export type E = 1;")).toEqual(["A", "b", "C"]);
    expect(SOURCES.flatMap((f) => exportedNames(text.get(f)!)).length).toBeGreaterThan(300);
  });

  it("every export of src/, stacks/ and cloud-config/ is used by another file (else drop `export`)", () => {
    const unused = SOURCES.flatMap((file) =>
      exportedNames(text.get(file)!)
        .filter((name) => !READERS.some((other) => other !== file && words.get(other)!.has(name)))
        .map((name) => `${file}: ${name}`),
    );
    expect(unused).toEqual([]);
  });
});
