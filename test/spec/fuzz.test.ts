// A seeded mutation fuzzer over the default cluster.yaml, through the real CLI: deleted keys, changed
// types, renamed keys, duplicated list items, swapped values, truncated, cut and doubled lines. Every
// mutant must exit 0 or 2 (never 1), print no stack trace and no key material, and `validate` and
// `render` must agree. Deterministic: the same seeds give the same mutants on every run.
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { cli, tempDir } from "../helpers/cli";
import { sshKey } from "../helpers/ssh-keys";
import { ACCEPT_KINDS } from "../../src/platforms/changes";

const DEFAULT_SPEC = readFileSync(join(__dirname, "../../cluster.yaml"), "utf8");
const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 240);
/** Render makes keys and files, slower than validate: every valid mutant is rendered, and every RENDER_EVERY-th invalid one. */
const RENDER_EVERY = 12;

/** mulberry32: a small seeded PRNG, so that a failing seed can be run again. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Doc = Record<string, unknown> | unknown[];
type Random = ReturnType<typeof prng>;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** Every container in the document with the keys (or indices) it holds. */
function containers(doc: unknown): { node: Doc; keys: (string | number)[] }[] {
  const out: { node: Doc; keys: (string | number)[] }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      out.push({ node: v, keys: v.map((_, i) => i) });
      v.forEach(walk);
    } else if (v !== null && typeof v === "object") {
      out.push({ node: v as Doc, keys: Object.keys(v) });
      Object.values(v).forEach(walk);
    }
  };
  walk(doc);
  return out.filter((c) => c.keys.length > 0);
}

const ODD_VALUES: readonly unknown[] = [
  null, 0, -1, 1.5, 2, 8, 5001, 1e20, "", "x", "Thu 04:00", "0.0.0.0/0", "10.42.0.5/24", "__proto__", "constructor",
  true, [], {}, ["x"], { kind: "none" }, { cidr: "10.0.0.0/8" }, "ssh-ed25519 AAAA x",
];

/** Keys every JavaScript object has, or that set its prototype. */
const JAVASCRIPT_NAMES = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueof"];

/** Renames `key` keeping its place's value (defineProperty: assigning `__proto__` would set the prototype instead). */
function rename(map: Record<string, unknown>, key: string, name: string): void {
  if (name === key) return;
  Object.defineProperty(map, name, { value: map[key], enumerable: true, writable: true, configurable: true });
  delete map[key];
}

type Mutation = (random: Random, doc: Doc) => void;
const DOC_MUTATIONS: Record<string, Mutation> = {
  "delete a key"(random, doc) {
    const { node, keys } = pick(random, containers(doc));
    const key = pick(random, keys);
    if (Array.isArray(node)) node.splice(key as number, 1);
    else delete node[key as string];
  },
  "change a value's type"(random, doc) {
    const { node, keys } = pick(random, containers(doc));
    (node as Record<string | number, unknown>)[pick(random, keys)] = structuredClone(pick(random, ODD_VALUES));
  },
  "wrap a value in a list or a mapping"(random, doc) {
    const { node, keys } = pick(random, containers(doc));
    const key = pick(random, keys);
    const n = node as Record<string | number, unknown>;
    n[key] = random() < 0.5 ? [n[key]] : { value: n[key] };
  },
  "rename a key"(random, doc) {
    const maps = containers(doc).filter((c) => !Array.isArray(c.node));
    if (maps.length === 0) return;
    const { node, keys } = pick(random, maps);
    const key = pick(random, keys) as string;
    const n = node as Record<string, unknown>;
    rename(n, key, random() < 0.8 ? `${key}${pick(random, ["s", "_", "2", "X"])}` : pick(random, ["<<", ...JAVASCRIPT_NAMES]));
  },
  "add many SSH keys"(random, doc) {
    // Enough, at times, to push a node's user data over EC2's 16 KiB.
    const keys = Array.from({ length: 20 + Math.floor(random() * 100) }, (_, i) => sshKey("ssh-ed25519", i, `k${i}`));
    (doc as Record<string, unknown>).ssh = { authorizedKeys: keys };
  },
  "give an environment a JavaScript name"(random, doc) {
    const envs = (doc as { environments?: unknown }).environments;
    if (envs === null || typeof envs !== "object" || Array.isArray(envs) || Object.keys(envs).length === 0) return;
    rename(envs as Record<string, unknown>, pick(random, Object.keys(envs)), pick(random, JAVASCRIPT_NAMES));
  },
  "duplicate a list item"(random, doc) {
    const lists = containers(doc).filter((c) => Array.isArray(c.node));
    if (lists.length === 0) return;
    const list = pick(random, lists).node as unknown[];
    const item = pick(random, list);
    // Once, or many times (200 node groups, admin networks, …).
    for (let n = random() < 0.8 ? 1 : 200; n > 0; n--) list.push(structuredClone(item));
  },
  "swap two values"(random, doc) {
    const all = containers(doc).flatMap((c) => c.keys.map((k) => ({ node: c.node as Record<string | number, unknown>, key: k })));
    const [a, b] = [pick(random, all), pick(random, all)];
    [a.node[a.key], b.node[b.key]] = [b.node[b.key], a.node[a.key]];
  },
};

type TextMutation = (random: Random, text: string) => string;
const TEXT_MUTATIONS: Record<string, TextMutation> = {
  truncate: (random, text) => text.slice(0, Math.floor(random() * text.length)),
  "delete a line"(random, text) {
    const lines = text.split("\n");
    lines.splice(Math.floor(random() * lines.length), 1);
    return lines.join("\n");
  },
  "double a line"(random, text) {
    const lines = text.split("\n");
    const i = Math.floor(random() * lines.length);
    lines.splice(i, 0, lines[i] as string);
    return lines.join("\n");
  },
  "insert a character"(random, text) {
    const at = Math.floor(random() * text.length);
    return text.slice(0, at) + pick(random, ["\t", ":", '"', "'", "&a ", "*a", "<<: ", "{", "]", "- ", "\u0000", "\u001b[2J", "#"]) + text.slice(at);
  },
};

/** The text as a document to mutate, if it still is one (an earlier text mutation may have broken it). */
function parsed(text: string): Doc | undefined {
  try {
    const doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
    return containers(doc).length > 0 ? (doc as Doc) : undefined;
  } catch {
    return undefined;
  }
}

/** Mutant `seed`: one to three mutations of the default spec, and their names. */
function makeMutant(seed: number): { text: string; applied: string[] } {
  const random = prng(seed);
  const applied: string[] = [];
  let text = DEFAULT_SPEC;
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const doc = random() < 0.6 ? parsed(text) : undefined;
    if (doc) {
      const [name, mutate] = pick(random, Object.entries(DOC_MUTATIONS));
      mutate(random, doc);
      text = yaml.dump(doc, { schema: yaml.CORE_SCHEMA, lineWidth: -1 });
      applied.push(name);
    } else {
      const [name, mutate] = pick(random, Object.entries(TEXT_MUTATIONS));
      text = mutate(random, text);
      applied.push(name);
    }
  }
  return { text, applied };
}

/** Output that must never appear: a stack frame, a JavaScript error name, an object printed raw, key material. */
function expectClean(output: string, tokens: readonly string[]): void {
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(output).not.toMatch(/\b(TypeError|ReferenceError|RangeError|SyntaxError)\b|\[object Object\]|undefined/);
  expect(output).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
  for (const token of tokens) expect(output).not.toContain(token);
}

/** The k3s join tokens under `.coreform/` (the one secret that is not a PEM block). */
function tokens(dir: string): string[] {
  try {
    return readdirSync(join(dir, ".coreform")).flatMap((env) => {
      try {
        return [readFileSync(join(dir, ".coreform", env, "kubernetes/token"), "utf8").trim()];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** The keys of the mutant's `environments`, as the YAML says them. */
function environmentKeys(text: string): string[] {
  const envs = (parsed(text) as { environments?: unknown } | undefined)?.environments;
  return envs !== null && typeof envs === "object" && !Array.isArray(envs) ? Object.keys(envs) : [];
}

/** Every file below `dir` with its mode and contents. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    const st = statSync(p);
    out[p] = `${st.mode.toString(8)} ${e.isFile() ? readFileSync(p, "utf8") : ""}`;
  }
  return out;
}

const made = new Map<number, ReturnType<typeof makeMutant>>();
const mutant = (seed: number) => made.get(seed) ?? (made.set(seed, makeMutant(seed)), made.get(seed)!);

const SEEDS = Array.from({ length: MUTANTS }, (_, i) => 1000 + i);

describe("mutations of cluster.yaml", () => {
  const seen = { valid: 0, invalid: 0, renderedInvalid: 0 };
  const shared = tempDir("coreform-fuzz-");
  const premade = tempDir("coreform-fuzz-");
  beforeAll(async () => {
    writeFileSync(join(premade, "cluster.yaml"), DEFAULT_SPEC);
    expect((await cli(premade, "render")).code).toBe(0);
  });

  it("the mutants are deterministic and varied", () => {
    expect(makeMutant(SEEDS[0]!)).toEqual(makeMutant(SEEDS[0]!));
    const texts = new Set(SEEDS.map((s) => mutant(s).text));
    expect(texts.size).toBeGreaterThan(MUTANTS * 0.8);
    const names = new Set(SEEDS.flatMap((s) => mutant(s).applied));
    expect([...names].sort()).toEqual([...Object.keys(DOC_MUTATIONS), ...Object.keys(TEXT_MUTATIONS)].sort());
  });

  it.each(SEEDS)("seed %d: exit 0 or 2, clean output, and render agrees with validate", async (seed) => {
    const { text, applied } = mutant(seed);
    const context = `seed ${seed} (${applied.join(", ")})`;
    writeFileSync(join(shared, "cluster.yaml"), text);
    const v = await cli(shared, "validate");
    expect([context, v.code]).toEqual([context, v.code === 0 ? 0 : 2]);
    expectClean(`${v.stdout}\n${v.stderr}`, []);
    seen[v.code === 0 ? "valid" : "invalid"]++;
    // Nothing is dropped without a word: a valid spec has exactly the environments its YAML names.
    const envs = environmentKeys(text);
    if (v.code === 0) expect([context, v.stdout]).toEqual([context, expect.stringContaining(`: ${envs.join(", ")})`)]);
    if (v.code !== 0 && seed % RENDER_EVERY !== 0) return;
    if (v.code !== 0) seen.renderedInvalid++;

    // A project of its own with the default spec's secrets and records, as after an earlier render: a
    // refusal must leave every file as it was. One environment (picked by the seed) is cheaper than all
    // six. Every kind of change is accepted: what render still refuses then cannot be done at all (a
    // smaller disk), render's own finding like a user-data budget.
    const dir = tempDir("coreform-fuzz-");
    cpSync(join(premade, ".coreform"), join(dir, ".coreform"), { recursive: true });
    writeFileSync(join(dir, "cluster.yaml"), text);
    const before = snapshot(dir);
    const only = v.code === 0 && seed % 10 !== 0 ? [pick(prng(seed + 1), envs)] : [];
    const r = await cli(dir, "render", ...only, "--accept", ACCEPT_KINDS.join(","));
    expectClean(`${r.stdout}\n${r.stderr}`, tokens(dir));
    // A refusal over a user-data budget, or of what cannot be done, is render's own (it needs the
    // secrets, or the record); anything else validate says too.
    const renders = /over the \d+-byte limit|: cannot be done: /.test(r.stderr);
    expect([context, r.code]).toEqual([context, renders ? 2 : v.code]);
    if (r.code !== 0) expect([context, snapshot(dir)]).toEqual([context, before]);
    if (renders) return;
    // The same problems and warnings, in the same order; render adds only what it created and changed.
    const problems = (out: string, project: string) =>
      out
        .split("\n")
        .filter((l) => l !== "" && !/^\S+: (created|reissued) /.test(l) && !/^coreform (validate|render): /.test(l) && !/\(coreform diff \S+ shows each\)$|^ {2}next: /.test(l))
        .map((l) => l.replaceAll(project, "{project}"));
    expect([context, problems(r.stderr, dir)]).toEqual([context, problems(v.stderr, shared)]);
  });

  it("finds valid and invalid mutants, and renders both kinds", () => {
    expect(seen.valid).toBeGreaterThan(MUTANTS / 20);
    expect(seen.invalid).toBeGreaterThan(MUTANTS / 2);
    expect(seen.renderedInvalid).toBeGreaterThan(MUTANTS / RENDER_EVERY / 2);
  });
});
