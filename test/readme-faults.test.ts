// README's list of tested faults: every line names a test, and every test it names exists, with that
// title in that file. A promise about faults in the README without a test behind it fails here.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The section's bullets, each joined onto one line. */
function bullets(): string[] {
  const section = /\n## Faults that are tested\n([\s\S]*?)\n## /.exec(README)?.[1] ?? "";
  return section
    .split(/\n- /)
    .slice(1)
    .map((b) => b.replace(/\s*\n\s*/g, " "));
}

/** `file`: "title", "title"… as (file, title) pairs. */
function citations(bullet: string): [string, string][] {
  return [...bullet.matchAll(/`(test\/[^`]+\.test\.ts)`: ((?:"[^"]+"(?:, )?)+)/g)].flatMap((m) =>
    [...m[2]!.matchAll(/"([^"]+)"/g)].map((t) => [m[1]!, t[1]!] as [string, string]),
  );
}

describe("README: faults that are tested", () => {
  it("lists the faults, each with at least one test", () => {
    expect(bullets().length).toBeGreaterThanOrEqual(20);
    for (const b of bullets()) expect([b, citations(b).length > 0]).toEqual([b, true]);
  });

  it("names only tests that exist, by a title their file has", () => {
    for (const [file, title] of bullets().flatMap(citations)) {
      expect([file, existsSync(join(ROOT, file))]).toEqual([file, true]);
      const text = readFileSync(join(ROOT, file), "utf8").replace(/\s*\n\s*/g, " ");
      expect([file, title, text.includes(title)]).toEqual([file, title, true]);
    }
  });

  it("the promises the README makes about faults elsewhere are in the list", () => {
    for (const promise of ["A dead or silent member never hangs a command", "Kept secrets are never made again silently", "A failing run leaves the earlier output as it was"])
      expect([promise, README.includes(promise)]).toEqual([promise, true]);
    const listed = bullets().join(" ");
    for (const fault of ["accepts the connection and never answers", "kill -9", "A lost CA", "A full disk", "read-only"]) expect([fault, listed.includes(fault)]).toEqual([fault, true]);
  });
});
