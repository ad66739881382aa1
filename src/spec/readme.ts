// README's parts that are made from code, each between its two marker lines: the spec table (from the
// schema's descriptions, json-schema.ts) and the tables of "Changing a running cluster" (what a
// change of each setting does on each platform, what render refuses and the safe way: from
// src/platforms/changes.ts). `npm run schema` writes them (scripts/schema.js); a test fails while
// README holds another text.
import { ACCEPT, ACCEPT_KINDS, PROVIDERS, SETTING_CHANGES, type Effect, type Rule } from "../platforms/changes";
import { PLATFORMS } from "../platforms/table";
import { specTable } from "./json-schema";

/** A table cell: no line break, no column break. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function said(effect: Effect): string {
  switch (effect.kind) {
    case "none":
      return "nothing on the machines";
    case "applied":
      return `applied: ${effect.what}`;
    case "ignored":
      return `new machines only: ${effect.what}`;
    case "refused":
      return `**refused** (\`--accept ${effect.accept}\`): ${effect.what}`;
    case "fails":
      return `**impossible**: ${effect.what}`;
  }
}

const rule = (r: Rule<unknown>) => ("cases" in r ? r.cases.map(([when, effect]) => `${when}: ${said(effect)}`).join("; ") : said(r));

const CHANGES_START = "<!-- changes tables: `npm run schema` writes them from src/platforms/changes.ts -->";
const CHANGES_END = "<!-- end of changes tables -->";

/** What render refuses, why, the safe way; then per platform what a change of each setting does. */
export function changesTables(): string {
  const machines = Object.entries(PROVIDERS).map(([platform, facts]) => `\`${facts.machine}\` (${platform})`);
  return [
    CHANGES_START,
    "| `--accept` | refused because | the safe way |",
    "|---|---|---|",
    ...ACCEPT_KINDS.map((kind) => {
      const [cloud, vagrant] = [ACCEPT[kind].today("ENV", "MACHINE"), ACCEPT[kind].today("ENV", undefined)];
      return `| \`${kind}\` | ${cell(ACCEPT[kind].why)} | ${cell(cloud === vagrant ? cloud : `${cloud}; on Vagrant: ${vagrant}`)} |`;
    }),
    "",
    `MACHINE is a node's machine resource: ${machines.join(", ")}.`,
    "",
    ...PLATFORMS.flatMap((platform) => [
      `<details><summary>${platform}: what a change of each setting does</summary>`,
      "",
      "| setting | a change |",
      "|---|---|",
      ...Object.entries(SETTING_CHANGES[platform] as Readonly<Record<string, Rule<unknown>>>).map(([path, r]) => `| \`${path}\` | ${cell(rule(r))} |`),
      "",
      "</details>",
      "",
    ]),
    CHANGES_END,
  ].join("\n");
}

/** `readme` with `part` (its first line and its last are its markers) in the place its markers hold. */
function replaced(readme: string, part: string): string {
  const [start, end] = [part.slice(0, part.indexOf("\n")), part.slice(part.lastIndexOf("\n") + 1)];
  const [from, to] = [readme.indexOf(start), readme.indexOf(end)];
  if (from < 0 || to < from) throw new Error(`README.md has no place between "${start}" and "${end}"`);
  return readme.slice(0, from) + part + readme.slice(to + end.length);
}

/** The parts README takes from code. */
const readmeParts = (): string[] => [specTable(), changesTables()];

/** `readme` with every part made anew. */
export const withReadmeParts = (readme: string): string => readmeParts().reduce(replaced, readme);
