// README's "Changing a running cluster" says what the code does: its tables are the ones made from
// src/platforms/changes.ts (npm run schema), and each row of its table of node edits is a row of the
// edit table (test/stacks/edits.test.ts), which tries that edit on every platform.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { changesTables } from "../src/spec/readme";

const ROOT = join(__dirname, "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const section = /\n## Changing a running cluster\n([\s\S]*?)\n## /.exec(README)?.[1] ?? "";

/** The rows of the section's table of node edits: edit, and the edit table's rows it names. */
function nodeEdits(): [edit: string, rows: string[]][] {
  const table = /\| edit \| what happens \| edit table row \|\n\|---\|---\|---\|\n((?:\|.*\|\n)+)/.exec(section)?.[1] ?? "";
  return table
    .trim()
    .split("\n")
    .map((line) => {
      const cells = line.split(" | ");
      return [cells[0]!.replace(/^\| /, ""), [...cells.at(-1)!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!)];
    });
}

describe("README: Changing a running cluster", () => {
  it("holds the tables made from src/platforms/changes.ts (npm run schema writes them)", () => {
    expect(section).toContain(changesTables());
  });

  it("each node edit it lists is a row of the edit table, which renders and synthesizes it on every platform", () => {
    const edits = readFileSync(join(ROOT, "test/stacks/edits.test.ts"), "utf8");
    expect(nodeEdits().length).toBeGreaterThanOrEqual(10);
    for (const [edit, rows] of nodeEdits()) {
      expect([edit, rows.length > 0]).toEqual([edit, true]);
      for (const row of rows) expect([edit, row, edits.includes(`name: ${JSON.stringify(row)}`)]).toEqual([edit, row, true]);
    }
  });
});
