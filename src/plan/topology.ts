// ClusterPlan → out/<env>/topology.svg: the admin networks, the network box with one row of nodes a role,
// and the ports. Hand-written SVG 1.1 (https://www.w3.org/TR/SVG11/); sizes come from the text they hold.
// Pure and deterministic: the same plan gives the same bytes. Nothing secret goes in (the plan has none).
import type { ClusterPlan, ClusterPort, PlannedNode } from "./plan";
import type { Role, Spec } from "../spec/schema";
import { qualifiedName } from "../spec/cluster";

/** Fill and border per role; the browser test looks for these fills in the rendered pixels. */
export const ROLE_COLOURS: Record<Role, { fill: string; stroke: string }> = {
  control: { fill: "#fbd9a6", stroke: "#b26b00" },
  worker: { fill: "#c6e8c6", stroke: "#2e7d32" },
};
const NETWORK = { fill: "#f3f6f9", stroke: "#546e7a" };
const ADMIN = { fill: "#dfe7fd", stroke: "#3949ab" };
const INK = "#1f2933";
const MUTED = "#52606d";

/** Nodes drawn per role; the rest are one summary box, so a 5000-node plan stays a few KiB. */
export const MAX_NODES_PER_ROW = 8;

/** What the scheduler runs on a node of each role (nothing for `none`). */
const SCHEDULER_LABEL: Record<Spec["scheduler"]["kind"], Record<Role, string | undefined>> = {
  kubernetes: { control: "k3s server", worker: "k3s agent" },
  fleet: { control: "fleet", worker: "fleet" },
  none: { control: undefined, worker: undefined },
};

const FONT = 13;
const LINE = 17;
const PAD = 10;
const GAP = 12;
const MARGIN = 20;

/** Text escaped for XML character data and attribute values. */
export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);

/** A generous width estimate (no font metrics here): DejaVu Sans, the widest common sans-serif, averages about 0.6 em. */
const textWidth = (s: string, size = FONT, bold = false) => Math.ceil([...s].length * size * (bold ? 0.68 : 0.62));

/** `2379–2380/tcp etcd`, `22/tcp ssh`, `icmp`. */
export function portLabel(p: ClusterPort): string {
  const range = p.from === undefined ? "" : p.to === undefined || p.to === p.from ? `${p.from}/` : `${p.from}–${p.to}/`;
  const proto = `${range}${p.protocol}`;
  return p.name === p.protocol ? proto : `${proto} ${p.name}`;
}

interface TextLine {
  readonly text: string;
  readonly bold?: boolean;
  readonly colour?: string;
  readonly size?: number;
}

const text = (x: number, y: number, line: TextLine, anchor = "start") =>
  `<text x="${x}" y="${y}" font-size="${line.size ?? FONT}"${line.bold ? ' font-weight="bold"' : ""} fill="${line.colour ?? INK}"${anchor === "start" ? "" : ` text-anchor="${anchor}"`}>${esc(line.text)}</text>`;

const rect = (x: number, y: number, w: number, h: number, c: { fill: string; stroke: string }, extra = "") =>
  `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="${c.fill}" stroke="${c.stroke}"${extra}/>`;

/** A box's lines, starting a line below its top edge. */
const lines = (x: number, y: number, ls: readonly TextLine[]) => ls.map((l, i) => text(x + PAD, y + PAD + 12 + i * LINE, l));
const boxWidth = (ls: readonly TextLine[]) => Math.max(...ls.map((l) => textWidth(l.text, l.size, l.bold))) + 2 * PAD;
const boxHeight = (count: number) => count * LINE + 2 * PAD - 4;

/** A node's zone as the spec names it, else by its number (the stack takes the region's n-th). */
function zoneLabel(plan: ClusterPlan, zone: number): string {
  const names = plan.spread?.kind === "zones" ? plan.spread.names : undefined;
  return names ? `zone ${names[zone]}` : `zone ${zone + 1} of the region`;
}

/** The boxes of one role's row: each drawn node's lines, then one summary for the rest. */
function rowBoxes(plan: ClusterPlan, role: Role): { lines: TextLine[]; summary: boolean }[] {
  const nodes = plan.nodes.filter((n) => n.role === role);
  const etcd = new Set(plan.etcd.members.map((m) => m.name));
  const scheduler = SCHEDULER_LABEL[plan.scheduler.kind][role];
  const nodeLines = (n: PlannedNode): TextLine[] => [
    { text: n.name, bold: true },
    { text: n.ip },
    ...(n.zone !== undefined ? [{ text: zoneLabel(plan, n.zone), colour: MUTED }] : []),
    ...(etcd.has(n.name) ? [{ text: "etcd member", colour: MUTED }] : []),
    ...(scheduler ? [{ text: scheduler, colour: MUTED }] : []),
  ];
  if (nodes.length <= MAX_NODES_PER_ROW) return nodes.map((n) => ({ lines: nodeLines(n), summary: false }));
  const shown = nodes.slice(0, MAX_NODES_PER_ROW);
  const rest = nodes.slice(MAX_NODES_PER_ROW);
  const range = rest.length === 1 ? rest[0]!.name : `${rest[0]!.name} – ${rest.at(-1)!.name}`;
  return [
    ...shown.map((n) => ({ lines: nodeLines(n), summary: false })),
    { lines: [{ text: `… ${rest.length} more`, bold: true }, { text: `(${range})` }], summary: true },
  ];
}

export function topologySvg(plan: ClusterPlan, adminCidrs: readonly string[]): string {
  const out: string[] = [];
  const title = qualifiedName(plan);
  const subtitle = `${plan.platform} · ${plan.arch} · Flatcar ${plan.os.channel} ${plan.os.version} · network ${plan.cidr} · scheduler ${plan.scheduler.kind}`;
  const top = MARGIN + 50;

  // Left: the admin networks, each a box with an arrow to the network labelled with the ports it reaches.
  const adminLabel = plan.adminPorts.map(portLabel).join(" · ");
  const adminBoxes: TextLine[][] = adminCidrs.length
    ? adminCidrs.map((c) => [{ text: "admin network", colour: MUTED }, { text: c, bold: true }])
    : [[{ text: "no admin CIDRs:", bold: true }, { text: "reached from the host", colour: MUTED }]];
  const adminW = Math.max(...adminBoxes.map(boxWidth));
  const adminH = boxHeight(2);
  const arrowW = adminCidrs.length ? textWidth(adminLabel, FONT - 1) + 40 : 40;
  const netX = MARGIN + adminW + arrowW;

  // The network box: a heading, then a labelled row a role. Every node box has the same size.
  const rows = (["control", "worker"] as const)
    .map((role) => ({ role, count: plan.nodes.filter((n) => n.role === role).length, boxes: rowBoxes(plan, role) }))
    .filter((r) => r.count > 0);
  const nodeW = Math.max(...rows.flatMap((r) => r.boxes.filter((b) => !b.summary).map((b) => boxWidth(b.lines))));
  const nodeH = boxHeight(Math.max(...rows.flatMap((r) => r.boxes.map((b) => b.lines.length))));
  const widthOf = (b: { lines: TextLine[]; summary: boolean }) => (b.summary ? boxWidth(b.lines) : nodeW);
  const rowLabel = (r: (typeof rows)[number]) =>
    `${r.role} · ${r.count} ${r.count === 1 ? "node" : "nodes"}${r.role === "control" && plan.etcd.members.length ? " · etcd members" : ""}`;
  const heading = `network ${plan.cidr}`;
  const rowsW = Math.max(...rows.map((r) => r.boxes.reduce((w, b) => w + widthOf(b) + GAP, -GAP)), ...rows.map((r) => textWidth(rowLabel(r))));
  const netW = Math.max(rowsW, textWidth(heading, FONT, true)) + 2 * PAD + 6;
  const rowH = LINE + 4 + nodeH + GAP;
  const netH = Math.max(LINE + 2 * PAD + rows.length * rowH, adminBoxes.length * (adminH + GAP) + 2 * PAD);

  out.push(rect(netX, top, netW, netH, NETWORK, ' stroke-width="1.5"'));
  out.push(text(netX + PAD, top + PAD + 12, { text: heading, bold: true }));
  rows.forEach((r, i) => {
    const y = top + PAD + LINE + 8 + i * rowH;
    out.push(text(netX + PAD + 3, y + 12, { text: rowLabel(r), colour: MUTED, size: FONT - 1 }));
    let x = netX + PAD + 3;
    for (const b of r.boxes) {
      const w = widthOf(b);
      out.push(rect(x, y + LINE + 4, w, nodeH, ROLE_COLOURS[r.role], b.summary ? ' stroke-dasharray="4 3"' : ""), ...lines(x, y + LINE + 4, b.lines));
      x += w + GAP;
    }
  });

  adminBoxes.forEach((ls, i) => {
    const y = top + PAD + i * (adminH + GAP);
    out.push(rect(MARGIN, y, adminW, adminH, ADMIN, adminCidrs.length ? "" : ' stroke-dasharray="4 3"'), ...lines(MARGIN, y, ls));
    if (!adminCidrs.length) return;
    const mid = y + adminH / 2;
    out.push(`<line x1="${MARGIN + adminW}" y1="${mid}" x2="${netX - 2}" y2="${mid}" stroke="${ADMIN.stroke}" stroke-width="1.5" marker-end="url(#arrow)"/>`);
    out.push(text(MARGIN + adminW + 10, mid - 6, { text: adminLabel, colour: ADMIN.stroke, size: FONT - 1 }));
  });

  // Below: the ports between the nodes, and what the colours mean.
  const legendY = top + netH + 28;
  const legend: TextLine[] = [
    { text: "between the nodes (each to each):", bold: true },
    ...plan.ports.map((p) => ({ text: portLabel(p) })),
  ];
  legend.forEach((l, i) => out.push(text(MARGIN, legendY + i * LINE, l)));
  const keyX = MARGIN + Math.max(...legend.map((l) => textWidth(l.text, FONT, l.bold))) + 40;
  const keys = [
    { colours: ROLE_COLOURS.control, label: "control node" },
    { colours: ROLE_COLOURS.worker, label: "worker node" },
    ...(adminCidrs.length ? [{ colours: ADMIN, label: "admin network (the firewall lets in the ports on its arrow)" }] : []),
  ];
  keys.forEach((k, i) => {
    const y = legendY + i * LINE;
    out.push(rect(keyX, y - 11, 22, 13, k.colours, ""), text(keyX + 30, y, { text: k.label }));
  });

  const width = Math.max(netX + netW, keyX + 30 + Math.max(...keys.map((k) => textWidth(k.label))), MARGIN + textWidth(subtitle)) + MARGIN;
  const height = legendY + Math.max(legend.length, keys.length) * LINE + MARGIN;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${esc(`${title}: ${subtitle}`)}</title>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${ADMIN.stroke}"/></marker></defs>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    text(MARGIN, MARGIN + 16, { text: title, bold: true, size: 18 }),
    text(MARGIN, MARGIN + 36, { text: subtitle, colour: MUTED }),
    ...out,
    "</svg>",
    "",
  ].join("\n");
}

/** The drawing of one environment of a valid spec, as `coreform render` writes it to out/<env>/topology.svg. */
export function environmentTopology(plan: ClusterPlan, env: Spec["environments"][string]): string {
  return topologySvg(plan, "adminCidrs" in env ? env.adminCidrs : []);
}
