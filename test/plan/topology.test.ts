// topologySvg: a plan → the drawing render writes to out/<env>/topology.svg. Checked as text (what it
// names), as XML (Debian's xmllint), and against the example committed in docs/.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planCluster, type ClusterPlan } from "../../src/plan/plan";
import { environmentTopology, esc, MAX_NODES_PER_ROW, portLabel, ROLE_COLOURS, topologySvg } from "../../src/plan/topology";
import { loadSpec } from "../../src/spec/load";
import { editSpec, smallSpec, tempDir } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";
import { describeWithTools } from "../helpers/tools";

const ROOT = join(__dirname, "..", "..");
const EXAMPLE = join(ROOT, "docs", "topology-prod.svg");

const plan = (opts: Parameters<typeof smallSpec>[0] = {}): ClusterPlan => planCluster(specFrom(smallSpec(opts)), "test");
const count = (svg: string, s: string) => svg.split(s).length - 1;
/** The text of every <text> element, unescaped. */
const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&"));

const defaultSpec = () => {
  const { spec, issues } = loadSpec(join(ROOT, "cluster.yaml"));
  if (!spec) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return spec;
};

describe("esc", () => {
  it("escapes the five XML specials and nothing else", () => {
    expect(esc(`a&b<c>d"e'f – …`)).toBe("a&amp;b&lt;c&gt;d&quot;e&apos;f – …");
    expect(esc("&amp;")).toBe("&amp;amp;");
  });
});

describe("portLabel", () => {
  it.each([
    [{ name: "etcd", protocol: "tcp", from: 2379, to: 2380 }, "2379–2380/tcp etcd"],
    [{ name: "ssh", protocol: "tcp", from: 22, to: 22 }, "22/tcp ssh"],
    [{ name: "icmp", protocol: "icmp" }, "icmp"],
  ] as const)("%j → %s", (port, label) => expect(portLabel(port)).toBe(label));
});

describe("topologySvg", () => {
  it("names every node with its planned IP, in a box of its role's fill", () => {
    const p = plan({ control: 3, worker: 2 });
    const t = texts(topologySvg(p, []));
    for (const n of p.nodes) expect(t).toEqual(expect.arrayContaining([n.name, n.ip]));
    const svg = topologySvg(p, []);
    expect(ROLE_COLOURS.control.fill).not.toBe(ROLE_COLOURS.worker.fill);
    // Each node's box, and one swatch a role in the key.
    expect(count(svg, `fill="${ROLE_COLOURS.control.fill}"`)).toBe(3 + 1);
    expect(count(svg, `fill="${ROLE_COLOURS.worker.fill}"`)).toBe(2 + 1);
  });

  it("has a title, explicit size, a viewBox and a white background", () => {
    const svg = topologySvg(plan(), []);
    const [, w, h] = svg.match(/<svg [^>]*width="(\d+)" height="(\d+)"/)!;
    expect(svg).toContain(`viewBox="0 0 ${w} ${h}"`);
    expect(svg).toContain(`<rect x="0" y="0" width="${w}" height="${h}" fill="#ffffff"/>`);
    expect(texts(svg).slice(0, 2)).toEqual(["t-test", "libvirt · x86_64 · Flatcar stable current · network 10.42.0.0/24 · scheduler kubernetes"]);
  });

  it("is deterministic and leaves the plan as it was", () => {
    const p = plan();
    const before = structuredClone(p);
    expect(topologySvg(p, ["203.0.113.0/24"])).toBe(topologySvg(plan(), ["203.0.113.0/24"]));
    expect(p).toEqual(before);
  });

  it("summarises a large role in one box and stays small (5000 nodes)", () => {
    const p = plan({ cidr: "10.0.0.0/16", control: 3, worker: 4997 });
    const svg = topologySvg(p, ["203.0.113.0/24"]);
    const t = texts(svg);
    expect(Buffer.byteLength(svg)).toBeLessThan(64 * 1024);
    for (let i = 1; i <= MAX_NODES_PER_ROW; i++) expect(t).toContain(`worker-${String(i).padStart(4, "0")}`);
    expect(t).not.toContain("worker-0009");
    expect(t).toEqual(expect.arrayContaining(["… 4989 more", "(worker-0009 – worker-4997)", "worker · 4997 nodes"]));
    expect(count(svg, `fill="${ROLE_COLOURS.worker.fill}"`)).toBe(MAX_NODES_PER_ROW + 1 + 1);
  });

  it.each([
    [MAX_NODES_PER_ROW, "no summary box"],
    [MAX_NODES_PER_ROW + 1, "(worker-09)"],
  ])("%i workers: %s", (workers, summary) => {
    const t = texts(topologySvg(plan({ worker: workers }), []));
    expect(t.filter((s) => s.startsWith("("))).toEqual(summary.startsWith("(") ? [summary] : []);
  });

  it("draws each admin CIDR with an arrow labelled with the ports it reaches", () => {
    const svg = topologySvg(plan(), ["203.0.113.0/24", "198.51.100.0/24"]);
    expect(texts(svg)).toEqual(expect.arrayContaining(["203.0.113.0/24", "198.51.100.0/24", "22/tcp ssh · 6443/tcp kubernetes-api"]));
    expect(count(svg, 'marker-end="url(#arrow)"')).toBe(2);
    expect(texts(topologySvg(plan({ scheduler: "none" }), ["203.0.113.0/24"]))).toContain("22/tcp ssh");
  });

  it("says so when there are no admin CIDRs, and draws no arrow", () => {
    const svg = topologySvg(plan(), []);
    expect(texts(svg)).toEqual(expect.arrayContaining(["no admin CIDRs:", "reached from the host"]));
    expect(svg).not.toContain("marker-end");
  });

  it("lists the ports between the nodes", () => {
    const p = plan();
    const t = texts(topologySvg(p, []));
    expect(p.ports.length).toBeGreaterThan(1);
    for (const port of p.ports) expect(t).toContain(portLabel(port));
  });

  it.each([
    ["kubernetes", { "k3s server": 3, "k3s agent": 2, fleet: 0, "etcd member": 3 }],
    ["fleet", { "k3s server": 0, "k3s agent": 0, fleet: 5, "etcd member": 3 }],
    ["none", { "k3s server": 0, "k3s agent": 0, fleet: 0, "etcd member": 3 }],
  ])("scheduler %s: each node's labels", (scheduler, want) => {
    const t = texts(topologySvg(plan({ control: 3, worker: 2, scheduler }), []));
    expect(Object.fromEntries(Object.keys(want).map((label) => [label, t.filter((s) => s === label).length]))).toEqual(want);
  });

  it("shows each node's zone: by the spec's name, else by its number in the region; none where the platform has none", () => {
    const gce = { platform: "gce", project: "coreform-test", region: "europe-west1", zone: "europe-west1-b", adminCidrs: ["203.0.113.0/24"] };
    const spec = (zones?: string[]) => specFrom(editSpec((d) => (d.environments = { gce: { ...gce, ...(zones ? { zones } : {}) } }), smallSpec({ worker: 2 })));
    const zonesOf = (svg: string) => texts(svg).filter((t) => t.startsWith("zone "));
    expect(zonesOf(topologySvg(planCluster(spec(), "gce"), []))).toEqual(["zone 1 of the region", "zone 2 of the region", "zone 3 of the region", "zone 1 of the region", "zone 2 of the region"]);
    expect(zonesOf(topologySvg(planCluster(spec(["europe-west1-c", "europe-west1-d"]), "gce"), []))).toEqual([
      "zone europe-west1-c",
      "zone europe-west1-d",
      "zone europe-west1-c",
      "zone europe-west1-c",
      "zone europe-west1-d",
    ]);
    expect(zonesOf(topologySvg(plan(), []))).toEqual([]);
  });

  it("escapes what it is given (the schema keeps names DNS-safe; the drawing does not rely on it)", () => {
    const svg = topologySvg({ ...plan(), cluster: "a&<b>" }, [`"x'<y>`]);
    expect(svg).toContain("a&amp;&lt;b&gt;-test");
    expect(svg).toContain("&quot;x&apos;&lt;y&gt;");
    expect(svg).not.toMatch(/a&<b>|<y>/);
  });
});

describe("the example in docs/", () => {
  it("is the default spec's prod environment as the code draws it now", () => {
    const spec = defaultSpec();
    const rendered = environmentTopology(planCluster(spec, "prod"), spec.environments.prod!);
    const committed = readFileSync(EXAMPLE, "utf8");
    if (committed !== rendered)
      throw new Error("docs/topology-prod.svg is out of date: run `coreform render prod` on the repository's cluster.yaml and copy out/prod/topology.svg to docs/topology-prod.svg");
    expect(texts(committed)).toContain("203.0.113.0/24");
  });
});

describeWithTools(["xmllint"])("well-formed XML (xmllint)", () => {
  const xmllint = (svg: string): Promise<string | undefined> => {
    const file = join(tempDir(), "topology.svg");
    writeFileSync(file, svg);
    return new Promise((resolve) => execFile("xmllint", ["--noout", file], { timeout: 30_000 }, (err, _out, stderr) => resolve(err ? `${err.message}${stderr}` : undefined)));
  };
  const spec = defaultSpec();

  it.each<[string, () => string]>([
    ["kubernetes, 3 + 2", () => topologySvg(plan({ worker: 2 }), ["203.0.113.0/24"])],
    ["fleet, no admin CIDRs", () => topologySvg(plan({ scheduler: "fleet" }), [])],
    ["none, control only", () => topologySvg(plan({ scheduler: "none", control: 1, worker: 0 }), [])],
    ["5000 nodes", () => topologySvg(plan({ cidr: "10.0.0.0/16", control: 3, worker: 4997 }), ["203.0.113.0/24", "198.51.100.0/24"])],
    ["names to escape", () => topologySvg({ ...plan(), cluster: "a&<b>" }, [`"x'<y>`])],
    ...Object.keys(spec.environments).map((env) => [`the default spec's ${env}`, () => environmentTopology(planCluster(spec, env), spec.environments[env]!)] as [string, () => string]),
  ])("%s", async (_name, svg) => {
    expect(await xmllint(svg())).toBeUndefined();
  });

  it("the check bites: an unescaped '<' is refused", async () => {
    expect(await xmllint(topologySvg(plan(), []).replace("t-test", "t<test"))).toMatch(/topology\.svg/);
  });
});
