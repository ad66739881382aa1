// User data sizes: the largest Ignition config per scheduler kind and role, against each platform's
// user-data limit, and what each part of the largest control node's config costs. Rendered in process
// from the default spec (only scheduler.kind changed) with fresh secrets; sizes, not timings.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { IGNITION_VERSION, serializeIgnition, toIgnition, type IgnitionConfig } from "../cloud-config/ignition";
import { inBothFormats, renderNodes, type RenderedNode } from "../cloud-config/user-data";

/** A rendered node with its config in both formats (render writes only the platform's). */
type Both = RenderedNode & { readonly ignition: string; readonly cloudConfig: string };
const withBoth = (r: RenderedNode): Both => ({ ...r, ...inBothFormats(r.config) });
import { planCluster } from "../src/plan/plan";
import { ensureSecrets } from "../src/secrets/store";
import { parseSpec } from "../src/spec/load";
import { PLATFORM_MODULES } from "../src/platforms/table";
import { PLATFORMS, ROLES, SCHEDULERS, type Platform, type Role } from "../src/spec/schema";
import { specText } from "./project";
import { bytes, pct, type Section } from "./report";

/** Half of EC2's 16 KiB: room for the scheduler and TLS material still to come. */
const TARGET_BYTES = 8 * 1024;
/** Three quarters of EC2's 16 KiB: the most a control node may carry (k3s's bootstrap secrets included). */
const CEILING_BYTES = 12 * 1024;
const EC2_BYTES = PLATFORM_MODULES.aws.userData.maxBytes!;
/** What k3s's bootstrap data (CAs, keys, their links) takes on a control node. */
const K3S_BOOTSTRAP = "/var/lib/rancher/k3s/server/";
const LIMITED = PLATFORMS.filter((p) => PLATFORM_MODULES[p].userData.maxBytes !== undefined);

type Kind = (typeof SCHEDULERS)[number];

interface Largest {
  readonly kind: Kind;
  readonly role: Role;
  /** Largest Ignition config of the role in each environment's platform. */
  readonly perPlatform: Partial<Record<Platform, { node: string; bytes: number }>>;
  /** Largest cloud-config (what vagrant gets). */
  readonly cloudConfigBytes: number;
  readonly node: Both;
}

const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

interface Part {
  readonly part: string;
  readonly category: string;
  /** Bytes of the file's own text (0 for what has none). */
  readonly raw: number;
  /** Bytes it takes in the Ignition JSON, separators included. */
  readonly bytes: number;
  readonly encoding: string;
}

/** Every entry of an Ignition config with the bytes it takes; the JSON around them is "skeleton". */
function breakdown(r: Both): Part[] {
  const config = JSON.parse(r.ignition) as IgnitionConfig;
  const contents = new Map(r.config.files.map((f) => [f.path, Buffer.byteLength(f.contents)]));
  const parts: Part[] = config.storage.files.map((f) => {
    const data = f.contents.source.startsWith("data:");
    const encoding = !data ? "url" : f.contents.compression ? "gzip+base64" : f.contents.source.startsWith("data:;base64,") ? "base64" : "percent";
    const category = !data ? "download (URL)" : f.path.endsWith(".crt") ? "certificate" : f.path.endsWith(".key") ? "private key" : "config file";
    return { part: f.path, category, raw: contents.get(f.path) ?? (f.path === "/etc/hostname" ? r.config.hostname.length + 1 : 0), bytes: size(f) + 1, encoding };
  });
  for (const l of config.storage.links ?? []) parts.push({ part: `${l.path} → ${l.target}`, category: "link", raw: 0, bytes: size(l) + 1, encoding: "" });
  for (const u of config.systemd.units)
    parts.push({ part: u.name, category: u.contents ? "unit" : u.dropins ? "unit drop-in" : "unit switch", raw: u.contents?.length ?? 0, bytes: size(u) + 1, encoding: "" });
  if (config.passwd) parts.push({ part: "core's SSH keys", category: "passwd", raw: 0, bytes: size(config.passwd), encoding: "" });
  const used = parts.reduce((s, p) => s + p.bytes, 0);
  parts.push({ part: "JSON around the entries", category: "skeleton", raw: 0, bytes: Buffer.byteLength(r.ignition) - used, encoding: "" });
  return parts;
}

/**
 * Reductions that need no knowledge of the components, measured on one config: what the same node
 * would weigh with each. Ignition ≥ 3.1 reads a gzip-compressed config from a data URL in
 * `ignition.config.replace` (spec 3.3.0: coreos.github.io/ignition/configuration-v3_3/); EC2 does not
 * accept a gzipped config as user data itself (Flatcar's EC2 docs,
 * www.flatcar.org/docs/latest/installing/cloud/aws-ec2/: user data is the Ignition JSON as it is).
 */
function whatIf(r: Both): { what: string; bytes: number }[] {
  const wrap = (json: string) =>
    JSON.stringify({
      ignition: { version: IGNITION_VERSION, config: { replace: { source: `data:;base64,${gzipSync(json, { level: 9 }).toString("base64")}`, compression: "gzip" } } },
    });
  const config = r.config;
  // Files whose text another file already carries (the etcd CA for etcd and for locksmith, say).
  const seen = new Set<string>();
  const unique = { ...config, files: config.files.filter((f) => !seen.has(f.contents) && seen.add(f.contents)) };
  const plain = JSON.parse(r.ignition) as IgnitionConfig;
  for (const f of plain.storage.files) {
    const text = f.path === "/etc/hostname" ? `${config.hostname}\n` : config.files.find((x) => x.path === f.path)?.contents;
    if (text !== undefined) f.contents = { source: `data:,${encodeURIComponent(text)}` };
  }
  const defaults = JSON.parse(r.ignition) as { storage: { files: { path: string; mode?: number; overwrite?: boolean }[] } };
  for (const f of defaults.storage.files) {
    if (f.mode === 0o644) delete f.mode;
    if (f.path !== "/etc/hostname") delete f.overwrite;
  }
  return [
    { what: "one file per distinct text (copies dropped)", bytes: Buffer.byteLength(serializeIgnition(toIgnition(unique))) },
    { what: "no overwrite:true (a first boot finds no file) and no mode 0644 (the default)", bytes: size(defaults) },
    { what: "whole config gzip'd into ignition.config.replace", bytes: wrap(r.ignition).length },
    { what: "the same, files inside percent-encoded (gzip sees the PEM text)", bytes: wrap(JSON.stringify(plain)).length },
  ];
}

export async function userDataSection(): Promise<Section> {
  const secretsRoot = mkdtempSync(join(tmpdir(), "coreform-bench-secrets-"));
  const largest: Largest[] = [];
  try {
    for (const kind of SCHEDULERS) {
      const { spec, issues } = parseSpec(specText({ scheduler: kind }));
      if (!spec) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
      const byRole = new Map<Role, { perPlatform: Largest["perPlatform"]; cloudConfigBytes: number; node?: Both }>(
        ROLES.map((r) => [r, { perPlatform: {}, cloudConfigBytes: 0 }]),
      );
      for (const env of Object.keys(spec.environments)) {
        const plan = planCluster(spec, env);
        const secrets = await ensureSecrets(join(secretsRoot, kind, env), plan);
        for (const r of renderNodes(spec, plan, secrets).map(withBoth)) {
          const entry = byRole.get(r.node.role)!;
          const n = Buffer.byteLength(r.ignition);
          const seen = entry.perPlatform[plan.platform];
          if (!seen || n > seen.bytes) entry.perPlatform[plan.platform] = { node: `${env}/${r.node.name}`, bytes: n };
          if (!entry.node || n > Buffer.byteLength(entry.node.ignition)) entry.node = r;
          entry.cloudConfigBytes = Math.max(entry.cloudConfigBytes, Buffer.byteLength(r.cloudConfig));
        }
      }
      for (const [role, e] of byRole) if (e.node) largest.push({ kind, role, perPlatform: e.perPlatform, cloudConfigBytes: e.cloudConfigBytes, node: e.node });
    }
  } finally {
    rmSync(secretsRoot, { recursive: true, force: true });
  }

  const maxIgnition = (l: Largest) => Math.max(...Object.values(l.perPlatform).map((p) => p.bytes));
  const controls = largest.filter((l) => l.role === "control");
  const parts = new Map(controls.map((l) => [l.kind, breakdown(l.node)]));
  const reductions = new Map(controls.map((l) => [l.kind, whatIf(l.node)]));
  const categories = [...new Set([...parts.values()].flat().map((p) => p.category))];
  const detailed = parts.get("kubernetes")!;
  const perCategory = (kind: Kind, category: string) => {
    const of = parts.get(kind)!.filter((p) => p.category === category);
    return of.length ? `${of.length} × ${bytes(of.reduce((s, p) => s + p.bytes, 0))}` : "-";
  };
  const bootstrap = (kind: Kind) => {
    const of = parts.get(kind)!.filter((p) => p.part.startsWith(K3S_BOOTSTRAP));
    const sum = of.reduce((s, p) => s + p.bytes, 0);
    return of.length ? `${of.length} × ${bytes(sum)} = ${pct(sum, EC2_BYTES)}` : "-";
  };
  const avg = (category: string) => {
    const of = detailed.filter((p) => p.category === category);
    return of.length ? Math.round(of.reduce((s, p) => s + p.bytes, 0) / of.length) : 0;
  };

  return {
    title: "Ignition user data: the largest config per scheduler kind and role, against each platform's limit",
    header: ["kind", "role", "largest", ...LIMITED.map((p) => `${p} (${bytes(PLATFORM_MODULES[p].userData.maxBytes!)})`), "vagrant cloud-config"],
    rows: largest.map((l) => [
      l.kind,
      l.role,
      bytes(maxIgnition(l)),
      ...LIMITED.map((p) => {
        const v = l.perPlatform[p];
        return v ? `${bytes(v.bytes)} = ${pct(v.bytes, PLATFORM_MODULES[p].userData.maxBytes!)}` : "-";
      }),
      bytes(l.cloudConfigBytes),
    ]),
    notes: [
      "sizes differ between environments by their addresses (10.42.0.10 vs 192.168.56.10) and by a few bytes of key material",
      "(a certificate's text is percent-encoded or gzip'd, whichever is smaller); vagrant gets cloud-config, with no limit.",
    ],
    more: [
      {
        title: "largest control node config by part (bytes in the JSON, entry and separators included)",
        header: ["part", ...SCHEDULERS],
        rows: [
          ...categories.map((c) => [c, ...SCHEDULERS.map((k) => perCategory(k, c))]),
          ["total", ...SCHEDULERS.map((k) => bytes(parts.get(k)!.reduce((s, p) => s + p.bytes, 0)))],
          [`total, of EC2's ${bytes(EC2_BYTES)}`, ...SCHEDULERS.map((k) => pct(parts.get(k)!.reduce((s, p) => s + p.bytes, 0), EC2_BYTES))],
          [`of it, k3s's bootstrap data (${K3S_BOOTSTRAP})`, ...SCHEDULERS.map((k) => bootstrap(k))],
        ],
        notes: [`one certificate costs about ${avg("certificate")} B, one private key ${avg("private key")} B (PEM, ECDSA P-256, percent-encoded).`],
      },
      {
        title: "what the largest control node config would weigh with generic reductions (measured, not applied)",
        header: ["reduction", ...SCHEDULERS],
        rows: [
          ["as rendered", ...SCHEDULERS.map((k) => bytes(maxIgnition(controls.find((l) => l.kind === k)!)))],
          ...reductions.get("kubernetes")!.map((w, i) => [
            w.what,
            ...SCHEDULERS.map((k) => {
              const base = Buffer.byteLength(controls.find((l) => l.kind === k)!.node.ignition);
              const v = reductions.get(k)![i]!.bytes;
              return `${v} B (−${pct(base - v, base)})`;
            }),
          ]),
        ],
        notes: ["duplicates are counted per scheduler kind (every etcd client on a node reads its one etcd CA file)."],
      },
      {
        title: `kubernetes control node ${controls.find((l) => l.kind === "kubernetes")!.node.node.name}, every entry`,
        header: ["entry", "category", "text", "in config", "encoding"],
        rows: [...detailed].sort((a, b) => b.bytes - a.bytes).map((p) => [p.part, p.category, p.raw ? bytes(p.raw) : "", bytes(p.bytes), p.encoding]),
      },
    ],
    data: {
      largest: largest.map(({ node, ...l }) => ({ ...l, node: node.node.name })),
      breakdown: Object.fromEntries(parts),
      reductions: Object.fromEntries(reductions),
    },
    targets: controls.flatMap((l) =>
      [TARGET_BYTES, CEILING_BYTES].map((limit) => ({
        name: `largest control config, ${l.kind}`,
        target: `≤ ${bytes(limit)}`,
        measured: bytes(maxIgnition(l)),
        met: maxIgnition(l) <= limit,
      })),
    ),
  };
}
